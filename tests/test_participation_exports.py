"""Downloads of a process's participation: contributions and participants, by pseudonym,
with names only for a reason (audited), formula-safe, with local times and their zone."""

import csv
import io
import json
import random
import re
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from consultations.tallies import services as tallies
from core.audit import AuditEntry
from core.exports import pseudonym
from core.extensions import db
from tests.conftest import login

EN = {"Accept-Language": "en"}


def _world(app, factory, personas, places):
    process = factory.process(title="Proceso 2016-2018")
    forum = factory.forum("citizen", places["home"], process)
    factory.thread(forum, personas["citizen"].id, text='=HYPERLINK("http://x") aporte {n}')
    factory.thread(forum, personas["staff"].id, text="Otro aporte {n}; =1+1")
    return process


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_contributions_csv_uses_pseudonyms_local_times_and_is_formula_safe(app, client, factory, personas, places):
    process = _world(app, factory, personas, places)
    login(client, personas["facilitator"])
    response = client.get(f"/consultations/processes/{process}/export/contributions.csv", headers=EN)
    assert 'filename="contributions-proceso-2016-2018-' in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:3] == ["Participant", "Profile", "Municipality"] and header[-1] == "Text"
    with app.app_context():
        expected = {pseudonym("user", personas["citizen"].id), pseudonym("user", personas["staff"].id)}
    assert {row[0] for row in rows} == expected
    assert all(personas[r].name not in response.get_data(as_text=True) for r in ("citizen", "staff"))
    texts = {row[-1] for row in rows}
    assert '\'=HYPERLINK("http://x") aporte 1' in texts and "Otro aporte 1;' =1+1" in texts
    assert all(row[9].endswith(("-03:00", "-04:00")) for row in rows), [row[9] for row in rows]
    assert {row[3] for row in rows} == {"Citizen forums"}


def test_names_need_a_reason_which_is_audited(app, client, factory, personas, places):
    process = _world(app, factory, personas, places)
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{process}/export/participants.csv"
    refused = client.post(url, data={"reason": ""})
    assert refused.status_code == 303
    named = client.post(url, data={"reason": "Informe al Consejo"}, headers=EN)
    header, *rows = _csv(named)
    assert {row[0] for row in rows} == {personas["citizen"].name, personas["staff"].name}
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.names")).all()
        assert [e.detail["note"] for e in entries] == ["Informe al Consejo"]


def test_contributions_with_names_name_each_author(app, client, factory, personas, places):
    process = _world(app, factory, personas, places)
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{process}/export/contributions.csv"
    header, *rows = _csv(client.post(url, data={"reason": "Informe al Consejo"}, headers=EN))
    assert len(rows) == 2 and {row[0] for row in rows} == {personas["citizen"].name, personas["staff"].name}


