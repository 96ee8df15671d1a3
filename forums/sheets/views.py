"""The sign-in sheet pages of every gathering: the sheet, check-in, walk-ins, headcount and
remarks said in the room.

Each kind of gathering registers a :class:`~forums.sheets.services.SheetPages`; the routes
below are added for each when the blueprint is registered, under the addresses and
endpoint names that kind always had (``/forums/sessions/<meeting_id>/sheet`` is
``forums.sheet``, ``/forums/workshops/<workshop_id>/sheet`` is ``forums.workshop_sheet``).
Facilitators and administrators only.
"""

from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.choices import municipality_choices
from accounts.models import User
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.permissions import managers_only
from forums import bp
from forums.common import ForumError
from forums.sheets import services as sheets
from forums.sheets.forms import CheckInForm, HeadcountForm, RemarkEditForm, RemarkForm, WalkInForm
from forums.sheets.services import SheetPages


def _walk_in_form(gathering) -> WalkInForm:
    form = WalkInForm(prefix="walkin")
    form.municipality.choices = municipality_choices()
    if form.municipality.data is None and not form.is_submitted():
        form.municipality.data = gathering.sheet_municipality_id
    return form


def _remark_form(attendees, form_class=RemarkForm, **data) -> RemarkForm:
    form = form_class(prefix="remark", **data)
    form.attendee.choices = sheets.attendee_choices(attendees, _("Someone in the room (not on the sheet)"))
    return form


def _sheet_url(pages: SheetPages, gathering) -> str:
    return url_for(f"forums.{pages.sheet}", **{pages.id_name: gathering.id})


def render_sheet(pages: SheetPages, gathering, status=200, attendees=None, walk_in=None, remark=None, headcount=None):
    """The sign-in sheet page; a form that failed validation is passed in to show its
    errors and keep what was typed."""
    attendees = sheets.sheet_attendees(gathering) if attendees is None else attendees
    key = {pages.id_name: gathering.id}
    return (
        render_template(
            pages.template,
            gathering=gathering,
            pages=pages,
            key=key,
            attendees=attendees,
            labels=sheets.attendee_labels(attendees),
            remarks=sheets.remarks_of(gathering, pages.remark_space) if pages.remark else [],
            checked_in={a.user_id for a in attendees if a.user_id},
            attendance=sheets.attendance(gathering),
            walk_in_form=walk_in or _walk_in_form(gathering),
            remark_form=(remark or _remark_form(attendees)) if pages.remark else None,
            headcount_form=headcount or HeadcountForm(prefix="headcount", headcount=gathering.headcount),
            **pages.context(gathering),
        ),
        status,
    )


def _sheet(pages: SheetPages, **ids):
    """The sign-in sheet: people expected to check in, walk-ins, headcount, remarks."""
    return render_sheet(pages, pages.load(ids[pages.id_name]))


def _check_in(pages: SheetPages, user_id, **ids):
    """Check an account in."""
    gathering = pages.load(ids[pages.id_name])
    user = db.get_or_404(User, user_id)
    if user.deleted_at is not None:
        abort(404)
    form = CheckInForm(prefix="checkin")
    if not form.validate_on_submit():
        abort(400)
    try:
        sheets.check_in(current_user, gathering, user, form.consent.data)
    except ForumError as error:
        flash(str(error), "error")
    else:
        if pages.after_check_in is not None:
            pages.after_check_in(current_user, gathering, user)
        flash(_("%(name)s is checked in.", name=user.public_name), "success")
    return redirect(_sheet_url(pages, gathering))


def _walk_in(pages: SheetPages, **ids):
    """Add someone without an account to the sign-in sheet."""
    gathering = pages.load(ids[pages.id_name])
    walk_in = _walk_in_form(gathering)
    if walk_in.validate_on_submit():
        try:
            sheets.add_walk_in(
                current_user,
                gathering,
                walk_in.name.data,
                walk_in.profile.data,
                walk_in.municipality.data,
                walk_in.consent.data,
            )
        except ForumError as error:
            walk_in.name.errors.append(str(error))
        else:
            flash(_("Added to the sign-in sheet."), "success")
            return redirect(_sheet_url(pages, gathering))
    return render_sheet(pages, gathering, INVALID, walk_in=walk_in)


def _headcount(pages: SheetPages, **ids):
    """Record how many people were in the room."""
    gathering = pages.load(ids[pages.id_name])
    form = HeadcountForm(prefix="headcount")
    if form.validate_on_submit():
        try:
            sheets.set_headcount(gathering, form.headcount.data)
        except ForumError as error:
            form.headcount.errors.append(str(error))
        else:
            flash(_("Headcount saved."), "success")
            return redirect(_sheet_url(pages, gathering))
    return render_sheet(pages, gathering, INVALID, headcount=form)


