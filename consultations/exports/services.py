"""Rows of the process's exports, read in batches so memory stays flat."""

import re
import unicodedata
from datetime import UTC, date

from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import distinct, func, select

from accounts.models import Municipality, User
from consultations.coding.services import themes_of
from consultations.tallies import services as tallies
from core.exports import pseudonym
from core.extensions import db
from core.models import Contribution
from core.privacy import VALUE_LABELS
from core.spaces import places_of
from core.verdicts import VerdictStatus
from forums.sheets.models import Attendee, Profile

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
    request that asked for the export (read once: rows are written after it returns)."""

    def __init__(self):
        self.zone = get_timezone()

    def __call__(self, value) -> str:
        if not value:
            return ""
        return value.replace(tzinfo=UTC).astimezone(self.zone).isoformat(timespec="seconds")


class People:
    """Who a participant key is in an export: a pseudonym, or with ``names`` the account's
    name, or a walk-in's name when they agreed to be named."""

    def __init__(self, names: bool):
        self.names = names

    def load(self, keys) -> dict[str, str]:
        keys = [k for k in keys if k]
        users = [int(k[1:]) for k in keys if k.startswith("u")]
        attendees = [int(k[1:]) for k in keys if k.startswith("a")]
        found = {f"u{i}": pseudonym("user", i) for i in users}
        found.update({f"a{i}": pseudonym("attendee", i) for i in attendees})
        if self.names:
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


CONTRIBUTION_KEYS = [
    "participant",
    "profile",
    "municipality",
    "space_kind",
    "space",
    "channel",
    "section",
    "themes",
    "verdict",
    "time",
    "text",
]


def contribution_header() -> list[str]:
    return [
        _("Participant"),
        _("Profile"),
        _("Municipality"),
        _("Kind of space"),
        _("Space"),
        _("Channel"),
        _("Model section"),
        _("Themes"),
        _("Verdict"),
        _("Time"),
        _("Text"),
    ]


def contribution_rows(process_id: int, names: bool):
    """One row per contribution, oldest first, in batches (labels, names' rule and time
    zone are settled now; the rows are read as they are written)."""
    labels, clock = _labels(), Clock()
    return _contribution_rows(process_id, names, labels, clock)


def _contribution_rows(process_id: int, names: bool, labels, clock):
    municipalities, profiles, groups, channels, verdicts = labels
    people = People(names)
    events = tallies.contribution_events(process_id).subquery()
    statement = (
        select(events.c.person, events.c.profile, events.c.municipality_id, events.c.grp, Contribution)
        .join(Contribution, Contribution.id == events.c.contribution_id)
        .order_by(Contribution.id)
        .execution_options(yield_per=BATCH)
    )
    for batch in db.session.execute(statement).partitions(BATCH):
        contributions = [row[4] for row in batch]
        places = places_of(contributions)
        themes = themes_of([c.id for c in contributions])
        who = people.load({row[0] for row in batch})
        for person, profile, municipality_id, grp, c in batch:
            place = places.get(c.id)
            yield [
                who.get(person, ""),
                profiles.get(profile, profile or ""),
                municipalities.get(municipality_id, ""),
                groups.get(grp, grp),
                place.title if place else "",
                channels.get(c.channel, c.channel),
                c.section_key or "",
                ", ".join(t.code for t in themes.get(c.id, [])),
                verdicts.get(c.verdict_status or VerdictStatus.RECEIVED.value, ""),
                clock(c.created_at),
                c.body_source,
            ]


PARTICIPANT_KEYS = [
    "participant",
    "profile",
    "municipality",
    "space_kinds",
    "spaces",
    "contributions",
    "channels",
    "first",
    "last",
]


def participant_header() -> list[str]:
    return [
        _("Participant"),
        _("Profile"),
        _("Municipality"),
        _("Kinds of space"),
        _("Spaces"),
        _("Contributions"),
        _("Channels"),
        _("First participation"),
        _("Last participation"),
    ]


def participant_rows(process_id: int, names: bool):
    """One row per participant (counted once), by pseudonym."""
    labels, clock = _labels(), Clock()
    return _participant_rows(process_id, names, labels, clock)


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
