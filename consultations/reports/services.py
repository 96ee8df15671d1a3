"""The data of a process's methodology report.

Each part is one documented function that runs a fixed number of queries, whatever the
size of the process: :func:`timeline`, :func:`space_list`, :func:`segments`,
:func:`theme_counts`, :func:`versions_with_changes` and :func:`verdict_distribution`.
They return **exact** figures; :func:`report` gathers them and, unless the report is
internal, hides small counts of people the way the participation summary does
(:func:`consultations.tallies.services.suppress` and ``hide_small``: 1–4 people read
"< 5", and a second figure of a column where the total would give one away). Counts of
contributions and of spaces are not counts of people and are shown as they are.

People are counted through the tallies' events (:func:`tallies.events`), so a person is
counted once per space, once per slice and once overall, exactly as on the summary page.
The exports reuse :func:`theme_counts`, :func:`space_list` and
:func:`verdict_distribution`.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from accounts.models import Municipality, Process
from consultations.coding import services as coding
from consultations.coding.models import Coding, Theme
from consultations.revisions import services as revisions
from consultations.revisions.models import Change, ChangeSection, ChangeTheme
from consultations.rounds.models import Audience, CommentRound
from consultations.tallies import services as tallies
from consultations.versions.keys import sort_key
from consultations.versions.models import ConsultationModel, Version, VersionStatus
from core.extensions import db
from core.models import Contribution
from core.verdicts import VerdictStatus
from forums.discussions.models import Forum
from forums.meetings.models import Meeting
from forums.workshops.models import Workshop

#: A figure hidden to protect people (the tallies' marker).
SUPPRESSED = tallies.SUPPRESSED
#: The breakdowns of people the report gives, in its order.
SEGMENTS = ("group", "municipality", "profile", "channel")
SEGMENT_TITLES = {
    "group": _l("Kind of space"),
    "municipality": _l("Municipality"),
    "profile": _l("Profile at the time"),
    "channel": _l("Channel"),
    "month": _l("Month"),
}
SESSION_TITLES = {
    "citizen": _l("Citizen forum sessions"),
    "staff": _l("Staff forum sessions"),
    "expert": _l("Expert forum sessions"),
}
WORKSHOP_TITLES = {"codesign": _l("Co-design workshops"), "expert": _l("Expert workshops")}
Figure = int | str
"""A count of people as published: the exact number, or :data:`SUPPRESSED`."""


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


# The timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: a phase the process declared, or one derived from what
    happened (a kind of session or workshop, a comment round, a version published)."""

    #: ``phase``, ``sessions``, ``workshops``, ``round`` or ``version``.
    kind: str
    title: str
    starts: date
    ends: date | None = None
    #: How many sessions or workshops the line covers (0 for the others).
    count: int = 0
    #: A second line: a round's audience and version, a version's title.
    detail: str = ""


def timeline(process: Process) -> list[TimelineEntry]:
    """The process's declared phases and the phases derived from what exists: the
    sessions of each kind of forum and the workshops of each kind (first and last date,
    how many), every comment round (opens, closes) and every published version, in date
    order. Four queries (the declared phases come with the process). Raises nothing."""
    entries = [TimelineEntry("phase", phase.name, phase.starts_on, phase.ends_on) for phase in process.phases]
    sessions = db.session.execute(
        select(Forum.kind, func.min(Meeting.starts_at), func.max(Meeting.starts_at), func.count(Meeting.id))
        .join(Forum, Meeting.forum_id == Forum.id)
        .where(Forum.process_id == process.id)
        .group_by(Forum.kind)
    )
    for kind, first, last, count in sessions:
        entries.append(TimelineEntry("sessions", str(SESSION_TITLES.get(kind, kind)), _day(first), _day(last), count))
    workshops = db.session.execute(
        select(Workshop.kind, func.min(Workshop.starts_at), func.max(Workshop.starts_at), func.count(Workshop.id))
        .where(Workshop.process_id == process.id)
        .group_by(Workshop.kind)
    )
    for kind, first, last, count in workshops:
        entries.append(TimelineEntry("workshops", str(WORKSHOP_TITLES.get(kind, kind)), _day(first), _day(last), count))
    rounds = db.session.execute(
        select(CommentRound.title, CommentRound.audience, CommentRound.opens_at, CommentRound.closes_at, Version.label)
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process.id)
    )
    for title, audience, opens, closes, label in rounds:
        known = audience in {a.value for a in Audience}
        detail = f"{Audience(audience).label} · {label}" if known else label
        entries.append(TimelineEntry("round", title, _day(opens), _day(closes), detail=detail))
    published = db.session.execute(
        select(Version.label, Version.title, Version.published_at)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process.id, Version.published_at.is_not(None))
    )
    for label, title, published_at in published:
        entries.append(TimelineEntry("version", label, _day(published_at), detail=title))
    order = {"phase": 0, "sessions": 1, "workshops": 2, "round": 3, "version": 4}
    return sorted(entries, key=lambda e: (e.starts, order[e.kind], e.ends or e.starts, e.title))


