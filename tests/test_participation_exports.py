"""Downloads of a process's participation: contributions and participants, by pseudonym,
with names only for a reason (audited), formula-safe, with local times and their zone."""

import csv
import io
import json
import zipfile

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
