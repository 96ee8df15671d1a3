"""Engine settings that SQLAlchemy does not set by itself."""

import time

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
