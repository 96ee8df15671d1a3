"""A person's data: what each floor contributes to the download, how the download reads,
and what each floor erases when the account is deleted.

The accounts floor builds the download and deletes accounts, but may not import the floors
above it, so each floor registers here, once, at import:

- :func:`register_export`: ``collect(user)`` returns the floor's data about the person as
  plain values (``str``, ``int``, ``float``, ``bool``, ``None``, ``datetime``, ``date``, and
  dicts and lists of them). A section is a dict of fields, a list of rows (dicts), or a dict
  of such sub-sections. Collectors never format: the JSON download turns times into ISO 8601
  text (:func:`to_json`), the readable page formats them in the platform's time zone and
  the reader's language (:func:`readable`).
- :func:`register_labels`: translated (lazy) labels for section and field names, and
  :func:`register_value_labels` for coded values (a status, a role); a name without a label
  is shown as it is.
- :func:`register_eraser`: ``erase(user)`` removes or anonymises what the floor holds about
  the person; :func:`erase_everything` runs every eraser when an account is deleted.

Labels are looked up by dotted path, most specific first: the field ``at`` of the section
``forums.memberships`` tries ``forums.memberships.at``, then ``memberships.at``, then ``at``.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from core import dates

EXPORTS: dict[str, Callable] = {}
ERASERS: dict[str, Callable] = {}
#: dotted name -> translated (lazy) label of a section or field.
LABELS: dict[str, object] = {}
#: dotted field name -> {stored code: translated (lazy) label}.
VALUE_LABELS: dict[str, Mapping] = {}


def register_export(section: str, collect: Callable) -> None:
    """Add ``section`` to every data download, filled by ``collect(user)``. Raises nothing."""
    EXPORTS[section] = collect


def collect_sections(user) -> dict:
    """Every registered section for ``user`` (whatever the collectors raise propagates)."""
    return {section: collect(user) for section, collect in EXPORTS.items()}


def register_eraser(name: str, erase: Callable) -> None:
    """Run ``erase(user)`` whenever an account is deleted; ``erase`` removes or anonymises
    what its floor holds about the person and only flushes. Registering ``name`` again
    replaces the earlier eraser. Raises nothing."""
    ERASERS[name] = erase


def erase_everything(user) -> None:
    """Run every registered eraser for ``user``, in registration order, in the current
    transaction (nothing is committed here). Whatever an eraser raises propagates, so the
    request rolls back and the account is not half-deleted."""
    for erase in ERASERS.values():
        erase(user)


def register_labels(labels: Mapping) -> None:
    """Register translated (lazy) labels for section and field names, keyed by name or by
    dotted path (``"staff_requests.position"``). Raises nothing."""
    LABELS.update(labels)


def register_value_labels(name: str, labels: Mapping) -> None:
    """Register how the coded values of the field ``name`` (a name or dotted path) read:
    ``{code: lazy label}``. The mapping is kept, not copied, so a registry that grows later
    (the audit actions, say) can be passed as it is. Raises nothing."""
    VALUE_LABELS[name] = labels


def extend_value_labels(name: str, labels: Mapping) -> None:
    """Add labels to the coded values of ``name`` that another floor registered too (the
    space kinds, say). Raises nothing."""
    VALUE_LABELS.setdefault(name, {}).update(labels)


def iso(value):
    """A datetime (or date) as ISO 8601 text, or ``None``. Raises nothing."""
    return value.isoformat() if value is not None else None


def json_default(value):
    """``json.dumps`` fallback: times as ISO 8601 text, anything else (a lazy string) as
    text. Raises nothing."""
    if isinstance(value, datetime | date):
        return iso(value)
    return str(value)


def to_json(data) -> str:
    """The download as indented JSON text, times in ISO 8601 (stored times are UTC).
    Raises :class:`ValueError` for circular data."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=json_default)


# The readable page --------------------------------------------------------------------


@dataclass
class Cell:
    """One shown value: text, and a link when the value is a path on this site."""

    text: str
    link: str | None = None


