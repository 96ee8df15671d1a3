"""What the home page shows of the process: its current phase and dates, the
municipalities with their forums, sessions and workshops coming, comment rounds open now
and the latest published version of the model. Six queries, whatever the size of the
process: the process with its phases and the latest version; the municipalities with
their forums; sessions; workshops; rounds. Each loads only the relations the page prints
(a forum's process, say, is not loaded again with its phases)."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import to_user_timezone
from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload

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


def _running_first(today: date):
    running = case((and_(Process.starts_on <= today, Process.ends_on >= today), 1), else_=0)
    return (running.desc(), Process.starts_on.desc(), Process.id.desc())


def _latest_version_id():
    published = aliased(Version)
    return (
        select(published.id)
        .where(published.status == VersionStatus.PUBLISHED.value)
        .order_by(published.published_at.desc(), published.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def process_and_version(today: date) -> tuple[Process | None, Version | None]:
    """The process running ``today`` (failing that, the one that started last) with its
    phases, and the version published last, of any model, in one query (a version belongs
    to a model of a process, so with no process there is none)."""
    row = db.session.execute(
        select(Process, Version)
        .outerjoin(Version, Version.id == _latest_version_id())
        .order_by(*_running_first(today))
        .options(joinedload(Process.phases))
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def current_phase(process: Process | None, today: date) -> Phase | None:
    """The phase of ``process`` running ``today``, if any."""
    if process is None:
        return None
    return next((p for p in process.phases if p.starts_on <= today <= p.ends_on), None)


def places(viewer) -> list[Place]:
    """The commission's municipalities, and any other with a forum the viewer may see,
    each with those forums (archived ones left out), in one query."""
    rows = db.session.execute(
        select(Municipality, Forum)
        .outerjoin(
            Forum,
            and_(
                Forum.municipality_id == Municipality.id,
                Forum.status != ForumStatus.ARCHIVED.value,
                visible_filter(viewer),
            ),
        )
        .where(or_(Municipality.in_commission, Forum.id.is_not(None)))
        .order_by(Municipality.name, Municipality.id, Forum.kind, Forum.title)
        .options(lazyload(Forum.process), lazyload(Forum.municipality))
    ).all()
    by_id: dict[int, Place] = {}
    for municipality, forum in rows:
        place = by_id.setdefault(municipality.id, Place(municipality))
        if forum is not None:
            place.forums.append(forum)
    return list(by_id.values())


def upcoming_sessions(viewer, limit: int = UPCOMING) -> list[Meeting]:
    """The next scheduled sessions of the forums the viewer may see."""
    return db.session.scalars(
        select(Meeting)
        .join(Meeting.forum)
        .options(contains_eager(Meeting.forum).options(lazyload(Forum.process), lazyload(Forum.municipality)))
        .where(Meeting.starts_at >= utcnow(), Meeting.status == MeetingStatus.SCHEDULED.value, visible_filter(viewer))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    ).all()


def upcoming_workshops(limit: int = UPCOMING) -> list[Workshop]:
    """The next workshops (workshops are public to read)."""
    return db.session.scalars(
        select(Workshop)
        .where(Workshop.starts_at >= utcnow(), Workshop.status == WorkshopStatus.SCHEDULED.value)
        .options(lazyload(Workshop.process))
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


def home(viewer, today: date | None = None) -> Home:
    """The home page's data for ``viewer`` (anonymous or signed in)."""
    today = today or to_user_timezone(utcnow()).date()
    process, version = process_and_version(today)
    return Home(
        process=process,
        phase=current_phase(process, today),
        places=places(viewer),
        sessions=upcoming_sessions(viewer),
        workshops=upcoming_workshops(),
        rounds=open_rounds(viewer),
        version=version,
        today=today,
    )
