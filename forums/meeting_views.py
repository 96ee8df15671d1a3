"""Pages for sessions (meetings): schedule, register, the sign-in sheet, remarks, minutes."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from accounts.choices import municipality_choices
from accounts.models import User
from core.extensions import db
from core.forms import ConfirmForm
from core.models import Contribution
from core.urls import page_arg
from forums import bp, services
from forums import meeting_services as meetings
from forums.meeting_forms import CheckInForm, HeadcountForm, MeetingForm, MinutesForm, RemarkForm, WalkInForm
from forums.meetings import REMARK_SPACE, Meeting, MeetingRegistration, MeetingStatus, RegistrationStatus
from forums.services import ForumError
from forums.views import INVALID, forum_or_404, managers_only


def _meeting_or_404(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    forum, member = forum_or_404(meeting.forum_id)
    return meeting, forum, member


def _local(value):
    """A stored UTC time as the naive local time a datetime-local field shows."""
    return to_user_timezone(value).replace(tzinfo=None) if value else None


def _form_fields(form: MeetingForm) -> dict:
    url = (form.online_url.data or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise ForumError(_("Enter a full web address (https://…)."))
    return {
        "title": form.title.data,
        "starts_at": to_utc(form.starts_at.data),
        "ends_at": to_utc(form.ends_at.data) if form.ends_at.data else None,
        "place": form.place.data,
        "online_url": url,
        "capacity": form.capacity.data,
        "agenda": form.agenda.data,
    }


@bp.route("/<int:forum_id>/sessions/new", methods=["GET", "POST"])
@managers_only
def new_meeting(forum_id):
    """Schedule a session of a forum."""
    forum, _member = forum_or_404(forum_id)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = meetings.schedule(forum, **_form_fields(form))
        except ForumError as error:
            form.starts_at.errors.append(str(error))
        else:
            flash(_("Session scheduled."), "success")
            return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    status = INVALID if form.errors else 200
    return render_template("forums/meeting_form.html", form=form, forum=forum, meeting=None), status


@bp.route("/sessions/<int:meeting_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_meeting(meeting_id):
    """Change a session's details."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    form = MeetingForm(
        title=meeting.title,
        starts_at=_local(meeting.starts_at),
        ends_at=_local(meeting.ends_at),
        place=meeting.place,
        online_url=meeting.online_url,
        capacity=meeting.capacity,
        agenda=meeting.agenda_source,
    )
    if form.validate_on_submit():
        try:
            meetings.update(meeting, **_form_fields(form))
        except ForumError as error:
            form.starts_at.errors.append(str(error))
        else:
            meetings.notify_registrants(meeting, "meeting.changed")
            flash(_("Session saved."), "success")
            return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    status = INVALID if form.errors else 200
    return render_template("forums/meeting_form.html", form=form, forum=forum, meeting=meeting), status


@bp.post("/sessions/<int:meeting_id>/cancel")
@managers_only
def cancel_meeting(meeting_id):
    """Cancel a session."""
    meeting, _forum, _member = _meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.cancel(meeting)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("Session cancelled."), "info")
    return redirect(url_for("forums.meeting", meeting_id=meeting.id))


def _remarks_query(meeting_ids):
    return (
        select(Contribution)
        .where(Contribution.space_kind == REMARK_SPACE, Contribution.space_id.in_(meeting_ids))
        .order_by(Contribution.created_at, Contribution.id)
    )


@bp.get("/sessions/<int:meeting_id>")
def meeting(meeting_id):
    """A session: details, registration, attendance by profile, remarks and minutes."""
    meeting, forum, member = _meeting_or_404(meeting_id)
    manager = services.is_manager(current_user)
    registration = meetings.registration_of(current_user, meeting)
    attendees = meetings.sheet_attendees(meeting)
    remarks = db.paginate(
        _remarks_query([meeting.id]),
        page=page_arg(),
        per_page=current_app.config["POSTS_PER_PAGE"],
        error_out=False,
    )
    by_id = {a.id: a for a in attendees}
    return render_template(
        "forums/meeting.html",
        meeting=meeting,
        forum=forum,
        registration=registration,
        can_register=bool(member or manager) and meeting.status == MeetingStatus.SCHEDULED.value,
        can_manage=manager,
        attendance=meetings.attendance(meeting),
        attendees=attendees if manager else [a for a in attendees if a.consent],
        attendee_by_id=by_id,
        remarks=remarks,
        confirm=ConfirmForm(),
    )


