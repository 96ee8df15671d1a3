"""The participation summary of a process: the seed's table, a breakdown by one or two
dimensions, overlap, headcounts; small cells suppressed unless a facilitator asks for the
internal figures."""

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Municipality, Process
from consultations import bp
from consultations.tallies import services as tallies
from core.extensions import db
from core.models import Channel
from core.permissions import is_manager
from core.privacy import VALUE_LABELS
from forums.sheets.models import Profile


def _labels(dimension: str) -> dict:
    """How the values of a dimension read."""
    if dimension == "group":
        return tallies.GROUPS
    if dimension == "municipality":
        return dict(db.session.execute(select(Municipality.id, Municipality.name)).tuples().all())
    if dimension == "profile":
        return {p.value: p.label for p in Profile}
    if dimension == "channel":
        return VALUE_LABELS.get("channel", {c.value: c.value for c in Channel})
    return {}


def _cross(summary: tallies.Summary, internal: bool):
    """Rows × columns of participants for a two-dimension summary, suppressed unless
    internal: ``(row keys, column keys, cells)``."""
    rows = sorted({r.key[0] for r in summary.rows}, key=lambda v: (v is None, str(v)))
    columns = sorted({r.key[1] for r in summary.rows}, key=lambda v: (v is None, str(v)))
    found = {r.key: r.participants for r in summary.rows}
    table = [[found.get((row, column), 0) for column in columns] for row in rows]
    return rows, columns, table if internal else tallies.suppress(table)


@bp.get("/processes/<int:process_id>/summary")
def participation(process_id):
    """Who took part, counted as people. Public figures hide counts of 1–4 people (and a
    second cell where totals would give one away); facilitators may ask for the exact,
    internal figures."""
    process = db.get_or_404(Process, process_id)
    manager = is_manager(current_user)
    internal = manager and request.args.get("internal") == "1"
    by = request.args.get("by", "group")
    by = by if by in tallies.DIMENSIONS else "group"
    then = request.args.get("then", "")
    then = then if then in tallies.DIMENSIONS and then != by else ""
    single = tallies.summary(process.id, (by,))
    column = [[row.participants] for row in single.rows]
    shown = column if internal else tallies.suppress(column + [[single.participants]])[:-1] if column else []
    cross = _cross(tallies.summary(process.id, (by, then)), internal) if then else None
    seed = tallies.seed_table(process.id)

    def figure(value):
        return value if internal else tallies.hide_small(value)

    return render_template(
        "consultations/tallies/summary.html",
        process=process,
        internal=internal,
        manager=manager,
        by=by,
        then=then,
        single=single,
        shown=[cell[0] for cell in shown],
        cross=cross,
        seed=seed,
        figure=figure,
        labels=_labels(by),
        then_labels=_labels(then) if then else {},
        dimensions=tallies.DIMENSIONS,
        suppressed=tallies.SUPPRESSED,
        threshold=tallies.THRESHOLD,
    )
