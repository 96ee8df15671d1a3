"""The tally ledger: every event of every process, kept as one narrow, indexed row.

Computing the events from the live tables joins every contribution to its space, its
sign-in line, the walk-in links and the roles of its author: seconds for a million
contributions. So the events are kept in :class:`~consultations.tallies.models.TallyEvent`
rows, and every write that could change one refreshes the rows it touches, in its own
transaction, just before it commits (or before the session reads the ledger):

- a contribution added, deleted, or changed in what it is counted by (author, sheet
  line, space, municipality, channel, date, process): its row;
- a sign-in line (attendee) added, deleted or changed: its row and the rows of what was
  said in its name;
- a walk-in linked, merged or undone: the rows of the walk-ins concerned and of those
  merged into them;
- a role granted, changed or removed: the rows of that person's contributions (their
  profile at the time);
- a thread or session moved to another forum, a forum's kind, place or process, a board
  moved, a workshop's kind, process or date, a round's audience: the rows of that space.

A bulk ``UPDATE`` through the session is followed too: the ids it will touch are read
just before it runs, and a bulk ``INSERT`` refreshes the ids above the highest one before
it. A write the ledger cannot follow (a ``text()`` statement, a bulk change of a space)
marks it *not built*, and the next read rebuilds it from the live tables (as after the
migration that added it, or ``flask consultations tallies rebuild``). A write that
bypasses the session (a raw connection) must call :func:`stale` or :func:`rebuild`.

With ``TALLY_VERIFY`` set (the tests), every read compares the ledger with the live
events and raises if they differ.
"""

from collections import Counter
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import (
    String,
    bindparam,
    cast,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from accounts.models import RoleAssignment, User
from consultations.rounds.models import CommentRound
from consultations.tallies.models import TallyEvent, TallySlice, TallyState, WalkInLink
from core import database
from core.extensions import db
from core.models import Contribution
from core.spaces import SpaceKind
from forums.discussions.models import Forum, Thread
from forums.meetings.models import Meeting
from forums.sheets.models import Attendee
from forums.workshops.boards.models import Board
from forums.workshops.models import Workshop

#: The columns of an event, in the order of the live selects.
COLUMNS = ("person", "grp", "space", "municipality_id", "profile", "channel", "month", "contribution_id", "at")
#: What a contribution is counted by.
CONTRIBUTION_FIELDS = frozenset(
    {"author_id", "attendee_id", "space_kind", "space_id", "municipality_id", "channel", "created_at", "process_id"}
)
ATTENDEE_FIELDS = frozenset({"user_id", "profile", "municipality_id", "meeting_id", "workshop_id"})
#: For each kind of space, what it is counted by.
SPACE_FIELDS = {
    Thread: frozenset({"forum_id"}),
    Meeting: frozenset({"forum_id", "starts_at"}),
    Forum: frozenset({"kind", "municipality_id", "process_id"}),
    Board: frozenset({"workshop_id"}),
    Workshop: frozenset({"kind", "process_id", "starts_at"}),
    CommentRound: frozenset({"audience"}),
}
SPACE_TABLES = {model.__tablename__: model for model in SPACE_FIELDS}
_KEY = "tally_ledger"


@dataclass
class _Dirty:
    """What the session changed that the ledger must follow."""

    contributions: set = field(default_factory=set)
    #: Contributions with an id above this (a bulk insert), or None.
    contributions_above: int | None = None
    attendees: set = field(default_factory=set)
    attendees_above: int | None = None
    #: Walk-ins whose link or merge changed (those merged into them follow).
    walk_ins: set = field(default_factory=set)
    users: set = field(default_factory=set)
    spaces: set = field(default_factory=set)
    stale: bool = False
    #: Events taken away already (their rows deleted before ON DELETE CASCADE could).
    deltas: Counter = field(default_factory=Counter)

    def __bool__(self):
        return bool(
            self.contributions
            or self.attendees
            or self.walk_ins
            or self.users
            or self.spaces
            or self.stale
            or self.contributions_above is not None
            or self.attendees_above is not None
            or bool(self.deltas)
        )


def _dirty(session) -> _Dirty:
    return session.info.setdefault(_KEY, _Dirty())


def _changed(instance, fields) -> bool:
    attrs = inspect(instance).attrs
    return any(attrs[name].history.has_changes() for name in fields)


def _lowest(current, candidate):
    return candidate if current is None else min(current, candidate)


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances):
    """What a deletion changes through the database's ``ON DELETE`` rules, read while it
    can still be found: what was said by a deleted account or in a deleted attendee's
    name, the walk-ins linked or merged to them, and what was said in a deleted space."""
    gone = [o for o in session.deleted if type(o) in {User, Attendee, Contribution, *SPACE_FIELDS}]
    if not gone:
        return
    dirty = _dirty(session)
    with session.no_autoflush:
        for instance in gone:
            kind = type(instance)
            if kind is Contribution:
                _drop(session, dirty.deltas, TallyEvent.contribution_id == instance.id)
            elif kind is User:
                dirty.contributions.update(
                    session.scalars(select(Contribution.id).where(Contribution.author_id == instance.id))
                )
                dirty.attendees.update(session.scalars(select(Attendee.id).where(Attendee.user_id == instance.id)))
                dirty.walk_ins.update(
                    session.scalars(select(WalkInLink.attendee_id).where(WalkInLink.user_id == instance.id))
                )
            elif kind is Attendee:
                _drop(session, dirty.deltas, TallyEvent.attendee_id == instance.id)
                dirty.contributions.update(
                    session.scalars(select(Contribution.id).where(Contribution.attendee_id == instance.id))
                )
                dirty.walk_ins.update(
                    session.scalars(select(WalkInLink.attendee_id).where(WalkInLink.into_attendee_id == instance.id))
                )
            else:
                _drop_space(session, dirty, kind, instance.id)


