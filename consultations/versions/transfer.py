"""A version as a file (JSON), so a deployment can load the official text of a model and
move it between platforms.

The format::

    {"format": "cocrea.model-version", "format_version": 1,
     "model": {"title": ..., "description": ...},
     "version": {"label": "v0.2", "title": ..., "summary": ..., "status": "published",
                 "published_on": "2017-09-15", "based_on": "v0.1"},
     "sections": [{"key": "T.3", "title": ..., "body": ...}, ...]}

Texts are markdown; a section's kind follows from its key and its position from its
place in the list. :func:`problems` checks a whole file and names every problem by its
path (``sections[12].key: "T.9" is not a level of T``); :func:`load` writes nothing
unless the file has none. Export, import and export again gives the same file.
"""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consultations.common import BODY_MAX, TITLE_MAX
from consultations.versions import keys
from consultations.versions import services as versions
from consultations.versions.models import ConsultationModel, Section, Version, VersionStatus
from core import audit
from core.extensions import db

FORMAT = "cocrea.model-version"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
FORMAT_VERSION = 1
#: Statuses a file may give: an imported version is a draft or published (a published
#: one replaces the model's current one).
IMPORTABLE = (VersionStatus.DRAFT.value, VersionStatus.PUBLISHED.value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (``sections[3].title``) and what (translated)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def export_version(version: Version) -> dict:
    """``version`` as plain data in the file format."""
    based_on = db.session.get(Version, version.based_on_id) if version.based_on_id else None
    model = version.model
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": {"title": model.title, "description": model.description_source},
        "version": {
            "label": version.label,
            "title": version.title,
            "summary": version.summary_source,
            "status": VersionStatus.DRAFT.value if version.is_draft else VersionStatus.PUBLISHED.value,
            "published_on": version.published_at.date().isoformat() if version.published_at else None,
            "based_on": based_on.label if based_on is not None else None,
        },
        "sections": [{"key": s.key, "title": s.title, "body": s.body_source} for s in versions.sections_of(version)],
    }


def dumps(data: dict) -> str:
    """The file's text: indented UTF-8 JSON, keys in a fixed order, a final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def parse(text: str | bytes) -> tuple[dict | None, list[Problem]]:
    """The file's data, or the problem that it is not JSON."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        return None, [Problem("", str(_l("This is not a JSON file: %(error)s", error=str(error))))]
    return data, []


def _text(data: dict, name: str, path: str, found: list[Problem], limit: int, required: bool) -> None:
    value = data.get(name)
    where = f"{path}.{name}"
    if value is None and not required:
        return
    if not isinstance(value, str):
        found.append(Problem(where, str(_l("must be a text."))))
    elif required and not value.strip():
        found.append(Problem(where, str(_l("must not be empty."))))
    elif len(value) > limit:
        found.append(Problem(where, str(_l("is too long: at most %(max)d characters.", max=limit))))


def problems(data, model: ConsultationModel | None = None) -> list[Problem]:
    """Every problem of a file's ``data``, each with its path; ``model`` is the model it
    would go into, if it exists (for label, based-on and retired-key checks)."""
    found: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem("", str(_l("The file must hold one object with format, model, version and sections.")))]
    if data.get("format") != FORMAT:
        found.append(Problem("format", str(_l('must be "%(format)s".', format=FORMAT))))
    if data.get("format_version") != FORMAT_VERSION:
        found.append(Problem("format_version", str(_l("must be %(number)d.", number=FORMAT_VERSION))))
    model_data = data.get("model")
    if not isinstance(model_data, dict):
        found.append(Problem("model", str(_l("must be an object with a title."))))
    else:
        _text(model_data, "title", "model", found, TITLE_MAX, True)
        _text(model_data, "description", "model", found, BODY_MAX, False)
    version_data = data.get("version")
    based_on_keys = None
    if not isinstance(version_data, dict):
        found.append(Problem("version", str(_l("must be an object with a label and a title."))))
    else:
        based_on_keys = _version_problems(version_data, model, found)
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        found.append(Problem("sections", str(_l("must be a list of at least one section."))))
        return found
    seen: dict[str, int] = {}
    parsed_keys = {}
    for index, section in enumerate(sections):
        path = f"sections[{index}]"
        if not isinstance(section, dict):
            found.append(Problem(path, str(_l("must be an object with a key, a title and a body."))))
            continue
        _text(section, "title", path, found, TITLE_MAX, True)
        _text(section, "body", path, found, BODY_MAX, False)
        key = section.get("key")
        if not isinstance(key, str):
            found.append(Problem(f"{path}.key", str(_l("must be a text."))))
            continue
        try:
            parsed = keys.parse(key)
        except keys.BadKey as error:
            found.append(Problem(f"{path}.key", str(error)))
            continue
        if key in seen:
            found.append(
                Problem(
                    f"{path}.key",
                    str(_l('"%(key)s" is already used by sections[%(index)d].', key=key, index=seen[key])),
                )
            )
            continue
        seen[key] = index
        parsed_keys[index] = parsed
    for index, parsed in parsed_keys.items():
        problem = keys.missing_parent(parsed, set(seen))
        if problem:
            found.append(Problem(f"sections[{index}].key", problem))
    if model is not None:
        used = versions.published_keys(model.id) - (based_on_keys or set())
        for index, parsed in parsed_keys.items():
            if parsed.key in used:
                found.append(
                    Problem(
                        f"sections[{index}].key",
                        str(
                            _l(
                                '"%(key)s" was used by an earlier version and is not in the version this one is '
                                "based on: a key keeps its meaning.",
                                key=parsed.key,
                            )
                        ),
                    )
                )
    return found


