"""A token row that changes with every committed write of interest: what is kept (a page,
a summary) under one token is good until the token changes.

A :class:`Watch` follows the writes of every session: an object it watches added,
changed or deleted in a flush; an ``insert``, ``update`` or ``delete`` statement run
through the session on a table it watches, or on one SQLAlchemy cannot name (a
``text()`` statement). Just before such a session commits, the watch's one row gets a
new token in the same transaction, so whichever process wrote, every process sees the
change when it reads the token. A session with such a change not yet committed is
:meth:`Watch.pending`: what it computes is its own and must not be kept. Writes that
bypass the session (a raw connection) call :meth:`Watch.changed` themselves.

Two watches use it: whole pages (``core.pagecache``, every table a page shows) and
participation summaries (``consultations.tallies.cache``, the tables they count).
"""

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from itertools import chain

from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import TextClause

from core.models import utcnow

_DML = re.compile(r"^\s*(insert|update|delete|replace|merge|truncate)\b", re.IGNORECASE)


class TokenRow:
    """The columns of a token row (a mixin for a model with one row, ``id`` 1)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Watch:
    """The token of ``model`` (a :class:`TokenRow`), renewed before a session that wrote
    what the watch cares about commits: ``instance_watched(obj, dirty)`` for objects in a
    flush (``dirty``: changed rather than added or deleted), ``table_watched(name)`` for
    statements (``name`` is ``None`` for a table SQLAlchemy cannot name)."""

    def __init__(
        self,
        name: str,
        model,
        instance_watched: Callable[[object, bool], bool],
        table_watched: Callable[[str | None], bool],
    ) -> None:
        self.model = model
        self.flag = f"{name}_changed"
        self.instance_watched = instance_watched
        self.table_watched = table_watched
        self.read = select(model.token).where(model.id == 1)
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "do_orm_execute", self._on_execute)
        event.listen(Session, "before_commit", self._before_commit)
        event.listen(Session, "after_rollback", self._after_rollback)

    def _in(self, session) -> bool:
        return any(self.instance_watched(o, False) for o in chain(session.new, session.deleted)) or any(
            self.instance_watched(o, True) for o in session.dirty
        )

    def _after_flush(self, session, _context) -> None:
        if not session.info.get(self.flag) and self._in(session):
            session.info[self.flag] = True

    def _on_execute(self, state) -> None:
        statement = state.statement
        if state.is_insert or state.is_update or state.is_delete:
            if self.table_watched(getattr(getattr(statement, "table", None), "name", None)):
                state.session.info[self.flag] = True
        elif isinstance(statement, TextClause) and _DML.match(statement.text):
            state.session.info[self.flag] = True

    def _before_commit(self, session) -> None:
        if session.new or session.dirty or session.deleted:
            session.flush()
        if session.info.pop(self.flag, False):
            self.changed(session)

    def _after_rollback(self, session) -> None:
        session.info.pop(self.flag, None)

    def pending(self, session) -> bool:
        """Whether ``session`` holds a watched write not yet committed."""
        return bool(session.info.get(self.flag)) or self._in(session)

    def changed(self, session) -> None:
        """Give the row a new token in ``session``'s transaction (inserting the row if
        it is missing): everything kept under the old one is dropped once it commits."""
        values = {"token": secrets.token_hex(16), "changed_at": utcnow()}
        done = session.execute(update(self.model).where(self.model.id == 1).values(**values))
        if not done.rowcount:
            session.execute(insert(self.model).values(id=1, **values))

    def token(self, session) -> str | None:
        """The current token (``None`` with no row: nothing is to be kept)."""
        return session.scalar(self.read)