def _drop(session, deltas: Counter, where) -> None:
    """Delete the events matching ``where``, taking them from the slices' ``deltas`` (also
    before a deletion's ``ON DELETE CASCADE`` would take them without saying)."""
    gone = delete(TallyEvent).where(where).execution_options(synchronize_session=False)
    _count(deltas, session.execute(gone.returning(*_SLICED)), -1)


def _drop_space(session, dirty: _Dirty, kind, space_id: int) -> None:
    """A space about to be deleted: its sign-in lines' events go now; what was said in
    it stays (no foreign key) and is counted afresh."""
    said, lines = _space(kind, space_id)
    dirty.contributions.update(session.scalars(select(Contribution.id).where(said)))
    if lines is not None:
        _drop(session, dirty.deltas, TallyEvent.attendee_id.in_(select(Attendee.id).where(lines)))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    dirty = None
    for instance, new_or_gone in [(o, True) for o in (*session.new, *session.deleted)] + [
        (o, False) for o in session.dirty
    ]:
        kind = type(instance)
        if kind is Contribution:
            if new_or_gone or _changed(instance, CONTRIBUTION_FIELDS):
                dirty = dirty or _dirty(session)
                dirty.contributions.add(instance.id)
        elif kind is Attendee:
            if new_or_gone or _changed(instance, ATTENDEE_FIELDS):
                dirty = dirty or _dirty(session)
                dirty.attendees.add(instance.id)
        elif kind is WalkInLink:
            dirty = dirty or _dirty(session)
            dirty.walk_ins.update(i for i in (instance.attendee_id, instance.into_attendee_id) if i is not None)
            if not new_or_gone:
                # A merge redirected elsewhere: the walk-in it pointed to before.
                for old in inspect(instance).attrs.into_attendee_id.history.deleted:
                    if old is not None:
                        dirty.walk_ins.add(old)
        elif kind is RoleAssignment:
            dirty = dirty or _dirty(session)
            dirty.users.add(instance.user_id)
            dirty.users.update(u for u in inspect(instance).attrs.user_id.history.deleted if u is not None)
        elif kind in SPACE_FIELDS and not new_or_gone and _changed(instance, SPACE_FIELDS[kind]):
            # A new space has no events yet; a deleted one takes its events with it.
            dirty = dirty or _dirty(session)
            dirty.spaces.add((kind, instance.id))