# Spaces ---------------------------------------------------------------------------------


@dataclass
class SpaceFigures:
    """A forum, a workshop or a comment round, with its dates and exact figures."""

    #: The tallies' space key: ``forum:3``, ``workshop:2``, ``round:5``.
    key: str
    #: ``forum``, ``workshop`` or ``round``.
    kind: str
    #: The tallies' group (``citizen_forum``, ``codesign_workshop``, ``round_public``...).
    group: str
    title: str
    municipality: str | None
    starts: date | None
    ends: date | None
    #: Sessions held (a forum), 1 (a workshop) or 0 (a round).
    gatherings: int
    #: Distinct people (exact; see :func:`report` for the published figure).
    participants: Figure
    contributions: int


def space_list(process_id: int) -> list[SpaceFigures]:
    """Every forum, workshop and comment round of the process, with its dates (a forum's
    first and last session, or its first and last contribution; a workshop's day; a
    round's window), its distinct participants and its contributions, counted from the
    tallies' events; ordered by group (as :data:`tallies.GROUPS`), date and title. Exact
    figures. Six queries. Raises nothing."""
    e = tallies.events(process_id)
    figures = {
        space: (people, contributions, first, last)
        for space, people, contributions, first, last in db.session.execute(
            select(
                e.c.space,
                func.count(distinct(e.c.person)),
                func.count(distinct(e.c.contribution_id)),
                func.min(e.c.at),
                func.max(e.c.at),
            ).group_by(e.c.space)
        )
    }
    names = dict(db.session.execute(select(Municipality.id, Municipality.name)).tuples().all())
    sessions = {
        forum_id: (first, last, count)
        for forum_id, first, last, count in db.session.execute(
            select(Meeting.forum_id, func.min(Meeting.starts_at), func.max(Meeting.starts_at), func.count(Meeting.id))
            .join(Forum, Meeting.forum_id == Forum.id)
            .where(Forum.process_id == process_id)
            .group_by(Meeting.forum_id)
        )
    }
    spaces: list[SpaceFigures] = []

    def add(key, kind, group, title, municipality_id, starts, ends, gatherings):
        people, contributions, first, last = figures.get(key, (0, 0, None, None))
        spaces.append(
            SpaceFigures(
                key,
                kind,
                group,
                title,
                names.get(municipality_id),
                _day(starts or first),
                _day(ends or last),
                gatherings,
                people,
                contributions,
            )
        )

    for forum in db.session.execute(
        select(Forum.id, Forum.kind, Forum.title, Forum.municipality_id).where(Forum.process_id == process_id)
    ):
        first, last, count = sessions.get(forum.id, (None, None, 0))
        add(f"forum:{forum.id}", "forum", f"{forum.kind}_forum", forum.title, forum.municipality_id, first, last, count)
    for workshop in db.session.execute(
        select(Workshop.id, Workshop.kind, Workshop.title, Workshop.starts_at, Workshop.ends_at).where(
            Workshop.process_id == process_id
        )
    ):
        add(
            f"workshop:{workshop.id}",
            "workshop",
            f"{workshop.kind}_workshop",
            workshop.title,
            None,
            workshop.starts_at,
            workshop.ends_at or workshop.starts_at,
            1,
        )
    for round_ in db.session.execute(
        select(
            CommentRound.id, CommentRound.audience, CommentRound.title, CommentRound.opens_at, CommentRound.closes_at
        )
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id)
    ):
        add(
            f"round:{round_.id}",
            "round",
            f"round_{round_.audience}",
            round_.title,
            None,
            round_.opens_at,
            round_.closes_at,
            0,
        )
    order = {group: index for index, group in enumerate(tallies.GROUPS)}
    spaces.sort(key=lambda s: (order.get(s.group, len(order)), s.starts or date.max, s.title, s.key))
    return spaces


