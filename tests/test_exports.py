"""Downloads that leave the platform: cells that cannot run as formulas, pseudonyms
instead of names, and the CSV response itself."""

import csv
import io
import random
import re
import string
import zipfile
import zlib
from xml.etree import ElementTree

import pytest

from core.exports import csv_line, csv_response, pseudonym, safe_cell, write_csv, write_xlsx


@pytest.mark.parametrize(
    "value",
    ["=SUM(A1:A9)", "+56 9 1234 5678", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "\ncmd", "|cmd", "=", "-"],
)
def test_safe_cell_defuses_formula_starts(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Hola", "Hola"),
        ("", ""),
        (None, ""),
        ("a=b", "a=b"),
        ("Ñuñoa - Santiago", "Ñuñoa - Santiago"),
        ("'=ya escapada", "'=ya escapada"),
        (42, "42"),
        (0, "0"),
        (3.5, "3.5"),
        (True, "True"),
    ],
)
def test_safe_cell_leaves_other_values_alone(value, expected):
    assert safe_cell(value) == expected


def test_pseudonym_is_stable_and_distinct(app):
    with app.app_context():
        label = pseudonym("user", 7)
        assert label == pseudonym("user", 7)
        assert label.startswith("P-") and len(label) == 12
        assert set(label[2:]) <= set(string.hexdigits.lower())
        assert pseudonym("attendee", 7) != label
        assert pseudonym("user", 8) != label
        labels = {pseudonym(kind, n) for kind in ("user", "attendee") for n in range(1, 201)}
        assert len(labels) == 400
        assert "123456" not in pseudonym("user", 123456)


def test_pseudonym_depends_on_the_secret_key(app, monkeypatch):
    with app.app_context():
        before = pseudonym("user", 7), pseudonym("attendee", 7)
        monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
        after = pseudonym("user", 7), pseudonym("attendee", 7)
        assert after[0] != before[0] and after[1] != before[1]
        assert all(p.startswith("P-") and len(p) == 12 for p in after)
        monkeypatch.setitem(app.config, "SECRET_KEY", "test-secret")
        assert (pseudonym("user", 7), pseudonym("attendee", 7)) == before


def test_csv_response_has_a_bom_crlf_lines_and_safe_cells(app):
    rows = (row for row in [["Ana", '=HYPERLINK("http://x")', 3], ["Luis, hijo", None, 12], ["+56", "ok", 0]])
    with app.test_request_context():
        response = csv_response("aportes.csv", ["Nombre", "@Texto", "Puntos"], rows)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="aportes.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")
    assert text.startswith('\ufeff"Nombre",')
    assert text.endswith("\r\n")
    body = text[1:]
    lines = body.split("\r\n")
    assert lines[-1] == "" and len(lines) == 5
    assert "\n" not in body.replace("\r\n", "")
    # Every field is quoted, so a reader splitting on ';' that honours quotes sees one field.
    assert lines[0] == '"Nombre","\'@Texto","Puntos"'
    assert lines[1] == '"Ana","\'=HYPERLINK(""http://x"")","3"'
    assert lines[2] == '"Luis, hijo","","12"'
    assert lines[3] == '"\'+56","ok","0"'
    parsed = list(csv.reader(io.StringIO(body, newline="")))
    assert parsed == [
        ["Nombre", "'@Texto", "Puntos"],
        ["Ana", '\'=HYPERLINK("http://x")', "3"],
        ["Luis, hijo", "", "12"],
        ["'+56", "ok", "0"],
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Opinión;=HYPERLINK(1)", "Opinión;'=HYPERLINK(1)"),
        ("a, =1+1", "a,' =1+1"),
        ('a,"=1+1', "a,'\"=1+1"),
        ('x; " @SUM(A1)', "x;' \" @SUM(A1)"),
        ("primera\n=1+1", "primera\n'=1+1"),
        ("primera\r\n-1", "primera\r\n'-1"),
        ("a;\tcmd", "a;'\tcmd"),
        ("a;;|cmd", "a;;'|cmd"),
        (" =1+1", "' =1+1"),
        ("Luis, hijo; y otros", "Luis, hijo; y otros"),
        ("3-2, 5+1", "3-2, 5+1"),
    ],
)
def test_safe_cell_defuses_formula_starts_after_separators(value, expected):
    assert safe_cell(value) == expected


