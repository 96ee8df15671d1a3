"""Engine settings that SQLAlchemy does not set by itself."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

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
