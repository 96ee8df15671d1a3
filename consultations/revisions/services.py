"""Rules for the revision record: which sections changed from the version a draft came
from, the changes that explain them (with themes and cited contributions), the publish
check, what stood behind each change, and the record as data for scripts.

Services flush; the request commits.
"""

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, union

from consultations.coding.models import Coding, Theme
from consultations.common import BODY_MAX, ConsultationError
from consultations.revisions.models import Change, ChangeContribution, ChangeSection, ChangeTheme
from consultations.versions import diff as diffs
from consultations.versions import services as versions
from consultations.versions.keys import sort_key
from consultations.versions.models import Version
from core.extensions import db
from core.models import Contribution, register_keeper
from core.text import checked_text, render_markdown

SUMMARY_MAX = 300
#: Statuses of a section's comparison that a change must explain (a move alone need not).
EXPLAINED = (diffs.ADDED, diffs.REMOVED, diffs.CHANGED)


def changed_keys(version: Version) -> list[str]:
    """The keys whose text, title or presence changed from the version ``version`` was
    drafted from (none for a first version), in reading order."""
    if version.based_on_id is None:
        return []
    based_on = db.session.get(Version, version.based_on_id)
    comparison = diffs.compare(versions.sections_of(based_on), versions.sections_of(version))
    return [c.key for c in comparison.changes if c.status in EXPLAINED or c.renamed]


def explained_keys(version: Version) -> set[str]:
    """Every key a change of the version's record names."""
    return set(
        db.session.scalars(
            select(ChangeSection.section_key)
            .join(Change, ChangeSection.change_id == Change.id)
            .where(Change.version_id == version.id)
        )
    )


def unexplained(version: Version) -> list[str]:
    """The changed keys no change names yet."""
    explained = explained_keys(version)
    return [key for key in changed_keys(version) if key not in explained]


def _publish_check(version: Version) -> list[str]:
    missing = unexplained(version)
    if not missing:
        return []
    return [
        _(
            "Explain every changed section in the revision record first (a change, or an editorial change): %(keys)s.",
            keys=", ".join(missing),
        )
    ]


versions.publish_checks.append(_publish_check)


def _keys_allowed(version: Version) -> set[str]:
    keys = {s.key for s in versions.sections_of(version)}
    if version.based_on_id is not None:
        keys |= {s.key for s in versions.sections_of(db.session.get(Version, version.based_on_id))}
    return keys


def save_change(
    version: Version,
    change: Change | None,
    summary: str,
    reason: str,
    section_keys,
    theme_ids=(),
    contribution_ids=(),
    editorial: bool = False,
    actor=None,
) -> Change:
    """Add a change to a draft's revision record (or rewrite ``change``). Raises
    :class:`ConsultationError` for a published version, an empty summary, a missing
    reason (an editorial change needs none), no section or one the two versions do not
    have, a theme of another process, or a contribution of another process."""
    if not version.is_draft:
        raise ConsultationError(versions.NEVER_EDITED)
    summary = checked_text(summary, SUMMARY_MAX, ConsultationError, empty=_l("Say in a line what changed."))
    reason = (reason or "").strip()
    if not reason and not editorial:
        raise ConsultationError(_l("Say why it changed (or mark it as an editorial change)."))
    if len(reason) > BODY_MAX:
        raise ConsultationError(_l("The text is too long: at most %(max)d characters.", max=BODY_MAX))
    keys = sorted({k.strip() for k in section_keys if k and k.strip()}, key=sort_key)
    if not keys:
        raise ConsultationError(_l("Choose the sections this change touched."))
    unknown = [k for k in keys if k not in _keys_allowed(version)]
    if unknown:
        raise ConsultationError(_l("Neither version has the sections %(keys)s.", keys=", ".join(unknown)))
    process_id = version.model.process_id
    theme_ids = {int(t) for t in theme_ids}
    if theme_ids:
        found = db.session.scalars(select(Theme).where(Theme.id.in_(theme_ids))).all()
        if len(found) != len(theme_ids) or any(t.process_id != process_id for t in found):
            raise ConsultationError(_l("Choose themes of this process's codebook."))
    contribution_ids = {int(c) for c in contribution_ids}
    if contribution_ids:
        found = db.session.scalars(
            select(Contribution.id).where(Contribution.id.in_(contribution_ids), Contribution.process_id == process_id)
        ).all()
        missing = sorted(contribution_ids - set(found))
        if missing:
            raise ConsultationError(
                _l("This process has no contributions %(ids)s.", ids=", ".join(str(i) for i in missing))
            )
    if change is None:
        number = (db.session.scalar(select(func.max(Change.number)).where(Change.version_id == version.id)) or 0) + 1
        change = Change(version_id=version.id, number=number, created_by_id=getattr(actor, "id", None))
        db.session.add(change)
    change.summary = summary
    change.reason_source = reason
    change.reason_html = render_markdown(reason)
    change.editorial = bool(editorial)
    db.session.flush()
    for model in (ChangeSection, ChangeTheme, ChangeContribution):
        db.session.execute(delete(model).where(model.change_id == change.id))
    db.session.add_all(ChangeSection(change_id=change.id, section_key=k) for k in keys)
    db.session.add_all(ChangeTheme(change_id=change.id, theme_id=t) for t in sorted(theme_ids))
    db.session.add_all(ChangeContribution(change_id=change.id, contribution_id=c) for c in sorted(contribution_ids))
    db.session.flush()
    return change