# People by segment ----------------------------------------------------------------------


@dataclass
class SegmentRow:
    key: object
    label: str
    participants: Figure
    contributions: int
    spaces: int


@dataclass
class Segment:
    """People by one dimension: a row per value, and the distinct people overall."""

    dimension: str
    title: str
    rows: list[SegmentRow]
    participants: Figure


def segments(process_id: int, dimensions=SEGMENTS) -> tuple[tallies.Summary, dict[str, Segment]]:
    """The process's overall summary and, for each of ``dimensions``, people,
    contributions and spaces by its values (:func:`tallies.summary`), with exact figures
    and readable labels. A fixed number of queries per dimension. Raises nothing."""
    found: dict[str, Segment] = {}
    overall = None
    for dimension in dimensions:
        result = tallies.summary(process_id, (dimension,))
        overall = overall or result
        labels = tallies.dimension_labels(dimension)
        rows = [
            SegmentRow(
                row.key[0],
                str(labels.get(row.key[0], row.key[0])) if row.key[0] is not None else "",
                row.participants,
                row.contributions,
                row.spaces,
            )
            for row in result.rows
        ]
        if dimension == "group":
            order = {group: index for index, group in enumerate(tallies.GROUPS)}
            rows.sort(key=lambda r: order.get(r.key, len(order)))
        elif dimension == "municipality":
            rows.sort(key=lambda r: (r.key is None, r.label))
        found[dimension] = Segment(dimension, str(SEGMENT_TITLES[dimension]), rows, result.participants)
    return overall if overall is not None else tallies.summary(process_id, ()), found


# Themes ---------------------------------------------------------------------------------


