"""The model under revision in the browser: a committee member comments on a cell of v0.1
by keyboard alone; a citizen is told the committee's round is closed and comments on v0.2
during the public round, on a 360 px screen; a facilitator drafts v0.2 from v0.1, edits a
cell, publishes it and reads the diff. Every page loaded is checked with axe.

Each test builds its own process in the shared live database (the demo's v0.1 and v0.2
files imported into it), so the demo's own model is left alone.
"""

import json
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Process, User
from consultations.demo import DATA
from consultations.rounds import services as rounds
from consultations.versions import transfer
from consultations.versions.models import Version
from core.extensions import db
from core.models import utcnow
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import SMALL, SPANISH, Site, assert_fits, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")

# The Spanish catalogue's wording, written out so the tests notice a missing translation.
WORDING = {
    "Compare": "Comparar",
    "Edit %(key)s": "Editar %(key)s",
    "Label": "Etiqueta",
    "New draft from this version": "Nuevo borrador a partir de esta versión",
    "Proposed wording (optional)": "Redacción propuesta (opcional)",
    "Proposes a change": "Propone un cambio",
    "Publish": "Publicar",
    "Publish…": "Publicar…",
    "Revision record": "Registro de revisiones",
    "Add a change": "Agregar un cambio",
    "What changed": "Qué cambió",
    "Why": "Por qué",
    "Save change": "Guardar cambio",
    "Save": "Guardar",
    "Save changes": "Guardar cambios",
    "Send comment": "Enviar comentario",
    "Text": "Texto",
    "This round closed on %(date)s.": "Esta ronda cerró el %(date)s.",
    "Title": "Título",
    "Your comment was sent.": "Se envió su comentario.",
    "deleted:": "eliminado:",
    "inserted:": "agregado:",
    "%(name)s is published.": "Se publicó %(name)s.",
}


def es(msgid: str, **values) -> str:
    text = WORDING.get(msgid) or SPANISH[msgid]
    return text % values if values else text


def main(site):
    return site.page.locator("main")


def _process(app, files, committee=None, public=False):
    """A new process with the demo's version ``files`` imported in order; optionally a
    committee round on the first (``"open"`` or ``"closed"``) and a public round, open, on
    the last. Returns ``{label: version id}`` and the rounds' ids."""
    with app.app_context():
        process = Process(
            title=f"Proceso de prueba {uuid.uuid4().hex[:8]}", starts_on=utcnow().date(), ends_on=utcnow().date()
        )
        db.session.add(process)
        db.session.flush()
        ids, made = {}, {}
        now = utcnow()
        for index, name in enumerate(files):
            data = json.loads((DATA / name).read_text(encoding="utf-8"))
            version = transfer.load(data, process.id)
            ids[version.label] = version.id
            if index == 0 and committee:
                opens = now - timedelta(days=1) if committee == "open" else now - timedelta(days=60)
                closes = now + timedelta(days=30) if committee == "open" else now - timedelta(days=30)
                made["committee"] = rounds.create_round(
                    version, "committee", "Comité asesor de prueba", "¿Qué cambiaría?", opens, closes, None
                ).id
        if public:
            last = db.session.get(Version, ids[data["version"]["label"]])
            made["public"] = rounds.create_round(
                last,
                "public",
                "Consulta pública de prueba",
                "¿Qué cambiaría?",
                now - timedelta(days=1),
                now + timedelta(days=30),
                None,
            ).id
        db.session.commit()
        db.session.remove()
    return ids, made


def _model_of(app, version_id) -> int:
    with app.app_context():
        model_id = db.session.get(Version, version_id).model_id
        db.session.remove()
    return model_id


