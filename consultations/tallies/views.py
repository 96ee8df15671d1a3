"""The participation summary of a process: the seed's table, a breakdown by one or two
dimensions, overlap, headcounts; small cells suppressed unless a facilitator asks for the
internal figures."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from accounts.models import Process
from accounts.services import find_by_email
from consultations import bp
from consultations.common import ConsultationError
from consultations.tallies import services as tallies
from consultations.tallies.models import WalkInLink
from core.exports import FORMATS
from core.extensions import db
from core.forms import INVALID, ConfirmForm, clean_text
from core.permissions import is_manager, managers_only
from core.urls import as_id, page_arg
from forums.discussions.models import Forum
from forums.meetings.models import Meeting
from forums.sheets.models import Attendee, Profile
from forums.workshops.models import Workshop


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
        labels=tallies.dimension_labels(by),
        then_labels=tallies.dimension_labels(then) if then else {},
        dimensions=tallies.DIMENSIONS,
        suppressed=tallies.SUPPRESSED,
        threshold=tallies.THRESHOLD,
        formats=FORMATS,
    )


# Walk-ins --------------------------------------------------------------------------------


def _walk_ins_page(process, status=200, error=None):
    page = db.paginate(tallies.walk_ins(process.id), page=page_arg(), per_page=50, error_out=False)
    links = tallies.active_links(a.id for a in page.items)
    return render_template(
        "consultations/tallies/walk_ins.html",
        process=process,
        page=page,
        error=error,
        confirm=ConfirmForm(),
        profiles={p.value: p.label for p in Profile},
        links=links,
    ), status


@bp.get("/processes/<int:process_id>/walk-ins")
@managers_only
def walk_ins(process_id):
    """The process's walk-ins: link one to an account, or merge two that are one person."""
    return _walk_ins_page(db.get_or_404(Process, process_id))


def _attendee_of(process_id: int, attendee_id: int) -> Attendee:
    attendee = db.get_or_404(Attendee, attendee_id)
    if db.session.scalar(tallies.walk_ins(process_id).where(Attendee.id == attendee_id)) is None:
        abort(404)
    return attendee


@bp.post("/processes/<int:process_id>/walk-ins/<int:attendee_id>/<any(link, merge):action>")
@managers_only
def judge_walk_in(process_id, attendee_id, action):
    """Link a walk-in to an account (by e-mail), or merge it into another walk-in (by its
    number)."""
    process = db.get_or_404(Process, process_id)
    attendee = _attendee_of(process.id, attendee_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "link":
            user = find_by_email(clean_text(request.form.get("email"))[:254])
            if user is None:
                raise ConsultationError(_("No account has this e-mail address."))
            tallies.link_walk_in(attendee, user, current_user)
            flash(_("Walk-in %(number)d linked to %(name)s.", number=attendee.id, name=user.public_name), "success")
        else:
            into = as_id(request.form.get("into", ""))
            if into is None:
                raise ConsultationError(_("Give the number of the other walk-in."))
            other = _attendee_of(process.id, into)
            tallies.merge_walk_ins(attendee, other, current_user)
            flash(
                _("Walk-ins %(one)d and %(other)d now count as one person.", one=attendee.id, other=other.id), "success"
            )
    except ConsultationError as error:
        return _walk_ins_page(process, INVALID, str(error))
    return redirect(url_for("consultations.walk_ins", process_id=process.id, page=page_arg()))


@bp.post("/walk-in-links/<int:link_id>/undo")
@managers_only
def undo_walk_in(link_id):
    """Undo a link or a merge."""
    link = db.get_or_404(WalkInLink, link_id)
    attendee = db.session.get(Attendee, link.attendee_id)
    process_id = db.session.scalar(
        select(func.coalesce(Forum.process_id, Workshop.process_id))
        .select_from(Attendee)
        .outerjoin(Meeting, Attendee.meeting_id == Meeting.id)
        .outerjoin(Forum, Meeting.forum_id == Forum.id)
        .outerjoin(Workshop, Attendee.workshop_id == Workshop.id)
        .where(Attendee.id == attendee.id)
    )
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        tallies.undo(link, current_user)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.walk_ins", process_id=process_id), code=303)
    flash(_("Undone: walk-in %(number)d counts on its own again.", number=attendee.id), "success")
    return redirect(url_for("consultations.walk_ins", process_id=process_id))