@dataclass
class ThemeCount:
    """A theme of the codebook with what it codes (exact figures)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    #: 1 for a top-level theme, 2 for a sub-theme.
    level: int
    archived: bool
    #: Contributions coded with the theme itself, and their distinct authors.
    contributions: int
    participants: Figure
    #: The same over the theme and its sub-themes (equal to the above for a sub-theme).
    contributions_with_subthemes: int
    participants_with_subthemes: Figure


def theme_counts(process_id: int, archived: bool = False) -> list[ThemeCount]:
    """The codebook in its order (each top-level theme followed by its sub-themes; archived
    themes only with ``archived``), each with the contributions coded with it and their
    distinct participants (people counted as the tallies count them), alone and together
    with its sub-themes. Exact figures. Three queries. Raises nothing."""
    themes = coding.codebook(process_id, archived=archived)
    ids = {t.id for t in themes}
    ce = tallies.contribution_events(process_id).subquery("contribution_events")
    direct = {
        theme_id: (contributions, people)
        for theme_id, contributions, people in db.session.execute(
            select(Coding.theme_id, func.count(distinct(ce.c.contribution_id)), func.count(distinct(ce.c.person)))
            .join(ce, ce.c.contribution_id == Coding.contribution_id)
            .group_by(Coding.theme_id)
        )
    }
    top = func.coalesce(Theme.parent_id, Theme.id)
    rolled = {
        theme_id: (contributions, people)
        for theme_id, contributions, people in db.session.execute(
            select(top, func.count(distinct(ce.c.contribution_id)), func.count(distinct(ce.c.person)))
            .select_from(Coding)
            .join(Theme, Theme.id == Coding.theme_id)
            .join(ce, ce.c.contribution_id == Coding.contribution_id)
            .group_by(top)
        )
    }
    counts = []
    for theme in themes:
        child = theme.parent_id is not None and theme.parent_id in ids
        contributions, people = direct.get(theme.id, (0, 0))
        all_contributions, all_people = (contributions, people) if child else rolled.get(theme.id, (0, 0))
        counts.append(
            ThemeCount(
                theme.id,
                theme.code,
                theme.name,
                theme.parent_id if child else None,
                2 if child else 1,
                theme.is_archived,
                contributions,
                people,
                all_contributions,
                all_people,
            )
        )
    return counts


# Versions and their changes ------------------------------------------------------------


@dataclass
class ChangeEntry:
    number: int
    summary: str
    editorial: bool
    sections: list[str] = field(default_factory=list)
    #: ``(code, name)`` of the themes behind the change.
    themes: list[tuple[str, str]] = field(default_factory=list)
    #: Distinct contributions behind it (cited, or coded with one of its themes).
    contributions: int = 0


@dataclass
class VersionEntry:
    id: int
    label: str
    title: str
    status: str
    published_at: datetime | None
    based_on: str | None
    changes: list[ChangeEntry] = field(default_factory=list)

    @property
    def status_label(self):
        return VersionStatus(self.status).label


def versions_with_changes(process_id: int, drafts: bool = False) -> list[VersionEntry]:
    """The process's versions (drafts only with ``drafts``), oldest first, each with its
    revision record: the changes in order with the sections they touched, the themes
    behind them and how many contributions stand behind each. Five queries. Raises
    nothing."""
    statement = (
        select(Version)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id)
    )
    if not drafts:
        statement = statement.where(Version.status != VersionStatus.DRAFT.value)
    versions = db.session.scalars(statement).all()
    labels = {v.id: v.label for v in versions}
    entries = {
        v.id: VersionEntry(v.id, v.label, v.title, v.status, v.published_at, labels.get(v.based_on_id))
        for v in sorted(versions, key=lambda v: (v.published_at is None, v.published_at or v.created_at, v.id))
    }
    if not entries:
        return []
    changes = {
        change.id: (change.version_id, ChangeEntry(change.number, change.summary, change.editorial))
        for change in db.session.scalars(
            select(Change).where(Change.version_id.in_(list(entries))).order_by(Change.version_id, Change.number)
        )
    }
    ids = list(changes)
    if ids:
        for change_id, key in db.session.execute(
            select(ChangeSection.change_id, ChangeSection.section_key).where(ChangeSection.change_id.in_(ids))
        ):
            changes[change_id][1].sections.append(key)
        for change_id, code, name in db.session.execute(
            select(ChangeTheme.change_id, Theme.code, Theme.name)
            .join(Theme, ChangeTheme.theme_id == Theme.id)
            .where(ChangeTheme.change_id.in_(ids))
            .order_by(Theme.code)
        ):
            changes[change_id][1].themes.append((code, name))
        behind = revisions.backing(ids)
        for change_id, count in db.session.execute(
            select(behind.c.change_id, func.count(distinct(behind.c.contribution_id)))
            .join(Contribution, Contribution.id == behind.c.contribution_id)
            .where(Contribution.process_id == process_id)
            .group_by(behind.c.change_id)
        ):
            changes[change_id][1].contributions = count
    for version_id, change in changes.values():
        change.sections.sort(key=lambda key: tuple(str(part) for part in sort_key(key)))
        entries[version_id].changes.append(change)
    return list(entries.values())


# Verdicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictCount:
    """How many of the process's contributions have a published verdict of ``status``."""

    status: str
    label: str
    contributions: int