def _statement_columns(state) -> set:
    names = {getattr(c, "key", str(c)) for c in (getattr(state.statement, "_values", None) or {})}
    parameters = state.parameters
    for row in parameters if isinstance(parameters, list) else [parameters or {}]:
        names.update(row)
    return names


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    statement = state.statement
    session = state.session
    if isinstance(statement, TextClause):
        if statement.text.lstrip()[:6].lower() in {"insert", "update", "delete"}:
            _dirty(session).stale = True
        return
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(statement, "table", None), "name", None)
    if table == "contributions":
        model, fields, key = Contribution, CONTRIBUTION_FIELDS, "contributions"
    elif table == "attendees":
        model, fields, key = Attendee, ATTENDEE_FIELDS, "attendees"
    elif table == "role_assignments":
        if state.is_delete:
            where = statement.whereclause
            users = select(RoleAssignment.user_id).where(where) if where is not None else select(RoleAssignment.user_id)
            _dirty(session).users.update(session.scalars(users))
        elif state.is_update:
            _dirty(session).stale = True
        else:
            users = {row.get("user_id") for row in _rows(state)}
            if None in users or not users:
                _dirty(session).stale = True
            _dirty(session).users.update(u for u in users if u is not None)
        return
    elif table in SPACE_TABLES:
        space = SPACE_TABLES[table]
        where = statement.whereclause
        if state.is_insert or (state.is_update and not (_statement_columns(state) & SPACE_FIELDS[space])):
            return
        if where is None:
            _dirty(session).stale = True
        elif state.is_update:
            _dirty(session).spaces.update((space, i) for i in session.scalars(select(space.id).where(where)))
        else:
            for space_id in session.scalars(select(space.id).where(where)).all():
                _drop_space(session, _dirty(session), space, space_id)
        return
    elif table in {"walk_in_links", "users"}:
        # Users: only a bulk delete matters (SET NULL on what they said).
        if table == "walk_in_links" or state.is_delete:
            _dirty(session).stale = True
        return
    else:
        return
    dirty = _dirty(session)
    if state.is_insert:
        # Ids are not known before: everything above today's highest.
        highest = session.scalar(select(func.coalesce(func.max(model.id), 0)))
        setattr(dirty, f"{key}_above", _lowest(getattr(dirty, f"{key}_above"), highest))
        return
    if state.is_delete:
        # Their events go now (before ON DELETE CASCADE); what was said in a deleted
        # attendee's name is not deleted with it, so it is refreshed.
        where = statement.whereclause
        ids = select(model.id).where(where) if where is not None else select(model.id)
        if model is Attendee:
            _drop(session, dirty.deltas, TallyEvent.attendee_id.in_(ids))
            dirty.attendees.update(session.scalars(ids))
        else:
            _drop(session, dirty.deltas, TallyEvent.contribution_id.in_(ids))
        return
    if not (_statement_columns(state) & fields):
        return
    where = statement.whereclause
    if where is not None:
        getattr(dirty, key).update(session.scalars(select(model.id).where(where)))
    else:
        ids = {row.get("id") for row in _rows(state)}
        if None in ids or not ids:
            dirty.stale = True
        getattr(dirty, key).update(i for i in ids if i is not None)


def _rows(state) -> list[dict]:
    parameters = state.parameters
    return parameters if isinstance(parameters, list) else [parameters or {}]


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    settle(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_KEY, None)


