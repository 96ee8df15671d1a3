"""Helper processes that take a second core for a large export: a script of this project
(``core/sqlite_reader.py``, ``core/xlsx_sheet.py``) run by the same Python in isolated
mode (``-I``), so it never sees the app, talking to it in pickles through pipes.

The scripts import only the standard library (and, for the spreadsheet, XlsxWriter):
isolated mode leaves the project off their path, so they import this module only in
the functions the app calls, never at their top.
"""

import fcntl
import pickle
import subprocess
import sys

#: Bytes a pipe to or from a helper holds. At Linux's default 64 KiB the two processes
#: would take turns instead of working at once; Linux allows up to pipe-max-size (1 MiB
#: by default), some batches ahead.
PIPE_BUFFER = 1 << 20


def start(script: str, *arguments: str, message, ready: str, enlarge: str, pass_fds=()) -> subprocess.Popen | None:
    """Run ``script`` (a path) with ``arguments``, send it ``message`` (a pickle on its
    standard input, flushed) and wait for it to say ``ready`` (its first pickle on its
    standard output): the process, with the pipe named by ``enlarge`` (``"stdin"`` or
    ``"stdout"``, the one the batches go through) holding :data:`PIPE_BUFFER` bytes.
    ``None`` when no process can be started that says so: no interpreter (Python
    embedded in another program), an error of the system, or something else than Python
    behind ``sys.executable``. Raises nothing but what interrupts the wait, after
    stopping the process."""
    if not sys.executable:
        return None
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", script, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=PIPE_BUFFER,
            pass_fds=tuple(pass_fds),
        )
    except OSError:
        return None
    try:
        fcntl.fcntl(getattr(process, enlarge).fileno(), fcntl.F_SETPIPE_SZ, PIPE_BUFFER)
    except (AttributeError, OSError):
        pass
    try:
        pickle.dump(message, process.stdin)
        process.stdin.flush()
        if pickle.load(process.stdout) == ready:
            return process
    except (OSError, EOFError, pickle.UnpicklingError):
        pass
    except BaseException:
        stop(process)
        raise
    stop(process)
    return None


def _end(process: subprocess.Popen) -> None:
    """Kill ``process`` if it still runs, and wait for it."""
    if process.poll() is None:
        process.kill()
    process.wait()


def stop(process: subprocess.Popen) -> None:
    """End ``process`` if it still runs, wait for it and close its pipes. Raises nothing."""
    _end(process)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None and not pipe.closed:
            try:
                pipe.close()
            except OSError:  # data left for a process that is gone
                pass


def failed(process: subprocess.Popen, said, doing: str) -> RuntimeError:
    """Stop ``process``, which failed while ``doing`` something, and the error to raise
    with what it said: ``said`` if it is a text (its own message), else what it printed
    on its standard error, else its exit status."""
    _end(process)
    if not isinstance(said, str):
        said = process.stderr.read().decode(errors="replace").strip()
    stop(process)
    return RuntimeError(f"The process {doing} failed: {said or process.returncode}")
