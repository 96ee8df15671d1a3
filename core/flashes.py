"""Messages shown where the person is looking.

``flash_at(message, category, anchor)`` flashes a message tied to an element of the next
page (``post-3``, ``card-12``): its category is ``"<category> at-<anchor>"``, so a page
that does not place it still shows it with the others at the top (``base.html`` prints
the category as CSS classes). A page that draws the element takes its messages with
:func:`take_flashes_at` before rendering and prints them inside it; the redirect carries
the same anchor, so the browser scrolls there. No JavaScript is involved.
"""

from flask import flash, get_flashed_messages
from flask.globals import request_ctx

_PREFIX = "at-"


def flash_at(message: str, category: str, anchor: str) -> None:
    """Flash ``message`` to be shown next to the element whose id is ``anchor``."""
    flash(message, f"{category} {_PREFIX}{anchor}")


def take_flashes_at(anchors) -> dict[str, list[tuple[str, str]]]:
    """The pending messages tied to one of ``anchors`` (anchor -> [(category, message)]),
    removed from those ``base.html`` prints at the top; the others stay there."""
    anchors = set(anchors)
    placed: dict[str, list[tuple[str, str]]] = {}
    rest = []
    for category, message in get_flashed_messages(with_categories=True):
        kind, _sep, target = category.partition(" ")
        if target.startswith(_PREFIX) and target[len(_PREFIX) :] in anchors:
            placed.setdefault(target[len(_PREFIX) :], []).append((kind, message))
        else:
            rest.append((category, message))
    request_ctx.flashes = rest
    return placed