def settle(session=None) -> None:
    """Bring the ledger up to date with what ``session`` changed (flushing it first)."""
    session = session or db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    dirty = session.info.pop(_KEY, None)
    if not dirty:
        return
    if dirty.stale:
        stale(session)
        return
    contributions = []
    attendees = []
    deltas = dirty.deltas
    # Long lists of ids (a deleted forum's posts, a person's every contribution) go a
    # chunk at a time: a statement takes at most some tens of thousands of parameters.
    for part in _chunks(sorted(dirty.contributions)):
        _drop(session, deltas, TallyEvent.contribution_id.in_(part))
        _refill_contributions(session, Contribution.id.in_(part), deltas)
    if dirty.contributions_above is not None:
        _drop(session, deltas, TallyEvent.contribution_id > dirty.contributions_above)
        contributions.append(Contribution.id > dirty.contributions_above)
    for part in _chunks(sorted(dirty.users)):
        _refill_contributions(session, Contribution.author_id.in_(part), deltas)
    walk_ins = set(dirty.walk_ins)
    if walk_ins:
        # Those merged into them count as them.
        walk_ins.update(
            session.scalars(
                select(WalkInLink.attendee_id).where(
                    WalkInLink.into_attendee_id.in_(sorted(walk_ins)), WalkInLink.undone_at.is_(None)
                )
            )
        )
    for part in _chunks(sorted(dirty.attendees | walk_ins)):
        _drop(session, deltas, TallyEvent.attendee_id.in_(part))
        _refill_attendees(session, Attendee.id.in_(part), deltas)
        _refill_contributions(session, Contribution.attendee_id.in_(part), deltas)
    if dirty.attendees_above is not None:
        _drop(session, deltas, TallyEvent.attendee_id > dirty.attendees_above)
        attendees.append(Attendee.id > dirty.attendees_above)
        contributions.append(Contribution.attendee_id > dirty.attendees_above)
    for kind, space_id in sorted(dirty.spaces, key=lambda s: (s[0].__name__, s[1])):
        space_contributions, space_attendees = _space(kind, space_id)
        contributions.append(space_contributions)
        if space_attendees is not None:
            attendees.append(space_attendees)
    if contributions:
        _refill_contributions(session, or_(*contributions), deltas)
    if attendees:
        _refill_attendees(session, or_(*attendees), deltas)
    _apply(session, deltas)


#: Ids in one statement at most.
CHUNK = 10_000


def _chunks(ids: list) -> list[list]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _space(kind, space_id):
    """The contributions (and sign-in lines, or None) of a space, as conditions."""
    threads = select(Thread.id).where(Thread.forum_id == space_id)
    meetings = select(Meeting.id).where(Meeting.forum_id == space_id)
    boards = select(Board.id).where(Board.workshop_id == space_id)

    def said_in(space_kind, ids):
        return (Contribution.space_kind == space_kind.value) & Contribution.space_id.in_(ids)

    if kind is Thread:
        return said_in(SpaceKind.THREAD, [space_id]), None
    if kind is Meeting:
        return said_in(SpaceKind.MEETING, [space_id]), Attendee.meeting_id == space_id
    if kind is Forum:
        return (
            said_in(SpaceKind.THREAD, threads) | said_in(SpaceKind.MEETING, meetings),
            Attendee.meeting_id.in_(meetings),
        )
    if kind is Board:
        return said_in(SpaceKind.BOARD, [space_id]), None
    if kind is Workshop:
        return said_in(SpaceKind.BOARD, boards), Attendee.workshop_id == space_id
    return said_in(SpaceKind.ROUND, [space_id]), None


def _refill_contributions(session, where, deltas: Counter) -> None:
    from consultations.tallies import services

    _drop(session, deltas, TallyEvent.contribution_id.in_(select(Contribution.id).where(where)))
    live = services.contribution_select(where, Contribution.process_id.is_not(None)).add_columns(
        Contribution.process_id
    )
    added = insert(TallyEvent).from_select([*COLUMNS, "process_id"], live)
    _count(deltas, session.execute(added.returning(*_SLICED)), 1)


def _refill_attendees(session, where, deltas: Counter) -> None:
    from consultations.tallies import services

    _drop(session, deltas, TallyEvent.attendee_id.in_(select(Attendee.id).where(where)))
    meetings, workshops = services.attendance_selects(
        Forum.process_id.is_not(None), Workshop.process_id.is_not(None), where
    )
    for live, process in ((meetings, Forum.process_id), (workshops, Workshop.process_id)):
        live = live.add_columns(process, Attendee.id)
        added = insert(TallyEvent).from_select([*COLUMNS, "process_id", "attendee_id"], live)
        _count(deltas, session.execute(added.returning(*_SLICED)), 1)