def _remark(pages: SheetPages, **ids):
    """Write down a remark said in the room."""
    gathering = pages.load(ids[pages.id_name])
    attendees = sheets.sheet_attendees(gathering)
    remark = _remark_form(attendees)
    if remark.validate_on_submit():
        try:
            sheets.add_remark(current_user, gathering, pages.remark_space, remark.attendee.data, remark.body.data)
        except ForumError as error:
            remark.body.errors.append(str(error))
        else:
            flash(_("Remark written down."), "success")
            return redirect(_sheet_url(pages, gathering))
    return render_sheet(pages, gathering, INVALID, attendees=attendees, remark=remark)


def _remark_or_404(pages: SheetPages, ids: dict, remark_id: int):
    gathering = pages.load(ids[pages.id_name])
    remark = sheets.remark_of(gathering, pages.remark_space, remark_id)
    if remark is None:
        abort(404)
    return gathering, remark


def _edit_remark(pages: SheetPages, remark_id, **ids):
    """Correct a remark written down on the sheet: what was said and who said it."""
    gathering, remark = _remark_or_404(pages, ids, remark_id)
    attendees = sheets.sheet_attendees(gathering)
    # What is stored fills the form only when it is first shown: a post says it all.
    current = {} if request.method == "POST" else {"attendee": remark.attendee_id, "body": remark.body_source}
    form = _remark_form(attendees, RemarkEditForm, **current)
    if form.validate_on_submit():
        try:
            changed = sheets.correct_remark(current_user, gathering, remark, form.attendee.data, form.body.data)
        except ForumError as error:
            form.body.errors.append(str(error))
        else:
            flash(_("Remark corrected.") if changed else _("Nothing to change."), "success" if changed else "info")
            return redirect(f"{_sheet_url(pages, gathering)}#remark-{remark.id}")
    status = INVALID if form.errors else 200
    return render_template(
        "forums/sheets/remark_edit.html",
        gathering=gathering,
        pages=pages,
        key={pages.id_name: gathering.id},
        remark=remark,
        form=form,
        sheet_url=_sheet_url(pages, gathering),
        **pages.context(gathering),
    ), status


def _remove_remark(pages: SheetPages, remark_id, **ids):
    """Take a remark off the sheet, after a confirmation step."""
    gathering, remark = _remark_or_404(pages, ids, remark_id)
    attendees = sheets.sheet_attendees(gathering)
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        try:
            sheets.remove_remark(current_user, gathering, remark)
        except ForumError as error:
            flash(str(error), "error")
            return redirect(f"{_sheet_url(pages, gathering)}#remark-{remark.id}")
        flash(_("Remark removed from the sign-in sheet."), "success")
        return redirect(f"{_sheet_url(pages, gathering)}#remarks-heading")
    return render_template(
        "forums/sheets/remark_remove.html",
        gathering=gathering,
        pages=pages,
        key={pages.id_name: gathering.id},
        remark=remark,
        said_by=sheets.attendee_labels(attendees).get(remark.attendee_id),
        refusal=sheets.removal_refusal(remark),
        form=form,
        sheet_url=_sheet_url(pages, gathering),
        **pages.context(gathering),
    )


def _route(state, pages: SheetPages, rule: str, endpoint: str, handler, methods):
    view = managers_only(partial(handler, pages))
    view.__name__ = view.__qualname__ = endpoint
    view.__doc__ = handler.__doc__
    state.add_url_rule(f"/{pages.path}/<int:{pages.id_name}>{rule}", endpoint, view, methods=methods)


@bp.record
def _add_sheet_routes(state) -> None:
    """Add every registered gathering's sheet routes as the blueprint is registered."""
    for pages in sheets.GATHERINGS:
        _route(state, pages, "/sheet", pages.sheet, _sheet, ["GET"])
        _route(state, pages, "/checkin/<int:user_id>", pages.check_in, _check_in, ["POST"])
        _route(state, pages, "/walk-ins", pages.walk_in, _walk_in, ["POST"])
        _route(state, pages, "/headcount", pages.headcount, _headcount, ["POST"])
        if pages.remark:
            _route(state, pages, "/remarks", pages.remark, _remark, ["POST"])
        if pages.remark and pages.edit_remark:
            rule = "/remarks/<int:remark_id>/edit"
            _route(state, pages, rule, pages.edit_remark, _edit_remark, ["GET", "POST"])
        if pages.remark and pages.remove_remark:
            rule = "/remarks/<int:remark_id>/remove"
            _route(state, pages, rule, pages.remove_remark, _remove_remark, ["GET", "POST"])
