"""Tallies: who took part in a process, counted as people, not rows.

Every way of taking part is an *event*: a contribution (post, remark, card, comment) or a
line on a sign-in sheet (a session or a workshop). Each event names its **participant**:
the account (the author, or the account an attendee was checked in with), or else the
walk-in attendee. So someone who posted online and attended two sessions counts once
overall, once per space and once per slice. Each event also carries its group (citizen,
staff or expert forum, co-design or expert workshop, comment round by audience), its
space, municipality, channel, month and the **profile at the time**: a sign-in sheet
records the attendee's profile when they were checked in, and an account's profile is
read from the roles it held then (an official verified later counts as a citizen for what
they did before).

Counting is done in SQL (``COUNT(DISTINCT participant)`` over one ``UNION ALL`` of the
events), so the number of queries does not grow with the data.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, distinct, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from accounts.models import Municipality, Organisation, OrganisationKind, RoleAssignment
from consultations.common import ConsultationError
from consultations.rounds.models import CommentRound
from consultations.tallies import cache, ledger
from consultations.tallies.models import TallyEvent, TallySlice, WalkInLink
from consultations.versions.models import ConsultationModel, Version
from core import audit
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.privacy import VALUE_LABELS
from core.roles import Role
from core.spaces import SpaceKind
from forums.discussions.models import Forum, Thread
from forums.meetings.models import Meeting
from forums.sheets.models import Attendee, Profile
from forums.workshops.boards.models import Board
from forums.workshops.models import Workshop

#: The groups of spaces a summary is broken down by, in the order the seed reports them.
GROUPS = {
    "citizen_forum": _l("Citizen forums"),
    "staff_forum": _l("Staff forums"),
    "expert_forum": _l("Expert forums"),
    "codesign_workshop": _l("Co-design workshops"),
    "expert_workshop": _l("Expert workshops"),
    "round_committee": _l("Advisory committee rounds"),
    "round_experts": _l("Expert rounds"),
    "round_staff": _l("Municipal staff rounds"),
    "round_public": _l("Public rounds"),
}
#: What a summary can be broken down by.
DIMENSIONS = ("group", "municipality", "profile", "channel", "month")
LINK, MERGE = "link", "merge"
#: The roles that give an account a profile, in the order they win.
PROFILE_ROLES = {Role.STAFF: Profile.OFFICIAL, Role.EXPERT: Profile.EXPERT, Role.FACILITATOR: Profile.CSO}
#: Counts from 1 to this are shown as "< 5" outside the facilitators' internal view.
THRESHOLD = 4


def _person(user_column, attendee_column):
    """The participant's key: ``u<account id>`` or, for a walk-in, ``a<attendee id>``."""
    return case(
        (user_column.is_not(None), literal("u") + cast(user_column, String)),
        else_=literal("a") + cast(attendee_column, String),
    )


def _walk_in(attendee):
    """What facilitators judged about ``attendee`` (Attendee or an alias): the outer joins
    to add, and ``(account column, root attendee column)``. A walk-in merged into another
    counts as that one; a walk-in linked to an account (directly, or through the one it
    was merged into) counts as the account."""
    merged = aliased(WalkInLink)
    root_attendee = aliased(Attendee)
    linked = aliased(WalkInLink)
    root = func.coalesce(merged.into_attendee_id, attendee.id)
    joins = [
        (merged, and_(merged.attendee_id == attendee.id, merged.kind == MERGE, merged.undone_at.is_(None))),
        (root_attendee, root_attendee.id == root),
        (linked, and_(linked.attendee_id == root, linked.kind == LINK, linked.undone_at.is_(None))),
    ]
    return joins, func.coalesce(attendee.user_id, root_attendee.user_id, linked.user_id), root


def _joined(statement, joins):
    for target, onclause in joins:
        statement = statement.outerjoin(target, onclause)
    return statement


def _roles_held():
    """Per account, when it was first granted each role that gives a profile (one grouped
    pass over the roles, joined once, instead of a look-up per contribution)."""
    held = {
        role: func.min(case((RoleAssignment.role == role.value, RoleAssignment.granted_at))).label(role.value)
        for role in PROFILE_ROLES
    }
    return (
        select(RoleAssignment.user_id.label("user_id"), *held.values())
        .where(RoleAssignment.role.in_([role.value for role in PROFILE_ROLES]))
        .group_by(RoleAssignment.user_id)
        .subquery("held")
    )