@dataclass
class Block:
    """One section of the readable page.

    ``kind`` is ``"fields"`` (``fields``: label and value pairs), ``"rows"`` (``columns``
    and ``rows`` of cells, a table), or ``"group"`` (``children``: sub-sections, after the
    section's own ``fields`` if it has any). ``level`` is the heading level (2 to 6).
    """

    key: str
    label: str
    kind: str
    level: int
    #: A fragment identifier unique on the page (the dotted path, with dashes).
    anchor: str = ""
    fields: list[tuple[str, Cell]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    children: list["Block"] = field(default_factory=list)


def _lookup(table: Mapping, path: tuple[str, ...]):
    """The entry for the most specific suffix of ``path`` (``a.b.c``, ``b.c``, ``c``)."""
    for start in range(len(path)):
        entry = table.get(".".join(path[start:]))
        if entry is not None:
            return entry
    return None


def label_for(path: tuple[str, ...]) -> str:
    """The translated label of the section or field at ``path`` (its raw name if none is
    registered). Needs a request or app context for the translation; raises nothing else."""
    entry = _lookup(LABELS, path)
    return str(entry) if entry is not None else path[-1]


def _is_local_path(value: str) -> bool:
    return value.startswith("/") and not value.startswith("//") and "\\" not in value


def format_value(value, path: tuple[str, ...] = ()) -> str:
    """``value`` as a reader sees it: times in the platform's time zone and the reader's
    language (the compact form of :mod:`core.dates`), ``Yes``/``No``, coded values through
    their registered labels, ``—`` for nothing; dicts and lists inline. Needs a request
    context (flask-babel); raises nothing else."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, date):  # a datetime too: compact shows its time
        return dates.compact(value)
    if isinstance(value, Mapping):
        shown = [(k, v) for k, v in value.items() if v not in (None, "")]
        return "; ".join(f"{label_for((*path, k))}: {format_value(v, (*path, k))}" for k, v in shown) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, path) for v in value) or "—"
    labels = _lookup(VALUE_LABELS, path) if path else None
    if labels is not None and value in labels:
        return str(labels[value])
    return str(value)


def _cell(value, path: tuple[str, ...]) -> Cell:
    if isinstance(value, str) and path and path[-1] == "link" and _is_local_path(value):
        return Cell(text=value, link=value)
    return Cell(text=format_value(value, path))


def _is_scalar(value) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _block(key: str, value, path: tuple[str, ...], level: int) -> Block:
    block = _make_block(key, value, path, min(level, 6))
    block.anchor = "data-" + "-".join(path)
    return block


def _make_block(key: str, value, path: tuple[str, ...], level: int) -> Block:
    label = label_for(path)
    if isinstance(value, list | tuple):
        if all(isinstance(row, Mapping) for row in value):
            keys: list[str] = []
            for row in value:
                keys.extend(k for k in row if k not in keys)
            return Block(
                key=key,
                label=label,
                kind="rows",
                level=level,
                columns=[label_for((*path, k)) for k in keys],
                rows=[[_cell(row.get(k), (*path, k)) for k in keys] for row in value],
            )
        return Block(key=key, label=label, kind="rows", level=level, rows=[[_cell(v, path)] for v in value])
    if isinstance(value, Mapping):
        scalars = [(k, v) for k, v in value.items() if _is_scalar(v)]
        nested = [(k, v) for k, v in value.items() if not _is_scalar(v)]
        fields = [(label_for((*path, k)), _cell(v, (*path, k))) for k, v in scalars]
        if not nested:
            return Block(key=key, label=label, kind="fields", level=level, fields=fields)
        children = [_block(k, v, (*path, k), level + 1) for k, v in nested]
        return Block(key=key, label=label, kind="group", level=level, fields=fields, children=children)
    return Block(key=key, label=label, kind="fields", level=level, fields=[(label, _cell(value, path))])


def readable(data: Mapping) -> list[Block]:
    """The download as sections for the readable page (:class:`Block`), with translated
    labels and formatted values. Call it in a request: labels and times follow the reader's
    language. Raises nothing."""
    return [_block(key, value, (key,), 2) for key, value in data.items()]
