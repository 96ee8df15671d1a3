"""An XLSX workbook of one sheet written by XlsxWriter, in this process or in a child.

XlsxWriter turns each cell into XML in Python, some 4 µs a cell: for a million-row
export that is most of a minute on one core while the rows themselves are made on the
same core. :func:`start` runs the writing in a child process instead: the app makes the
rows (safe already, see ``core.exports.write_xlsx``) and sends them in batches through a
pipe, as pickles, while the child writes the ones before; the two take a core each.

The child is this file run as a script by the same Python in isolated mode (``-I``): it
imports the standard library and XlsxWriter, never the app, and writes the workbook to
the file descriptor it is handed. :class:`Sheet` is the writer both ways, so a workbook
is the same whichever process wrote it.
"""

import os
import pickle
import re
import subprocess
import sys
import zipfile

#: The zlib level XLSX files are deflated at: 1, the quickest, makes files about a fifth
#: larger than XlsxWriter's default (6) in a third of the time (18 s of a million-row
#: export at 6).
XLSX_COMPRESSLEVEL = 1
#: What the child says first, once it runs, and last, once the workbook is written.
READY, DONE = "core.xlsx_sheet ready", "core.xlsx_sheet done"
#: What the child does, in the app's error when it fails.
WRITING = "writing the spreadsheet"


class _QuickZipFile(zipfile.ZipFile):
    """A :class:`zipfile.ZipFile` that deflates at :data:`XLSX_COMPRESSLEVEL` unless told
    otherwise (what XlsxWriter packs a workbook with, see :func:`_deflate_quickly`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", XLSX_COMPRESSLEVEL)
        super().__init__(*args, **kwargs)


def _deflate_quickly(xlsxwriter_workbook) -> None:
    """Have XlsxWriter pack workbooks with :class:`_QuickZipFile`. It offers no setting for
    the level: its ``workbook`` module calls ``ZipFile`` (imported by that name) when it
    closes a workbook, so that name is pointed at the subclass, once, for every workbook
    of this process (all of them are exports). If a release of XlsxWriter packs another
    way, nothing is changed and files are deflated at its default level;
    ``tests/test_exports.py`` then fails, to say so."""
    if getattr(xlsxwriter_workbook, "ZipFile", None) is zipfile.ZipFile:
        xlsxwriter_workbook.ZipFile = _QuickZipFile


def sheet_title(title: str) -> str | None:
    """A worksheet name spreadsheets accept (at most 31 characters, none of ``[]:*?/\\``)."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31]
    return cleaned or None


class Sheet:
    """A workbook being written to the binary file ``handle`` with XlsxWriter in
    constant-memory mode (each row goes to a temporary file as it comes, so memory stays
    flat), deflated at :data:`XLSX_COMPRESSLEVEL`: the header in bold, then
    :meth:`write` the rows, then :meth:`close`. Cells are texts or numbers, each written
    as what it is, never as a formula; the caller has made the texts safe.

    In constant-memory mode XlsxWriter copies a string that starts with ``<r>`` and ends
    with ``</r>`` into the sheet as it is, taking it for the XML of a rich string it made
    itself: such a text (someone could write one, with a formula cell inside) is written
    as a rich string of plain pieces instead, which XlsxWriter escapes, and which reads
    back as the same text."""

    def __init__(self, handle, header: list[str], title: str = ""):
        import xlsxwriter
        import xlsxwriter.workbook

        _deflate_quickly(xlsxwriter.workbook)
        options = {"constant_memory": True, "in_memory": False, "strings_to_formulas": False}
        self.workbook = xlsxwriter.Workbook(handle, options)
        self.sheet = self.workbook.add_worksheet(sheet_title(title))
        self.rows = 0
        bold = self.workbook.add_format({"bold": True})
        for column, name in enumerate(header):
            self._text(0, column, name, bold)

    def _text(self, number, column, text, cell_format=None):
        if text.startswith("<r>") and text.endswith("</r>"):
            # Three pieces: XlsxWriter wants more than two arguments after the cell.
            pieces = (text[:1], text[1:2], text[2:]) + ((cell_format,) if cell_format else ())
            self.sheet.write_rich_string(number, column, *pieces)
        else:
            self.sheet._write_string(number, column, text, cell_format)

    def write(self, rows) -> None:
        """Write ``rows`` below the ones written so far: each a sequence of texts and
        numbers (ints and floats, not bools)."""
        # The undecorated methods the public ones call after turning "A1" into numbers:
        # a call less and a failed int() less per cell, some 4 s of a million-row export
        # (tests/test_exports.py fails if XlsxWriter stops having them).
        write_string, write_number, text = self.sheet._write_string, self.sheet._write_number, self._text
        number = self.rows
        for row in rows:
            number += 1
            for column, cell in enumerate(row):
                if cell.__class__ is not str:
                    write_number(number, column, cell)
                elif cell.startswith("<r>"):
                    text(number, column, cell)
                else:
                    write_string(number, column, cell)
        self.rows = number

    def close(self) -> None:
        """Finish the workbook: write the sheet out and pack the file."""
        self.workbook.close()


