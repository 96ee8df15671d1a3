"""Downloads that leave the platform: pseudonyms instead of names, and spreadsheet cells
that cannot run as formulas."""

import hashlib
import hmac
import io
import itertools
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response, current_app, request, stream_with_context
from werkzeug.wsgi import wrap_file

from core.xlsx_sheet import sheet_title

#: First characters a spreadsheet reads as the start of a formula (or of a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")

#: A place where a spreadsheet may start a cell: the start of the text, or just after a
#: separator that some reader splits on (',' or ';') or a line break; then the run of
#: spaces and double quotes that a reader may trim (not tabs: a tab is itself a formula
#: start, and not line breaks: each is a place of its own); then a formula start.
#: The apostrophe goes right after the place, before the run: what one substitution of
#: ``(^|[,;\r\n])((?:[^\S\t\r\n]|")*)(?=[=+\-@|\t])`` by ``\1'\2`` does, done below
#: in a quicker way.
#:
#: The start of the text as such a place: the run, then a formula start.
_UNSAFE_AT_START = re.compile(r"(?:[^\S\t\r\n]|\")*[=+\-@|\t]")
#: Each separator as such a place: (separator, its substitution, what it becomes). One
#: expression per separator starts with that very character, which the engine scans
#: ahead for, and puts back a constant text, with no call per place: 2 µs for a text of
#: 500 characters with places, where the one expression above, which may match at any
#: position, took 10. Places never overlap (a run holds no separator), so one separator
#: at a time gives what one pass over all of them gives.
_UNSAFE_AFTER = tuple(
    (separator, re.compile(re.escape(separator) + r"(?=(?:[^\S\t\r\n]|\")*[=+\-@|\t])").sub, separator + "'")
    for separator in ",;\r\n"
)


def pseudonym(kind: str, ident: int) -> str:
    """A stable, non-reversible label for a person (``kind`` "user" or "attendee"), the
    same in every export of this platform and useless without its secret key."""
    return pseudonymiser()(kind, ident)


def pseudonymiser():
    """:func:`pseudonym` for many people: the keyed hash is set up once."""
    base = hmac.new(current_app.config["SECRET_KEY"].encode(), digestmod=hashlib.sha256)

    def label(kind: str, ident: int) -> str:
        digest = base.copy()
        digest.update(f"{kind}:{ident}".encode())
        return f"P-{digest.hexdigest()[:10]}"

    return label


def safe_cell(value) -> str:
    """``value`` as text that no spreadsheet runs as a formula, however it splits the line.

    OWASP's advice for CSV injection is an apostrophe in front of a cell that starts with
    a formula character (``= + - @``, tab, CR, LF, ``|``). That protects a reader that
    splits the line where the file says. But a CSV is read by spreadsheets set up for
    another separator: Excel in Chilean Spanish splits on ';', and ignores the quoting a
    ',' file uses, so ``"Opinión;=HYPERLINK(…)"`` becomes a cell that starts with '='. So
    every place inside the text where any reader could start a cell gets the same
    treatment: the start, and just after each ',', ';', CR or LF, with the spaces and
    double quotes a reader may trim skipped over. The apostrophe goes right after the
    separator, so whatever the reader trims, the cell it sees starts with the apostrophe,
    which spreadsheets show as text. Text that only contains those characters elsewhere
    ("a=b", "Ñuñoa - Santiago") is left alone. Raises nothing.
    """
    text = "" if value is None else str(value)
    # Exports run this on millions of cells. A place to defuse needs one of the formula
    # starts that can follow a separator: most text has none (looking for each character
    # is far faster than any expression), and text with one ("Ñuñoa - Santiago") seldom
    # has it where a cell could start. A text that starts with CR or LF needs no search.
    if "-" in text or "=" in text or "+" in text or "@" in text or "|" in text or "\t" in text:
        for separator, defuse, defused in _UNSAFE_AFTER:
            if separator in text:
                text = defuse(defused, text)
        if _UNSAFE_AT_START.match(text):
            return "'" + text
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _SafeCells(dict):
    """:func:`safe_cell` for the cells of one export, remembering short texts (labels,
    titles, codes: the same few values row after row) with what they became: a writer
    looks a cell up (``known[cell]``, so cells are text, numbers or ``None``), and only a
    cell not there is made safe, and remembered if it is a short text."""

    #: Texts up to this long are remembered, at most this many at a time.
    SHORT, REMEMBERED = 100, 4096

    def __missing__(self, value) -> str:
        safe = safe_cell(value)
        # Only texts: 1, 1.0 and True are one key to a dict.
        if value.__class__ is str and len(value) <= self.SHORT:
            if len(self) >= self.REMEMBERED:
                self.clear()
            self[value] = safe
        return safe


