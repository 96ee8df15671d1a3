"""Rules for the model under revision: models, drafts, sections, publishing, the matrix.

A published version is never edited: every edit goes to a draft, and a draft starts as a
full copy of any version. Services flush; the request (or the CLI command) commits.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from consultations.common import BODY_MAX, TITLE_MAX, ConsultationError
from consultations.versions import keys
from consultations.versions.models import ConsultationModel, Section, SectionKind, Version, VersionStatus
from core import audit
from core.extensions import db
from core.models import utcnow
from core.text import checked_text, render_markdown

audit.register_actions(
    {
        "version.published": _l("Model version published"),
        "model.imported": _l("Model version imported"),
    }
)

LABEL_MAX = 20
NEVER_EDITED = _l("A published version is never edited again: start a new draft from it.")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: Called as ``listener(old_version, new_version)`` for each version a publication
#: replaces (the rounds feature tells the people who commented on it).
superseded_listeners: list[Callable[[Version, Version], None]] = []
#: Called as ``check(draft)`` before publishing; each returns translated reasons that
#: stop the publication (the revision record: every changed section explained).
publish_checks: list[Callable[[Version], list[str]]] = []
#: Called as ``listener(version, actor)`` once a version is published (verdicts go out
#: with it).
published_listeners: list[Callable[[Version, object], None]] = []


def _title(title: str | None) -> str:
    return checked_text(
        title, TITLE_MAX, ConsultationError, empty=_l("Give it a title."), too_long=_l("At most %(max)d characters.")
    )


def _body(body: str | None) -> str:
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise ConsultationError(_l("The text is too long: at most %(max)d characters.", max=BODY_MAX))
    return body


def check_label(model: ConsultationModel | None, label: str | None, version: Version | None = None) -> str:
    """``label`` stripped, once it is short, well formed and free in ``model`` (when there
    is one). Raises :class:`ConsultationError` otherwise."""
    label = (label or "").strip()
    if not label:
        raise ConsultationError(_l("Give the version a label, such as v0.2."))
    if len(label) > LABEL_MAX or not _LABEL.fullmatch(label):
        raise ConsultationError(
            _l("A label has at most %(max)d letters, digits, dots or hyphens, such as v0.2.", max=LABEL_MAX)
        )
    if model is None:
        return label
    taken = select(Version.id).where(Version.model_id == model.id, Version.label == label)
    if version is not None and version.id is not None:
        taken = taken.where(Version.id != version.id)
    if db.session.scalar(taken) is not None:
        raise ConsultationError(_l("This model already has a version %(label)s.", label=label))
    return label


def create_model(process_id: int, title: str, description: str = "") -> ConsultationModel:
    """A new model of a process. Raises :class:`ConsultationError` for a bad title."""
    model = ConsultationModel(process_id=process_id)
    update_model(model, title, description)
    db.session.add(model)
    db.session.flush()
    return model


def update_model(model: ConsultationModel, title: str, description: str) -> None:
    """Rename a model or change its description. Raises :class:`ConsultationError`."""
    model.title = _title(title)
    model.description_source = _body(description)
    model.description_html = render_markdown(model.description_source)


def _set_summary(version: Version, summary: str | None) -> None:
    version.summary_source = _body(summary)
    version.summary_html = render_markdown(version.summary_source)


def new_version(model: ConsultationModel, label: str, title: str, summary: str, actor, based_on=None) -> Version:
    """A draft of ``model``: empty, or a full copy of ``based_on``'s sections. Raises
    :class:`ConsultationError` for a taken or bad label or a bad title."""
    if based_on is not None and based_on.model_id != model.id:
        raise ConsultationError(_l("A draft can only start from a version of the same model."))
    version = Version(
        model_id=model.id,
        label=check_label(model, label),
        title=_title(title),
        status=VersionStatus.DRAFT.value,
        based_on_id=based_on.id if based_on is not None else None,
        created_by_id=getattr(actor, "id", None),
    )
    _set_summary(version, summary)
    db.session.add(version)
    db.session.flush()
    if based_on is not None:
        db.session.add_all(
            Section(
                version_id=version.id,
                key=s.key,
                kind=s.kind,
                title=s.title,
                body_source=s.body_source,
                body_html=s.body_html,
                position=s.position,
            )
            for s in sections_of(based_on)
        )
        db.session.flush()
    return version


def _editable(version: Version) -> None:
    if not version.is_draft:
        raise ConsultationError(NEVER_EDITED)


def update_version(version: Version, label: str, title: str, summary: str) -> None:
    """Change a draft's label, title and summary. Raises :class:`ConsultationError`."""
    _editable(version)
    version.label = check_label(version.model, label, version)
    version.title = _title(title)
    _set_summary(version, summary)


