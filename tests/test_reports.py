"""The methodology report: every section, small counts hidden in the public report and
exact in the facilitators' internal one, the PDF (opened with pypdf, the seed's table in
it, in Spanish and in English), charts that are clean SVG and never draw a hidden figure,
and a number of queries that does not grow with the data."""

import io
import re

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from accounts.models import Process, User
from consultations.coding import services as coding
from consultations.reports import services as reports
from consultations.reports.views import static_only_fetcher
from consultations.tallies.services import SUPPRESSED
from core.extensions import db
from core.models import Contribution
from core.text import clean_svg
from core.verdicts import VerdictStatus
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from tests.conftest import login

EN = {"Accept-Language": "en"}
SVG = "{http://www.w3.org/2000/svg}"
SECTIONS = (
    "summary-heading",
    "timeline-heading",
    "spaces-heading",
    "segments-heading",
    "themes-heading",
    "versions-heading",
    "verdicts-heading",
    "method-heading",
)


@pytest.fixture
def scene(app, factory, personas, places):
    """A small process: the citizen posts twice and is checked in at a session with two
    walk-ins (one says something); the official posts in the staff forum; a published
    version; a theme (with a sub-theme) coding the citizen's posts."""
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    staff_forum = factory.forum("staff", places["home"], process)
    citizen = personas["citizen"].id
    factory.member(forum, citizen)
    factory.thread(forum, citizen, posts=2)
    factory.thread(staff_forum, personas["staff"].id)
    meeting_id = factory.meeting(forum)
    factory.version(process, label="v0.1")
    with app.app_context():
        facilitator = db.session.get(User, personas["facilitator"].id)
        meeting = db.session.get(Meeting, meeting_id)
        sheets.check_in(facilitator, meeting, db.session.get(User, citizen), consent=True)
        walk_in = sheets.add_walk_in(facilitator, meeting, "Vecina", "citizen", places["home"], True)
        sheets.add_walk_in(facilitator, meeting, "", "citizen", places["home"], False)
        sheets.add_remark(facilitator, meeting, "meeting", walk_in.id, "Dicho en la sala")
        meeting.headcount = 12
        parent = coding.create_theme(process, "ACTAS", "Actas en plazo")
        child = coding.create_theme(process, "ACTAS.WEB", "Actas en la web", parent_id=parent.id)
        posts = db.session.scalars(
            select(Contribution).where(Contribution.process_id == process, Contribution.author_id == citizen)
        ).all()
        coding.set_codings(posts[0], [parent.id], facilitator)
        coding.set_codings(posts[1], [child.id], facilitator)
        posts[0].verdict_status = VerdictStatus.CONSIDERING.value
        db.session.commit()
    return {"process": process, "forum": forum, "staff_forum": staff_forum}


def _demo(app) -> int:
    """The demo's process (the ``demo`` fixture loads it)."""
    with app.app_context():
        (process_id,) = db.session.scalars(select(Process.id)).all()
    return process_id


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def _assert_clean_svg(svg: str) -> etree._Element:
    """A parseable SVG drawing with an accessible name and nothing that reaches outside it."""
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("aria-labelledby")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text
    for element in root.iter():
        assert isinstance(element.tag, str) and element.tag.startswith(SVG), element.tag
        assert etree.QName(element).localname not in ("script", "style", "foreignObject", "image", "metadata")
        for name, value in element.attrib.items():
            assert name != "style" and not name.startswith("on"), name
            if name.endswith("href"):
                assert value.startswith("#"), value
            for reference in re.findall(r"url\(([^)]*)\)", value):
                assert reference.startswith("#"), value
    return root


def _texts(root) -> list[str]:
    return [(t.text or "").strip() for t in root.iter(f"{SVG}text")]


# The report page ------------------------------------------------------------------------


