"""Pages for sessions (meetings): schedule, register, the sign-in sheet, remarks, minutes."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_login import current_user, login_required

from core.confirm import confirm_page
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.permissions import is_manager, managers_only
from core.spaces import SpaceKind
from core.text import render_markdown, stored_html
from core.urls import page_arg
from forums import bp
from forums.common import ForumError, local_time
from forums.discussions import services as discussions
from forums.discussions.helpers import forum_or_404
from forums.meetings import services as meetings
from forums.meetings.forms import DRAFT, PUBLISHED, MeetingForm, MinutesForm
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
    ).for_changes()
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


#: The status changes a facilitator makes, each after a confirmation step:
#: endpoint -> (service, the question, the explanation, the button, the message after).
STATUS_CHANGES = {
    "cancel_meeting": (
        meetings.cancel,
        _l("Cancel this session?"),
        _l(
            "Registration closes and everyone registered or on the waiting list is told. "
            "Their registrations are kept: you can undo this."
        ),
        _l("Cancel the session"),
        _l("Session cancelled."),
    ),
    "mark_meeting_held": (
        meetings.mark_held,
        _l("Mark this session as held?"),
        _l("Registration closes. You can undo this."),
        _l("Mark as held"),
        _l("The session is marked as held."),
    ),
    "reopen_meeting": (
        meetings.reopen,
        _l("Put this session back to scheduled?"),
        _l("Registration opens again. If it was cancelled, everyone registered is told it will take place."),
        _l("Back to scheduled"),
        _l("The session is scheduled again."),
    ),
}


def _change_status(endpoint: str, meeting_id: int):
    """A status change: a confirmation page (GET), then the change (POST)."""
    meeting, forum, _member = meeting_or_404(meeting_id)
    change, question, explanation, button, done = STATUS_CHANGES[endpoint]
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        try:
            change(current_user, meeting)
        except ForumError as error:
            flash(str(error), "error")
        else:
            flash(str(done), "success")
        return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    return _confirm(meeting, forum, form, question, explanation, button, f"forums.{endpoint}")


def _confirm(meeting: Meeting, forum, form: ConfirmForm, question, explanation, button, endpoint: str) -> str:
    """The confirmation step of an action on a session, which it shows; back to the session."""
    return confirm_page(
        question=str(question),
        explanation=str(explanation),
        button=str(button),
        action=url_for(endpoint, meeting_id=meeting.id),
        back=url_for("forums.meeting", meeting_id=meeting.id),
        back_label=_("Back to the session"),
        form=form,
        subject=meeting.title,
        crumbs="forums/_crumbs.html",
        concerns="forums/meetings/_confirm_session.html",
        meeting=meeting,
        forum=forum,
    )


@bp.route("/sessions/<int:meeting_id>/cancel", methods=["GET", "POST"])
@managers_only
def cancel_meeting(meeting_id):
    """Cancel a session, after a confirmation step (registrants are told)."""
    return _change_status("cancel_meeting", meeting_id)


@bp.route("/sessions/<int:meeting_id>/held", methods=["GET", "POST"])
@managers_only
def mark_meeting_held(meeting_id):
    """Mark a session that has started as held, after a confirmation step."""
    return _change_status("mark_meeting_held", meeting_id)


@bp.route("/sessions/<int:meeting_id>/reopen", methods=["GET", "POST"])
@managers_only
def reopen_meeting(meeting_id):
    """Undo "held" or "cancelled", after a confirmation step."""
    return _change_status("reopen_meeting", meeting_id)


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
    # Names only of those who agreed, unless the viewer runs the sheet; everyone else
    # is "Unnamed attendee N", N their place on the sheet, as on the sheet itself.
    labels = sheets.attendee_labels(attendees, (lambda a: True) if manager else (lambda a: a.consent))
    named = [a for a in attendees if a.full_name and (manager or a.consent)]
    scheduled = meeting.status == MeetingStatus.SCHEDULED.value
    return render_template(
        "forums/meeting.html",
        meeting=meeting,
        forum=forum,
        registration=registration,
        can_register=bool(member or manager) and scheduled,
        can_join=scheduled and discussions.can_join(current_user, forum, member),
        can_manage=manager,
        attendance=sheets.attendance(meeting),
        attendees=attendees,
        named_attendees=named,
        unnamed_count=len(attendees) - len(named),
        labels=labels,
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


@bp.route("/sessions/<int:meeting_id>/unregister", methods=["GET", "POST"])
@login_required
def unregister_meeting(meeting_id):
    """Cancel one's registration, after a confirmation step (GET); the first on the
    waiting list takes the place."""
    meeting, forum, _member = meeting_or_404(meeting_id)
    form = ConfirmForm()
    if not form.is_submitted():
        registration = meetings.registration_of(current_user, meeting)
        if registration is None or registration.status == RegistrationStatus.CANCELLED.value:
            flash(_("You are not registered for this session."), "error")
            return redirect(url_for("forums.meeting", meeting_id=meeting.id))
        return _confirm(
            meeting,
            forum,
            form,
            _("Cancel your registration?"),
            _(
                "Your place goes to the first person on the waiting list, if there is one. "
                "You can register again while registration is open."
            ),
            _("Cancel my registration"),
            "forums.unregister_meeting",
        )
    if not form.validate():
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
        edit_remark="edit_remark",
        remove_remark="remove_remark",
        load=lambda meeting_id: meeting_or_404(meeting_id)[0],
        context=_sheet_context,
        template="forums/meetings/sheet.html",
    )
)


@bp.route("/sessions/<int:meeting_id>/minutes", methods=["GET", "POST"])
@managers_only
def minutes(meeting_id):
    """Write the minutes (acta), choose whether they are public, preview them."""
    meeting, forum, _member = meeting_or_404(meeting_id)
    form = MinutesForm(minutes=meeting.minutes_source, visibility=PUBLISHED if meeting.minutes_published else DRAFT)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            # Drawn again with the rendered text, nothing saved.
            preview = stored_html(render_markdown(form.minutes.data or ""))
        else:
            public = meetings.save_minutes(meeting, form.minutes.data, form.visibility.data == PUBLISHED)
            if public:
                flash(_("Minutes saved and published: everyone who can see the forum can read them."), "success")
            elif form.visibility.data == PUBLISHED:
                flash(_("Minutes saved. They are empty, so nothing is published."), "info")
            else:
                flash(_("Minutes saved as a draft: only facilitators can read them."), "success")
            return redirect(url_for("forums.meeting", meeting_id=meeting.id))
    status = INVALID if form.errors else 200
    return render_template("forums/minutes.html", form=form, meeting=meeting, forum=forum, preview=preview), status