def sections_of(version: Version) -> list[Section]:
    """The sections of ``version`` in reading order (one query)."""
    return db.session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position, Section.id)
    ).all()


def section_of(version: Version, key: str) -> Section | None:
    """The section of ``version`` with ``key``, if any."""
    return db.session.scalar(select(Section).where(Section.version_id == version.id, Section.key == key))


def retired_keys(version: Version) -> set[str]:
    """Keys that published versions of the model used and that ``version`` may not take
    for a new section: a key keeps its meaning, so one removed stays retired (except that
    a draft may take back a key of the version it was drafted from). Keys only ever tried
    in drafts bind nobody."""
    used = published_keys(version.model_id)
    if version.based_on_id is not None:
        used -= set(db.session.scalars(select(Section.key).where(Section.version_id == version.based_on_id)))
    return used


def published_keys(model_id: int) -> set[str]:
    """Every key that a published (or superseded) version of the model has used."""
    return set(
        db.session.scalars(
            select(Section.key)
            .join(Version, Section.version_id == Version.id)
            .where(Version.model_id == model_id, Version.status != VersionStatus.DRAFT.value)
        )
    )


def add_section(version: Version, key: str, title: str, body: str) -> Section:
    """Add a section to a draft, after its parent's last descendant (or at the end).
    Raises :class:`ConsultationError` for a bad, taken or retired key, a missing parent,
    a bad title or a too long text."""
    _editable(version)
    try:
        parsed = keys.parse((key or "").strip())
    except keys.BadKey as error:
        raise ConsultationError(str(error)) from None
    present = sections_of(version)
    present_keys = {s.key for s in present}
    if parsed.key in present_keys:
        raise ConsultationError(_l('This version already has a section "%(key)s".', key=parsed.key))
    problem = keys.missing_parent(parsed, present_keys)
    if problem:
        raise ConsultationError(problem)
    if parsed.key in retired_keys(version):
        raise ConsultationError(
            _l(
                '"%(key)s" was used in an earlier version for another text: a key keeps its meaning, choose a new one.',
                key=parsed.key,
            )
        )
    section = Section(version_id=version.id, key=parsed.key, kind=parsed.kind.value)
    save_section(section, title, body, check=False)
    # After the parent's family, so T.3.c follows T.3.b; otherwise at the end.
    family = [s for s in present if parsed.parent and (s.key == parsed.parent or s.key.startswith(parsed.parent + "."))]
    after = max((s.position for s in family), default=max((s.position for s in present), default=-1))
    for later in present:
        if later.position > after:
            later.position += 1
    section.position = after + 1
    db.session.add(section)
    db.session.flush()
    return section


def save_section(section: Section, title: str, body: str, check: bool = True) -> None:
    """Change a draft section's title and text. Raises :class:`ConsultationError`."""
    if check:
        _editable(db.session.get(Version, section.version_id))
    section.title = _title(title)
    section.body_source = _body(body)
    section.body_html = render_markdown(section.body_source)


def delete_section(version: Version, section: Section) -> None:
    """Remove a section from a draft. Raises :class:`ConsultationError` while other
    sections belong to it (remove T.3.a before T.3)."""
    _editable(version)
    children = db.session.scalar(
        select(func.count(Section.id)).where(Section.version_id == version.id, Section.key.like(section.key + ".%"))
    )
    if section.kind != SectionKind.FREE.value and children:
        raise ConsultationError(
            _l('Remove the sections inside "%(key)s" first (%(count)d left).', key=section.key, count=children)
        )
    db.session.delete(section)
    db.session.flush()


def move_section(version: Version, section: Section, step: int) -> bool:
    """Swap a draft section with its neighbour (``step`` -1: up, 1: down); ``False`` when
    it is already first or last. Raises :class:`ConsultationError` for a published one."""
    _editable(version)
    ordered = sections_of(version)
    index = next(i for i, s in enumerate(ordered) if s.id == section.id)
    other = index + step
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    return True


def publish_problems(version: Version) -> list[str]:
    """What stops ``version`` from being published, translated (empty when nothing)."""
    found = []
    if not db.session.scalar(select(func.count(Section.id)).where(Section.version_id == version.id)):
        found.append(str(_l("A version without sections cannot be published.")))
    for check in publish_checks:
        found.extend(check(version))
    return found