@dataclass(frozen=True)
class Column:
    """A column of an exported table: its key (JSON, the open-data bundle), its title in
    the export's language, what it means (the data dictionary) and its Frictionless Data
    type (``string``, ``integer``, ``datetime``, ``date``)."""

    key: str
    title: str
    description: str = ""
    type: str = "string"
    #: The platform makes every value of this column in a grammar that cannot start a
    #: formula (pseudonyms, translated labels, section keys, times, numbers), so a CSV
    #: skips :func:`safe_cell` for it; anything people typed is never trusted.
    trusted: bool = False


@dataclass
class Table:
    """A table to export: a file name's stem (``name``), a translated title, its columns
    and its rows (any iterable of lists, read once, as the file is written)."""

    name: str
    title: str
    columns: list[Column]
    rows: Iterable

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def trusted(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.trusted]


#: What a suppressed count of people reads as in every file (see
#: ``consultations.tallies.services.suppress``), distinct from a real zero.
SUPPRESSED_CELL = "< 5"

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "json": "application/json",
    "zip": "application/zip",
}
FORMATS = ("csv", "xlsx", "ods", "json")


#: A CSV is encoded and written (or sent) in chunks of this many rows.
CSV_CHUNK = 128


def write_csv(handle, header: list[str], rows, trusted=()) -> None:
    """Write a CSV to the binary file ``handle``: the chunks of :func:`csv_chunks`."""
    for chunk in csv_chunks(header, rows, trusted):
        handle.write(chunk)


def csv_chunks(header: list[str], rows, trusted=()):
    """A CSV, as bytes: the byte-order mark and the header, then a chunk of
    :data:`CSV_CHUNK` rows at a time. UTF-8 with a byte-order mark (so
    spreadsheets read the accents), every cell made safe (:func:`safe_cell`) and quoted:
    with every field in quotes, a reader that splits on ';' and honours quotes still sees
    a ',' cell as one field where it can, and :func:`safe_cell` covers the places where it
    cannot. Rows are read as the chunks are asked for (a row that is a list is made safe
    in place); the columns whose indexes are in ``trusted`` (see :attr:`Column.trusted`)
    are written as they are.

    The lines are what :mod:`csv` writes with ``QUOTE_ALL`` and CRLF line ends (a field in
    quotes, a quote inside doubled, ``None`` as an empty field), joined here instead: the
    module copies and checks every character of every field one by one, which made it
    the largest part of a million-row export (:func:`csv_line`)."""
    trusted = set(trusted)
    checked = [i for i in range(len(header)) if i not in trusted]
    known = _SafeCells()
    yield ("\ufeff" + csv_line([safe_cell(h) for h in header])).encode()
    lines = []
    for row in rows:
        cells = row if row.__class__ is list else list(row)
        if not lines:
            # Columns of long texts (what people wrote) skip the lookup, which would
            # read the whole text to hash it: judged by the first row of each chunk.
            long = [i for i in checked if cells[i].__class__ is str and len(cells[i]) > known.SHORT]
            remembered = [i for i in checked if i not in long] if long else checked
        for i in remembered:
            cells[i] = known[cells[i]]
        for i in long:
            cells[i] = safe_cell(cells[i])
        # csv_line, inlined for the common case: every cell text, none with a quote.
        try:
            line = '","'.join(cells)
        except TypeError:
            line = None
        lines.append(f'"{line}"\r\n' if line and line.count('"') == 2 * len(cells) - 2 else csv_line(cells))
        if len(lines) >= CSV_CHUNK:
            yield "".join(lines).encode()
            lines.clear()
    if lines:
        yield "".join(lines).encode()


def csv_line(cells: list) -> str:
    """One CSV line of ``cells`` as :mod:`csv` writes it with ``QUOTE_ALL`` and CRLF line
    ends: each field in double quotes, a double quote inside one doubled, ``None`` as an
    empty field, anything else as ``str()`` gives it."""
    if not cells:
        return "\r\n"
    try:
        line = '","'.join(cells)
    except TypeError:
        cells = ["" if cell is None else str(cell) for cell in cells]
        line = '","'.join(cells)
    # The separators hold two quotes each: more, and some field has its own to double.
    if line.count('"') != 2 * len(cells) - 2:
        line = '","'.join([cell.replace('"', '""') for cell in cells])
    return f'"{line}"\r\n'