#: What the slices need of an event: process, person, space, its values, a contribution?
_SLICED = (
    TallyEvent.process_id,
    TallyEvent.person,
    TallyEvent.space,
    TallyEvent.grp,
    TallyEvent.municipality_id,
    TallyEvent.profile,
    TallyEvent.channel,
    TallyEvent.month,
    TallyEvent.contribution_id,
)


def _slice_values() -> dict:
    """Each breakdown's value of an event, as SQL text ("" for none), as :func:`_values`."""
    e = TallyEvent
    return {
        "all": literal(""),
        "group": e.grp,
        "municipality": func.coalesce(cast(e.municipality_id, String), ""),
        "profile": func.coalesce(e.profile, ""),
        "channel": e.channel,
        "month": func.coalesce(e.month, ""),
        "group_profile": e.grp + literal("|") + func.coalesce(e.profile, ""),
    }


def _values(grp, municipality_id, profile, channel, month) -> tuple:
    profile = profile or ""
    return (
        ("all", ""),
        ("group", grp),
        ("municipality", "" if municipality_id is None else str(municipality_id)),
        ("profile", profile),
        ("channel", channel),
        ("month", month or ""),
        ("group_profile", f"{grp}|{profile}"),
    )


def _count(deltas: Counter, rows, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) events in the slices' deltas."""
    for process, person, space, grp, municipality_id, profile, channel, month, contribution in rows:
        said = sign if contribution is not None else 0
        for dimension, value in _values(grp, municipality_id, profile, channel, month):
            if person is not None:
                deltas[(process, dimension, value, "p", person, "events")] += sign
                deltas[(process, dimension, value, "p", person, "contributions")] += said
            deltas[(process, dimension, value, "s", space, "events")] += sign
            deltas[(process, dimension, value, "s", space, "contributions")] += said


def _apply(session, deltas: Counter) -> None:
    """Add the deltas to the slices; drop members left with no event."""
    changes: dict = {}
    for (*key, column), change in deltas.items():
        if change:
            changes.setdefault(tuple(key), {"events": 0, "contributions": 0})[column] = change
    if not changes:
        return
    table = TallySlice.__table__
    upsert = database.upsert(db.engine, table)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["process_id", "dimension", "value", "kind", "member"],
            set_={
                "events": table.c.events + upsert.excluded.events,
                "contributions": table.c.contributions + upsert.excluded.contributions,
            },
        ),
        [
            {"process_id": p, "dimension": d, "value": v, "kind": k, "member": m, **counts}
            for (p, d, v, k, m), counts in sorted(changes.items())
        ],
    )
    emptied = [
        {"p": p, "d": d, "v": v, "k": k, "m": m} for (p, d, v, k, m), counts in changes.items() if counts["events"] < 0
    ]
    if emptied:
        session.execute(
            table.delete().where(
                table.c.process_id == bindparam("p"),
                table.c.dimension == bindparam("d"),
                table.c.value == bindparam("v"),
                table.c.kind == bindparam("k"),
                table.c.member == bindparam("m"),
                table.c.events <= 0,
            ),
            emptied,
        )


def built(session=None) -> bool:
    """Whether the ledger holds every event (else the next read rebuilds it)."""
    session = session or db.session
    return bool(session.scalar(select(TallyState.events_built).where(TallyState.id == 1)))


def stale(session=None) -> None:
    """Mark the ledger as not built: the next read rebuilds it."""
    session = session or db.session
    session.info.pop(_KEY, None)
    session.execute(update(TallyState).where(TallyState.id == 1).values(events_built=false()))