def test_demo_report_shows_every_section_with_charts(app, demo, client):
    process_id = _demo(app)
    url = f"/consultations/processes/{process_id}/report"
    page = client.get(url, headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    seed = html[html.index('class="figures seed-table"') :]
    assert "<td>6</td><td>133 citizens" in seed and "<td>5</td><td>116 officials" in seed
    for text in ("Citizen forum sessions", "Co-design workshops", "Version v0.2 published", "Comment round"):
        assert text in html, text
    assert html.count("<tr") > 40 and "Vitacura" in html and "Talagante" in html
    for label in ("Received", "Under consideration", "Taken into the model", "Not taken", "Out of scope"):
        assert label in html
    assert "Change 1" in html and "v1.0" in html
    assert "How people are counted" not in html and "Who counts as a participant" in html
    assert "Internal figures" not in html
    svgs = _svgs(html)
    assert len(svgs) >= 4
    for svg in svgs:
        _assert_clean_svg(svg)
    assert len(set(re.findall(r'\bid="([^"]+)"', html))) == len(re.findall(r'\bid="([^"]+)"', html)), "ids unique"
    assert 'rel="stylesheet" href="/static/report.css"' in html
    # Spanish by default, English on request; the page links the PDF.
    spanish = client.get(url).get_data(as_text=True)
    assert 'lang="es"' in spanish and "Quiénes participaron" in spanish
    assert f"/consultations/processes/{process_id}/report.pdf" in spanish
    summary = client.get(f"/consultations/processes/{process_id}/summary").get_data(as_text=True)
    assert f'href="/consultations/processes/{process_id}/report"' in summary


def test_demo_pdf_opens_and_has_the_seeds_table_in_both_languages(app, demo, client):
    process_id = _demo(app)
    url = f"/consultations/processes/{process_id}/report.pdf"
    spanish = client.get(url)
    assert spanish.status_code == 200 and spanish.mimetype == "application/pdf"
    assert spanish.data.startswith(b"%PDF-") and 'filename="' in spanish.headers["Content-Disposition"]
    text = _pdf_text(spanish.data)
    assert "Foros ciudadanos 6 133" in text and "Foros de funcionarios 5 116" in text
    assert "Quiénes participaron" in text
    english = _pdf_text(client.get(url, headers=EN).data)
    assert "Citizen forums 6 133 citizens" in english and "Staff forums 5 116 officials" in english
    for heading in ("Timeline and phases", "Spaces of the process", "Themes", "Method notes"):
        assert heading in english, heading
    assert "Internal" not in english


# Suppression ----------------------------------------------------------------------------


def test_public_report_hides_small_counts_and_internal_shows_them(app, client, scene, personas):
    with app.app_context():
        process = db.session.get(Process, scene["process"])
        public = reports.report(process)
        internal = reports.report(process, internal=True)
        # Four people: the citizen, two walk-ins, the official.
        assert internal.overall.participants == 4 and public.overall.participants == SUPPRESSED
        assert {s.participants for s in public.spaces} <= {SUPPRESSED, 0}
        assert [s.participants for s in internal.spaces if s.kind == "forum"] == [3, 1]
        assert all(r.participants == SUPPRESSED for r in public.segments["group"].rows)
        themes = {t.code: t for t in internal.themes}
        assert (themes["ACTAS"].contributions, themes["ACTAS"].contributions_with_subthemes) == (1, 2)
        assert themes["ACTAS"].participants_with_subthemes == 1 and themes["ACTAS.WEB"].level == 2
        assert {t.participants for t in public.themes} == {SUPPRESSED}
        # Contributions are not people: shown as they are.
        assert public.overall.contributions == internal.overall.contributions == 4
    url = f"/consultations/processes/{scene['process']}/report"
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert "(hidden to protect people)" in html and "&lt; 5" in html
    assert "Internal figures" not in html and "every figure is exact" not in html
    login(client, personas["facilitator"])
    exact = client.get(url + "?internal=1", headers=EN)
    assert exact.status_code == 200 and exact.headers["Cache-Control"] == "no-store"
    text = exact.get_data(as_text=True)
    assert "Internal figures" in text and "(hidden to protect people)" not in text
    assert "<dt>People who took part</dt><dd>4</dd>" in text
    pdf = client.get(url + ".pdf?internal=1", headers=EN)
    assert pdf.status_code == 200 and "Internal figures" in _pdf_text(pdf.data)


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_internal_report_is_for_managers_only(client, scene, personas, suffix):
    url = f"/consultations/processes/{scene['process']}/report{suffix}?internal=1"
    assert client.get(url).status_code == 302
    for role in ("citizen", "staff", "expert"):
        login(client, personas[role])
        assert client.get(url).status_code == 403, role
        assert client.get(url.replace("?internal=1", "")).status_code == 200, role
        client.post("/logout")
    for role in ("facilitator", "admin"):
        login(client, personas[role])
        assert client.get(url).status_code == 200, role
        client.post("/logout")
    assert client.get("/consultations/processes/999999/report").status_code == 404
    assert client.get("/consultations/processes/999999/report.pdf").status_code == 404


# Charts ---------------------------------------------------------------------------------


def test_summary_charts_are_clean_svg_without_hidden_values(app, client, scene, personas):
    url = f"/consultations/processes/{scene['process']}/summary/group.svg"
    response = client.get(url, headers=EN)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = _assert_clean_svg(response.get_data(as_text=True))
    texts = _texts(root)
    # Citizen forums (3 people) and staff forums (1): both hidden, drawn as hatched stubs.
    assert texts.count("< 5") == 2 and "3" not in texts
    assert root.find(f".//{SVG}pattern") is not None
    assert client.get(url, headers=EN).data == response.data, "deterministic"
    for dimension in ("municipality", "profile", "channel", "month"):
        other = client.get(url.replace("group", dimension))
        assert other.status_code == 200, dimension
        _assert_clean_svg(other.get_data(as_text=True))
    assert client.get(url.replace("group", "nothing")).status_code == 404
    # Facilitators see the exact figures on the internal summary's chart.
    login(client, personas["facilitator"])
    exact = _texts(etree.fromstring(client.get(url + "?internal=1", headers=EN).data))
    assert "3" in exact and "< 5" not in exact
    summary = client.get(f"/consultations/processes/{scene['process']}/summary?internal=1").get_data(as_text=True)
    assert "summary/group.svg?internal=1" in summary


def test_report_charts_never_draw_hidden_values(app, client, scene):
    html = client.get(f"/consultations/processes/{scene['process']}/report", headers=EN).get_data(as_text=True)
    svgs = _svgs(html)
    assert svgs
    for svg in svgs:
        root = _assert_clean_svg(svg)
        title = root.find(f"{SVG}title").text
        if title.startswith("People"):
            assert set(_texts(root)) & {"< 5"} and "3" not in _texts(root), title


def test_clean_svg_removes_what_could_run_or_reach_out():
    dirty = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
        "<script>alert(1)</script><style>*{}</style>"
        '<a href="http://example.org/"><text>link</text></a>'
        '<image xlink:href="http://example.org/x.png"/>'
        '<use xlink:href="http://example.org/x.svg#a"/><use xlink:href="#a"/>'
        '<rect id="a" onclick="x()" style="fill: url(http://example.org/p); stroke: #000" fill-opacity="1"/>'
        '<path d="M0 0" style="fill: url(#a)"/><foreignObject><p>x</p></foreignObject>'
        "</svg>"
    )
    markup = str(clean_svg(dirty, "c1", "Título <b>", "Descripción"))
    root = _assert_clean_svg(markup)
    assert "script" not in markup and "example.org" not in markup and "onclick" not in markup
    assert root.find(f"{SVG}title").text == "Título <b>" and "&lt;b&gt;" in markup
    assert root.find(f"{SVG}rect").get("id") == "c1-a" and root.find(f"{SVG}rect").get("stroke") == "#000"
    assert root.find(f"{SVG}path").get("fill") == "url(#c1-a)"
    with pytest.raises(ValueError):
        clean_svg("<html/>", "c2", "t")