def publish(version: Version, actor, check: bool = True, published_at=None) -> list[Version]:
    """Publish a draft: it is never edited again, and the model's published versions
    become superseded (their commenters are told). Returns the versions replaced.
    ``check=False`` skips the publish checks (a text imported as already published
    elsewhere); ``published_at`` dates a publication that happened before (an imported
    text, the demo's history). Raises :class:`ConsultationError` for a version already published,
    without sections, or that a check stops (every reason in the message)."""
    _editable(version)
    problems = publish_problems(version) if check else []
    if not check and not db.session.scalar(select(func.count(Section.id)).where(Section.version_id == version.id)):
        problems = [str(_l("A version without sections cannot be published."))]
    if problems:
        raise ConsultationError(" ".join(problems))
    replaced = db.session.scalars(
        select(Version).where(Version.model_id == version.model_id, Version.status == VersionStatus.PUBLISHED.value)
    ).all()
    for old in replaced:
        old.status = VersionStatus.SUPERSEDED.value
    version.status = VersionStatus.PUBLISHED.value
    version.published_at = published_at or utcnow()
    audit.record("version.published", actor=actor, version=version.id, label=version.label)
    db.session.flush()
    for old in replaced:
        for listener in superseded_listeners:
            listener(old, version)
    for listener in published_listeners:
        listener(version, actor)
    return replaced


def versions_of(model: ConsultationModel, drafts: bool) -> list[Version]:
    """The versions of ``model``, newest first; drafts only if ``drafts``."""
    statement = select(Version).where(Version.model_id == model.id)
    if not drafts:
        statement = statement.where(Version.status != VersionStatus.DRAFT.value)
    return db.session.scalars(statement.order_by(Version.created_at.desc(), Version.id.desc())).all()


def current_version(model: ConsultationModel) -> Version | None:
    """The model's published version, if any."""
    return db.session.scalar(
        select(Version)
        .where(Version.model_id == model.id, Version.status == VersionStatus.PUBLISHED.value)
        .order_by(Version.id.desc())
        .limit(1)
    )


def sections_and_history(version: Version, key: str) -> tuple[list[Section], list[tuple[Version, Section]]]:
    """The sections of ``version`` in reading order, and the history of ``key``: every
    version of the model that has a section ``key``, oldest first, with it (drafts left
    out unless ``version`` is one); one query."""
    rows = db.session.execute(
        select(Section, Version)
        .join(Version, Section.version_id == Version.id)
        .where(or_(Section.version_id == version.id, and_(Version.model_id == version.model_id, Section.key == key)))
    ).all()
    sections = sorted((s for s, v in rows if v.id == version.id), key=lambda s: (s.position, s.id))
    history = sorted(
        ((v, s) for s, v in rows if s.key == key and (not v.is_draft or v.id == version.id)),
        key=lambda row: (row[0].created_at, row[0].id),
    )
    return sections, history


@dataclass
class Cell:
    """A level of a dimension in the matrix, with how many indicators it has."""

    number: int
    section: Section | None
    indicators: int = 0


@dataclass
class Row:
    dimension: Section
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Matrix:
    """A version laid out as the model is read: dimensions × levels, the factor and its
    aspects beside them, and the free sections."""

    rows: list[Row]
    factor: Section | None
    aspects: list[Section]
    free: list[Section]
    levels: range = range(1, keys.LEVELS + 1)


def matrix(sections: list[Section]) -> Matrix:
    """Lay out ``sections`` (already loaded, in order) as a :class:`Matrix`."""
    by_key = {s.key: s for s in sections}
    indicator_counts: dict[str, int] = {}
    for s in sections:
        if s.kind == SectionKind.INDICATOR.value:
            parent = s.key.rsplit(".", 1)[0]
            indicator_counts[parent] = indicator_counts.get(parent, 0) + 1
    rows = []
    for s in sections:
        if s.kind == SectionKind.DIMENSION.value:
            cells = [
                Cell(n, by_key.get(f"{s.key}.{n}"), indicator_counts.get(f"{s.key}.{n}", 0))
                for n in range(1, keys.LEVELS + 1)
            ]
            rows.append(Row(s, cells))
    return Matrix(
        rows=rows,
        factor=by_key.get(keys.FACTOR),
        aspects=[s for s in sections if s.kind == SectionKind.ASPECT.value],
        free=[s for s in sections if s.kind == SectionKind.FREE.value],
    )


def children(sections: list[Section], key: str) -> list[Section]:
    """The sections directly inside ``key`` (a level's indicators, a dimension's levels)."""
    depth = key.count(".") + 1
    return [s for s in sections if s.key.startswith(key + ".") and s.key.count(".") == depth]