def _invite(app, round_id, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        rounds.invite(db.session.get(rounds.CommentRound, round_id), user)
        db.session.commit()
        db.session.remove()


def test_committee_member_comments_on_a_cell_by_keyboard(site, live_server):
    ids, made = _process(live_server.app, ["v0.1.json"], committee="open")
    member = site.register("es")
    _invite(live_server.app, made["committee"], member.email)
    site.visit(f"/consultations/versions/{ids['v0.1']}")
    # The cell T.3 of the matrix, reached and opened with the keyboard.
    cell = main(site).locator("table.matrix td a", has_text="T.3").first
    tab_to(site, cell)
    with site.loads():
        site.page.keyboard.press("Enter")
    expect(site.page.locator("h1")).to_contain_text("T.3")
    form = main(site).locator("form.comment-form")
    # The position is a radio group: Tab reaches it, the arrows choose.
    first_radio = form.locator("input[type=radio]").first
    tab_to(site, first_radio)
    for _ in range(3):
        site.page.keyboard.press("ArrowDown")
    expect(form.get_by_label(es("Proposes a change"), exact=True)).to_be_checked()
    site.page.keyboard.press("Tab")
    site.page.keyboard.type("Propongo fijar un plazo de diez días hábiles para publicar las actas.")
    site.page.keyboard.press("Tab")
    expect(form.get_by_label(es("Proposed wording (optional)"), exact=True)).to_be_focused()
    site.page.keyboard.type("Las actas se publican dentro de 10 días hábiles desde su aprobación.")
    tab_to(site, form.get_by_role("button", name=es("Send comment"), exact=True))
    with site.loads():
        site.page.keyboard.press("Enter")
    expect(site.flash()).to_contain_text(es("Your comment was sent."))
    comment = main(site).locator("article.post", has_text="plazo de diez días hábiles")
    expect(comment).to_contain_text(member.name)
    expect(comment).to_contain_text(es("Proposes a change"))
    expect(comment.locator(".wording")).to_contain_text("dentro de 10 días hábiles")


@pytest.mark.parametrize("viewport", [SMALL])
def test_citizen_comments_in_the_public_round_not_in_the_closed_committee_round(site, live_server):
    ids, made = _process(live_server.app, ["v0.1.json", "v0.2.json"], committee="closed", public=True)
    site.register("es")
    # The committee's round on v0.1 is closed: the reason, and no form.
    site.visit(f"/consultations/versions/{ids['v0.1']}/sections/T.3")
    assert_fits(site)
    expect(main(site).locator("details.round-box summary").first).to_contain_text("Comité asesor de prueba")
    main(site).locator("details.round-box summary").first.click()
    expect(main(site).locator(".notice", has_text=re.compile(r"^Esta ronda cerró el "))).to_be_visible()
    expect(main(site).get_by_role("button", name=es("Send comment"))).to_have_count(0)
    # v0.2 in the public round: the matrix fits the phone as a stacked list.
    site.visit(f"/consultations/versions/{ids['v0.2']}")
    assert_fits(site)
    site.click(main(site).locator("table.matrix td a", has_text="T.3").first)
    assert_fits(site)
    form = main(site).locator("form.comment-form")
    form.get_by_label(es("Proposes a change"), exact=True).check()
    form.get_by_role("textbox").first.fill("En mi comuna las actas llegan tarde; que se publique también la grabación.")
    site.click(form.get_by_role("button", name=es("Send comment"), exact=True))
    expect(site.flash()).to_contain_text(es("Your comment was sent."))
    expect(main(site).locator("article.post", has_text="también la grabación")).to_be_visible()
    assert_fits(site)


@pytest.fixture
def facilitator(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="es-CL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        site = Site(context.new_page(), live_server.url)
        site.login("es", *FACILITATOR)
        yield site
    finally:
        context.close()


def test_facilitator_drafts_edits_publishes_and_reads_the_diff(facilitator, live_server):
    site = facilitator
    ids, _made = _process(live_server.app, ["v0.1.json"])
    site.visit(f"/consultations/versions/{ids['v0.1']}")
    site.click(main(site).get_by_role("link", name=es("New draft from this version"), exact=True))
    site.page.get_by_label(es("Label"), exact=True).fill("v0.2")
    site.page.get_by_label(es("Title"), exact=True).fill("Versión preliminar")
    site.click(main(site).get_by_role("button", name=es("Save"), exact=True))
    # The outline of the draft: edit the cell T.3.
    # The outline's other forms pass axe too: adding a section, a new empty draft.
    outline = site.page.url
    site.visit(outline.replace("/sections", "/new-section"))
    site.visit(f"/consultations/models/{_model_of(live_server.app, ids['v0.1'])}/versions/new")
    site.visit(outline)
    site.click(main(site).get_by_role("link", name=es("Edit %(key)s", key="T.3"), exact=True))
    body = site.page.get_by_label(es("Text"), exact=True)
    old = body.input_value()
    assert "oportunamente" in old
    body.fill(old.replace("oportunamente", "dentro de 10 días hábiles desde su aprobación"))
    site.click(main(site).get_by_role("button", name=es("Save changes"), exact=True))
    expect(site.page.locator("h1")).to_contain_text("T.3")
    # The revision record explains the change before the version can be published.
    site.click(main(site).get_by_role("link", name=es("Revision record"), exact=True))
    site.click(main(site).get_by_role("link", name=es("Add a change"), exact=True))
    site.page.get_by_label(es("What changed"), exact=True).fill("Plazo de 10 días hábiles para las actas")
    site.page.get_by_label(es("Why"), exact=True).fill("Lo pidió el comité asesor.")
    site.click(main(site).get_by_role("button", name=es("Save change"), exact=True))
    site.click(main(site).get_by_role("link", name=es("Publish…"), exact=True))
    site.click(main(site).get_by_role("button", name=es("Publish"), exact=True))
    expect(site.flash()).to_contain_text(es("%(name)s is published.", name="v0.2 · Versión preliminar"))
    # The model page's comparison, v0.1 → v0.2 by default.
    site.click(site.page.locator("nav.breadcrumbs a").nth(1))
    site.click(main(site).get_by_role("button", name=es("Compare"), exact=True))
    changed = main(site).locator("section#diff-T\\.3")
    expect(changed.locator("ins")).to_contain_text("dentro de 10 días hábiles")
    expect(changed.locator("ins")).to_contain_text(es("inserted:"))
    expect(changed.locator("del")).to_contain_text("oportunamente")
    expect(main(site).locator("details.diff-unchanged summary")).to_be_visible()


def _demo_paths(app) -> list[str]:
    """Every kind of consultation page, on the demo's model (its three versions, the rounds
    with their comments)."""
    from consultations.rounds.models import CommentRound

    with app.app_context():
        versions = db.session.scalars(
            select(Version)
            .join(Version.model)
            .where(Version.model.has(title="Modelo de Gobierno Abierto Municipal"))
            .order_by(Version.id)
        ).all()
        first, second, last = versions[:3]
        committee, *_others, public = db.session.scalars(
            select(CommentRound).where(CommentRound.version_id.in_([first.id, second.id])).order_by(CommentRound.id)
        ).all()
        paths = [
            "/consultations/",
            f"/consultations/models/{first.model_id}",
            f"/consultations/versions/{last.id}",
            f"/consultations/versions/{second.id}/sections",
            f"/consultations/versions/{first.id}/sections/T.3",
            f"/consultations/versions/{second.id}/sections/T.3.a",
            f"/consultations/versions/{first.id}/diff/{second.id}",
            f"/consultations/rounds/{committee.id}",
            f"/consultations/rounds/{public.id}/comments",
            f"/consultations/rounds/{public.id}/comments/on-behalf",
            f"/consultations/rounds/{committee.id}/members",
            f"/consultations/rounds/{committee.id}/edit",
            f"/consultations/versions/{last.id}/rounds/new",
            f"/consultations/versions/{last.id}/draft",
            f"/consultations/models/{first.model_id}/edit",
            "/consultations/models/new",
        ]
        db.session.remove()
    return paths


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, SMALL], ids=["wide", "360px"])
def test_every_consultation_page_is_accessible(facilitator, live_server, viewport):
    for path in _demo_paths(live_server.app):
        facilitator.visit(path)
        if viewport == SMALL:
            assert_fits(facilitator)