@bp.post("/sessions/<int:meeting_id>/register")
@login_required
def register_meeting(meeting_id):
    """Register for a session (a place, or the waiting list when full)."""
    meeting, forum, member = _meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if member is None and not services.is_manager(current_user):
        flash(_("Join this forum to take part."), "error")
    else:
        try:
            registration = meetings.register(current_user, meeting)
        except ForumError as error:
            flash(str(error), "error")
        else:
            if registration.status == RegistrationStatus.WAITLISTED.value:
                flash(_("The session is full: you are on the waiting list."), "info")
            else:
                flash(_("You are registered."), "success")
    return redirect(url_for("forums.meeting", meeting_id=meeting.id))


@bp.post("/sessions/<int:meeting_id>/unregister")
@login_required
def unregister_meeting(meeting_id):
    """Cancel one's registration; the first on the waiting list takes the place."""
    meeting, _forum, _member = _meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.unregister(current_user, meeting)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("forums.meeting", meeting_id=meeting.id))


# The sign-in sheet --------------------------------------------------------------------


def _walk_in_form(meeting) -> WalkInForm:
    form = WalkInForm(prefix="walkin")
    form.municipality.choices = municipality_choices()
    if form.municipality.data is None and not form.is_submitted():
        form.municipality.data = meeting.forum.municipality_id
    return form


def _remark_form(attendees) -> RemarkForm:
    form = RemarkForm(prefix="remark")
    form.attendee.choices = [SelectChoice("", _("Unnamed attendee"))] + [
        SelectChoice(a.id, a.full_name or _("Attendee %(number)s", number=i)) for i, a in enumerate(attendees, start=1)
    ]
    return form


def _render_sheet(meeting, forum, status=200, attendees=None, walk_in=None, remark=None, headcount=None):
    """The sign-in sheet page; a form that failed validation is passed in to show its errors."""
    registrations = db.session.scalars(
        select(MeetingRegistration)
        .where(
            MeetingRegistration.meeting_id == meeting.id,
            MeetingRegistration.status != RegistrationStatus.CANCELLED.value,
        )
        .order_by(MeetingRegistration.status, MeetingRegistration.updated_at, MeetingRegistration.id)
    ).all()
    attendees = meetings.sheet_attendees(meeting) if attendees is None else attendees
    return (
        render_template(
            "forums/sheet.html",
            gathering=meeting,
            forum=forum,
            people=[(r.user, r.status_label) for r in registrations],
            people_heading=_("Registered people"),
            nobody=_("Nobody has registered."),
            back=(url_for("forums.meeting", meeting_id=meeting.id), _("Back to the session")),
            endpoints={
                "check_in": "forums.check_in",
                "walk_in": "forums.add_walk_in",
                "headcount": "forums.headcount",
                "remark": "forums.add_remark",
            },
            key={"meeting_id": meeting.id},
            attendees=attendees,
            checked_in={a.user_id for a in attendees if a.user_id},
            attendance=meetings.attendance(meeting),
            walk_in_form=walk_in or _walk_in_form(meeting),
            remark_form=remark or _remark_form(attendees),
            headcount_form=headcount or HeadcountForm(prefix="headcount", headcount=meeting.headcount),
        ),
        status,
    )