def verdict_distribution(process_id: int) -> list[VerdictCount]:
    """The process's contributions by their **published** verdict (what participants
    were told; nothing published yet reads "received"), one line per
    :class:`~core.verdicts.VerdictStatus` in its order, zeros included. One query.
    Raises nothing."""
    status = func.coalesce(Contribution.verdict_status, VerdictStatus.RECEIVED.value)
    found = dict(
        db.session.execute(
            select(status, func.count(Contribution.id)).where(Contribution.process_id == process_id).group_by(status)
        )
        .tuples()
        .all()
    )
    return [VerdictCount(s.value, str(s.label), found.get(s.value, 0)) for s in VerdictStatus]


# The whole report -----------------------------------------------------------------------


@dataclass
class Overall:
    participants: Figure
    contributions: int
    spaces: int
    overlap: Figure
    headcount: int
    named: int


@dataclass
class Report:
    """Everything the report shows, figures of people already published (suppressed
    unless ``internal``)."""

    process: Process
    internal: bool
    overall: Overall
    seed: tallies.SeedTable
    timeline: list[TimelineEntry]
    spaces: list[SpaceFigures]
    segments: dict[str, Segment]
    months: Segment
    themes: list[ThemeCount]
    versions: list[VersionEntry]
    verdicts: list[VerdictCount]
    threshold: int = tallies.THRESHOLD


def _column(values: list[int], total: int) -> tuple[list[Figure], Figure]:
    """A column of people and its published total: the summary's rule (the total is part
    of the column, so a lone hidden cell takes a second one with it)."""
    if not values:
        return [], tallies.hide_small(total)
    cells = tallies.suppress([[v] for v in values] + [[total]])
    return [row[0] for row in cells[:-1]], tallies.hide_small(total)


def published_segment(segment: Segment) -> Segment:
    """``segment`` with its people published: the summary's rule (see :func:`_column`)."""
    shown, total = _column([r.participants for r in segment.rows], segment.participants)
    rows = [replace(row, participants=value) for row, value in zip(segment.rows, shown, strict=True)]
    return replace(segment, rows=rows, participants=total)


def _published_spaces(spaces: list[SpaceFigures], groups: Segment) -> list[SpaceFigures]:
    """Each group's spaces as a column, with the group's people (exact) as its total."""
    totals = {row.key: row.participants for row in groups.rows}
    published: dict[str, SpaceFigures] = {}
    for group in {s.group for s in spaces}:
        members = [s for s in spaces if s.group == group]
        shown, _total = _column([s.participants for s in members], totals.get(group, 0))
        for space, value in zip(members, shown, strict=True):
            published[space.key] = replace(space, participants=value)
    return [published[s.key] for s in spaces]


def report(process: Process, internal: bool = False) -> Report:
    """The methodology report of ``process``: exact figures when ``internal`` (for
    facilitators), otherwise counts of 1–4 people hidden as the summary hides them. A
    fixed number of queries. Raises nothing."""
    dimensions = (*SEGMENTS, "month")
    summary, found = segments(process.id, dimensions)
    months = found.pop("month")
    seed = tallies.seed_table(process.id)
    overall = Overall(
        summary.participants, summary.contributions, summary.spaces, summary.overlap, summary.headcount, summary.named
    )
    spaces = space_list(process.id)
    themes = theme_counts(process.id, archived=internal)
    if not internal:
        spaces = _published_spaces(spaces, found["group"])
        found = {d: published_segment(s) for d, s in found.items()}
        months = published_segment(months)
        overall = replace(
            overall, participants=tallies.hide_small(overall.participants), overlap=tallies.hide_small(overall.overlap)
        )
        seed = replace(seed, citizens=tallies.hide_small(seed.citizens), officials=tallies.hide_small(seed.officials))
        themes = [
            replace(
                t,
                participants=tallies.hide_small(t.participants),
                participants_with_subthemes=tallies.hide_small(t.participants_with_subthemes),
            )
            for t in themes
        ]
    return Report(
        process=process,
        internal=internal,
        overall=overall,
        seed=seed,
        timeline=timeline(process),
        spaces=spaces,
        segments=found,
        months=months,
        themes=themes,
        versions=versions_with_changes(process.id, drafts=internal),
        verdicts=verdict_distribution(process.id),
    )