def test_participants_are_counted_once_in_every_format(app, client, factory, personas, places):
    process = _world(app, factory, personas, places)
    factory.thread(factory.forum("citizen", places["home"], process), personas["citizen"].id)
    login(client, personas["facilitator"])
    base = f"/consultations/processes/{process}/export/participants"
    with app.app_context():
        people = tallies.summary(process).participants
    header, *rows = _csv(client.get(base + ".csv", headers=EN))
    assert len(rows) == people == 2
    data = json.loads(client.get(base + ".json").get_data(as_text=True))
    assert len(data) == 2 and set(data[0]) == {
        "participant",
        "profile",
        "municipality",
        "space_kinds",
        "spaces",
        "contributions",
        "channels",
        "first",
        "last",
    }
    citizen = next(d for d in data if d["participant"] == pseudonym_of(app, personas["citizen"].id))
    assert citizen["spaces"] == 2 and citizen["contributions"] == 2
    xlsx = client.get(base + ".xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def pseudonym_of(app, user_id):
    with app.app_context():
        return pseudonym("user", user_id)


def test_exports_are_for_facilitators(client, factory, personas, places, app):
    process = _world(app, factory, personas, places)
    login(client, personas["citizen"])
    assert client.get(f"/consultations/processes/{process}/export/contributions.csv").status_code == 403


def test_cli_export_writes_the_file_row_by_row(app, runner, factory, personas, places, tmp_path):
    process = _world(app, factory, personas, places)
    target = tmp_path / "aportes.csv"
    result = runner.invoke(args=["consultations", "export", str(process), "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(header) == 11 and len(rows) == 2
    assert '\'=HYPERLINK("http://x") aporte 1' in {row[-1] for row in rows}
    people = tmp_path / "participantes.json"
    result = runner.invoke(
        args=["consultations", "export", str(process), "--table", "participants", "--format", "json", "-o", str(people)]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(people.read_text(encoding="utf-8"))) == 2
    assert runner.invoke(args=["consultations", "export", "999999"]).exit_code != 0


# Tables of counts, every format, the open-data bundle ------------------------------------


def _demo(app, runner):
    from accounts.models import Process

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        (process_id,) = db.session.scalars(select(Process.id)).all()
    return process_id


def _rows(response):
    header, *rows = _csv(response)
    return header, rows


def test_every_table_in_every_format_on_the_demo(app, runner, client):
    """Each table downloads as CSV, XLSX, ODS and JSON with the same rows, translated
    labels, strings that never become formulas and a file name that says what it is."""
    from odf.opendocument import load as load_ods
    from odf.table import TableRow

    process = _demo(app, runner)
    login(client, "facilitadora@demo.cocrea.cl", "demo-facilita-2016")
    for table in ("contributions", "participants", "summary", "codebook", "rounds", "changes"):
        base = f"/consultations/processes/{process}/export/{table}"
        header, rows = _rows(client.get(base + ".csv", headers=EN))
        assert rows, table
        data = json.loads(client.get(base + ".json", headers=EN).get_data(as_text=True))
        assert len(data) == len(rows), table
        xlsx = client.get(base + ".xlsx", headers=EN)
        assert xlsx.mimetype.endswith("spreadsheetml.sheet")
        with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and sheet.count("<row ") == len(rows) + 1, table
        ods = client.get(base + ".ods", headers=EN)
        assert ods.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
        document = load_ods(io.BytesIO(ods.data))
        assert len(document.spreadsheet.getElementsByType(TableRow)) == len(rows) + 1, table
        assert b"formula" not in zipfile.ZipFile(io.BytesIO(ods.data)).read("content.xml")
    spanish = client.get(f"/consultations/processes/{process}/export/summary.xlsx")
    assert "participacion-" in spanish.headers["Content-Disposition"]
    assert spanish.headers["Content-Disposition"].endswith('.xlsx"')


def test_the_summary_export_suppresses_small_counts_unless_internal(app, runner, client):
    process = _demo(app, runner)
    login(client, "facilitadora@demo.cocrea.cl", "demo-facilita-2016")
    base = f"/consultations/processes/{process}/export/summary.csv"
    header, public = _rows(client.get(base, headers=EN))
    assert header == ["Breakdown", "Value", "Participants", "Contributions", "Spaces"]
    internal_response = client.get(base + "?internal=1", headers=EN)
    assert "summary" not in internal_response.headers["Content-Disposition"]
    assert "participation-internal-" in internal_response.headers["Content-Disposition"]
    _header, internal = _rows(internal_response)
    assert [row[:2] for row in public] == [row[:2] for row in internal]
    exact = {tuple(row[:2]): row[2] for row in internal}
    shown = {tuple(row[:2]): row[2] for row in public}
    small = [key for key, value in exact.items() if 0 < int(value) < 5]
    assert small, "the demo has small cells"
    assert all(shown[key] == "< 5" for key in small)
    assert all(shown[key] in ("< 5", value) for key, value in exact.items())
    assert shown[("Total", "All participants")] == exact[("Total", "All participants")]
    assert int(exact[("Total", "All participants")]) >= 133 + 116
    months = [row for row in public if row[0] == "Month"]
    assert months and all(len(row[1]) == 7 for row in months)


def test_codebook_rounds_and_changes_tables_count_what_the_demo_did(app, runner, client):
    from consultations.coding.models import Coding, Theme
    from consultations.revisions.models import Change

    process = _demo(app, runner)
    login(client, "facilitadora@demo.cocrea.cl", "demo-facilita-2016")
    base = f"/consultations/processes/{process}/export/"
    codebook = json.loads(client.get(base + "codebook.json?internal=1", headers=EN).get_data(as_text=True))
    with app.app_context():
        themes = db.session.scalar(select(func_count(Theme.id)).where(Theme.process_id == process))
        coded = dict(
            db.session.execute(
                select(Theme.code, func_count(Coding.contribution_id.distinct()))
                .join(Coding, Coding.theme_id == Theme.id)
                .group_by(Theme.code)
            )
            .tuples()
            .all()
        )
        changes = db.session.scalar(select(func_count(Change.id)))
    assert len(codebook) == themes
    assert {row["code"]: row["contributions"] for row in codebook if row["code"] in coded} == coded
    tops = [row for row in codebook if not row["parent"]]
    assert all(row["contributions_with_subthemes"] >= row["contributions"] for row in tops)
    rounds = json.loads(client.get(base + "rounds.json", headers=EN).get_data(as_text=True))
    committee = next(r for r in rounds if r["audience"] == "Advisory committee")
    assert committee["comments"] > 0 and committee["participants"] in ("< 5", 5, 6)
    record = json.loads(client.get(base + "changes.json?internal=1", headers=EN).get_data(as_text=True))
    assert len(record) == changes and all(row["behind"] >= row["cited"] for row in record)
    assert {row["editorial"] for row in record} <= {"yes", "no"}


def func_count(column):
    from sqlalchemy import func

    return func.count(column)


def test_open_data_bundle_is_for_anyone_and_names_nobody(app, runner, client):
    process = _demo(app, runner)
    response = client.get(f"/consultations/processes/{process}/open-data.zip", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "open-data-" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        names = set(bundle.namelist())
        package = json.loads(bundle.read("datapackage.json"))
        files = {name: bundle.read(name).decode("utf-8-sig") for name in names}
    assert {"participation.csv", "codebook.csv", "comment-rounds.csv", "revision-record.csv"} <= names
    assert {"data-dictionary.csv", "readme.txt", "licence.txt", "datapackage.json"} <= names
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    everything = "".join(files.values())
    assert not re.search(r"\bP-[0-9a-f]{10}\b", everything) and "@demo.cocrea.cl" not in everything
    dictionary = list(csv.reader(io.StringIO(files["data-dictionary.csv"])))
    described = {(row[0], row[1]) for row in dictionary[1:]}
    for resource in package["resources"]:
        header = next(csv.reader(io.StringIO(files[resource["path"]])))
        fields = resource["schema"]["fields"]
        assert header == [f["title"] for f in fields], resource["name"]
        assert all(f["description"] for f in fields)
        if resource["path"] != "data-dictionary.csv":
            assert {(resource["path"], f["name"]) for f in fields} <= described
        assert "< 5" in resource["schema"]["missingValues"]
    summary = list(csv.reader(io.StringIO(files["participation.csv"])))
    assert any(row[2] == "< 5" for row in summary[1:]), "small cells are suppressed"
    assert "drafts" not in files["revision-record.csv"].lower()
    spanish = client.get(f"/consultations/processes/{process}/open-data.zip")
    with zipfile.ZipFile(io.BytesIO(spanish.data)) as bundle:
        assert "participacion.csv" in bundle.namelist() and "licencia.txt" in bundle.namelist()


def test_large_downloads_are_sent_from_disk_in_blocks(app, client, factory, personas, places, monkeypatch):
    from core import exports as core_exports

    process = _world(app, factory, personas, places)
    login(client, personas["facilitator"])
    small = client.get(f"/consultations/processes/{process}/export/contributions.json")
    monkeypatch.setattr(core_exports, "IN_MEMORY", 10)
    response = client.get(f"/consultations/processes/{process}/export/contributions.json")
    try:
        assert response.content_length == len(small.data) and response.data == small.data
    finally:
        response.close()
    monkeypatch.setattr(core_exports, "BLOCK", 16 * 1024)
    rows = ([n, "texto " * 20] for n in range(2000))
    with app.test_request_context():
        sent = core_exports.csv_response("grande.csv", ["N", "Texto"], rows)
        try:
            assert sent.direct_passthrough and sent.content_length > 200_000
            assert sent.headers["Cache-Control"] == "no-store" and sent.mimetype == "text/csv"
            chunks = list(sent.response)
            assert len(chunks) > 10, "read in blocks, not at once"
            assert all(len(chunk) <= 16 * 1024 for chunk in chunks)
            body = b"".join(chunks).decode("utf-8-sig")
            assert body.count("\r\n") == 2001 and body.startswith('"N","Texto"')
        finally:
            sent.close()


def test_a_table_as_csv_is_sent_as_it_is_written(app, client, factory, personas, places, monkeypatch):
    """A table's CSV goes out a chunk of rows at a time as the rows are read, with no
    temporary file: the same bytes as the file the CLI writes."""
    from consultations.exports import services as exports
    from core import exports as core_exports

    process = _world(app, factory, personas, places)
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{process}/export/contributions.csv"
    monkeypatch.setattr(core_exports, "CSV_CHUNK", 1)

    def no_file():
        raise AssertionError("a streamed CSV needs no temporary file")

    monkeypatch.setattr(core_exports, "temporary_file", no_file)
    response = client.get(url, headers=EN)
    try:
        assert response.status_code == 200 and response.is_streamed and response.content_length is None
        assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "text/csv"
        assert 'filename="contributions-proceso-' in response.headers["Content-Disposition"]
        chunks = list(response.response)
    finally:
        response.close()
    # The byte-order mark and the header, then one chunk per row.
    assert len(chunks) == 3 and chunks[0].startswith(b'\xef\xbb\xbf"Participant",')
    with app.test_request_context(headers=EN):
        written = io.BytesIO()
        core_exports.write_table(written, "csv", exports.contributions(process))
    assert b"".join(chunks) == written.getvalue()
    named = client.post(url, data={"reason": "Informe"}, headers=EN)
    assert named.is_streamed and {row[0] for row in _csv(named)[1:]} == {
        personas["citizen"].name,
        personas["staff"].name,
    }
    counts = client.get(f"/consultations/processes/{process}/export/summary.csv", headers=EN)
    assert counts.is_streamed and _csv(counts)[0][0] == "Breakdown"


def test_count_tables_are_for_facilitators_and_the_cli_writes_every_format(app, runner, client, tmp_path):
    process = _demo(app, runner)
    login(client, "vecina@demo.cocrea.cl", "demo-vecina-2016")
    assert client.get(f"/consultations/processes/{process}/export/summary.csv").status_code == 403
    assert client.get(f"/consultations/processes/{process}/export/summary.csv?internal=1").status_code == 403
    for table, fmt in (("summary", "ods"), ("codebook", "xlsx"), ("changes", "json"), ("rounds", "csv")):
        target = tmp_path / f"{table}.{fmt}"
        result = runner.invoke(
            args=["consultations", "export", str(process), "--table", table, "--format", fmt, "-o", str(target)]
        )
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 100
    bundle = tmp_path / "open.zip"
    result = runner.invoke(args=["consultations", "export", str(process), "--table", "open-data", "-o", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "datapackage.json" in zipfile.ZipFile(bundle).namelist()


def test_contribution_rows_read_in_one_pass_match_the_spaces_and_codings(app, runner, client):
    """The export joins titles and aggregates theme codes in SQL; each row must say what
    the spaces' registry (places_of) and the codings (themes_of) say, for every kind."""
    from consultations.coding.services import themes_of
    from consultations.exports import services as exports
    from core.models import Contribution
    from core.spaces import places_of

    process = _demo(app, runner)
    with app.test_request_context(headers=EN):
        rows = list(exports.contributions(process).rows)
        contributions = db.session.scalars(
            select(Contribution).where(Contribution.process_id == process).order_by(Contribution.id)
        ).all()
        places = places_of(contributions)
        themes = themes_of([c.id for c in contributions])
        assert len(rows) == len(contributions)
        kinds = set()
        for row, contribution in zip(rows, contributions, strict=True):
            kinds.add(contribution.space_kind)
            assert row[4] == places[contribution.id].title, contribution.space_kind
            assert row[7] == ", ".join(t.code for t in themes.get(contribution.id, []))
            assert row[10] == contribution.body_source
    assert kinds == {"thread", "meeting", "board", "round"}
    assert any(", " in row[7] for row in rows), "some contribution has two themes"


@pytest.mark.sqlite_only  # PostgreSQL runs the query in its server: no process of our own.
def test_contribution_rows_read_in_a_process_of_their_own_are_the_drivers_rows(app, runner, monkeypatch):
    """On SQLite the export's query runs in a child process, which sends the driver's
    tuples in batches: the same rows as the app's own connection reads, committed ones
    only, so with writes of its own not yet committed the app reads them itself."""
    from sqlalchemy import literal_column, table, text

    from consultations.exports import services as exports
    from core import sqlite_reader

    process = _demo(app, runner)
    with app.test_request_context(headers=EN):
        connection = db.session.connection()
        statement = exports._contribution_statement(process)
        inside = connection.execute(statement).cursor.fetchall()
        reader = sqlite_reader.read(connection, statement, 7)
        assert reader is not None
        read = []
        try:
            while batch := reader.fetch(7):
                assert len(batch) <= 7
                read.extend(batch)
        finally:
            reader.close()
        assert len(read) > 100 and read == inside
        result, _fetch = exports._plain_rows(statement)
        result.close()
        assert result.__class__ is sqlite_reader.Reader, "the export reads this way"
        broken = sqlite_reader.read(connection, select(literal_column("x")).select_from(table("missing")), 7)
        try:
            with pytest.raises(RuntimeError, match="no such table"):
                broken.fetch()
        finally:
            broken.close()
        # A server that embeds Python has another program as sys.executable.
        monkeypatch.setattr(sqlite_reader.sys, "executable", shutil.which("true"))
        assert sqlite_reader.read(connection, statement, 7) is None
        monkeypatch.undo()
        db.session.execute(text("UPDATE processes SET title = 'Sin confirmar' WHERE id = :id"), {"id": process})
        assert sqlite_reader.read(db.session.connection(), statement, 7) is None
        db.session.rollback()


def test_cells_people_typed_are_defused_even_where_the_platform_writes_most(app, client, factory, personas):
    """Columns the platform writes skip the formula check for speed; everything people
    or administrators typed (texts, titles, municipality names) still gets it."""
    from core.exports import safe_cell

    process = factory.process(title="Proceso")
    place = factory.municipality("=Comuna()")
    forum = factory.forum("citizen", place, process)
    factory.thread(forum, personas["citizen"].id, title="@Título", text="-Texto {n}")
    login(client, personas["facilitator"])
    header, *rows = _csv(client.get(f"/consultations/processes/{process}/export/contributions.csv", headers=EN))
    assert rows and all(cell == safe_cell(cell) for row in rows for cell in row)
    row = rows[0]
    assert row[2] == "'=Comuna()" and row[4] == "'@Título" and row[10] == "'-Texto 1"
    xlsx = client.get(f"/consultations/processes/{process}/export/contributions.xlsx", headers=EN)
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "&apos;=Comuna()" in sheet or "'=Comuna()" in sheet
    assert ">=Comuna()" not in sheet and ">@Título" not in sheet


def test_a_large_xlsx_download_is_written_by_a_child_process_the_same(app, client, factory, personas, monkeypatch):
    """Past XLSX_ROWS_IN_PROCESS rows the route's workbook is written by a child process
    (core/xlsx_sheet.py), into the download's temporary file: the same sheet as written
    in-process."""
    from core import exports as core_exports
    from core import xlsx_sheet

    process = factory.process(title="Proceso")
    forum = factory.forum("citizen", factory.municipality("=Comuna()"), process)
    factory.thread(forum, personas["citizen"].id, posts=6, title="@Título", text="-Texto {n}")
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{process}/export/contributions.xlsx"
    started = []
    original = xlsx_sheet.start
    monkeypatch.setattr(xlsx_sheet, "start", lambda *args: started.append(original(*args)) or started[-1])
    sheets = []
    for limit in (1000, 2):
        monkeypatch.setattr(core_exports, "XLSX_ROWS_IN_PROCESS", limit)
        answer = client.get(url, headers=EN)
        assert answer.status_code == 200
        with zipfile.ZipFile(io.BytesIO(answer.data)) as book:
            sheets.append(book.read("xl/worksheets/sheet1.xml"))
    assert len(started) == 1 and started[0] is not None and started[0].process.returncode == 0
    assert sheets[0] == sheets[1]
    assert b"-Texto 6" in sheets[1] and b"<f>" not in sheets[1]


# The pieces each row of a large export goes through -------------------------------------


@pytest.mark.parametrize("zone", ["America/Santiago", "Europe/Madrid", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"])
def test_export_times_are_the_zone_conversion_whatever_the_day(app, monkeypatch, zone):
    """The clock moves hours by the day's offset where it is whole hours all day, and
    converts each time otherwise (the days the clocks change, half-hour zones): every
    time, as a datetime or as the text SQLite stores, reads as the zone's library says."""
    from consultations.exports import services as exports

    tz = ZoneInfo(zone)
    monkeypatch.setattr(exports, "get_timezone", lambda: tz)
    clock = exports.Clock()
    rng = random.Random(zone)
    start = datetime(2016, 1, 1)
    moments = [start + timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(5000)]
    # Around midnight and the changes of the clocks in Chile (2016-05-15, 2016-08-14).
    moments += [datetime(2016, 5, 15, h, 30, 5) for h in range(24)]
    moments += [datetime(2016, 8, 14, h, 59, 59) for h in range(24)]
    for moment in moments:
        moment = moment.replace(microsecond=rng.choice([0, 123456]))
        expected = moment.replace(tzinfo=UTC).astimezone(tz).isoformat(timespec="seconds")
        assert clock(moment) == expected, moment
        assert clock(moment.isoformat(" ", "microseconds")) == expected, moment
    assert clock(None) == "" and clock("") == ""


def test_export_times_in_the_configured_zone(app):
    from consultations.exports import services as exports

    with app.test_request_context():
        clock = exports.Clock()
        assert clock(datetime(2017, 1, 15, 2, 5, 9)) == "2017-01-14T23:05:09-03:00"
        assert clock("2017-07-01 03:00:00.000000") == "2017-06-30T23:00:00-04:00"


def test_pseudonyms_kept_per_export_are_the_platform_pseudonyms(app, monkeypatch):
    """Each person's pseudonym is hashed once per export and kept in a few bytes: it
    reads the same as core.exports.pseudonym, for any id, however often it comes, also
    past the ids kept and for keys not in the tallies' form."""
    from consultations.exports import services as exports

    monkeypatch.setattr(exports.Pseudonyms, "KEPT", 5000)
    with app.app_context():
        pseudonyms = exports.Pseudonyms()
        rng = random.Random(3)
        keys = [f"{rng.choice('ua')}{rng.choice([rng.randrange(1, 7000), 0, 4999, 5000])}" for _ in range(20_000)]
        keys += ["u007", "u7", "u007", "a7", "u+7", "u 7"]
        for key in keys:
            kind = {"u": "user", "a": "attendee"}[key[0]]
            assert pseudonyms(key) == pseudonym(kind, key[1:]), key
        assert pseudonyms("u7") != pseudonyms("a7") != pseudonyms("u007")
        assert len(pseudonyms.kept["u"]) <= 6 * 5000
