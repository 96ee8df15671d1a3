"""A long SQLite query read in a process of its own, so that it runs on a second core.

PostgreSQL runs a query in its server while the app turns the rows it has into a file;
SQLite runs it inside the app's own process, on the same core, under the same lock
(``sqlite3`` gives up Python's lock for each step of a query, and waits for it again
after each: another thread reading would wait for each row). For a million-row export
that was a third of the time: here a child process opens the database, runs the
statement and sends the rows, a batch at a time, through a pipe, as pickles of the
driver's plain tuples; the app reads a batch while the child reads the next.

The child is this file run as a script by the same Python in isolated mode (``-I``): it
imports nothing but the standard library, so it starts in some tens of milliseconds and
never sees the app. It sees only what is committed, so :func:`read` says no (``None``)
when the caller's connection has writes of its own not committed yet; also for a
database not in a file, and for a statement whose values cannot be written into its SQL.
"""

import os
import pickle
import sqlite3
import subprocess
import sys

#: Bytes the child writes to the pipe at a time (``core.helper_process.PIPE_BUFFER``:
#: this script cannot import it).
PIPE_BUFFER = 1 << 20
#: What the child says first, once it runs.
READY = "core.sqlite_reader ready"


class Reader:
    """The rows of a statement as a child process reads them: :meth:`fetch` the next
    batch (an empty list at the end), then :meth:`close`."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.done = False

    def fetch(self, size: int | None = None) -> list:
        """The next batch of rows (its size is the one given to :func:`read`; ``size`` is
        there to read like a cursor's ``fetchmany``): a list of tuples, empty at the end.
        Raises :class:`RuntimeError` if the child failed (with what it said)."""
        from core import helper_process

        if self.done:
            return []
        try:
            batch = pickle.load(self.process.stdout)
        except EOFError:
            batch = None  # It ended without a word of ours: what it printed, if anything.
        if isinstance(batch, list):
            self.done = not batch
            return batch
        self.done = True
        raise helper_process.failed(self.process, batch, "reading the database")

    def close(self) -> None:
        """Stop the child if it is still reading, and wait for it. Raises nothing."""
        from core import helper_process

        self.done = True
        helper_process.stop(self.process)


def read(connection, statement, batch: int) -> Reader | None:
    """Start reading ``statement`` (SQLAlchemy Core) in a child process, ``batch`` rows at
    a time, from the SQLite file ``connection`` (SQLAlchemy) is open on; ``None`` when
    that cannot give the same rows (not SQLite, not a file, writes of ``connection`` not
    committed yet, values the SQL cannot hold as literals) or no process can be started
    that says it is this one. Raises nothing."""
    if connection.dialect.name != "sqlite":
        return None
    path = connection.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:") or connection.engine.url.query:
        return None
    driver = connection.connection.dbapi_connection
    if not isinstance(driver, sqlite3.Connection) or driver.in_transaction:
        return None
    try:
        sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # noqa: BLE001 - a value SQLAlchemy cannot write as a literal
        return None
    from core import helper_process

    message = (os.path.abspath(path), sql, batch)
    process = helper_process.start(os.path.abspath(__file__), message=message, ready=READY, enlarge="stdout")
    if process is None:
        return None
    process.stdin.close()  # All it is told.
    return Reader(process)


def _child() -> None:
    """The child: read (path, SQL, batch) from standard input, write each batch of rows
    to standard output as a pickle, then an empty list; a failure, as its message."""
    out = open(sys.stdout.fileno(), "wb", buffering=PIPE_BUFFER, closefd=False)  # noqa: SIM115
    path, sql, batch = pickle.load(sys.stdin.buffer)
    pickle.dump(READY, out)
    out.flush()
    try:
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA query_only=ON")
        connection.execute("PRAGMA busy_timeout=5000")
        cursor = connection.execute(sql)
        while rows := cursor.fetchmany(batch):
            pickle.dump(rows, out, pickle.HIGHEST_PROTOCOL)
        pickle.dump([], out)
    except BrokenPipeError:
        return
    except Exception as error:  # noqa: BLE001 - told to the parent, which raises
        pickle.dump(f"{type(error).__name__}: {error}", out)
    out.flush()


if __name__ == "__main__":
    _child()
