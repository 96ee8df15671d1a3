"""What the home page shows of the process: its current phase and dates, the
municipalities with their forums, sessions and workshops coming, comment rounds open now
and the latest published version of the model. A fixed number of queries, whatever the
size of the process."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import to_user_timezone
from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import contains_eager

from accounts.models import Municipality, Phase, Process
from consultations.rounds.models import CommentRound
from consultations.rounds.services import visible_rounds
from consultations.versions.models import Version, VersionStatus
from core.extensions import db
from core.models import utcnow
from forums.discussions.models import Forum, ForumStatus
from forums.discussions.services import visible_filter
from forums.meetings.models import Meeting, MeetingStatus
from forums.workshops.models import Workshop, WorkshopStatus

#: How many sessions and workshops coming the home page lists.
UPCOMING = 5


@dataclass
class Place:
    """A municipality and the forums of it the viewer may see."""

    municipality: Municipality
    forums: list[Forum] = field(default_factory=list)


@dataclass
class Home:
    """Everything the home page shows."""

    process: Process | None
    phase: Phase | None
    places: list[Place]
    sessions: list[Meeting]
    workshops: list[Workshop]
    rounds: list[CommentRound]
    version: Version | None
    today: date


def current_process(today: date) -> Process | None:
    """The process running ``today``; failing that, the one that started last."""
    running = case((and_(Process.starts_on <= today, Process.ends_on >= today), 1), else_=0)
    return db.session.scalars(
        select(Process).order_by(running.desc(), Process.starts_on.desc(), Process.id.desc()).limit(1)
    ).first()


def current_phase(process: Process | None, today: date) -> Phase | None:
    """The phase of ``process`` running ``today``, if any."""
    if process is None:
        return None
    return next((p for p in process.phases if p.starts_on <= today <= p.ends_on), None)


def places(viewer) -> list[Place]:
    """The commission's municipalities, and any other with a forum the viewer may see,
    each with those forums (archived ones left out)."""
    forums = db.session.scalars(
        select(Forum)
        .where(visible_filter(viewer), Forum.status != ForumStatus.ARCHIVED.value, Forum.municipality_id.is_not(None))
        .order_by(Forum.kind, Forum.title)
    ).all()
    with_forum = exists().where(
        Forum.municipality_id == Municipality.id,
        Forum.status != ForumStatus.ARCHIVED.value,
        visible_filter(viewer),
    )
    municipalities = db.session.scalars(
        select(Municipality).where(or_(Municipality.in_commission, with_forum)).order_by(Municipality.name)
    ).all()
    by_id = {m.id: Place(m) for m in municipalities}
    for forum in forums:
        if forum.municipality_id in by_id:
            by_id[forum.municipality_id].forums.append(forum)
    return list(by_id.values())


def upcoming_sessions(viewer, limit: int = UPCOMING) -> list[Meeting]:
    """The next scheduled sessions of the forums the viewer may see."""
    return db.session.scalars(
        select(Meeting)
        .join(Meeting.forum)
        .options(contains_eager(Meeting.forum))
        .where(Meeting.starts_at >= utcnow(), Meeting.status == MeetingStatus.SCHEDULED.value, visible_filter(viewer))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    ).all()


def upcoming_workshops(limit: int = UPCOMING) -> list[Workshop]:
    """The next workshops (workshops are public to read)."""
    return db.session.scalars(
        select(Workshop)
        .where(Workshop.starts_at >= utcnow(), Workshop.status == WorkshopStatus.SCHEDULED.value)
        .order_by(Workshop.starts_at, Workshop.id)
        .limit(limit)
    ).all()


def open_rounds(viewer) -> list[CommentRound]:
    """The comment rounds open now that the viewer may read, closing soonest first."""
    now = utcnow()
    return db.session.scalars(
        select(CommentRound)
        .where(CommentRound.opens_at <= now, CommentRound.closes_at > now, visible_rounds(viewer))
        .order_by(CommentRound.closes_at, CommentRound.id)
    ).all()


def latest_version() -> Version | None:
    """The version published last, of any model."""
    return db.session.scalars(
        select(Version)
        .where(Version.status == VersionStatus.PUBLISHED.value)
        .order_by(Version.published_at.desc(), Version.id.desc())
        .limit(1)
    ).first()


def home(viewer, today: date | None = None) -> Home:
    """The home page's data for ``viewer`` (anonymous or signed in)."""
    today = today or to_user_timezone(utcnow()).date()
    process = current_process(today)
    return Home(
        process=process,
        phase=current_phase(process, today),
        places=places(viewer),
        sessions=upcoming_sessions(viewer),
        workshops=upcoming_workshops(),
        rounds=open_rounds(viewer),
        version=latest_version(),
        today=today,
    )