def delete_change(change: Change) -> None:
    """Remove a change from a draft's record; the others are numbered again 1, 2, 3….
    Raises :class:`ConsultationError` for a published version."""
    version = db.session.get(Version, change.version_id)
    if not version.is_draft:
        raise ConsultationError(versions.NEVER_EDITED)
    db.session.delete(change)
    db.session.flush()
    remaining = db.session.scalars(select(Change).where(Change.version_id == version.id).order_by(Change.number)).all()
    # Two steps, so that the unique (version, number) never sees two equal numbers.
    for change_ in remaining:
        change_.number = -change_.number
    db.session.flush()
    for number, change_ in enumerate(remaining, start=1):
        change_.number = number
    db.session.flush()


@dataclass
class Entry:
    """A change as a page shows it."""

    change: Change
    sections: list[str] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    #: Distinct contributions behind it (cited, or coded with one of its themes), by
    #: space kind, channel and municipality, and in all.
    by_kind: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_municipality: Counter = field(default_factory=Counter)
    total: int = 0


def record(version: Version) -> list[Entry]:
    """The version's changes in order with their sections, themes, cited contributions and
    what stood behind them (a fixed number of queries)."""
    changes = db.session.scalars(select(Change).where(Change.version_id == version.id).order_by(Change.number)).all()
    entries = {c.id: Entry(c) for c in changes}
    if not entries:
        return []
    ids = list(entries)
    for change_id, key in db.session.execute(
        select(ChangeSection.change_id, ChangeSection.section_key).where(ChangeSection.change_id.in_(ids))
    ):
        entries[change_id].sections.append(key)
    for entry in entries.values():
        entry.sections.sort(key=sort_key)
    for change_id, theme in db.session.execute(
        select(ChangeTheme.change_id, Theme)
        .join(Theme, ChangeTheme.theme_id == Theme.id)
        .where(ChangeTheme.change_id.in_(ids))
        .order_by(Theme.code)
    ):
        entries[change_id].themes.append(theme)
    for change_id, contribution_id in db.session.execute(
        select(ChangeContribution.change_id, ChangeContribution.contribution_id)
        .where(ChangeContribution.change_id.in_(ids))
        .order_by(ChangeContribution.contribution_id)
    ):
        entries[change_id].cited.append(contribution_id)
    behind = backing(ids)
    rows = db.session.execute(
        select(
            behind.c.change_id,
            Contribution.space_kind,
            Contribution.channel,
            Contribution.municipality_id,
            Contribution.id,
        )
        .join(Contribution, Contribution.id == behind.c.contribution_id)
        .where(Contribution.process_id == version.model.process_id)
    )
    for change_id, kind, channel, municipality_id, _contribution in rows:
        entry = entries[change_id]
        entry.by_kind[kind] += 1
        entry.by_channel[channel] += 1
        entry.by_municipality[municipality_id] += 1
        entry.total += 1
    return list(entries.values())


def _cited_by_a_change(contribution: Contribution):
    """Why a contribution must be kept: a change of the revision record cites it."""
    cited = db.session.scalar(
        select(ChangeContribution.id).where(ChangeContribution.contribution_id == contribution.id).limit(1)
    )
    if cited is not None:
        return _l("A change of the revision record cites it: correct it, or hide it through moderation, instead.")
    return None


register_keeper(_cited_by_a_change)


def backing(change_ids):
    """A subquery of distinct ``(change_id, contribution_id)``: each change's cited
    contributions and those coded with its themes."""
    cited = select(ChangeContribution.change_id, ChangeContribution.contribution_id).where(
        ChangeContribution.change_id.in_(change_ids)
    )
    themed = (
        select(ChangeTheme.change_id, Coding.contribution_id)
        .join(Coding, Coding.theme_id == ChangeTheme.theme_id)
        .where(ChangeTheme.change_id.in_(change_ids))
    )
    return union(cited, themed).subquery()


def as_data(version: Version) -> dict:
    """The version's revision record as plain data (``flask consultations revision-record``)."""
    based_on = db.session.get(Version, version.based_on_id) if version.based_on_id else None
    return {
        "model": version.model.title,
        "version": version.label,
        "based_on": based_on.label if based_on else None,
        "status": version.status,
        "unexplained": unexplained(version) if version.is_draft else [],
        "changes": [
            {
                "number": e.change.number,
                "summary": e.change.summary,
                "reason": e.change.reason_source,
                "editorial": e.change.editorial,
                "sections": e.sections,
                "themes": [t.code for t in e.themes],
                "contributions": e.cited,
                "contributions_behind": e.total,
            }
            for e in record(version)
        ],
    }
