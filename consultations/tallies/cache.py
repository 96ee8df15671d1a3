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
With no token row (a wiped database) nothing is remembered until the next write.
"""

import re
import secrets
from collections import OrderedDict
from copy import deepcopy
from itertools import chain
from threading import Lock

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from consultations.tallies.models import TallyState
from core.extensions import db
from core.models import utcnow

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
_FLAG = "tallies_changed"
_DML = re.compile(r"^\s*(insert|update|delete|replace|merge|truncate)\b", re.IGNORECASE)

_remembered: OrderedDict = OrderedDict()
_lock = Lock()


def _watched(instance) -> bool:
    table = getattr(type(instance), "__table__", None)
    return table is not None and table.name in WATCHED


def _pending(session) -> bool:
    return bool(session.info.get(_FLAG)) or any(_watched(o) for o in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    if not session.info.get(_FLAG) and any(_watched(o) for o in chain(session.new, session.dirty, session.deleted)):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) in WATCHED or getattr(table, "name", None) is None:
            state.session.info[_FLAG] = True
    elif isinstance(statement, TextClause) and _DML.match(statement.text):
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.pop(_FLAG, False):
        changed(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_FLAG, None)


def changed(session=None) -> None:
    """Give the tallies a new token, in ``session``'s transaction (the app's by default):
    every remembered summary is forgotten once it commits."""
    session = session or db.session
    values = {"token": secrets.token_hex(16), "changed_at": utcnow()}
    done = session.execute(update(TallyState).where(TallyState.id == 1).values(**values))
    if not done.rowcount:
        session.execute(insert(TallyState).values(id=1, **values))


def remembered(key: tuple, compute):
    """``compute()``, or what it gave last time under the same token (a copy: callers
    may change it)."""
    session = db.session
    token = session.scalar(select(TallyState.token).where(TallyState.id == 1))
    if token is None or _pending(session):
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
