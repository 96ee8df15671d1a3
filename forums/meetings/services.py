"""Rules for sessions (meetings): scheduling, registration and its waiting list, the
sign-in sheet, remarks said in the room and minutes. Services flush; the request commits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from accounts.models import User
from core import audit
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import notify, register_kinds
from core.spaces import SpaceKind
from core.text import render_markdown
from forums.common import ForumError, account_load
from forums.discussions.models import Forum
from forums.meetings.models import Meeting, MeetingRegistration, MeetingStatus, RegistrationStatus
from forums.sheets.models import Attendee

register_kinds(
    {
        "meeting.changed": lambda p: _("The session “%(title)s” you registered for has changed.", **p),
        "meeting.cancelled": lambda p: _("The session “%(title)s” you registered for was cancelled.", **p),
        "meeting.reopened": lambda p: _(
            "The session “%(title)s” you registered for is no longer cancelled: it will take place.", **p
        ),
        "meeting.promoted": lambda p: _(
            "A place opened up in the session “%(title)s”: you are now registered (you were on the waiting list).",
            **p,
        ),
    },
    group=_l("Sessions"),
)

audit.register_actions(
    {
        "meeting.held": _l("Session marked as held"),
        "meeting.cancelled": _l("Session cancelled"),
        "meeting.reopened": _l("Session back to scheduled"),
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


def cancel(actor: User, meeting: Meeting) -> None:
    """Cancel a scheduled meeting and tell those registered (audited); registrations are
    kept, so :func:`reopen` gives everyone their place back. Raises :class:`ForumError` if
    it is not scheduled (a held session is first put back to scheduled)."""
    if meeting.status == MeetingStatus.HELD.value:
        raise ForumError(_l("A session that was held cannot be cancelled."))
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise ForumError(_l("This session is already cancelled."))
    meeting.status = MeetingStatus.CANCELLED.value
    audit.record("meeting.cancelled", actor=actor, meeting=meeting.id, title=meeting.title)
    notify_registrants(meeting, "meeting.cancelled")
    db.session.flush()


def mark_held(actor: User, meeting: Meeting) -> None:
    """Record that a scheduled meeting took place (audited); registration closes. Raises
    :class:`ForumError` before its start, or if it is not scheduled."""
    if meeting.status != MeetingStatus.SCHEDULED.value:
        raise ForumError(_l("Only a scheduled session can be marked as held."))
    if not meeting.has_started:
        raise ForumError(_l("A session cannot be marked as held before it starts."))
    meeting.status = MeetingStatus.HELD.value
    audit.record("meeting.held", actor=actor, meeting=meeting.id, title=meeting.title)
    db.session.flush()


def reopen(actor: User, meeting: Meeting) -> None:
    """Undo "held" or "cancelled": the meeting is scheduled again and registration opens
    (audited). Those registered are told when a cancelled meeting is back. Raises
    :class:`ForumError` if it is already scheduled."""
    if meeting.status == MeetingStatus.SCHEDULED.value:
        raise ForumError(_l("This session is already scheduled."))
    was = meeting.status
    meeting.status = MeetingStatus.SCHEDULED.value
    audit.record("meeting.reopened", actor=actor, meeting=meeting.id, title=meeting.title, was=was)
    if was == MeetingStatus.CANCELLED.value:
        notify_registrants(meeting, "meeting.reopened")
    db.session.flush()


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


def active_registrations(meeting: Meeting) -> list[MeetingRegistration]:
    """Who holds a place or waits for one: registered first, then the waiting list in
    order."""
    return db.session.scalars(
        select(MeetingRegistration)
        .where(
            MeetingRegistration.meeting_id == meeting.id,
            MeetingRegistration.status != RegistrationStatus.CANCELLED.value,
        )
        .order_by(MeetingRegistration.status, MeetingRegistration.updated_at, MeetingRegistration.id)
    ).all()


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
        notify(waiting.user_id, "meeting.promoted", link=meeting_path(meeting.id), title=meeting.title)
        db.session.flush()
    return admitted


# Remarks and minutes -----------------------------------------------------------------


def remarks_query(meeting: Meeting):
    """A meeting's remarks in the order they were written down, with their accounts."""
    return (
        select(Contribution)
        .where(Contribution.space_kind == SpaceKind.MEETING.value, Contribution.space_id == meeting.id)
        .order_by(Contribution.created_at, Contribution.id)
        .options(joinedload(Contribution.author))
    )


def sessions_of(forum: Forum, limit: int = 20) -> list[Meeting]:
    """A forum's latest sessions, newest first (``forum`` is the one they point at: it is
    not loaded again)."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.forum_id == forum.id)
        .order_by(Meeting.starts_at.desc())
        .options(lazyload(Meeting.forum))
        .limit(limit)
    ).all()


def recent_remarks(forum: Forum, limit: int = 5) -> list[tuple]:
    """The latest remarks said at a forum's sessions: ``(remark, meeting title, meeting
    id, attendee or None)``, newest first, in one query. The newest are picked first, by
    id, looking up each session's remarks by (space kind, space id) (written as ``IN``
    so that the planner uses both columns, never a scan of every remark); only those
    rows are then read whole."""
    newest = (
        select(Contribution.id)
        .where(
            Contribution.space_kind == SpaceKind.MEETING.value,
            Contribution.space_id.in_(select(Meeting.id).where(Meeting.forum_id == forum.id)),
        )
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
        .limit(limit)
    )
    return db.session.execute(
        select(Contribution, Meeting.title, Meeting.id, Attendee)
        .join(Meeting, Meeting.id == Contribution.space_id)
        .outerjoin(Attendee, Attendee.id == Contribution.attendee_id)
        .where(Contribution.id.in_(newest.scalar_subquery()))
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
        .options(
            account_load(joinedload(Contribution.author)),
            account_load(joinedload(Attendee.user)),
            lazyload(Attendee.municipality),
        )
    ).all()


def save_minutes(meeting: Meeting, text: str, published: bool) -> bool:
    """Keep the minutes (acta) and whether they are public; empty minutes are never
    published. Returns whether they are public now."""
    meeting.minutes_source = text or ""
    meeting.minutes_html = render_markdown(text or "")
    meeting.minutes_published = bool(published) and bool(meeting.minutes_source.strip())
    return meeting.minutes_published
