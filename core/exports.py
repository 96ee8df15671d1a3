"""Downloads that leave the platform: pseudonyms instead of names, and spreadsheet cells
that cannot run as formulas."""

import csv
import hashlib
import hmac
import io
import json
import re

from flask import Response, current_app

#: First characters a spreadsheet reads as the start of a formula (or of a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")

#: A place where a spreadsheet may start a cell: the start of the text, or just after a
#: separator that some reader splits on (',' or ';') or a line break; then the run of
#: spaces and double quotes that a reader may trim (not tabs: a tab is itself a formula
#: start, and not line breaks: each is a place of its own); then a formula start.
#: The apostrophe goes right after the place, before the run.
_UNSAFE_START = re.compile(r"(^|[,;\r\n])((?:[^\S\t\r\n]|\")*)(?=[=+\-@|\t])")


def pseudonym(kind: str, ident: int) -> str:
    """A stable, non-reversible label for a person (``kind`` "user" or "attendee"), the
    same in every export of this platform and useless without its secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:10]}"


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
    text = _UNSAFE_START.sub(lambda match: match.group(1) + "'" + match.group(2), text)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheets read the accents)
    with every cell made safe (:func:`safe_cell`) and quoted: with every field in quotes,
    a reader that splits on ';' and honours quotes still sees a ',' cell as one field where
    it can, and :func:`safe_cell` covers the places where it cannot. Raises nothing
    (whatever iterating ``rows`` raises propagates)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def xlsx_response(filename: str, header: list[str], rows) -> Response:
    """An XLSX download written by XlsxWriter in constant-memory mode (rows go to disk as
    they come). Every cell is written as a string or a number, never as a formula, and
    text cells also get :func:`safe_cell`, so a copy saved as CSV from the spreadsheet is
    safe too. Raises nothing (whatever iterating ``rows`` raises propagates)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False})
    try:
        sheet = workbook.add_worksheet()
        bold = workbook.add_format({"bold": True})
        for column, title in enumerate(header):
            sheet.write_string(0, column, safe_cell(title), bold)
        for number, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                if isinstance(cell, int | float) and not isinstance(cell, bool):
                    sheet.write_number(number, column, cell)
                else:
                    sheet.write_string(number, column, safe_cell(cell))
    finally:
        workbook.close()
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def json_response(filename: str, keys: list[str], rows) -> Response:
    """A JSON download: an array of objects, one per row, with ``keys``. Raises nothing
    (whatever iterating ``rows`` raises propagates)."""
    body = json.dumps([dict(zip(keys, row, strict=True)) for row in rows], ensure_ascii=False, indent=1)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
