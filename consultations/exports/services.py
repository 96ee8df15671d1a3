"""The tables a process's participation can be exported as: contributions, participants,
the summary, the codebook, the comment rounds and the revision record. Each is a
:class:`core.exports.Table` whose columns say what they mean (the data dictionary of the
open-data bundle) and whose rows are read in batches as the file is written, so memory
stays flat whatever the size.

Tables of counts hide counts of 1 to 4 people unless they are asked for as *internal*
(facilitators only); tables of people (contributions, participants) name people by
pseudonym unless names were asked for with a reason, which the view audits."""

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, literal, select

from accounts.models import Municipality, User
from consultations.coding.models import Coding, Theme
from consultations.coding.services import sections_of
from consultations.reports import services as reports
from consultations.revisions import services as revisions
from consultations.rounds.models import Audience, CommentRound
from consultations.tallies import services as tallies
from consultations.versions.models import ConsultationModel, Version, VersionStatus
from core import sqlite_reader
from core.exports import SUPPRESSED_CELL, Column, Table, bundle, dictionary_rows, pseudonymiser
from core.extensions import db
from core.privacy import VALUE_LABELS
from core.verdicts import VerdictStatus
from forums.sheets.models import Attendee, Profile

#: Rows read from the database at a time.
BATCH = 500


