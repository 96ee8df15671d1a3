"""The methodology report of a process, as a printable page and as a PDF, and the chart
of the participation summary's breakdown.

Who sees what: the report with public figures (people counted 1–4 hidden) is public, like
the participation summary; ``?internal=1`` gives the exact figures to facilitators and
administrators only (others are refused: 403, or the login page), labelled "internal" on
the page and on every page of the PDF.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.security import safe_join

from accounts.models import Process
from consultations import bp
from consultations.limits import downloads
from consultations.reports import charts
from consultations.reports import services as reports
from consultations.tallies import services as tallies
from core import dates
from core.extensions import db, login_manager
from core.permissions import is_manager

TEMPLATES = "consultations/reports"


def _internal() -> bool:
    """Whether the exact figures were asked for; refused to anyone but managers."""
    if request.args.get("internal") != "1":
        return False
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not is_manager(current_user):
        abort(403)
    return True


def _context(process_id: int) -> dict:
    process = db.get_or_404(Process, process_id)
    internal = _internal()
    report = reports.report(process, internal=internal)
    return {
        "process": process,
        "report": report,
        "internal": internal,
        "manager": is_manager(current_user),
        "charts": charts.report_charts(report),
        "groups": tallies.GROUPS,
        "suppressed": reports.SUPPRESSED,
        "hidden_mark": charts.HIDDEN_MARK,
        "today": dates.today(),
    }


@bp.get("/processes/<int:process_id>/report")
def report(process_id):
    """The methodology report: timeline, spaces, people by segment, themes, versions and
    changes, verdicts and the method notes, with charts; printable."""
    response = Response(render_template(f"{TEMPLATES}/report.html", **_context(process_id)))
    if request.args.get("internal") == "1":
        response.headers["Cache-Control"] = "no-store"
    return response


def static_only_fetcher(base_url: str):
    """A WeasyPrint URL fetcher that serves the app's own static files (under
    ``base_url``) from disk and refuses anything else, so writing a PDF never touches the
    network. Refused URLs raise ``ValueError`` inside WeasyPrint, which leaves them out."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_root = current_app.static_folder
    prefix = base_url.rstrip("/") + current_app.static_url_path + "/"

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(prefix) or "?" in url or "#" in url:
                raise ValueError(f"refused: {url}")
            path = safe_join(static_root, unquote(url[len(prefix) :]))
            if path is None or not Path(path).is_file():
                raise ValueError(f"not a static file: {url}")
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": mime})

    return Fetcher(allowed_protocols=("http", "https"), allow_redirects=False)


@bp.get("/processes/<int:process_id>/report.pdf")
@downloads
def report_pdf(process_id):
    """The methodology report as a PDF (WeasyPrint, from the same sections and a print
    stylesheet; fonts and styles only from this machine)."""
    from weasyprint import HTML

    context = _context(process_id)
    html = render_template(f"{TEMPLATES}/report_pdf.html", **context)
    base_url = request.host_url
    pdf = HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher(base_url)).write_pdf()
    name = _("methodology-report-%(process)d-%(date)s", process=process_id, date=context["today"].isoformat())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    if context["internal"]:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/processes/<int:process_id>/summary/<any(group, municipality, profile, channel, month):dimension>.svg")
def summary_chart(process_id, dimension):
    """The participation summary's breakdown by ``dimension`` as an SVG bar chart, with the
    same figures as the summary's table (public figures; the internal ones with
    ``?internal=1`` for facilitators, as on the summary page)."""
    process = db.get_or_404(Process, process_id)
    internal = is_manager(current_user) and request.args.get("internal") == "1"
    _overall, found = reports.segments(process.id, (dimension,))
    segment = found[dimension] if internal else reports.published_segment(found[dimension])
    rows = segment.rows
    title = _("People by %(dimension)s", dimension=str(reports.SEGMENT_TITLES[dimension]).lower())
    svg = charts.bar_chart(
        charts.bars_of((r.label or _("Not known"), r.participants) for r in rows),
        name=dimension,
        title=title,
        description=_("The same figures are in the table beside the chart."),
        axis_label=_("People"),
        vertical=dimension == "month",
    )
    response = Response(str(svg), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{dimension}.svg"'
    response.headers["Cache-Control"] = "no-store" if internal else "private, max-age=300"
    return response