class Child:
    """A :class:`Sheet` written by a child process (:func:`start`): :meth:`write` sends it
    rows, :meth:`close` finishes the workbook and waits for it; :meth:`stop` ends it
    unfinished."""

    def __init__(self, process: subprocess.Popen):
        self.process = process

    def write(self, rows: list) -> None:
        """Send a batch of rows (a list). Raises :class:`RuntimeError` if the child failed."""
        from core import helper_process

        try:
            pickle.dump(rows, self.process.stdin, pickle.HIGHEST_PROTOCOL)
        except OSError:
            raise helper_process.failed(self.process, None, WRITING) from None

    def close(self) -> None:
        """Finish the workbook and wait for the child to write it. Raises
        :class:`RuntimeError` if it failed (with what it said)."""
        from core import helper_process

        try:
            pickle.dump([], self.process.stdin)
            self.process.stdin.close()
            said = pickle.load(self.process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            said = None
        if said != DONE:
            raise helper_process.failed(self.process, said, WRITING)
        self.process.wait()  # It ends once it has said so.
        helper_process.stop(self.process)

    def stop(self) -> None:
        """End the child if it still runs, and wait for it. Raises nothing."""
        from core import helper_process

        helper_process.stop(self.process)


def start(handle, header: list[str], title: str = "") -> Child | None:
    """A child process writing a :class:`Sheet` with ``header`` and ``title`` to the file
    ``handle`` (a real file, which it writes through its descriptor, from the current
    position); ``None`` when none can be started that says it is this one (no file
    descriptor, no interpreter, no process). Raises nothing."""
    from core import helper_process

    try:
        descriptor = handle.fileno()
        handle.flush()
    except (AttributeError, OSError, ValueError):
        return None
    process = helper_process.start(
        os.path.abspath(__file__),
        str(descriptor),
        message=(header, title),
        ready=READY,
        enlarge="stdin",
        pass_fds=(descriptor,),
    )
    return Child(process) if process is not None else None


def _child(descriptor: int) -> None:
    """The child: read (header, title) from standard input, then batches of rows until an
    empty one; write the workbook to ``descriptor``; say :data:`DONE`, or what failed."""
    source, out = sys.stdin.buffer, sys.stdout.buffer
    header, title = pickle.load(source)
    pickle.dump(READY, out)
    out.flush()
    try:
        with open(descriptor, "wb", closefd=False) as handle:
            sheet = Sheet(handle, header, title)
            while rows := pickle.load(source):
                sheet.write(rows)
            sheet.close()
        said = DONE
    except Exception as error:  # noqa: BLE001 - told to the parent, which raises
        said = f"{type(error).__name__}: {error}"
    pickle.dump(said, out)
    out.flush()


if __name__ == "__main__":
    _child(int(sys.argv[1]))