def _account_profile(held, at_column):
    """The profile an account had at ``at_column``: official, expert, CSO (facilitators)
    or citizen, from the roles granted before then (as a sign-in sheet records it);
    ``held`` is :func:`_roles_held` joined on the account."""
    return case(
        *((held.c[role.value] <= at_column, profile.value) for role, profile in PROFILE_ROLES.items()),
        else_=Profile.CITIZEN.value,
    )


def _month(column):
    """``YYYY-MM`` of a datetime column, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _contribution_events(process_id: int):
    """One event per contribution of the process, with its group and space (outer joins
    to whichever space it is in)."""
    return contribution_select(Contribution.process_id == process_id)


def contribution_select(*where):
    """One event per contribution matching ``where`` (conditions on
    :class:`~core.models.Contribution`), computed from the live tables."""
    joins, attendee_user, root = _walk_in(Attendee)
    user = func.coalesce(Contribution.author_id, attendee_user)
    held = _roles_held()
    profile = case(
        (Contribution.attendee_id.is_not(None), Attendee.profile),
        else_=_account_profile(held, Contribution.created_at),
    )
    kind = Contribution.space_kind
    group = case(
        (Forum.id.is_not(None), Forum.kind + literal("_forum")),
        (Workshop.id.is_not(None), Workshop.kind + literal("_workshop")),
        (CommentRound.id.is_not(None), literal("round_") + CommentRound.audience),
        else_=literal("other"),
    )
    space = case(
        (Forum.id.is_not(None), literal("forum:") + cast(Forum.id, String)),
        (Workshop.id.is_not(None), literal("workshop:") + cast(Workshop.id, String)),
        else_=cast(kind, String) + literal(":") + cast(Contribution.space_id, String),
    )
    statement = (
        select(
            _person(user, root).label("person"),
            group.label("grp"),
            space.label("space"),
            func.coalesce(Contribution.municipality_id, Forum.municipality_id).label("municipality_id"),
            profile.label("profile"),
            Contribution.channel.label("channel"),
            _month(Contribution.created_at).label("month"),
            Contribution.id.label("contribution_id"),
            Contribution.created_at.label("at"),
        )
        .outerjoin(Attendee, Attendee.id == Contribution.attendee_id)
        .outerjoin(Thread, and_(kind == SpaceKind.THREAD.value, Thread.id == Contribution.space_id))
        .outerjoin(Meeting, and_(kind == SpaceKind.MEETING.value, Meeting.id == Contribution.space_id))
        .outerjoin(Forum, Forum.id == func.coalesce(Thread.forum_id, Meeting.forum_id))
        .outerjoin(Board, and_(kind == SpaceKind.BOARD.value, Board.id == Contribution.space_id))
        .outerjoin(Workshop, Workshop.id == Board.workshop_id)
        .outerjoin(CommentRound, and_(kind == SpaceKind.ROUND.value, CommentRound.id == Contribution.space_id))
        .outerjoin(held, held.c.user_id == Contribution.author_id)
        .where(*where)
    )
    return _joined(statement, joins)


def _attendance_events(process_id: int):
    """One event per line of a sign-in sheet of the process's sessions and workshops."""
    return attendance_selects(Forum.process_id == process_id, Workshop.process_id == process_id)


def attendance_selects(meeting_where, workshop_where, *where):
    """One event per line of a sign-in sheet, computed from the live tables: ``(sessions,
    workshops)``, the lines of sessions matching ``meeting_where`` (on the session's
    :class:`Forum`) and of workshops matching ``workshop_where`` (on :class:`Workshop`),
    both also matching ``where`` (on :class:`Attendee`)."""
    joins, user, root = _walk_in(Attendee)
    meetings = (
        select(
            _person(user, root).label("person"),
            (Forum.kind + literal("_forum")).label("grp"),
            (literal("forum:") + cast(Forum.id, String)).label("space"),
            func.coalesce(Attendee.municipality_id, Forum.municipality_id).label("municipality_id"),
            Attendee.profile.label("profile"),
            literal(Channel.IN_PERSON.value).label("channel"),
            _month(Meeting.starts_at).label("month"),
            cast(null(), db.Integer).label("contribution_id"),
            Meeting.starts_at.label("at"),
        )
        .join(Meeting, Attendee.meeting_id == Meeting.id)
        .join(Forum, Meeting.forum_id == Forum.id)
        .where(meeting_where, *where)
    )
    meetings = _joined(meetings, joins)
    workshops = (
        select(
            _person(user, root).label("person"),
            (Workshop.kind + literal("_workshop")).label("grp"),
            (literal("workshop:") + cast(Workshop.id, String)).label("space"),
            Attendee.municipality_id.label("municipality_id"),
            Attendee.profile.label("profile"),
            literal(Channel.IN_PERSON.value).label("channel"),
            _month(Workshop.starts_at).label("month"),
            cast(null(), db.Integer).label("contribution_id"),
            Workshop.starts_at.label("at"),
        )
        .join(Workshop, Attendee.workshop_id == Workshop.id)
        .where(workshop_where, *where)
    )
    return meetings, _joined(workshops, joins)


