"""Rules for sessions (meetings): scheduling, registration and its waiting list, the
sign-in sheet, remarks said in the room and minutes. Services flush; the request commits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from accounts.models import User
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.notifications import notify, register_kinds
from core.roles import Role
from core.text import render_markdown
from forums.meetings import (
    REMARK_SPACE,
    Attendee,
    Meeting,
    MeetingRegistration,
    MeetingStatus,
    Profile,
    RegistrationStatus,
)
from forums.models import Forum
from forums.services import BODY_MAX, ForumError

register_kinds(
    {
        "meeting.changed": lambda p: _("The session “%(title)s” you registered for has changed.", **p),
        "meeting.cancelled": lambda p: _("The session “%(title)s” you registered for was cancelled.", **p),
    }
)

REGISTERED = RegistrationStatus.REGISTERED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value


def _set_agenda(meeting: Meeting, agenda: str) -> None:
    meeting.agenda_source = agenda or ""
    meeting.agenda_html = render_markdown(agenda or "")


def schedule(forum: Forum, **fields) -> Meeting:
    """Schedule a meeting of ``forum`` (title, starts_at, ends_at, place, online_url,
    capacity, agenda). Raises :class:`ForumError` for a closed forum or bad times."""
    if not forum.is_open:
        raise ForumError(_l("This forum is closed: it can be read but takes no new posts."))
    meeting = Meeting(forum_id=forum.id, status=MeetingStatus.SCHEDULED.value)
    update(meeting, **fields)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update(meeting: Meeting, title, starts_at, ends_at, place, online_url, capacity, agenda) -> None:
    """Change a meeting's details; raising the capacity admits people from the waiting
    list. Raises :class:`ForumError` if it ends before it starts or capacity is too low."""
    if ends_at is not None and ends_at < starts_at:
        raise ForumError(_l("The end cannot be before the start."))
    if capacity is not None and meeting.id is not None and capacity < meeting.registered_count:
        raise ForumError(
            _l("%(count)d people are already registered: the capacity cannot be lower.", count=meeting.registered_count)
        )
    meeting.title = title.strip()
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.place = (place or "").strip()
    meeting.online_url = (online_url or "").strip()
    meeting.capacity = capacity
    _set_agenda(meeting, agenda)
    if meeting.id is not None:
        _admit_from_waiting_list(meeting)


def cancel(meeting: Meeting) -> None:
    """Cancel a meeting and tell those registered. Raises :class:`ForumError` if it was
    already held."""
    if meeting.status == MeetingStatus.HELD.value:
        raise ForumError(_l("A session that was held cannot be cancelled."))
    meeting.status = MeetingStatus.CANCELLED.value
    notify_registrants(meeting, "meeting.cancelled")


def meeting_path(meeting_id: int) -> str:
    """The path of a meeting's page (stored in notifications)."""
    return f"/forums/sessions/{meeting_id}"


def notify_registrants(meeting: Meeting, kind: str) -> None:
    """Tell everyone registered or waiting that ``meeting`` changed (``kind``)."""
    user_ids = db.session.scalars(
        select(MeetingRegistration.user_id).where(
            MeetingRegistration.meeting_id == meeting.id,
            MeetingRegistration.status != RegistrationStatus.CANCELLED.value,
        )
    )
    for user_id in user_ids:
        notify(user_id, kind, link=meeting_path(meeting.id), title=meeting.title)


def registration_of(user, meeting: Meeting) -> MeetingRegistration | None:
    """The user's registration for ``meeting``, if any (cancelled ones included)."""
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(
        select(MeetingRegistration).where(
            MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.user_id == user.id
        )
    )


def register(user: User, meeting: Meeting) -> MeetingRegistration:
    """Take a place, or a place on the waiting list when the meeting is full.

    Raises :class:`ForumError` for a meeting that is not upcoming or a second registration.
    """
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise ForumError(_l("Registration is closed for this session."))
    registration = registration_of(user, meeting)
    if registration is not None and registration.status != RegistrationStatus.CANCELLED.value:
        raise ForumError(_l("You are already registered for this session."))
    # Re-read the count under a row lock (PostgreSQL), so two people cannot take the last place.
    db.session.refresh(meeting, ["registered_count"], with_for_update=True)
    status = WAITLISTED if meeting.is_full else REGISTERED
    if registration is None:
        registration = MeetingRegistration(meeting_id=meeting.id, user_id=user.id)
        db.session.add(registration)
    registration.status = status
    registration.updated_at = utcnow()
    if status == REGISTERED:
        meeting.registered_count += 1
    db.session.flush()
    return registration


def unregister(user: User, meeting: Meeting) -> MeetingRegistration | None:
    """Cancel one's registration; a freed place goes to the first on the waiting list,
    who is returned. Raises :class:`ForumError` when there is nothing to cancel."""
    registration = registration_of(user, meeting)
    if registration is None or registration.status == RegistrationStatus.CANCELLED.value:
        raise ForumError(_l("You are not registered for this session."))
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise ForumError(_l("Registration is closed for this session."))
    had_place = registration.status == REGISTERED
    registration.status = RegistrationStatus.CANCELLED.value
    registration.updated_at = utcnow()
    promoted = None
    if had_place:
        meeting.registered_count -= 1
        promoted = _admit_from_waiting_list(meeting)
    db.session.flush()
    return promoted


