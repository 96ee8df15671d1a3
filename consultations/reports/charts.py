"""Charts of the report and of the participation summary: matplotlib bar charts written
as SVG with their text kept as text, cleaned for the page (:func:`core.text.clean_svg`).

Every chart has a table beside it with the same figures, which is what screen readers
read. A hidden figure (:data:`SUPPRESSED`) is never drawn as its value: its bar is a short
hatched stub of the same length whatever the value, labelled like the table ("< 5").
Output is deterministic (a fixed ``svg.hashsalt``, no date in the metadata), so the same
figures give the same bytes; drawings are memoised by their figures.

matplotlib is imported on first use (with the Agg backend, without pyplot), so the app
starts without it; it keeps its font cache in ``MPLCONFIGDIR`` or the user's cache folder,
never in the project.
"""

import io
import threading
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from consultations.tallies.services import SUPPRESSED
from core.text import clean_svg

#: What a hidden figure reads, in the table and on the chart.
HIDDEN_MARK = "< 5"
COLOUR = "#1f5f8b"
HIDDEN_COLOUR = "#555555"
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "cocrea-report",
    "svg.image_inline": True,
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
#: matplotlib's global state (rc parameters, font cache) is not for two threads at once.
_lock = threading.Lock()


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (a number, or :data:`SUPPRESSED`) and the text
    printed at its end (the number as the table shows it)."""

    label: str
    value: int | str
    text: str

    @property
    def hidden(self) -> bool:
        return self.value == SUPPRESSED


def _short(label: str, limit: int = 38) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


@lru_cache(maxsize=128)
def _draw(bars: tuple[Bar, ...], vertical: bool, axis_label: str) -> str:
    """The raw SVG of a bar chart (memoised: the same figures draw the same chart)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = [bar.value for bar in bars if not bar.hidden]
    top = max(shown, default=0) or 1
    stub = top * 0.04
    lengths = [stub if bar.hidden else bar.value for bar in bars]
    with _lock, matplotlib.rc_context(_RC):
        if vertical:
            figure = Figure(figsize=(max(4.0, 0.35 * len(bars) + 1.5), 3.6), layout="constrained")
        else:
            figure = Figure(figsize=(7.0, 0.32 * len(bars) + 1.0), layout="constrained")
        axes = figure.add_subplot()
        positions = range(len(bars))
        draw = axes.bar if vertical else axes.barh
        drawn = draw(positions, lengths, color=COLOUR)
        for patch, bar in zip(drawn, bars, strict=True):
            if bar.hidden:
                patch.set_facecolor("white")
                patch.set_edgecolor(HIDDEN_COLOUR)
                patch.set_hatch("////")
        axes.bar_label(drawn, labels=[bar.text for bar in bars], padding=3, fontsize=9)
        labels = [_short(bar.label, 24 if vertical else 38) for bar in bars]
        if vertical:
            axes.set_xticks(list(positions), labels, rotation=90 if len(bars) > 6 else 0)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_ylabel(axis_label)
            axes.set_ylim(0, top * 1.15)
        else:
            axes.set_yticks(list(positions), labels)
            axes.invert_yaxis()
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_xlabel(axis_label)
            axes.set_xlim(0, top * 1.2)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def bar_chart(
    bars: list[Bar], *, name: str, title: str, description: str, axis_label: str, vertical: bool = False
) -> Markup:
    """A bar chart of ``bars`` as cleaned, inline SVG markup (``role="img"``, ``title``
    and ``description`` as its accessible name and description; ids prefixed with
    ``name``, unique on the page). Raises nothing for any figures."""
    raw = _draw(tuple(bars), vertical, str(axis_label))
    return clean_svg(raw, f"chart-{name}", str(title), str(description))


def figure_text(value: int | str) -> str:
    """A figure as the tables print it: the locale's number, or :data:`HIDDEN_MARK`."""
    from flask_babel import format_number

    return HIDDEN_MARK if value == SUPPRESSED else format_number(value)


def bars_of(pairs) -> list[Bar]:
    """``[Bar]`` from ``(label, figure)`` pairs (figures of people may be hidden)."""
    return [Bar(str(label), value, figure_text(value)) for label, value in pairs]


def report_charts(report) -> dict[str, Markup]:
    """The report's charts, by name: people by kind of space, by municipality and by
    month; the themes with most contributions; contributions by verdict. A chart whose
    table is empty is left out. Call inside a request (labels follow its locale)."""
    from flask_babel import gettext as _

    hidden = _("Hatched bars are figures hidden to protect people; their length means nothing.")
    same = _("The same figures are in the table that follows the chart.")
    charts: dict[str, Markup] = {}
    group = report.segments["group"].rows
    if group:
        charts["group"] = bar_chart(
            bars_of((r.label, r.participants) for r in group),
            name="group",
            title=_("People by kind of space"),
            description=f"{same} {hidden}",
            axis_label=_("People"),
        )
    municipality = [r for r in report.segments["municipality"].rows if r.key is not None]
    if municipality:
        charts["municipality"] = bar_chart(
            bars_of((r.label, r.participants) for r in municipality),
            name="municipality",
            title=_("People by municipality"),
            description=f"{same} {hidden}",
            axis_label=_("People"),
        )
    if report.months.rows:
        charts["month"] = bar_chart(
            bars_of((r.label, r.participants) for r in report.months.rows),
            name="month",
            title=_("People by month"),
            description=f"{same} {hidden}",
            axis_label=_("People"),
            vertical=True,
        )
    top = sorted(
        (t for t in report.themes if t.level == 1 and t.contributions_with_subthemes),
        key=lambda t: (-t.contributions_with_subthemes, t.code),
    )[:10]
    if top:
        charts["themes"] = bar_chart(
            bars_of((f"{t.code} · {t.name}", t.contributions_with_subthemes) for t in top),
            name="themes",
            title=_("Themes with most contributions"),
            description=_(
                "Contributions coded with each top-level theme or its sub-themes, for the ten themes with most. "
                "Every theme's figures are in the table that follows the chart."
            ),
            axis_label=_("Contributions"),
        )
    if any(v.contributions for v in report.verdicts):
        charts["verdicts"] = bar_chart(
            bars_of((v.label, v.contributions) for v in report.verdicts),
            name="verdicts",
            title=_("What became of the contributions"),
            description=same,
            axis_label=_("Contributions"),
        )
    return charts