def contribution_events(process_id: int):
    """The select of the process's contributions as events, from the ledger."""
    ledger.ready(process_id)
    e = TallyEvent
    return select(*(getattr(e, name).label(name) for name in ledger.COLUMNS)).where(
        e.process_id == process_id, e.contribution_id.is_not(None)
    )


def contribution_details(process_id: int):
    """Each contribution of the process as the tallies count it (the ledger's event:
    person, grp, space, municipality_id, profile, channel, month, contribution_id, at)
    with what an export prints of it: its section, verdict, text, and the titles of its
    space (``thread_title``, ``meeting_title``, ``workshop_title`` and ``board_title``, or
    ``round_title`` and ``version_label``). Reading the kept events spares the joins to
    sign-in sheets, walk-in links and roles for every row."""
    ledger.ready(process_id)
    e = TallyEvent
    kind = Contribution.space_kind
    return (
        select(
            *(getattr(e, name).label(name) for name in ledger.COLUMNS),
            Contribution.section_key,
            Contribution.verdict_status,
            Contribution.body_source,
            Thread.title.label("thread_title"),
            Meeting.title.label("meeting_title"),
            Workshop.title.label("workshop_title"),
            Board.title.label("board_title"),
            CommentRound.title.label("round_title"),
            Version.label.label("version_label"),
        )
        .join(Contribution, Contribution.id == e.contribution_id)
        .outerjoin(Thread, and_(kind == SpaceKind.THREAD.value, Thread.id == Contribution.space_id))
        .outerjoin(Meeting, and_(kind == SpaceKind.MEETING.value, Meeting.id == Contribution.space_id))
        .outerjoin(Board, and_(kind == SpaceKind.BOARD.value, Board.id == Contribution.space_id))
        .outerjoin(Workshop, Workshop.id == Board.workshop_id)
        .outerjoin(CommentRound, and_(kind == SpaceKind.ROUND.value, CommentRound.id == Contribution.space_id))
        .outerjoin(Version, Version.id == CommentRound.version_id)
        .where(e.process_id == process_id, e.contribution_id.is_not(None))
    )


def live_events(process_id: int):
    """The subquery of every event of the process (person, grp, space, municipality_id,
    profile, channel, month, contribution_id, at), computed from the live tables (a
    million contributions take seconds: :func:`events` reads the kept copy)."""
    meetings, workshops = _attendance_events(process_id)
    return union_all(_contribution_events(process_id), meetings, workshops).subquery("events")


def events(process_id: int):
    """The subquery of every event of the process, with the columns of
    :func:`live_events`, read from the rows :mod:`consultations.tallies.ledger` keeps up to
    date (built first if they are not)."""
    return ledger.events(process_id)


#: How channels read where the privacy labels have none.
CHANNEL_LABELS = {
    Channel.ONLINE.value: _l("Online"),
    Channel.IN_PERSON.value: _l("In person"),
    Channel.WRITTEN.value: _l("In writing"),
}


def dimension_labels(dimension: str) -> dict:
    """How the values of a breakdown read (``{value: label}``, a new dict; months read as
    themselves). One query for municipalities, none otherwise."""
    if dimension == "group":
        return dict(GROUPS)
    if dimension == "municipality":
        return dict(db.session.execute(select(Municipality.id, Municipality.name)).tuples().all())
    if dimension == "profile":
        return {p.value: p.label for p in Profile}
    if dimension == "channel":
        return {**CHANNEL_LABELS, **VALUE_LABELS.get("channel", {})}
    return {}


@dataclass
class Row:
    """One slice of a summary: its key (one value per dimension) and its counts."""

    key: tuple
    participants: int
    contributions: int
    spaces: int


@dataclass
class Summary:
    process_id: int
    dimensions: tuple
    rows: list[Row]
    participants: int
    contributions: int
    spaces: int
    #: People who took part both online (or in writing) and in person.
    overlap: int
    #: For in-person gatherings: the recorded headcounts and the named attendees.
    headcount: int
    named: int
    groups: dict = field(default_factory=dict)