def _version_problems(data: dict, model: ConsultationModel | None, found: list[Problem]) -> set[str] | None:
    """Check the ``version`` object; return the keys of its based-on version, if found."""
    _text(data, "title", "version", found, TITLE_MAX, True)
    _text(data, "summary", "version", found, BODY_MAX, False)
    label = data.get("label")
    if not isinstance(label, str):
        found.append(Problem("version.label", str(_l("must be a text."))))
    else:
        try:
            versions.check_label(model, label)
        except versions.ConsultationError as error:
            found.append(Problem("version.label", str(error)))
    status = data.get("status", VersionStatus.DRAFT.value)
    if status not in IMPORTABLE:
        found.append(Problem("version.status", str(_l('must be "draft" or "published".'))))
    published_on = data.get("published_on")
    if published_on is not None:
        try:
            if not (isinstance(published_on, str) and _DATE.fullmatch(published_on)):
                raise ValueError(published_on)
            date.fromisoformat(published_on)
        except ValueError:
            found.append(Problem("version.published_on", str(_l("must be a date written YYYY-MM-DD."))))
        if status != VersionStatus.PUBLISHED.value:
            found.append(Problem("version.published_on", str(_l("only a published version has a date."))))
    based_on = data.get("based_on")
    if based_on is None:
        return None
    if not isinstance(based_on, str):
        found.append(Problem("version.based_on", str(_l("must be the label of an earlier version, or null."))))
        return None
    earlier = (
        db.session.scalar(select(Version).where(Version.model_id == model.id, Version.label == based_on))
        if model is not None
        else None
    )
    if earlier is None:
        found.append(
            Problem("version.based_on", str(_l('this model has no version "%(label)s" to start from.', label=based_on)))
        )
        return None
    return set(db.session.scalars(select(Section.key).where(Section.version_id == earlier.id)))


def find_model(process_id: int, title) -> ConsultationModel | None:
    """The model of ``process_id`` with ``title``, if there is one."""
    if not isinstance(title, str):
        return None
    return db.session.scalar(
        select(ConsultationModel).where(
            ConsultationModel.process_id == process_id, ConsultationModel.title == title.strip()
        )
    )


class ImportRefused(Exception):
    """The file has problems; ``problems`` lists them all and nothing was written."""

    def __init__(self, found: list[Problem]):
        super().__init__("\n".join(str(p) for p in found))
        self.problems = found


def load(data, process_id: int, actor=None) -> Version:
    """Import a file's ``data`` into the process: into its model of the same title (made
    if missing), as a new version. Raises :class:`ImportRefused` with every problem, and
    then writes nothing."""
    model_data = data.get("model") if isinstance(data, dict) else None
    model = find_model(process_id, model_data.get("title") if isinstance(model_data, dict) else None)
    found = problems(data, model)
    if found:
        raise ImportRefused(found)
    model_data, version_data = data["model"], data["version"]
    if model is None:
        model = versions.create_model(process_id, model_data["title"], model_data.get("description") or "")
    based_on = None
    if version_data.get("based_on"):
        based_on = db.session.scalar(
            select(Version).where(Version.model_id == model.id, Version.label == version_data["based_on"])
        )
    version = Version(
        model_id=model.id,
        label=version_data["label"].strip(),
        title=version_data["title"].strip(),
        status=VersionStatus.DRAFT.value,
        based_on_id=based_on.id if based_on else None,
        created_by_id=getattr(actor, "id", None),
    )
    versions._set_summary(version, version_data.get("summary"))
    db.session.add(version)
    db.session.flush()
    for position, item in enumerate(data["sections"]):
        section = Section(
            version_id=version.id, key=item["key"], kind=keys.parse(item["key"]).kind.value, position=position
        )
        versions.save_section(section, item["title"], item.get("body") or "", check=False)
        db.session.add(section)
    db.session.flush()
    audit.record("model.imported", actor=actor, version=version.id, label=version.label)
    if version_data.get("status") == VersionStatus.PUBLISHED.value:
        published_on = version_data.get("published_on")
        # Published elsewhere already: its revision record is not part of the file.
        versions.publish(
            version,
            actor,
            check=False,
            published_at=datetime.combine(date.fromisoformat(published_on), datetime.min.time())
            if published_on
            else None,
        )
    return version
