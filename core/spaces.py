"""The registry of spaces: where a contribution lives and who may see it.

A :class:`~core.models.Contribution` points at its space by ``space_kind`` and
``space_id``. The kinds are the constants of :class:`SpaceKind`, named after what
``space_id`` points at. Each floor registers, for each of its kinds, a :class:`Space`:

- ``places(contributions)``: the :class:`Place` of each contribution of that kind (title,
  link, process, municipality), for a whole batch in a fixed number of queries;
- ``visible(viewer)``: a SQL condition on :class:`~core.models.Contribution` rows of that
  kind, true for those ``viewer`` may see (the space's own rule: a staff forum for its
  municipality's officials, say).

Moderation, notifications, the data download and, later, coding and exports go through
this registry, so a new kind of space works everywhere by registering once. The lower
floors never import the higher ones: ``core`` knows the kinds' names, not their tables.
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select

from core.extensions import db
from core.models import Contribution


class SpaceKind(enum.StrEnum):
    """Every kind of space, named after what ``Contribution.space_id`` points at."""

    #: A forum thread (``threads.id``): its posts.
    THREAD = "thread"
    #: A forum session (``meetings.id``): remarks written down in the room.
    MEETING = "meeting"
    #: A workshop board (``boards.id``): its cards.
    BOARD = "board"
    #: A comment round on a model version (``comment_rounds.id``): its comments.
    ROUND = "round"


@dataclass(frozen=True)
class Place:
    """Where a contribution was said, as the people reading about it need it."""

    #: The space's title ("Hilo: Actas en plazo", "Sesión de Talagante", ...).
    title: str
    #: A path on this site that shows the contribution.
    link: str
    process_id: int
    municipality_id: int | None = None


@dataclass(frozen=True)
class Space:
    """What a floor tells the core about one kind of space."""

    kind: SpaceKind
    #: ``contributions -> {contribution id: Place}`` in a fixed number of queries.
    places: Callable[[list[Contribution]], dict[int, Place]]
    #: ``viewer -> SQL condition`` on contributions of this kind that ``viewer`` may see.
    visible: Callable[[object], object]
    #: ``contribution -> None``, for spaces whose open pages follow changes live: called
    #: when moderation changes what viewers see of the contribution (hidden, restored).
    changed: Callable[[Contribution], None] | None = None


SPACES: dict[str, Space] = {}


def register_space(space: Space) -> None:
    """Register how contributions of ``space.kind`` resolve and who sees them."""
    SPACES[str(space.kind)] = space


def places_of(contributions: Iterable[Contribution]) -> dict[int, Place]:
    """``{contribution id: Place}`` for every contribution whose kind is registered; a
    fixed number of queries per kind, whatever the number of contributions."""
    by_kind: dict[str, list[Contribution]] = {}
    for contribution in contributions:
        by_kind.setdefault(contribution.space_kind, []).append(contribution)
    found: dict[int, Place] = {}
    for kind, batch in by_kind.items():
        space = SPACES.get(kind)
        if space is not None:
            found.update(space.places(batch))
    return found


def changed(contribution: Contribution) -> None:
    """Tell the space of ``contribution`` that what viewers see of it changed."""
    space = SPACES.get(contribution.space_kind)
    if space is not None and space.changed is not None:
        space.changed(contribution)


def live_kinds() -> list[str]:
    """The kinds whose spaces want to hear of changes (:func:`changed`)."""
    return [kind for kind, space in SPACES.items() if space.changed is not None]


def visible_condition(viewer):
    """A SQL condition on :class:`~core.models.Contribution`: true for the contributions
    whose space ``viewer`` may see (whether the text itself is shown is
    :func:`core.visibility.seen_by`'s business)."""
    conditions = [and_(Contribution.space_kind == kind, space.visible(viewer)) for kind, space in SPACES.items()]
    return or_(*conditions) if conditions else false()


def can_see(viewer, contribution: Contribution) -> bool:
    """Whether ``viewer`` may see the space of ``contribution`` (one query; ``False`` for
    a kind nobody registered)."""
    space = SPACES.get(contribution.space_kind)
    if space is None:
        return False
    statement = select(Contribution.id).where(Contribution.id == contribution.id, space.visible(viewer))
    return db.session.scalar(statement) is not None