def summary(process_id: int, dimensions=("group",)) -> Summary:
    """Distinct participants, contributions and spaces of the process, overall and by
    ``dimensions`` (a fixed number of queries; remembered until a write could change
    it, see :mod:`consultations.tallies.cache`)."""
    dimensions = tuple(d for d in dimensions if d in DIMENSIONS)
    return cache.remembered(("summary", process_id, dimensions), lambda: _summary(process_id, dimensions))


def _key(dimension: str, value: str):
    """A slice's text value as the summary's key (municipalities by id, none as None)."""
    if value == "":
        return None
    return int(value) if dimension == "municipality" else value


def _slices(process_id: int, dimension: str) -> dict:
    """``{value: (participants, contributions, spaces)}`` of a kept breakdown (two
    index-only reads: people, then spaces with their contributions)."""
    S = TallySlice
    base = (S.process_id == process_id, S.dimension == dimension)
    people = dict(
        db.session.execute(select(S.value, func.count()).where(*base, S.kind == "p").group_by(S.value)).tuples().all()
    )
    found = {}
    for value, spaces, said in db.session.execute(
        select(S.value, func.count(), func.coalesce(func.sum(S.contributions), 0))
        .where(*base, S.kind == "s")
        .group_by(S.value)
    ):
        found[value] = (people.get(value, 0), int(said), spaces)
    return found


def _overlap(process_id: int) -> int:
    """People with events both in person and not (online, in writing)."""
    S, other = TallySlice, aliased(TallySlice)
    elsewhere = [c.value for c in Channel if c != Channel.IN_PERSON]
    return db.session.scalar(
        select(func.count()).where(
            S.process_id == process_id,
            S.dimension == "channel",
            S.value == Channel.IN_PERSON.value,
            S.kind == "p",
            select(other.member)
            .where(
                other.process_id == process_id,
                other.dimension == "channel",
                other.value.in_(elsewhere),
                other.kind == "p",
                other.member == S.member,
            )
            .exists(),
        )
    )


def _summary(process_id: int, dimensions: tuple) -> Summary:
    if len(dimensions) > 1:
        return _crossed(process_id, dimensions)
    ledger.ready(process_id)
    participants, contributions, spaces = _slices(process_id, "all").get("", (0, 0, 0))
    rows = []
    if dimensions:
        found = _slices(process_id, dimensions[0])
        keys = sorted(found, key=lambda v: (v == "", v if dimensions[0] != "municipality" or not v else int(v)))
        rows = [Row((_key(dimensions[0], value),), *found[value]) for value in keys]
    headcount, named = _headcounts(process_id)
    return Summary(
        process_id, dimensions, rows, participants, contributions, spaces, _overlap(process_id), headcount, named
    )


def _crossed(process_id: int, dimensions: tuple) -> Summary:
    """A breakdown by two dimensions or more, counted over the ledger's events."""
    e = events(process_id)
    columns = {
        "group": e.c.grp,
        "municipality": e.c.municipality_id,
        "profile": e.c.profile,
        "channel": e.c.channel,
        "month": e.c.month,
    }
    counts = (
        func.count(distinct(e.c.person)),
        # One event per contribution: no DISTINCT (and its sort) needed.
        func.count(e.c.contribution_id),
        func.count(distinct(e.c.space)),
    )
    keys = [columns[d] for d in dimensions]
    rows = (
        [
            Row(tuple(values[: len(keys)]), *values[len(keys) :])
            for values in db.session.execute(select(*keys, *counts).group_by(*keys).order_by(*keys)).all()
        ]
        if keys
        else []
    )
    participants, contributions, spaces = db.session.execute(select(*counts)).one()
    # People with events both in person and not: one pass, grouped by person.
    in_person = case((e.c.channel == Channel.IN_PERSON.value, 1), else_=0)
    both = (
        select(e.c.person)
        .where(e.c.person.is_not(None))
        .group_by(e.c.person)
        .having(func.max(in_person) == 1, func.min(in_person) == 0)
        .subquery("both")
    )
    overlap = db.session.scalar(select(func.count()).select_from(both))
    headcount, named = _headcounts(process_id)
    return Summary(process_id, dimensions, rows, participants, contributions, spaces, overlap, headcount, named)