#: Cells written to defeat one reader or another: formulas after ',' or ';', behind
#: quotes and spaces, after line breaks, and quotes that close a field early.
NASTY = [
    "=1+1",
    'Opinión;=HYPERLINK("http://x","clic")',
    "texto, =cmd|' /C calc'!A0",
    'a,"=1+1',
    'a;"=1+1',
    'a"; -1+1',
    'cierra" ,=2+2',
    'x;" "  +3',
    "línea\n=1+1",
    "línea\r\n@SUM(A1)",
    "línea\r-1",
    "tab;\t=1",
    ";;;=1",
    ",,,+1",
    '"=1"',
    '""";=1',
    "\u00a0;\u00a0=1",
    "normal; texto, sin fórmulas",
    42,
    -3,
    None,
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")


def _fields_every_way(body: str):
    """Every field any of the readers sees: csv with ',' and with ';', and naive splits
    of each line on ',' and on ';'."""
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter):
            yield from row
    for line in re.split(r"\r\n|\r|\n", body):
        for delimiter in (",", ";"):
            yield from line.split(delimiter)


def test_csv_stays_safe_however_a_spreadsheet_splits_it(app):
    rows = [NASTY[i : i + 3] for i in range(0, len(NASTY), 3)]
    with app.test_request_context():
        response = csv_response("x.csv", ["=Nombre", "Texto;=1", "Otro"], rows)
    body = response.get_data(as_text=True).lstrip("\ufeff")
    fields = list(_fields_every_way(body))
    assert len(fields) > 100
    for field in fields:
        shown = field.strip(' "\u00a0')
        assert not shown.startswith(FORMULA_START), (field, body)
    # A reader that splits where the file says gets every cell back, made safe.
    parsed = list(csv.reader(io.StringIO(body, newline="")))
    assert parsed[1] == [safe_cell(v) for v in NASTY[:3]]
    assert len(parsed) == 1 + len(rows)


# The fast paths of the writers against their definitions --------------------------------

#: safe_cell as first written: one substitution over the whole text, then the start.
_DEFINITION = re.compile(r"(^|[,;\r\n])((?:[^\S\t\r\n]|\")*)(?=[=+\-@|\t])")


def _safe_by_definition(value) -> str:
    text = "" if value is None else str(value)
    text = _DEFINITION.sub(lambda m: m.group(1) + "'" + m.group(2), text)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "|")) else text


def test_safe_cell_is_exactly_its_definition_on_any_text():
    """safe_cell skips the substitution when quick scans find no place to defuse: on
    every text over the characters that matter, it gives what the definition gives."""
    rng = random.Random(11)
    alphabet = list("ab ,;\"'=+-@|\t\r\n\u00a0\u2003x")
    for _ in range(100_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert safe_cell(text) == _safe_by_definition(text), repr(text)
    for value in [*NASTY, 3.5, True, "", "'=ya escapada"]:
        assert safe_cell(value) == _safe_by_definition(value), repr(value)


def test_csv_lines_are_what_the_csv_module_writes():
    """write_csv joins its lines itself (the csv module was the largest cost of a large
    export): the file is byte for byte what csv.writer writes with QUOTE_ALL."""
    rng = random.Random(5)
    values = ["", "a", '"', 'a"b', '","', ",", ";", "\r\n", "ñ", None, 0, 12, -3, 2.5, True]
    rows = [[rng.choice(values) for _ in range(4)] for _ in range(2000)]
    rows += [("tupla", None, 1, '"'), ["", "", "", ""]]
    handle = io.BytesIO()
    write_csv(handle, ["A", "B", "C", "D"], (list(row) for row in rows), trusted=range(4))
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["A", "B", "C", "D"])
    writer.writerows(rows)
    assert handle.getvalue() == b"\xef\xbb\xbf" + expected.getvalue().encode()
    for row in ([], [""], ['"', None], ['"","']):
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(row)
        assert csv_line(list(row)) == expected.getvalue(), row


