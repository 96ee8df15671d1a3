"""Summaries remembered until a write could change them.

Counting a large process (a million contributions) takes seconds; its figures change only
when someone writes. So every committed write that touches a table the tallies read
(contributions, sign-in sheets, walk-in links, roles, spaces, places, organisations)
changes the token of the one :class:`~consultations.tallies.models.TallyState` row, in
the same transaction, just before it commits. A summary is remembered (in this process,
a few at a time) with the token it was computed under, and used again only while the
token is the same. That holds whatever process wrote: each reads the token from the
database, one primary-key look-up per summary.

What counts as a write: an object of a watched table added, changed or deleted in a
flush; an ``insert``, ``update`` or ``delete`` statement on a watched table (or on any
table SQLAlchemy cannot name, such as a ``text()`` statement) run through the session.
A session with such a change not yet committed computes afresh and remembers nothing.
Writes that bypass the session (a raw connection) must call :func:`changed` themselves.
With no token row (a wiped database) nothing is remembered until the next write. The
watching itself is ``core.tokens``, shared with the page cache.
"""

from collections import OrderedDict
from copy import deepcopy
from threading import Lock

from consultations.tallies.models import TallyState
from core.extensions import db
from core.tokens import Watch

#: Tables whose rows the tallies read.
WATCHED = frozenset(
    {
        "contributions",
        "attendees",
        "walk_in_links",
        "role_assignments",
        "forums",
        "threads",
        "meetings",
        "workshops",
        "boards",
        "comment_rounds",
        "model_versions",
        "consultation_models",
        "municipalities",
        "organisations",
        "processes",
    }
)
#: How many summaries one process remembers.
SIZE = 64

_remembered: OrderedDict = OrderedDict()
_lock = Lock()


def _watched(instance, _dirty: bool) -> bool:
    table = getattr(type(instance), "__table__", None)
    return table is not None and table.name in WATCHED


#: The tallies' token (``core.tokens``): the tables in :data:`WATCHED`, and statements on
#: a table SQLAlchemy cannot name.
tallies = Watch("tallies", TallyState, _watched, lambda name: name is None or name in WATCHED)


def changed(session=None) -> None:
    """Give the tallies a new token, in ``session``'s transaction (the app's by default):
    every remembered summary is forgotten once it commits."""
    tallies.changed(session or db.session)


def remembered(key: tuple, compute):
    """``compute()``, or what it gave last time under the same token (a copy: callers
    may change it)."""
    session = db.session
    token = tallies.token(session)
    if token is None or tallies.pending(session):
        return compute()
    key = (str(db.engine.url), *key)
    with _lock:
        found = _remembered.get(key)
        if found is not None and found[0] == token:
            _remembered.move_to_end(key)
            return deepcopy(found[1])
    value = compute()
    with _lock:
        _remembered[key] = (token, deepcopy(value))
        while len(_remembered) > SIZE:
            _remembered.popitem(last=False)
    return value


def forget() -> None:
    """Forget every remembered summary of this process (tests)."""
    with _lock:
        _remembered.clear()