def _headcounts(process_id: int) -> tuple[int, int]:
    """The sum of the headcounts recorded at the process's gatherings, and of the named
    attendees on their sheets (a headcount above the sheet is never added to the people)."""
    meeting_heads = (
        select(func.coalesce(func.sum(Meeting.headcount), 0))
        .join(Forum, Meeting.forum_id == Forum.id)
        .where(Forum.process_id == process_id)
    )
    workshop_heads = select(func.coalesce(func.sum(Workshop.headcount), 0)).where(Workshop.process_id == process_id)
    named = (
        select(func.count(Attendee.id))
        .outerjoin(Meeting, Attendee.meeting_id == Meeting.id)
        .outerjoin(Forum, Meeting.forum_id == Forum.id)
        .outerjoin(Workshop, Attendee.workshop_id == Workshop.id)
        .where((Forum.process_id == process_id) | (Workshop.process_id == process_id))
    )
    return (
        int(db.session.scalar(meeting_heads) or 0) + int(db.session.scalar(workshop_heads) or 0),
        int(db.session.scalar(named) or 0),
    )


@dataclass
class SeedTable:
    """The figures the seed's report gives, computed."""

    citizen_forums: int
    citizens: int
    staff_forums: int
    officials: int
    codesign_workshops: int
    expert_workshops: int
    committee_rounds: int
    municipalities: int
    organisations: int
    coordinators: int


def seed_table(process_id: int) -> SeedTable:
    """Forums, workshops and rounds of each kind with participation, the distinct citizens
    of the citizen forums and officials of the staff forums, and the commission
    (remembered like :func:`summary`)."""
    return cache.remembered(("seed_table", process_id), lambda: _seed_table(process_id))


def _seed_table(process_id: int) -> SeedTable:
    ledger.ready(process_id)
    by_group = {grp: (spaces, people) for grp, (people, _said, spaces) in _slices(process_id, "group").items()}
    by_profile = _slices(process_id, "group_profile")
    citizens = by_profile.get(f"citizen_forum|{Profile.CITIZEN.value}", (0, 0, 0))[0]
    officials = by_profile.get(f"staff_forum|{Profile.OFFICIAL.value}", (0, 0, 0))[0]
    committee = db.session.scalar(
        select(func.count(CommentRound.id))
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id, CommentRound.audience == "committee")
    )
    kinds = dict(
        db.session.execute(select(Organisation.kind, func.count(Organisation.id)).group_by(Organisation.kind))
        .tuples()
        .all()
    )
    return SeedTable(
        citizen_forums=by_group.get("citizen_forum", (0, 0))[0],
        citizens=citizens,
        staff_forums=by_group.get("staff_forum", (0, 0))[0],
        officials=officials,
        codesign_workshops=by_group.get("codesign_workshop", (0, 0))[0],
        expert_workshops=by_group.get("expert_workshop", (0, 0))[0],
        committee_rounds=committee,
        municipalities=db.session.scalar(
            select(func.count(Municipality.id)).where(Municipality.in_commission.is_(True))
        ),
        organisations=kinds.get(OrganisationKind.CSO.value, 0),
        coordinators=kinds.get(OrganisationKind.COORDINATOR.value, 0),
    )


# Small-cell suppression ---------------------------------------------------------------


SUPPRESSED = "suppressed"


def suppress(table: list[list[int]], threshold: int = THRESHOLD) -> list[list[int | str]]:
    """Hide small counts of people in a table whose row and column totals are published.

    Every cell from 1 to ``threshold`` becomes :data:`SUPPRESSED` (primary suppression).
    Then, wherever a row or a column has exactly one suppressed cell, its total would give
    it away, so the smallest other non-zero cell of that row or column is suppressed too
    (complementary suppression), until no row or column has a lone suppressed cell. Real
    zeros stay zeros (they reveal nobody). Raises nothing."""
    cells: list[list[int | str]] = [[SUPPRESSED if 0 < value <= threshold else value for value in row] for row in table]
    if not cells:
        return cells
    height, width = len(cells), len(cells[0])

    def lines():
        for r in range(height):
            yield [(r, c) for c in range(width)]
        for c in range(width):
            yield [(r, c) for r in range(height)]

    changed = True
    while changed:
        changed = False
        for line in lines():
            hidden = [p for p in line if cells[p[0]][p[1]] == SUPPRESSED]
            if len(hidden) != 1:
                continue
            shown = [p for p in line if isinstance(cells[p[0]][p[1]], int) and cells[p[0]][p[1]] > 0]
            if not shown:
                continue
            r, c = min(shown, key=lambda p: (table[p[0]][p[1]], p))
            cells[r][c] = SUPPRESSED
            changed = True
    return cells


