"""Ids and page numbers from URLs, bounded so no value can overflow a database integer."""

from datetime import date

from flask import request
from werkzeug.routing import IntegerConverter

#: The largest id a database integer column holds on every engine (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a non-negative integer no larger than :data:`MAX_ID`
    (anything else does not match, so the answer is 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(name: str) -> int | None:
    """A query-string id, or ``None`` when absent, malformed or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def page_arg() -> int:
    """The ``page`` query argument, 1 when absent or malformed, at most :data:`MAX_PAGE`."""
    value = request.args.get("page", 1, type=int) or 1
    return min(max(value, 1), MAX_PAGE)


def as_id(value) -> int | None:
    """A submitted id (``"12"``): at most nine ASCII digits and above zero, else ``None``
    (``"²"`` passes ``str.isdigit`` but is no number ``int`` reads)."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    number = int(value)
    return number if number > 0 else None


def form_ids(name: str) -> list[int]:
    """Every well-formed id posted under ``name`` (a repeated field); others are dropped."""
    return [number for number in map(as_id, request.form.getlist(name)) if number is not None]


def date_arg(name: str) -> date | None:
    """A query-string date written YYYY-MM-DD, or ``None``."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