def rebuild(session=None) -> int:
    """Refill the ledger from the live tables, every process; returns the events kept."""
    from consultations.tallies import cache

    session = session or db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    session.info.pop(_KEY, None)
    if db.engine.dialect.name == "postgresql":
        # One rebuild at a time; a second waits, then finds the work done.
        session.execute(select(TallyState.id).where(TallyState.id == 1).with_for_update())
    session.execute(delete(TallyEvent))
    session.execute(delete(TallySlice))
    from consultations.tallies import services

    live = services.contribution_select(Contribution.process_id.is_not(None)).add_columns(Contribution.process_id)
    session.execute(insert(TallyEvent).from_select([*COLUMNS, "process_id"], live))
    meetings, workshops = services.attendance_selects(Forum.process_id.is_not(None), Workshop.process_id.is_not(None))
    for live, process in ((meetings, Forum.process_id), (workshops, Workshop.process_id)):
        live = live.add_columns(process, Attendee.id)
        session.execute(insert(TallyEvent).from_select([*COLUMNS, "process_id", "attendee_id"], live))
    # The slices, grouped in SQL.
    for dimension, value in _slice_values().items():
        for kind, member in (("p", TallyEvent.person), ("s", TallyEvent.space)):
            grouped = (
                select(
                    TallyEvent.process_id,
                    literal(dimension),
                    value,
                    literal(kind),
                    member,
                    func.count(),
                    func.count(TallyEvent.contribution_id),
                )
                .where(member.is_not(None))
                .group_by(TallyEvent.process_id, value, member)
            )
            session.execute(
                insert(TallySlice).from_select(
                    ["process_id", "dimension", "value", "kind", "member", "events", "contributions"], grouped
                )
            )
    done = session.execute(update(TallyState).where(TallyState.id == 1).values(events_built=True))
    if not done.rowcount:
        cache.changed(session)
        session.execute(update(TallyState).where(TallyState.id == 1).values(events_built=True))
    return session.scalar(select(func.count(TallyEvent.id)))


def ready(process_id: int) -> None:
    """Settle the session's changes into the ledger, and build it if it is not (checked
    against the live tables under ``TALLY_VERIFY``)."""
    session = db.session
    settle(session)
    if not built(session):
        rebuild(session)
    if has_app_context() and current_app.config.get("TALLY_VERIFY"):
        verify(process_id)


def events(process_id: int):
    """The subquery of the process's events, from the ledger (:func:`ready` first)."""
    ready(process_id)
    return (
        select(*(getattr(TallyEvent, name).label(name) for name in COLUMNS))
        .where(TallyEvent.process_id == process_id)
        .subquery("events")
    )


def verify(process_id: int) -> None:
    """Raise :class:`AssertionError` if the ledger differs from the live events of the
    process (the tests check every read this way)."""
    from consultations.tallies import services

    live = services.live_events(process_id)
    kept = select(*(getattr(TallyEvent, name) for name in COLUMNS)).where(TallyEvent.process_id == process_id)
    expected = Counter(tuple(row) for row in db.session.execute(select(*live.c)))
    found = Counter(tuple(row) for row in db.session.execute(kept))
    if expected != found:
        raise AssertionError(
            f"tally ledger of process {process_id} is out of date: "
            f"missing {sorted((expected - found).elements(), key=str)[:5]}, "
            f"extra {sorted((found - expected).elements(), key=str)[:5]}"
        )
    deltas = Counter()
    _count(deltas, db.session.execute(select(*_SLICED).where(TallyEvent.process_id == process_id)), 1)
    expected = {key: n for key, n in deltas.items() if n}
    found = {}
    for row in db.session.scalars(select(TallySlice).where(TallySlice.process_id == process_id)):
        key = (row.process_id, row.dimension, row.value, row.kind, row.member)
        found[(*key, "events")] = row.events
        if row.contributions:
            found[(*key, "contributions")] = row.contributions
    if expected != found:
        wrong = [
            (k, expected.get(k), found.get(k))
            for k in sorted(set(expected) | set(found), key=str)
            if expected.get(k) != found.get(k)
        ][:5]
        raise AssertionError(f"tally slices of process {process_id} are out of date: {wrong}")