# The PDF's resources --------------------------------------------------------------------


def test_pdf_fetcher_serves_only_static_files(app):
    with app.test_request_context("/"):
        fetcher = static_only_fetcher("http://localhost/")
        response = fetcher("http://localhost/static/report.css")
        assert b"@page" in response.read() and response.content_type == "text/css"
        for url in (
            "http://example.org/static/report.css",
            "http://localhost/static/../app.py",
            "http://localhost/static/%2e%2e/app.py",
            "http://localhost/consultations/",
            "file:///etc/passwd",
            "http://localhost/static/missing.css",
        ):
            with pytest.raises(ValueError):
                fetcher(url)


# Queries --------------------------------------------------------------------------------


def test_report_queries_do_not_grow(app, client, factory, personas, places, count_queries, scene):
    forum = scene["forum"]
    url = f"/consultations/processes/{scene['process']}/report"

    def measured():
        with count_queries:
            assert client.get(url).status_code == 200
        return count_queries.count

    small = measured()
    for role in ("expert", "admin", "staff_other"):
        factory.thread(forum, personas[role].id, posts=5)
    factory.forum("citizen", places["other"], scene["process"])
    factory.meeting(factory.forum("staff", places["other"], scene["process"]))
    factory.workshop(scene["process"])
    with app.app_context():
        coding.create_theme(scene["process"], "OTRO", "Otro tema")
        db.session.commit()
    assert measured() == small
    # Internal figures, each time after a change (the tallies may keep figures until the
    # data changes: like is compared with like).
    login(client, personas["facilitator"])
    url += "?internal=1"
    factory.thread(forum, personas["citizen"].id, posts=1)
    first = measured()
    factory.thread(forum, personas["citizen"].id, posts=8)
    factory.workshop(scene["process"])
    assert measured() == first
