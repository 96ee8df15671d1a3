"""Downloads that leave the platform: pseudonyms instead of names, and spreadsheet cells
that cannot run as formulas."""

import csv
import hashlib
import hmac
import io

from flask import Response, current_app

#: First characters a spreadsheet reads as the start of a formula (or of a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|")


def pseudonym(kind: str, ident: int) -> str:
    """A stable, non-reversible label for a person (``kind`` "user" or "attendee"), the
    same in every export of this platform and useless without its secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:10]}"


def safe_cell(value) -> str:
    """``value`` as text a spreadsheet shows as text: a leading formula character gets an
    apostrophe in front (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheets read the accents)
    with every cell made safe."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