@bp.get("/sessions/<int:meeting_id>/sheet")
@managers_only
def sheet(meeting_id):
    """The sign-in sheet: registered people to check in, walk-ins, headcount, remarks."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    return _render_sheet(meeting, forum)


@bp.post("/sessions/<int:meeting_id>/checkin/<int:user_id>")
@managers_only
def check_in(meeting_id, user_id):
    """Check a registered (or any) account in."""
    meeting, _forum, _member = _meeting_or_404(meeting_id)
    return check_in_account(meeting, user_id, url_for("forums.sheet", meeting_id=meeting.id))


def check_in_account(gathering, user_id: int, sheet_url: str, after=None):
    """Check the account ``user_id`` in at a meeting's or workshop's sheet, then run
    ``after(user)`` (if given) and go back to ``sheet_url``."""
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        abort(404)
    form = CheckInForm(prefix="checkin")
    if not form.validate_on_submit():
        abort(400)
    try:
        meetings.check_in(current_user, gathering, user, form.consent.data)
    except ForumError as error:
        flash(str(error), "error")
    else:
        if after is not None:
            after(user)
        flash(_("%(name)s is checked in.", name=user.public_name), "success")
    return redirect(sheet_url)


@bp.post("/sessions/<int:meeting_id>/walk-ins")
@managers_only
def add_walk_in(meeting_id):
    """Add someone without an account to the sign-in sheet."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    walk_in = _walk_in_form(meeting)
    if walk_in.validate_on_submit():
        try:
            meetings.add_walk_in(
                current_user,
                meeting,
                walk_in.name.data,
                walk_in.profile.data,
                walk_in.municipality.data,
                walk_in.consent.data,
            )
        except ForumError as error:
            walk_in.name.errors.append(str(error))
        else:
            flash(_("Added to the sign-in sheet."), "success")
            return redirect(url_for("forums.sheet", meeting_id=meeting.id))
    return _render_sheet(meeting, forum, INVALID, walk_in=walk_in)


@bp.post("/sessions/<int:meeting_id>/headcount")
@managers_only
def headcount(meeting_id):
    """Record how many people were in the room."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    return save_headcount(
        meeting,
        url_for("forums.sheet", meeting_id=meeting.id),
        lambda form: _render_sheet(meeting, forum, INVALID, headcount=form),
    )


def save_headcount(gathering, sheet_url: str, render_invalid):
    """Record a meeting's or workshop's headcount; an invalid one is drawn again by
    ``render_invalid(form)``."""
    form = HeadcountForm(prefix="headcount")
    if form.validate_on_submit():
        try:
            meetings.set_headcount(gathering, form.headcount.data)
        except ForumError as error:
            form.headcount.errors.append(str(error))
        else:
            flash(_("Headcount saved."), "success")
            return redirect(sheet_url)
    return render_invalid(form)


@bp.post("/sessions/<int:meeting_id>/remarks")
@managers_only
def add_remark(meeting_id):
    """Write down a remark said in the room."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    attendees = meetings.sheet_attendees(meeting)
    remark = _remark_form(attendees)
    if remark.validate_on_submit():
        try:
            meetings.add_remark(current_user, meeting, remark.attendee.data, remark.body.data)
        except ForumError as error:
            remark.body.errors.append(str(error))
        else:
            flash(_("Remark written down."), "success")
            return redirect(url_for("forums.sheet", meeting_id=meeting.id))
    return _render_sheet(meeting, forum, INVALID, attendees=attendees, remark=remark)


@bp.route("/sessions/<int:meeting_id>/minutes", methods=["GET", "POST"])
@managers_only
def minutes(meeting_id):
    """Write the minutes (acta) and publish them."""
    meeting, forum, _member = _meeting_or_404(meeting_id)
    form = MinutesForm(minutes=meeting.minutes_source, published=meeting.minutes_published)
    if form.validate_on_submit():
        meetings.save_minutes(meeting, form.minutes.data, form.published.data)
        flash(_("Minutes saved."), "success")
        return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    status = INVALID if form.errors else 200
    return render_template("forums/minutes.html", form=form, meeting=meeting, forum=forum), status
