"""Pages for sessions (meetings): schedule, register, the sign-in sheet, remarks, minutes."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user, login_required

from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.permissions import is_manager, managers_only
from core.spaces import SpaceKind
from core.urls import page_arg
from forums import bp
from forums.common import ForumError, local_time
from forums.discussions.helpers import forum_or_404
from forums.meetings import services as meetings
from forums.meetings.forms import MeetingForm, MinutesForm
from forums.meetings.models import Meeting, MeetingStatus, RegistrationStatus
from forums.sheets import services as sheets
from forums.sheets.services import SheetPages, register_gathering


def meeting_or_404(meeting_id: int):
    """The meeting, its forum and the current user's membership; 404 if not visible."""
    meeting = db.get_or_404(Meeting, meeting_id)
    forum, member = forum_or_404(meeting.forum_id)
    return meeting, forum, member


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
    meeting, forum, _member = meeting_or_404(meeting_id)
    form = MeetingForm(
        title=meeting.title,
        starts_at=local_time(meeting.starts_at),
        ends_at=local_time(meeting.ends_at),
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
    meeting, _forum, _member = meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.cancel(meeting)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("Session cancelled."), "info")
    return redirect(url_for("forums.meeting", meeting_id=meeting.id))


@bp.get("/sessions/<int:meeting_id>")
def meeting(meeting_id):
    """A session: details, registration, attendance by profile, remarks and minutes."""
    meeting, forum, member = meeting_or_404(meeting_id)
    manager = is_manager(current_user)
    registration = meetings.registration_of(current_user, meeting)
    attendees = sheets.sheet_attendees(meeting)
    remarks = db.paginate(
        meetings.remarks_query(meeting),
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
        attendance=sheets.attendance(meeting),
        attendees=attendees if manager else [a for a in attendees if a.consent],
        attendee_by_id=by_id,
        remarks=remarks,
        confirm=ConfirmForm(),
    )


@bp.post("/sessions/<int:meeting_id>/register")
@login_required
def register_meeting(meeting_id):
    """Register for a session (a place, or the waiting list when full)."""
    meeting, forum, member = meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if member is None and not is_manager(current_user):
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
    meeting, _forum, _member = meeting_or_404(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        meetings.unregister(current_user, meeting)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("forums.meeting", meeting_id=meeting.id))


# The sign-in sheet (its pages are forums.sheets'; the session says what it shows) ----


def _sheet_context(meeting: Meeting) -> dict:
    """Registered people to check in, crumbs and the way back."""
    return {
        "forum": meeting.forum,
        "people": [(r.user, r.status_label) for r in meetings.active_registrations(meeting)],
        "people_heading": _("Registered people"),
        "nobody": _("Nobody has registered."),
        "back": (url_for("forums.meeting", meeting_id=meeting.id), _("Back to the session")),
    }


register_gathering(
    SheetPages(
        path="sessions",
        id_name="meeting_id",
        sheet="sheet",
        check_in="check_in",
        walk_in="add_walk_in",
        headcount="headcount",
        remark="add_remark",
        remark_space=SpaceKind.MEETING.value,
        load=lambda meeting_id: meeting_or_404(meeting_id)[0],
        context=_sheet_context,
        template="forums/meetings/sheet.html",
    )
)


@bp.route("/sessions/<int:meeting_id>/minutes", methods=["GET", "POST"])
@managers_only
def minutes(meeting_id):
    """Write the minutes (acta) and publish them."""
    meeting, forum, _member = meeting_or_404(meeting_id)
    form = MinutesForm(minutes=meeting.minutes_source, published=meeting.minutes_published)
    if form.validate_on_submit():
        meetings.save_minutes(meeting, form.minutes.data, form.published.data)
        flash(_("Minutes saved."), "success")
        return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    status = INVALID if form.errors else 200
    return render_template("forums/minutes.html", form=form, meeting=meeting, forum=forum), status