def test_every_cell_that_is_not_trusted_is_made_safe_however_often_it_repeats():
    """Short texts are remembered with what they became: the same value in many rows,
    or as a number, or in a trusted column, comes out as safe_cell (or as it is) says."""
    rows = [("=A1", "=A1", 7, "-x, =y " * 30), ("=A1", "@B", None, "ok")] * 600
    handle = io.BytesIO()
    write_csv(handle, ["uno", "dos", "tres", "cuatro"], iter(rows), trusted=[1])
    parsed = list(csv.reader(io.StringIO(handle.getvalue().decode("utf-8-sig"), newline="")))
    assert len(parsed) == 1 + len(rows)
    for row, line in zip(rows, parsed[1:], strict=True):
        assert line == [safe_cell(row[0]), str(row[1]), safe_cell(row[2]), safe_cell(row[3])]


# XLSX ------------------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_cells(data: bytes) -> list[list[tuple]]:
    """Each row of the first sheet: (type, formula or None, the text of its <t> pieces)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        root = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    return [
        [
            (c.get("t"), c.find(_MAIN + "f"), "".join(t.text or "" for t in c.iter(_MAIN + "t")))
            for c in row.iter(_MAIN + "c")
        ]
        for row in root.iter(_MAIN + "row")
    ]


def test_xlsx_text_that_looks_like_xlsxwriter_xml_stays_text():
    """In constant-memory mode XlsxWriter copies a string that starts with <r> and ends
    with </r> into the sheet as it is: a contribution written that way must not add a
    cell, let alone a formula, and must read back as it was written."""
    evil = '<r><t>x</t></r></is></c><c r="B2"><f>HYPERLINK("http://x.example","clic")</f></c><c><is><r><t>y</t></r>'
    header = ["<r>Texto</r>", "Otro"]
    rows = [[evil, " <r> a </r> "], ["<r></r>", "<r>"], [evil, 3]]
    handle = io.BytesIO()
    write_xlsx(handle, header, iter(rows), "Aportes", trusted=[1])
    cells = _sheet_cells(handle.getvalue())
    assert b"<f>" not in zipfile.ZipFile(handle).read("xl/worksheets/sheet1.xml")
    assert [[text for _type, _formula, text in row] for row in cells] == [
        header,
        [evil, " <r> a </r> "],
        ["<r></r>", "<r>"],
        [evil, ""],
    ]
    assert all(formula is None for row in cells for _type, formula, _text in row)
    assert cells[3][1][0] is None and cells[1][0][0] == "inlineStr"


def test_xlsx_is_deflated_at_the_quick_level():
    """XlsxWriter has no setting for its zlib level: core.xlsx_sheet points the name its
    workbook module zips with at a subclass. If a release of XlsxWriter packs another way,
    files silently go back to the slow default: this fails to say so."""
    import xlsxwriter.workbook

    from core import xlsx_sheet

    rng = random.Random(3)
    words = ["participación", "vecinal", "propuesta", "barrio", "consulta", "presupuesto", "obras", "datos"]
    rows = ([" ".join(rng.choice(words) for _ in range(40)), n] for n in range(3000))
    handle = io.BytesIO()
    write_xlsx(handle, ["Texto", "N"], rows)
    assert xlsxwriter.workbook.ZipFile is xlsx_sheet._QuickZipFile
    with zipfile.ZipFile(handle) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
        sheet = book.read(info)
    assert info.compress_type == zipfile.ZIP_DEFLATED

    def deflated(level):
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(compressor.compress(sheet) + compressor.flush())

    quick, default = deflated(xlsx_sheet.XLSX_COMPRESSLEVEL), deflated(zlib.Z_DEFAULT_COMPRESSION)
    assert default < quick * 0.95, "the sample tells the two levels apart"
    assert abs(info.compress_size - quick) < abs(info.compress_size - default)


def test_the_xlsx_writer_calls_what_the_public_methods_call():
    """write_xlsx calls XlsxWriter's undecorated _write_string and _write_number (what
    write_string and write_number call once the cell is in numbers): this fails if a
    release stops doing it that way, before exports break or slow down."""
    import inspect

    from xlsxwriter.worksheet import Worksheet

    assert "self._write_string(row, col, string, cell_format)" in inspect.getsource(Worksheet.write_string)
    assert "self._write_number(row, col, number, cell_format)" in inspect.getsource(Worksheet.write_number)


def _book(data: bytes) -> list[list]:
    """Each row's cells as read back: texts as text, numbers as numbers; a formula would
    fail the test."""
    rows = []
    for row in _sheet_cells(data):
        rows.append([text for _type, formula, text in row])
        assert all(formula is None for _type, formula, _text in row)
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml"))
    for cells, row in zip(rows, root.iter(_MAIN + "row"), strict=True):
        for i, cell in enumerate(row.iter(_MAIN + "c")):
            if cell.get("t") is None:
                cells[i] = float(cell.find(_MAIN + "v").text)
    return rows


def _large_rows(count: int):
    for n in range(count):
        yield [f'=HYPERLINK("x{n}")', n, "<r>rico</r>" if n % 7 == 0 else f"texto {n}", None, 2.5, True]


def test_a_large_xlsx_is_written_by_a_child_process_the_same_way(monkeypatch, tmp_path):
    """Past XLSX_ROWS_IN_PROCESS rows, a child process writes the workbook to the same file
    (core/xlsx_sheet.py): the same cells as written here, made safe here, the file's end
    where the workbook ends."""
    from core import exports, xlsx_sheet

    started = []
    original = xlsx_sheet.start
    monkeypatch.setattr(xlsx_sheet, "start", lambda *args: started.append(original(*args)) or started[-1])
    monkeypatch.setattr(exports, "XLSX_BATCH", 7)
    header = ["=Texto", "N", "Rico", "Nada", "Real", "Sí"]
    books = {}
    for limit in (100, 10):
        monkeypatch.setattr(exports, "XLSX_ROWS_IN_PROCESS", limit)
        with open(tmp_path / f"{limit}.xlsx", "w+b") as handle:
            handle.write(b"")
            write_xlsx(handle, header, _large_rows(40), "Aportes", trusted=[3])
            assert handle.tell() == (tmp_path / f"{limit}.xlsx").stat().st_size
        books[limit] = _book((tmp_path / f"{limit}.xlsx").read_bytes())
    assert started[0] is not None and started[0].process.returncode == 0, "one child, for the larger table"
    assert len(started) == 1
    assert books[10] == books[100]
    rows = books[10]
    assert rows[0] == ["'=Texto", "N", "Rico", "Nada", "Real", "Sí"]
    assert rows[1] == ['\'=HYPERLINK("x0")', 0, "<r>rico</r>", "", 2.5, "True"]
    assert rows[40][:3] == ['\'=HYPERLINK("x39")', 39, "texto 39"]
    assert len(rows) == 41


def test_an_xlsx_goes_on_in_process_where_no_child_can_start(monkeypatch, tmp_path):
    """No interpreter to start (Python embedded elsewhere): the workbook is written here."""
    from core import exports

    monkeypatch.setattr(exports, "XLSX_ROWS_IN_PROCESS", 5)
    monkeypatch.setattr("sys.executable", "")
    with open(tmp_path / "a.xlsx", "w+b") as handle:
        write_xlsx(handle, ["T", "N"], ([f"t{n}", n] for n in range(12)))
    assert _book((tmp_path / "a.xlsx").read_bytes())[12] == ["t11", 11.0]


def test_a_failing_child_is_reported_and_stopped(monkeypatch, tmp_path):
    """A child that dies while rows are sent: a RuntimeError with what it said, no
    process left behind; rows that fail to be made stop the child too."""
    from core import exports, xlsx_sheet

    monkeypatch.setattr(exports, "XLSX_ROWS_IN_PROCESS", 5)
    monkeypatch.setattr(exports, "XLSX_BATCH", 2)
    started = []
    original = xlsx_sheet.start
    monkeypatch.setattr(xlsx_sheet, "start", lambda *args: started.append(original(*args)) or started[-1])

    def rows_then_child_killed():
        for n in range(200_000):
            if n == 10:
                started[0].process.kill()
                started[0].process.wait()
            yield [f"t{n}", n]

    with open(tmp_path / "a.xlsx", "w+b") as handle, pytest.raises(RuntimeError, match="spreadsheet"):
        write_xlsx(handle, ["T", "N"], rows_then_child_killed())
    assert started[0].process.returncode is not None

    def rows_then_error():
        for n in range(20):
            yield [f"t{n}", n]
        raise ValueError("the database went away")

    with open(tmp_path / "b.xlsx", "w+b") as handle, pytest.raises(ValueError, match="went away"):
        write_xlsx(handle, ["T", "N"], rows_then_error())
    assert started[1].process.returncode is not None
