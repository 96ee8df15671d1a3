"""Engine settings that SQLAlchemy does not set by itself."""

import functools
import os
import re
import time
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_configured = False


def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def configure_engine_events() -> None:
    """SQLite connections get foreign keys on, WAL and a busy timeout (once per process)."""
    global _configured
    if not _configured:
        event.listen(Engine, "connect", _sqlite_pragmas)
        _configured = True


#: Seconds a pooled connection may have sat unused and still be handed out unchecked.
PING_AFTER_IDLE = 5.0


def ping_when_idle(engine) -> None:
    """Check a pooled connection of ``engine`` before it is handed out only when it sat
    unused for more than :data:`PING_AFTER_IDLE` seconds (SQLAlchemy's ``pool_pre_ping``
    checks at every checkout: on PostgreSQL a round trip more on every request, a sixth
    of a cached page's time). A connection that fails the check is replaced by a new one
    (SQLAlchemy's :class:`DisconnectionError`); one that broke while in use fails that
    request, as it would with ``pool_pre_ping``. Raises nothing."""

    def fresh(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("idle_since", 0.0) <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: take another connection
            raise DisconnectionError(f"a pooled connection failed its check: {error}") from error

    event.listen(engine, "connect", fresh)
    event.listen(engine, "checkin", fresh)
    event.listen(engine, "checkout", checkout)


def new_connections_after_fork(engine) -> None:
    """Make a process forked from this one (a gunicorn worker forked from a master that
    loaded the application, with ``--preload``) open connections of its own instead of
    using any ``engine`` pooled before the fork: two processes on one socket would mix
    their statements. The parent's connections are left open for the parent (SQLAlchemy's
    ``dispose(close=False)``). The engine is held weakly: an application dropped (in the
    tests) is not kept alive by this. Raises nothing."""
    held = weakref.ref(engine)

    def in_child() -> None:
        forked = held()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


#: What a statement that holds locks until its transaction ends looks like.
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _select_without_lock(statement: str) -> bool:
    # Remembered: the statements of a page come from SQLAlchemy's compiled cache, the
    # same strings every time, and searching one of some kilobytes took 16 µs.
    return statement.lstrip()[:6].upper() == "SELECT" and not _LOCKING.search(statement)


def _plain_read(statement: str, context) -> bool:
    """Whether ``statement`` only reads, takes no lock and needs no transaction (a plain
    ``SELECT``, not through a server-side cursor)."""
    if not _select_without_lock(statement):
        return False
    return not (context is not None and context.execution_options.get("stream_results"))


def reads_outside_transactions(engine) -> None:
    """On PostgreSQL with psycopg, let a connection's reads run on their own until its
    first write, and the writes in one transaction from there to the commit.

    In PostgreSQL's default isolation (read committed) each statement of a transaction
    sees what was committed when it began, as a statement on its own does: reads before
    the first write see the same whether or not a transaction holds them. What a
    transaction adds for them is two round trips, ``BEGIN`` before the first and
    ``COMMIT`` at the end: for a page served from the cache, a sixth of its time. So each
    connection is handed out in autocommit mode, and before its first statement that is
    not a plain read (a write, a ``SELECT … FOR UPDATE``, a server-side cursor, a
    savepoint) it leaves it: psycopg then opens the transaction, which the request's
    commit (or rollback) ends; every write is in it, as before. A connection asked for
    SQLAlchemy's ``AUTOCOMMIT`` isolation level is left as asked; one asked for another
    level gets its transaction from its first statement. Nothing changes on
    other databases. Raises nothing."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    def checkout(dbapi_connection, _record, _proxy):
        try:
            dbapi_connection.autocommit = True
        except Exception:  # noqa: BLE001 - still in a transaction (psycopg refuses): left as it is
            pass

    def before_cursor_execute(_connection, cursor, statement, _parameters, context, _executemany):
        dbapi_connection = cursor.connection
        if not dbapi_connection.autocommit:
            return
        isolation = context.execution_options.get("isolation_level") if context is not None else None
        if isolation == "AUTOCOMMIT" or (isolation is None and _plain_read(statement, context)):
            return
        dbapi_connection.autocommit = False

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", before_cursor_execute)


def upsert(bind, table):
    """An ``INSERT`` into ``table`` (a table or a model) in the dialect of ``bind`` (an
    engine or connection), PostgreSQL's or SQLite's, so it has ``on_conflict_do_update``
    and ``excluded``. Raises nothing."""
    # Only the engine's own dialect: importing the other one too would load it into every
    # worker for nothing (PostgreSQL's is some 2 MB).
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


#: Objects made by hand in migrations (full-text search), outside the models' metadata.
HAND_MADE_PREFIXES = ("contributions_fts", "ix_contributions_fts")


def include_object(object, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave the hand-made full-text objects out of schema comparisons."""
    return not (name or "").startswith(HAND_MADE_PREFIXES)