def slug(text: str) -> str:
    """``Proceso 2016-2018`` → ``proceso-2016-2018`` (for file names)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "proceso"


def filename(table: str, process_title: str, fmt: str) -> str:
    """``aportes-proceso-2016-2018-2026-11-30.csv`` (the table's name translated)."""
    return f"{slug(str(table))}-{slug(process_title)}-{date.today().isoformat()}.{fmt}"


class Clock:
    """Stored UTC times as local times with their offset (ISO 8601), in the zone of the
    request that asked for the export (read once: rows are written after it returns).

    The zone is consulted once per UTC day: on a day when its offset stays the same whole
    number of hours (every day in Chile but those when the clocks change), the local
    time is the UTC one with the hours moved, so each row looks up the local date and
    hour its UTC hour stands for and joins strings; on other days each time is converted
    as it is. A time comes as a ``datetime`` or, read straight from SQLite, as the text
    SQLAlchemy stores there (``2017-03-04 12:34:56.000000``)."""

    def __init__(self):
        self.zone = get_timezone()
        #: UTC day ("2017-03-04") → ({UTC hour ("00" to "23"): local date and hour
        #: ("2017-03-04T09:")}, offset as text), or () when the offset changes.
        self.days: dict = {}

    def __call__(self, value) -> str:
        if not value:
            return ""
        if value.__class__ is not str:
            value = value.isoformat(" ", "seconds")
        day = self.days.get(value[:10])
        if day is None:
            day = self.days[value[:10]] = self._day(value[:10])
        if day and value[13:14] == ":" and value[16:17] == ":" and len(value) >= 19:
            hour = day[0].get(value[11:13])
            if hour is not None:
                return hour + value[14:19] + day[1]
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def _day(self, text: str) -> tuple:
        """What :meth:`__call__` needs for the UTC day ``text``; ``()`` unless the zone's
        offset is the same whole number of hours at every hour of it."""
        start = datetime.fromisoformat(text).replace(tzinfo=UTC)
        offsets = {(start + timedelta(hours=h)).astimezone(self.zone).utcoffset() for h in range(25)}
        if len(offsets) != 1:
            return ()
        (offset,) = offsets
        if offset.total_seconds() % 3600:
            return ()
        # Offsets run from -12 to +14 hours: the local date is the day before, the day or
        # the day after.
        moved = int(offset.total_seconds() // 3600)
        dates = [(start.date() + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
        hours = {f"{h:02d}": f"{dates[(h + moved) // 24 + 1]}T{(h + moved) % 24:02d}:" for h in range(24)}
        return (hours, start.astimezone(self.zone).isoformat()[-6:])


class Pseudonyms:
    """The pseudonyms of participant keys (``u12``, ``a7``) in one export. The keyed hash
    is most of the cost of a row, so each person's is computed once, and kept as the
    five bytes its ten hexadecimal digits stand for, at a place given by the id: for a
    hundred thousand people that is 600 kB, where a dict of their strings would take
    15 MB. Raises KeyError for a key of another kind."""

    #: Ids below this are kept (6 bytes each: a mark, then the 5 bytes); others (and keys
    #: not in the tallies' form, ``u`` then the id in decimal) are hashed every time.
    KEPT = 1 << 19

    def __init__(self):
        self.label = pseudonymiser()
        self.kept = {kind: bytearray() for kind in People.KINDS}

    def __call__(self, key: str) -> str:
        kept, digits = self.kept[key[0]], key[1:]
        ident = int(digits)
        at = 6 * ident
        if kept[at : at + 1] == b"\x01" and digits == str(ident):
            return "P-" + kept[at + 1 : at + 6].hex()
        label = self.label(People.KINDS[key[0]], digits)
        if ident < self.KEPT and digits == str(ident):
            if len(kept) < at + 6:
                kept.extend(bytes(min(max(at + 6, 2 * len(kept)), 6 * self.KEPT) - len(kept)))
            kept[at : at + 6] = b"\x01" + bytes.fromhex(label[2:])
        return label


class People:
    """Who a participant key is in an export: a pseudonym (:class:`Pseudonyms`), or with
    ``names`` the account's name, or a walk-in's name when they agreed to be named."""

    KINDS = {"u": "user", "a": "attendee"}

    def __init__(self, names: bool):
        self.names = names
        #: The pseudonym of a participant key.
        self.pseudonym = Pseudonyms()

    def load(self, keys) -> dict[str, str]:
        keys = [k for k in keys if k]
        found = {k: self.pseudonym(k) for k in keys}
        if not self.names:
            return found
        users = [int(k[1:]) for k in keys if k.startswith("u")]
        attendees = [int(k[1:]) for k in keys if k.startswith("a")]
        for user in db.session.scalars(select(User).where(User.id.in_(users))) if users else ():
            found[f"u{user.id}"] = user.public_name
        for attendee in db.session.scalars(select(Attendee).where(Attendee.id.in_(attendees))) if attendees else ():
            if attendee.consent and attendee.name:
                found[f"a{attendee.id}"] = attendee.name
        return found


def _labels():
    return (
        dict(db.session.execute(select(Municipality.id, Municipality.name)).tuples().all()),
        {p.value: str(p.label) for p in Profile},
        {k: str(v) for k, v in tallies.GROUPS.items()},
        {k: str(v) for k, v in VALUE_LABELS.get("channel", {}).items()},
        {s.value: str(s.label) for s in VerdictStatus},
    )


DIMENSION_TITLES = {
    "group": _l("Kind of space"),
    "municipality": _l("Municipality"),
    "profile": _l("Profile"),
    "channel": _l("Channel"),
    "month": _l("Month"),
}


def _theme_codes(process_id: int):
    """A subquery of ``(contribution_id, codes)``: the codes of each coded contribution's
    themes, joined with ", " (one grouped pass over the process's codings)."""
    if db.engine.dialect.name == "postgresql":
        # Here only: importing PostgreSQL's dialect loads some 2 MB into a worker.
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        codes = func.string_agg(Theme.code, aggregate_order_by(literal(", "), Theme.code))
    else:
        codes = func.group_concat(Theme.code, ", ")
    return (
        select(Coding.contribution_id.label("contribution_id"), codes.label("codes"))
        .join(Theme, Coding.theme_id == Theme.id)
        .where(Theme.process_id == process_id)
        .group_by(Coding.contribution_id)
        .subquery("coded")
    )


class _ThemeCodes(dict):
    """A contribution's theme codes, as aggregated in SQL (in any order, or ``None`` for
    none), sorted: look them up (``themes[codes]``); what is not there is sorted and
    remembered (a process has a few dozen themes, coded alone or in pairs)."""

    def __init__(self):
        super().__init__({None: ""})

    def __missing__(self, codes: str) -> str:
        if len(self) >= 4096:
            self.clear()
            self[None] = ""
        self[codes] = ", ".join(sorted(codes.split(", "))) if codes else ""
        return self[codes]


def _participant_column(names: bool) -> Column:
    if names:
        return Column("participant", _("Participant"), _("The participant's name."), "string")
    description = _("The participant's pseudonym (stable across exports).")
    return Column("participant", _("Participant"), description, "string", trusted=True)


def contributions(process_id: int, names: bool = False) -> Table:
    """One row per contribution, oldest first: who (pseudonym, or name), their profile at
    the time, where, how, about which section, coded how, with what verdict, when, and the
    text as written."""
    columns = [
        _participant_column(names),
        Column("profile", _("Profile"), _("The participant's profile when taking part."), "string", trusted=True),
        Column("municipality", _("Municipality"), _("The municipality the contribution belongs to."), "string"),
        Column(
            "space_kind", _("Kind of space"), _("Citizen, staff or expert forum, workshop or comment round."), "string"
        ),
        Column("space", _("Space"), _("The thread, session, board or round where it was made."), "string"),
        Column("channel", _("Channel"), _("Online, in person or in writing."), "string", trusted=True),
        Column(
            "section",
            _("Model section"),
            _("The key of the model's section it is about, if any."),
            "string",
            trusted=True,
        ),
        Column("themes", _("Themes"), _("The codes of the themes it was coded with, separated by commas."), "string"),
        Column("verdict", _("Verdict"), _("What became of it, as last published."), "string", trusted=True),
        Column(
            "time", _("Time"), _("When it was made, local time with its offset from UTC."), "datetime", trusted=True
        ),
        Column("text", _("Text"), _("The text as its author wrote it."), "string"),
    ]
    return Table(
        "contributions", _("Contributions"), columns, _contribution_rows(process_id, names, _labels(), Clock())
    )


def _contribution_statement(process_id: int):
    """The rows of :func:`contributions`, oldest first: :func:`tallies.contribution_details`
    (each contribution as the tallies count it, with its section, verdict, text and the
    titles of its space), only the columns the export prints, and the codes of its themes
    (:func:`_theme_codes`)."""
    details = tallies.contribution_details(process_id).subquery("details")
    coded = _theme_codes(process_id)
    c = details.c
    return (
        select(
            c.person,
            c.grp,
            c.municipality_id,
            c.profile,
            c.channel,
            c.at,
            c.section_key,
            c.verdict_status,
            c.body_source,
            c.thread_title,
            c.meeting_title,
            c.workshop_title,
            c.board_title,
            c.round_title,
            c.version_label,
            coded.c.codes,
        )
        .outerjoin(coded, coded.c.contribution_id == c.contribution_id)
        .order_by(c.contribution_id)
    )


def _plain_rows(statement):
    """Run ``statement`` for a large export: ``(result, fetch)``, where ``fetch(n)`` gives
    the next ``n`` rows (an empty list at the end) as they are read, and ``result`` is to
    be closed. On SQLite the rows are the driver's plain tuples (values as stored: no
    SQLAlchemy row objects, no type conversion), read in a process of its own when it
    can (:mod:`core.sqlite_reader`: the query then takes a second core, as PostgreSQL's
    server gives it), else from a cursor stepping through the result as it is read;
    elsewhere, SQLAlchemy's rows from a server-side cursor."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        reader = sqlite_reader.read(connection, statement, BATCH)
        if reader is not None:
            return reader, reader.fetch
        result = connection.execute(statement)
        return result, result.cursor.fetchmany
    result = connection.execute(statement.execution_options(yield_per=BATCH))
    return result, result.fetchmany


def _contribution_rows(process_id: int, names: bool, labels, clock):
    """The rows, in one pass over one query (themes aggregated and spaces' titles joined
    in SQL). This loop runs once per contribution, a million times for a large process,
    so it reads the driver's plain tuples (no SQLAlchemy rows, times as SQLite stores
    them, see :class:`Clock`) and looks every label up in a dict."""
    municipalities, profiles, groups, channels, verdicts = labels
    people = People(names)
    received = verdicts.get(VerdictStatus.RECEIVED.value, "")
    verdicts = {**verdicts, None: received, "": received}
    themes = _ThemeCodes()
    result, fetch = _plain_rows(_contribution_statement(process_id))
    try:
        while batch := fetch(BATCH):
            who = people.load({row[0] for row in batch}).get if names else people.pseudonym
            for (
                person,
                grp,
                municipality_id,
                profile,
                channel,
                at,
                section_key,
                verdict,
                body,
                thread_title,
                meeting_title,
                workshop_title,
                board_title,
                round_title,
                version_label,
                codes,
            ) in batch:
                if thread_title is not None:
                    place = thread_title
                elif meeting_title is not None:
                    place = meeting_title
                elif board_title is not None:
                    place = f"{workshop_title} › {board_title}"
                elif round_title is not None:
                    place = (
                        f"{round_title} › {version_label} {section_key}"
                        if section_key
                        else f"{round_title} › {version_label}"
                    )
                else:
                    place = ""
                yield [
                    who(person) if person else "",
                    profiles.get(profile, profile or ""),
                    municipalities.get(municipality_id, ""),
                    groups.get(grp, grp),
                    place,
                    channels.get(channel, channel),
                    section_key or "",
                    themes[codes],
                    verdicts.get(verdict, received),
                    clock(at),
                    body,
                ]
    finally:
        result.close()


def participants(process_id: int, names: bool = False) -> Table:
    """One row per participant, each counted once (see :mod:`consultations.tallies`)."""
    columns = [
        _participant_column(names),
        Column(
            "profile", _("Profile"), _("The participant's profile (the latest, if it changed)."), "string", trusted=True
        ),
        Column("municipality", _("Municipality"), _("The municipality where they took part."), "string"),
        Column("space_kinds", _("Kinds of space"), _("The kinds of space they took part in."), "string", trusted=True),
        Column(
            "spaces",
            _("Spaces"),
            _("How many forums, workshops and rounds they took part in."),
            "integer",
            trusted=True,
        ),
        Column("contributions", _("Contributions"), _("How many contributions they made."), "integer", trusted=True),
        Column(
            "channels", _("Channels"), _("How they took part: online, in person, in writing."), "string", trusted=True
        ),
        Column(
            "first", _("First participation"), _("When they first took part (local time)."), "datetime", trusted=True
        ),
        Column("last", _("Last participation"), _("When they last took part (local time)."), "datetime", trusted=True),
    ]
    return Table("participants", _("Participants"), columns, _participant_rows(process_id, names, _labels(), Clock()))


def _participant_rows(process_id: int, names: bool, labels, clock):
    municipalities, profiles, groups, channels, _verdicts = labels
    people = People(names)
    e = tallies.events(process_id)
    kinds: dict[str, set] = {}
    for person, grp in db.session.execute(select(e.c.person, e.c.grp).distinct()):
        kinds.setdefault(person, set()).add(grp)
    used: dict[str, set] = {}
    for person, channel in db.session.execute(select(e.c.person, e.c.channel).distinct()):
        used.setdefault(person, set()).add(channel)
    statement = (
        select(
            e.c.person,
            func.max(e.c.profile),
            func.max(e.c.municipality_id),
            func.count(distinct(e.c.space)),
            func.count(distinct(e.c.contribution_id)),
            func.min(e.c.at),
            func.max(e.c.at),
        )
        .group_by(e.c.person)
        .order_by(e.c.person)
    )
    rows = db.session.execute(statement).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        who = people.load({row[0] for row in batch})
        for person, profile, municipality_id, spaces, contributions, first, last in batch:
            yield [
                who.get(person, ""),
                profiles.get(profile, profile or ""),
                municipalities.get(municipality_id, ""),
                ", ".join(sorted(groups.get(g, g) for g in kinds.get(person, ()))),
                spaces,
                contributions,
                ", ".join(sorted(channels.get(c, c) for c in used.get(person, ()))),
                clock(first),
                clock(last),
            ]


def _shown(value, internal: bool):
    """A count of people as a file shows it: exact if internal, else 1–4 as "< 5"."""
    value = value if internal else tallies.hide_small(value)
    return SUPPRESSED_CELL if value == tallies.SUPPRESSED else value


def _people(description: str, internal: bool) -> str:
    """A count of people's description, with the suppression rule unless ``internal``."""
    return description if internal else f"{description} {PEOPLE_NOTE}"


def _count_column(key, title, description) -> Column:
    return Column(key, title, description, "integer")


PEOPLE_NOTE = _l("Counts of 1 to 4 people read “< 5”, and another count is hidden where totals would reveal one.")


def summary(process_id: int, internal: bool = False) -> Table:
    """The participation summary as one long table: the totals, then one block per
    dimension (kind of space, municipality, profile, channel, month) with distinct
    participants, contributions and spaces. Counts of people are suppressed as on the
    public page (each block with its total, complementary) unless ``internal``."""
    columns = [
        Column("dimension", _("Breakdown"), _("What the row breaks the figures down by."), "string"),
        Column("value", _("Value"), _("The kind of space, municipality, profile, channel or month."), "string"),
        _count_column("participants", _("Participants"), _people(_("Distinct people, each counted once."), internal)),
        _count_column("contributions", _("Contributions"), _("Posts, remarks, cards and comments.")),
        _count_column("spaces", _("Spaces"), _("Distinct forums, workshops and rounds.")),
    ]
    return Table("summary", _("Participation summary"), columns, _summary_rows(process_id, internal))


def _summary_rows(process_id: int, internal: bool):
    overall = tallies.summary(process_id, ())
    total = _("Total")
    yield [total, _("All participants"), _shown(overall.participants, internal), overall.contributions, overall.spaces]
    yield [total, _("Took part both online and in person"), _shown(overall.overlap, internal), "", ""]
    yield [total, _("Headcount recorded at gatherings"), _shown(overall.headcount, internal), "", ""]
    yield [total, _("Named attendees on the sign-in sheets"), _shown(overall.named, internal), "", ""]
    for dimension in tallies.DIMENSIONS:
        result = tallies.summary(process_id, (dimension,))
        labels = tallies.dimension_labels(dimension)
        column = [[row.participants] for row in result.rows]
        if not internal and column:
            column = tallies.suppress(column + [[overall.participants]])[:-1]
        title = str(DIMENSION_TITLES[dimension])
        for row, (people,) in zip(result.rows, column, strict=True):
            value = row.key[0]
            yield [
                title,
                str(labels.get(value, value if value is not None else _("Not recorded"))),
                SUPPRESSED_CELL if people == tallies.SUPPRESSED else people,
                row.contributions,
                row.spaces,
            ]


def rounds(process_id: int, internal: bool = False) -> Table:
    """The process's comment rounds: version, audience, dates, status, comments and
    distinct participants (suppressed unless ``internal``)."""
    columns = [
        Column("round", _("Round"), _("The round's title."), "string"),
        Column("version", _("Version"), _("The version of the model it asked about."), "string"),
        Column("audience", _("Audience"), _("Who could comment."), "string"),
        Column("opens", _("Opens"), _("When it opened (local time)."), "datetime"),
        Column("closes", _("Closes"), _("When it closed or closes (local time)."), "datetime"),
        Column("status", _("Status"), _("Upcoming, open or closed."), "string"),
        _count_column("comments", _("Comments"), _("Comments and replies.")),
        _count_column("participants", _("Participants"), _people(_("Distinct people who commented."), internal)),
    ]
    return Table("rounds", _("Comment rounds"), columns, _round_rows(process_id, internal, Clock()))


def _round_rows(process_id: int, internal: bool, clock):
    e = tallies.events(process_id)
    counts = {
        space: (people, comments)
        for space, people, comments in db.session.execute(
            select(e.c.space, func.count(distinct(e.c.person)), func.count(distinct(e.c.contribution_id)))
            .where(e.c.grp.like("round\\_%", escape="\\"))
            .group_by(e.c.space)
        )
    }
    audiences = {a.value: str(a.label) for a in Audience}
    listed = db.session.scalars(
        select(CommentRound)
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id)
        .order_by(CommentRound.opens_at, CommentRound.id)
    )
    for round_ in listed:
        people, comments = counts.get(f"round:{round_.id}", (0, 0))
        yield [
            round_.title,
            round_.version.label,
            audiences.get(round_.audience, round_.audience),
            clock(round_.opens_at),
            clock(round_.closed_early_at or round_.closes_at),
            str(round_.status.label),
            comments,
            _shown(people, internal),
        ]


def changes(process_id: int, internal: bool = False) -> Table:
    """The revision record: every change of every published version (and, internally, of
    drafts), with its sections, themes, cited contributions and the contributions behind
    it (cited, or coded with one of its themes)."""
    columns = [
        Column("version", _("Version"), _("The version that made the change."), "string"),
        Column("status", _("Version status"), _("Draft, published or superseded."), "string"),
        Column("published", _("Published"), _("When the version was published (local time)."), "datetime"),
        _count_column("number", _("Change"), _("The change's number within its version.")),
        Column("editorial", _("Editorial"), _("“yes” for an editorial change (wording only)."), "string"),
        Column("summary", _("Summary"), _("What changed."), "string"),
        Column("reason", _("Reason"), _("Why, as the facilitators wrote it."), "string"),
        Column("sections", _("Sections"), _("The keys of the sections it changed, separated by commas."), "string"),
        Column("themes", _("Themes"), _("The codes of the themes behind it, separated by commas."), "string"),
        _count_column("cited", _("Cited contributions"), _("Contributions the change cites.")),
        _count_column(
            "behind", _("Contributions behind it"), _("Distinct contributions cited or coded with its themes.")
        ),
    ]
    return Table("changes", _("Revision record"), columns, _change_rows(process_id, internal, Clock()))


def _change_rows(process_id: int, internal: bool, clock):
    statement = (
        select(Version)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id)
        .order_by(Version.published_at.is_(None), Version.published_at, Version.id)
    )
    if not internal:
        statement = statement.where(Version.status != VersionStatus.DRAFT.value)
    statuses = {s.value: str(s.label) for s in VersionStatus}
    yes, no = _("yes"), _("no")
    for version in db.session.scalars(statement).all():
        for entry in revisions.record(version):
            change = entry.change
            yield [
                version.label,
                statuses.get(version.status, version.status),
                clock(version.published_at),
                change.number,
                yes if change.editorial else no,
                change.summary,
                change.reason_source,
                ", ".join(entry.sections),
                ", ".join(t.code for t in entry.themes),
                len(entry.cited),
                entry.total,
            ]


def codebook(process_id: int, internal: bool = False) -> Table:
    """The codebook with counts: each theme (top-level ones followed by their sub-themes),
    its sections, and the contributions and distinct participants coded with it (for a
    top-level theme, also with its sub-themes). Archived themes only if ``internal``."""
    columns = [
        Column("code", _("Code"), _("The theme's code."), "string"),
        Column("parent", _("Parent theme"), _("The code of the theme it belongs to, for a sub-theme."), "string"),
        Column("name", _("Theme"), _("The theme's name."), "string"),
        Column("description", _("Description"), _("What the theme covers."), "string"),
        Column("sections", _("Sections"), _("Keys of the model's sections it relates to."), "string"),
        Column("status", _("Status"), _("Active or archived."), "string"),
        _count_column("contributions", _("Contributions"), _("Contributions coded with the theme.")),
        _count_column("participants", _("Participants"), _people(_("Distinct people behind them."), internal)),
        _count_column(
            "contributions_with_subthemes",
            _("Contributions with sub-themes"),
            _("For a top-level theme: contributions coded with it or with one of its sub-themes."),
        ),
        _count_column(
            "participants_with_subthemes",
            _("Participants with sub-themes"),
            _people(_("For a top-level theme: distinct people behind those."), internal),
        ),
    ]
    return Table("codebook", _("Codebook"), columns, _codebook_rows(process_id, internal))


def _codebook_rows(process_id: int, internal: bool):
    counts = reports.theme_counts(process_id, archived=internal)
    codes = {t.id: t.code for t in counts}
    sections = sections_of(list(codes))
    descriptions = dict(
        db.session.execute(select(Theme.id, Theme.description_source).where(Theme.id.in_(list(codes)))).tuples().all()
        if codes
        else ()
    )
    active, archived = _("Active"), _("Archived")
    for theme in counts:
        top = theme.level == 1
        yield [
            theme.code,
            "" if top else codes.get(theme.parent_id, ""),
            theme.name,
            descriptions.get(theme.id, ""),
            ", ".join(sections.get(theme.id, ())),
            archived if theme.archived else active,
            theme.contributions,
            _shown(theme.participants, internal),
            theme.contributions_with_subthemes if top else "",
            _shown(theme.participants_with_subthemes, internal) if top else "",
        ]


#: Tables of people (names only for a reason) and of counts (exact only internally).
PEOPLE_TABLES = {"contributions": contributions, "participants": participants}
COUNT_TABLES = {"summary": summary, "codebook": codebook, "rounds": rounds, "changes": changes}


def file_stem(table: str) -> str:
    """The translated word a table's files are named with."""
    return {
        "contributions": _("contributions"),
        "participants": _("participants"),
        "summary": _("participation"),
        "codebook": _("codebook"),
        "rounds": _("comment-rounds"),
        "changes": _("revision-record"),
    }[table]


LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}