def _admit_from_waiting_list(meeting: Meeting) -> MeetingRegistration | None:
    """Give free places to the waiting list, first come first served; returns the last
    person admitted, if any."""
    admitted = None
    while not meeting.is_full:
        waiting = db.session.scalar(
            select(MeetingRegistration)
            .where(MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.status == WAITLISTED)
            .order_by(MeetingRegistration.updated_at, MeetingRegistration.id)
            .limit(1)
        )
        if waiting is None:
            break
        waiting.status = REGISTERED
        waiting.updated_at = utcnow()
        meeting.registered_count += 1
        admitted = waiting
        db.session.flush()
    return admitted


# The sign-in sheet --------------------------------------------------------------------
# A sheet belongs to a gathering: a meeting or a workshop (``SHEET_KEY`` names the
# attendee column that points at it). Both are scheduled, then held at the first entry.


def sheet_filter(gathering):
    """The condition selecting the attendees of ``gathering``."""
    return getattr(Attendee, gathering.SHEET_KEY) == gathering.id


def _mark_held(gathering) -> None:
    if gathering.status == MeetingStatus.CANCELLED.value:
        raise ForumError(_l("This session was cancelled."))
    gathering.status = MeetingStatus.HELD.value


def profile_of(user: User) -> Profile:
    """The attendance profile an account counts under."""
    if user.has_role(Role.STAFF):
        return Profile.OFFICIAL
    if user.has_role(Role.EXPERT):
        return Profile.EXPERT
    if user.has_role(Role.FACILITATOR):
        return Profile.CSO
    return Profile.CITIZEN


def is_checked_in(gathering, user_id: int) -> bool:
    """Whether the account is on the sheet of ``gathering``."""
    return bool(db.session.scalar(select(Attendee.id).where(sheet_filter(gathering), Attendee.user_id == user_id)))


def check_in(actor: User, gathering, user: User, consent: bool) -> Attendee:
    """Put an account on the sign-in sheet. Raises :class:`ForumError` if already there."""
    _mark_held(gathering)
    if is_checked_in(gathering, user.id):
        raise ForumError(_l("This person is already checked in."))
    attendee = Attendee(
        user_id=user.id,
        profile=profile_of(user).value,
        municipality_id=user.municipality_id,
        consent=consent,
        added_by_id=actor.id,
        **{gathering.SHEET_KEY: gathering.id},
    )
    db.session.add(attendee)
    db.session.flush()
    return attendee


def add_walk_in(actor: User, gathering, name: str, profile, municipality_id, consent: bool) -> Attendee:
    """Put someone without an account on the sign-in sheet (the name is optional)."""
    _mark_held(gathering)
    attendee = Attendee(
        name=(name or "").strip(),
        profile=Profile(profile).value,
        municipality_id=municipality_id,
        consent=consent,
        added_by_id=actor.id,
        **{gathering.SHEET_KEY: gathering.id},
    )
    db.session.add(attendee)
    db.session.flush()
    return attendee


def sheet_attendees(gathering) -> list[Attendee]:
    """The sign-in sheet in the order people arrived (the order attendee choices number)."""
    return db.session.scalars(
        select(Attendee).where(sheet_filter(gathering)).order_by(Attendee.checked_in_at, Attendee.id)
    ).all()


def named_count(gathering) -> int:
    """How many people are on the sheet."""
    return db.session.scalar(select(func.count(Attendee.id)).where(sheet_filter(gathering))) or 0


def set_headcount(gathering, headcount: int | None) -> None:
    """Record how many people were in the room. Raises :class:`ForumError` if fewer than
    the people on the sheet."""
    if headcount is not None and headcount < named_count(gathering):
        raise ForumError(_l("The headcount cannot be lower than the people on the sign-in sheet."))
    if headcount is not None:
        _mark_held(gathering)
    gathering.headcount = headcount


def attendance(gathering) -> dict:
    """Distinct people on the sheet by profile, their total, and the room's headcount."""
    rows = db.session.execute(
        select(Attendee.profile, func.count(Attendee.id)).where(sheet_filter(gathering)).group_by(Attendee.profile)
    ).all()
    by_profile = {Profile(profile): count for profile, count in rows}
    named = sum(by_profile.values())
    return {
        "by_profile": [(profile, by_profile.get(profile, 0)) for profile in Profile],
        "named": named,
        "total": max(named, gathering.headcount or 0),
        "headcount": gathering.headcount,
    }


def add_remark(actor: User, meeting: Meeting, attendee_id: int | None, text: str) -> Contribution:
    """Write down something said in the room, attributed to an attendee or to nobody.
    Raises :class:`ForumError` for an empty or too long text or an unknown attendee."""
    text = (text or "").strip()
    if not text:
        raise ForumError(_l("Write something first."))
    if len(text) > BODY_MAX:
        raise ForumError(_l("The text is too long: at most %(max)d characters.", max=BODY_MAX))
    attendee = None
    if attendee_id is not None:
        attendee = db.session.get(Attendee, attendee_id)
        if attendee is None or attendee.meeting_id != meeting.id:
            raise ForumError(_l("That person is not on this session's sign-in sheet."))
    _mark_held(meeting)
    remark = Contribution(
        space_kind=REMARK_SPACE,
        space_id=meeting.id,
        author_id=attendee.user_id if attendee else None,
        attendee_id=attendee.id if attendee else None,
        municipality_id=meeting.forum.municipality_id,
        channel=Channel.IN_PERSON.value,
    )
    remark.set_body(text)
    db.session.add(remark)
    db.session.flush()
    return remark


def save_minutes(meeting: Meeting, text: str, published: bool) -> None:
    """Keep the minutes (acta) and whether they are public."""
    meeting.minutes_source = text or ""
    meeting.minutes_html = render_markdown(text or "")
    meeting.minutes_published = bool(published) and bool(meeting.minutes_source.strip())