def hide_small(value: int, threshold: int = THRESHOLD) -> int | str:
    """A single published count: :data:`SUPPRESSED` from 1 to ``threshold``."""
    return SUPPRESSED if 0 < value <= threshold else value


# Walk-ins judged to be someone ----------------------------------------------------------

audit.register_actions(
    {
        "walk_in.linked": _l("Walk-in linked to an account"),
        "walk_in.merged": _l("Walk-ins merged as one person"),
        "walk_in.undone": _l("Walk-in link or merge undone"),
    }
)


def _active(attendee_id: int) -> WalkInLink | None:
    return db.session.scalar(
        select(WalkInLink).where(WalkInLink.attendee_id == attendee_id, WalkInLink.undone_at.is_(None))
    )


def _walk_in_or_refuse(attendee: Attendee) -> None:
    if attendee.user_id is not None:
        raise ConsultationError(_l("This attendee was checked in with an account already."))
    if _active(attendee.id) is not None:
        raise ConsultationError(_l("This walk-in is already linked or merged: undo that first."))


def link_walk_in(attendee: Attendee, user, actor) -> WalkInLink:
    """Judge that a walk-in is an account (who registered later); tallies count them as
    one from then on. Audited; undoable. Raises :class:`ConsultationError` for an attendee
    with an account, or one already linked or merged."""
    _walk_in_or_refuse(attendee)
    link = WalkInLink(attendee_id=attendee.id, kind=LINK, user_id=user.id, created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    audit.record("walk_in.linked", actor=actor, target_user=user, attendee=attendee.id)
    return link


def merge_walk_ins(attendee: Attendee, into: Attendee, actor) -> WalkInLink:
    """Judge that two walk-ins are one person: ``attendee`` counts as ``into`` (or as the
    walk-in ``into`` was merged into). Audited; undoable. Raises
    :class:`ConsultationError` for the same attendee, an attendee with an account, or one
    already linked or merged."""
    root = _active(into.id)
    if root is not None and root.kind == MERGE:
        into = db.session.get(Attendee, root.into_attendee_id)
    if into.id == attendee.id:
        raise ConsultationError(_l("Choose another walk-in."))
    if into.user_id is not None:
        raise ConsultationError(_l("That attendee has an account: link this walk-in to the account instead."))
    _walk_in_or_refuse(attendee)
    link = WalkInLink(
        attendee_id=attendee.id, kind=MERGE, into_attendee_id=into.id, created_by_id=getattr(actor, "id", None)
    )
    db.session.add(link)
    # Walk-ins already merged into this one follow it into ``into``.
    for follower in db.session.scalars(
        select(WalkInLink).where(
            WalkInLink.into_attendee_id == attendee.id, WalkInLink.kind == MERGE, WalkInLink.undone_at.is_(None)
        )
    ):
        follower.into_attendee_id = into.id
    db.session.flush()
    audit.record("walk_in.merged", actor=actor, attendee=attendee.id, into=into.id)
    return link


def undo(link: WalkInLink, actor) -> None:
    """Undo a link or merge; tallies count the walk-in on its own again. Raises
    :class:`ConsultationError` if it was undone already."""
    if link.undone_at is not None:
        raise ConsultationError(_l("This was undone already."))
    link.undone_at = utcnow()
    link.undone_by_id = getattr(actor, "id", None)
    audit.record("walk_in.undone", actor=actor, attendee=link.attendee_id, kind=link.kind)
    db.session.flush()


def walk_ins(process_id: int):
    """A select of the process's walk-ins (sessions and workshops), in sheet order."""
    return (
        select(Attendee)
        .outerjoin(Meeting, Attendee.meeting_id == Meeting.id)
        .outerjoin(Forum, Meeting.forum_id == Forum.id)
        .outerjoin(Workshop, Attendee.workshop_id == Workshop.id)
        .where(Attendee.user_id.is_(None), (Forum.process_id == process_id) | (Workshop.process_id == process_id))
        .order_by(Attendee.id)
    )


def active_links(attendee_ids) -> dict[int, WalkInLink]:
    """``{attendee id: its active link or merge}`` in one query."""
    ids = list(attendee_ids)
    if not ids:
        return {}
    return {
        link.attendee_id: link
        for link in db.session.scalars(
            select(WalkInLink).where(WalkInLink.attendee_id.in_(ids), WalkInLink.undone_at.is_(None))
        )
    }