def _is_number(cell) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


#: Rows an XLSX export writes in its own process; from one more, a child process writes
#: the workbook while this one makes the rows (:mod:`core.xlsx_sheet`).
XLSX_ROWS_IN_PROCESS = 20_000
#: Rows sent to that child at a time.
XLSX_BATCH = 1000


def _ready_rows(rows, trusted: set):
    """``rows`` as :class:`core.xlsx_sheet.Sheet` writes them: texts made safe with
    :func:`safe_cell` (but in the columns whose indexes are in ``trusted``), numbers as
    they are, anything else as text (``None`` as an empty one)."""
    known = _SafeCells()
    for row in rows:
        ready = []
        for column, cell in enumerate(row):
            if cell.__class__ is str:
                ready.append(cell if column in trusted else known[cell])
            elif _is_number(cell):
                ready.append(cell)
            elif column in trusted:
                ready.append("" if cell is None else str(cell))
            else:
                ready.append(safe_cell(cell))
        yield ready


def write_xlsx(handle, header: list[str], rows, title: str = "", trusted=()) -> None:
    """Write an XLSX workbook to the binary file ``handle`` (:class:`core.xlsx_sheet.Sheet`:
    XlsxWriter in constant-memory mode, so memory stays flat). Every cell is written as a
    string or a number, never as a formula, and text cells also get :func:`safe_cell` (but
    for the columns whose indexes are in ``trusted``), so a copy saved as CSV from the
    spreadsheet is safe too.

    Up to :data:`XLSX_ROWS_IN_PROCESS` rows are written here; more, to a real file, by a
    child process (:func:`core.xlsx_sheet.start`), which takes a second core, while the
    rows are made here; where no child can be started, here too."""
    from core import xlsx_sheet

    header = [safe_cell(name) for name in header]
    ready = _ready_rows(rows, set(trusted))
    first = list(itertools.islice(ready, XLSX_ROWS_IN_PROCESS + 1))
    child = xlsx_sheet.start(handle, header, title) if len(first) > XLSX_ROWS_IN_PROCESS else None
    if child is None:
        sheet = xlsx_sheet.Sheet(handle, header, title)
        try:
            sheet.write(first)
            sheet.write(ready)
        finally:
            sheet.close()
        return
    try:
        batch = first
        while batch:
            child.write(batch)
            batch = list(itertools.islice(ready, XLSX_BATCH))
        child.close()
    except BaseException:
        child.stop()
        raise
    # The child wrote through a descriptor it shares with ``handle``: the file's end is
    # where the workbook ends.
    handle.seek(0, io.SEEK_END)


def write_ods(handle, header: list[str], rows, title: str = "") -> None:
    """Write an OpenDocument spreadsheet to the binary file ``handle`` with odfpy: strings
    as text cells (never formulas, and :func:`safe_cell` too), numbers as numbers. odfpy
    builds the document in memory before writing it, so ODS suits tables of up to some
    hundred thousand rows; the large ones have CSV and XLSX."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = OdsTable(name=sheet_title(title) or "1")

    def add(cells):
        line = TableRow()
        for cell in cells:
            if _is_number(cell):
                item = TableCell(valuetype="float", value=cell)
                item.addElement(P(text=str(cell)))
            else:
                item = TableCell(valuetype="string")
                item.addElement(P(text=safe_cell(cell)))
            line.addElement(item)
        sheet.addElement(line)

    add(header)
    for row in rows:
        add(row)
    document.spreadsheet.addElement(sheet)
    document.write(handle)


def write_json(handle, keys: list[str], rows) -> None:
    """Write a JSON array of objects, one per row, with ``keys``, as the rows come."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
    try:
        text.write("[")
        for number, row in enumerate(rows):
            text.write(
                ("," if number else "") + "\n" + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
            )
        text.write("\n]\n")
        text.flush()
    finally:
        text.detach()