def open_data(handle, process) -> None:
    """Write the process's open-data bundle to the binary file ``handle``: the tables of
    counts (people suppressed, drafts and archived themes left out), a data dictionary, a
    read-me with the method, the licence and ``datapackage.json``."""
    tables = [builder(process.id, False) for builder in COUNT_TABLES.values()]
    for table, key in zip(tables, COUNT_TABLES, strict=True):
        table.name = slug(file_stem(key))
    dictionary = Table(
        slug(_("data-dictionary")),
        _("Data dictionary"),
        [
            Column("file", _("File"), _("The CSV file the column is in.")),
            Column("column", _("Column"), _("The column's name in datapackage.json.")),
            Column("title", _("Title"), _("The column's heading in the CSV file.")),
            Column("type", _("Type"), _("string, integer or datetime (ISO 8601, with its offset from UTC).")),
            Column("description", _("Description"), _("What the column holds.")),
        ],
        [],
    )
    dictionary.rows = dictionary_rows(tables)
    today = date.today().isoformat()
    readme = "\n\n".join(
        [
            _("%(process)s: open participation data (%(date)s)", process=process.title, date=today),
            _(
                "Each person is counted once: an account, or an attendee without an account; an attendee "
                "checked in with an account is that account, and facilitators may link or merge walk-ins. "
                "Profiles are those held when taking part."
            ),
            str(PEOPLE_NOTE),
            _(
                "Nobody is named or pseudonymised in these files. Licence: %(licence)s (%(url)s).",
                licence=LICENCE["title"],
                url=LICENCE["path"],
            ),
            _(
                "Files: %(files)s, and datapackage.json (Frictionless Data).",
                files=", ".join(f"{t.name}.csv" for t in [*tables, dictionary]),
            ),
        ]
    )
    licence = _(
        "These data are published under the %(licence)s licence: you may share and adapt them, "
        "for any purpose, crediting %(process)s.",
        licence=LICENCE["title"],
        process=process.title,
    )
    licence += "\n" + LICENCE["path"] + "\n"
    bundle(
        handle,
        [*tables, dictionary],
        {slug(_("readme")) + ".txt": readme + "\n", slug(_("licence")) + ".txt": licence},
        {
            "name": slug(process.title),
            "title": process.title,
            "description": str(PEOPLE_NOTE),
            "created": today,
            "licenses": [LICENCE],
        },
    )
