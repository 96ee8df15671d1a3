"""Section keys: the stable names of a model's parts across versions.

The grammar decides the kind of a section, so a key cannot change its meaning:

- ``T``, ``P``, ``R`` (any capital letter but ``I``): a dimension;
- ``T.3``: level 3 of dimension T (levels 1 to :data:`LEVELS`);
- ``T.3.a``: an indicator of level T.3;
- ``I``: the transversal factor Innovation; ``I.2``: one of its aspects (1 to :data:`ASPECTS`);
- ``introduccion``, ``glossary``: a free section (lowercase letters, digits and hyphens).
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from consultations.versions.models import SectionKind

#: The maturity scale of every dimension.
LEVELS = 5
#: The aspects of the transversal factor.
ASPECTS = 3
#: The transversal factor's key.
FACTOR = "I"
KEY_MAX = 40

_FREE = re.compile(r"[a-z][a-z0-9-]*")
_DIMENSION = re.compile(r"[A-Z]")
# ASCII digits without leading zeros, so a level has one key (T.3, never T.03 or T.٣).
_NUMBERED = re.compile(r"([A-Z])\.(0|[1-9][0-9]*)")
_INDICATOR = re.compile(r"([A-Z])\.(0|[1-9][0-9]*)\.([a-z])")


class BadKey(ValueError):
    """A key that does not follow the grammar; ``str()`` is the translated reason."""


@dataclass(frozen=True)
class Key:
    """A parsed section key."""

    key: str
    kind: SectionKind
    #: The key of the section it belongs to (``T.3`` for ``T.3.a``), if any.
    parent: str | None = None
    #: The dimension letter, for dimensions, levels and indicators.
    dimension: str | None = None
    #: The level number (1–5) of a level or indicator, or the aspect number.
    number: int | None = None


def parse(key: str) -> Key:
    """The kind and parent of ``key``. Raises :class:`BadKey` with a translated message
    (``"T.9" is not a level of T``) when it does not follow the grammar."""
    key = key or ""
    if not key:
        raise BadKey(_l("A section needs a key."))
    if len(key) > KEY_MAX:
        raise BadKey(_l("A key has at most %(max)d characters.", max=KEY_MAX))
    if key == FACTOR:
        return Key(key, SectionKind.FACTOR)
    if _DIMENSION.fullmatch(key):
        return Key(key, SectionKind.DIMENSION, dimension=key)
    if _FREE.fullmatch(key):
        return Key(key, SectionKind.FREE)
    numbered = _NUMBERED.fullmatch(key)
    if numbered:
        letter, number = numbered.group(1), int(numbered.group(2))
        if letter == FACTOR:
            if not 1 <= number <= ASPECTS:
                raise BadKey(
                    _l('"%(key)s" is not an aspect of %(factor)s (1 to %(max)d).', key=key, factor=FACTOR, max=ASPECTS)
                )
            return Key(key, SectionKind.ASPECT, parent=FACTOR, number=number)
        if not 1 <= number <= LEVELS:
            raise BadKey(
                _l('"%(key)s" is not a level of %(dimension)s (1 to %(max)d).', key=key, dimension=letter, max=LEVELS)
            )
        return Key(key, SectionKind.LEVEL, parent=letter, dimension=letter, number=number)
    indicator = _INDICATOR.fullmatch(key)
    if indicator:
        letter, number = indicator.group(1), int(indicator.group(2))
        if letter == FACTOR:
            raise BadKey(_l('"%(key)s": the aspects of %(factor)s have no indicators.', key=key, factor=FACTOR))
        if not 1 <= number <= LEVELS:
            raise BadKey(
                _l('"%(key)s" is not a level of %(dimension)s (1 to %(max)d).', key=key, dimension=letter, max=LEVELS)
            )
        return Key(key, SectionKind.INDICATOR, parent=f"{letter}.{number}", dimension=letter, number=number)
    raise BadKey(
        _l(
            '"%(key)s" is not a section key: use a dimension (T), a level (T.3), an indicator (T.3.a), '
            "the factor I and its aspects (I.2), or a lowercase name such as introduction.",
            key=key,
        )
    )


def missing_parent(key: Key, present: set[str]) -> str | None:
    """A translated reason when ``key``'s parent is not among the ``present`` keys."""
    if key.parent is None or key.parent in present:
        return None
    return str(_l('"%(key)s" needs the section "%(parent)s" first.', key=key.key, parent=key.parent))


def sort_key(key: str) -> tuple:
    """An order for keys that reads naturally: T.2 before T.10, a before b."""
    return tuple(int(part) if part.isdigit() else part for part in key.split("."))