def write_table(handle, fmt: str, table: Table) -> None:
    """Write ``table`` to the binary file ``handle`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "csv":
        write_csv(handle, table.header, table.rows, table.trusted)
    elif fmt == "xlsx":
        write_xlsx(handle, table.header, table.rows, table.title, table.trusted)
    elif fmt == "ods":
        write_ods(handle, table.header, table.rows, table.title)
    elif fmt == "json":
        write_json(handle, table.keys, table.rows)
    else:
        raise ValueError(fmt)


#: Downloads up to this size are answered from memory; larger ones from their temporary
#: file, read in blocks of ``BLOCK`` bytes as the client takes them (a WSGI server with
#: ``wsgi.file_wrapper`` may send the file its own way).
IN_MEMORY = 1024 * 1024
BLOCK = 256 * 1024


def temporary_file():
    """A temporary file (on disk, deleted when closed) for a download being written."""
    return tempfile.TemporaryFile()


def file_response(handle, filename: str, fmt: str) -> Response:
    """Send the written file ``handle`` as a download named ``filename``, never cached: a
    small file from memory (``handle`` is closed now); a large one read from disk in
    blocks as the client takes it, so memory stays flat (``handle`` is closed with the
    response, as WSGI servers do)."""
    size = handle.tell()
    handle.seek(0)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if size <= IN_MEMORY:
        try:
            return Response(handle.read(), mimetype=MIMETYPES[fmt], headers=headers)
        finally:
            handle.close()
    body = wrap_file(request.environ, handle, buffer_size=BLOCK)
    response = Response(body, mimetype=MIMETYPES[fmt], headers=headers, direct_passthrough=True)
    response.content_length = size
    return response


def table_response(filename: str, fmt: str, table: Table, stream: bool = False) -> Response:
    """``table`` as a download in ``fmt``: the rows are read and written to a temporary
    file inside the request (so the database session is still there), which is then
    sent; or, for a CSV with ``stream``, see :func:`streamed_csv_response`. Raises nothing
    (whatever iterating the rows raises propagates)."""
    if stream and fmt == "csv":
        return streamed_csv_response(filename, table)
    handle = temporary_file()
    try:
        write_table(handle, fmt, table)
    except BaseException:
        handle.close()
        raise
    return file_response(handle, filename, fmt)


def streamed_csv_response(filename: str, table: Table) -> Response:
    """``table`` as a CSV download sent as it is written (:func:`csv_chunks`), never
    cached: nothing is kept, on disk or in memory, and the rows are read as the client
    takes the file, within the request's context (:func:`flask.stream_with_context`) but
    after the view has returned and the request has committed. So the rows must read the
    database themselves as they are iterated (the commit expires the objects the view
    loaded), and a failure while they are read cuts the download short instead of
    answering with an error page. Raises nothing."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    body = stream_with_context(csv_chunks(table.header, table.rows, table.trusted))
    return Response(body, mimetype=MIMETYPES["csv"], headers=headers)


def _untitled(name: str, header: list[str], rows) -> Table:
    return Table(name, "", [Column(f"c{i}", title) for i, title in enumerate(header)], rows)


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A CSV download (:func:`write_csv`)."""
    return table_response(filename, "csv", _untitled(filename, header, rows))


def xlsx_response(filename: str, header: list[str], rows) -> Response:
    """An XLSX download (:func:`write_xlsx`)."""
    return table_response(filename, "xlsx", _untitled(filename, header, rows))


def bundle(handle, tables: list[Table], texts: dict[str, str], descriptor: dict) -> None:
    """Write an open-data bundle to the binary file ``handle``: a ZIP with one CSV per
    table (:func:`write_csv`, written into the archive as the rows come), the text files
    in ``texts`` (``{path: content}``: the licence, a read-me, the data dictionary) and a
    Frictionless Data ``datapackage.json`` describing each CSV with its columns' names,
    titles, descriptions and types (``descriptor`` gives the package's own fields)."""
    resources = []
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            path = f"{table.name}.csv"
            with archive.open(path, "w", force_zip64=True) as member:
                write_csv(member, table.header, table.rows)
            resources.append(
                {
                    "name": table.name,
                    "title": str(table.title),
                    "path": path,
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8-sig",
                    "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                    "schema": {
                        "fields": [
                            {"name": c.key, "title": str(c.title), "description": str(c.description), "type": c.type}
                            for c in table.columns
                        ],
                        "missingValues": ["", SUPPRESSED_CELL],
                    },
                }
            )
        for path, content in texts.items():
            archive.writestr(path, content)
        package = {**descriptor, "resources": resources}
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2) + "\n")


def dictionary_rows(tables: list[Table]):
    """The rows of a data dictionary: table, column key, title, type, description."""
    for table in tables:
        for column in table.columns:
            yield [f"{table.name}.csv", column.key, column.title, column.type, column.description]
