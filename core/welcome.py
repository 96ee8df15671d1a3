"""Where a newcomer goes after registering.

The accounts floor registers people but does not know forums; the floor that does
registers a function here (:func:`register_welcome`) that names the page to lead a new
account to, such as their municipality's citizen forum.
"""

from collections.abc import Callable

#: Functions taking the new account and returning a local URL, or ``None``.
_WELCOMES: list[Callable[[object], str | None]] = []


def register_welcome(find: Callable[[object], str | None]) -> None:
    """Add ``find`` to the places a newcomer may be led to (first answer wins)."""
    if find not in _WELCOMES:
        _WELCOMES.append(find)


def welcome_url(user) -> str | None:
    """The page to lead ``user`` to after registering, or ``None`` if no floor has one."""
    for find in _WELCOMES:
        url = find(user)
        if url:
            return url
    return None
