"""Closing the loop in the browser: a facilitator codes five contributions from three kinds
of space with the keyboard alone, writes a change that cites the theme and publishes the
version; the citizen then sees the verdict in "Mis aportes" and on her post, and has one
notification. Every page loaded is checked with axe; the loop's pages also at 360 px.

Each test builds its own process in the shared live database (through the test factory),
with unique names, so the demo is left alone.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import Municipality
from core.extensions import db
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import SMALL, Site, assert_fits, tab_to
from tests.conftest import PASSWORD, Factory

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")
ES = {
    "Save and next": "Guardar y seguir",
    "Add a change": "Agregar un cambio",
    "What changed": "Qué cambió",
    "Why": "Por qué",
    "Save change": "Guardar cambio",
    "Publish…": "Publicar…",
    "Publish": "Publicar",
    "New draft from this version": "Nuevo borrador a partir de esta versión",
    "Label": "Etiqueta",
    "Title": "Título",
    "Save": "Guardar",
    "Save changes": "Guardar cambios",
    "Text": "Texto",
    "Edit %(key)s": "Editar %(key)s",
    "Revision record": "Registro de revisiones",
}


def main(site):
    return site.page.locator("main")


def _world(app) -> dict:
    """A process with a citizen's forum post, another post, a remark written down at a
    session, a workshop card and a round comment; a published version, and a theme."""
    token = uuid.uuid4().hex[:8]
    factory = Factory(app)
    with app.app_context():
        municipality = db.session.scalar(db.select(Municipality.id).where(Municipality.name == "Peñalolén"))
        db.session.remove()
    process = factory.process(title=f"Proceso del ciclo {token}")
    citizen = factory.user(email=f"vecina-{token}@example.org", name=f"Vecina {token}", municipality_id=municipality)
    other = factory.user(email=f"vecino-{token}@example.org", name=f"Vecino {token}", municipality_id=municipality)
    forum = factory.forum("citizen", municipality, process, title=f"Foro del ciclo {token}")
    factory.member(forum, citizen.id)
    thread = factory.thread(forum, citizen.id, title=f"Actas {token}", text=f"Pido actas a tiempo {token}")
    factory.thread(forum, other.id, title=f"Cuenta {token}", text=f"Cuenta pública con preguntas {token}")
    meeting = factory.meeting(forum)
    factory.remark(meeting, text=f"Dicho en la sala sobre actas {token}")
    workshop = factory.workshop(process, title=f"Taller del ciclo {token}", invite=[other.id])
    board = factory.board(workshop)
    factory.card(board, other.id, text=f"Tarjeta sobre actas {token}")
    version = factory.version(process, title=f"Borrador {token}")
    round_ = factory.round(version)
    factory.comment(round_, other.id, text=f"Comentario sobre T.3 {token}")
    with app.app_context():
        from consultations.coding import services as coding

        theme = coding.create_theme(process, "ACTAS", f"Actas {token}", section_keys=["T.3"]).id
        db.session.commit()
        db.session.remove()
    return {
        "token": token,
        "process": process,
        "citizen": citizen,
        "thread": thread,
        "version": version,
        "theme": theme,
    }


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


def test_code_by_keyboard_cite_publish_and_the_citizen_sees_the_verdict(facilitator, live_server, open_site):
    world = _world(live_server.app)
    site = facilitator
    site.visit(f"/consultations/processes/{world['process']}/coding")
    form = main(site).locator("form.coding-form")
    kinds = set()
    for _ in range(5):
        heading = main(site).locator("#current-heading")
        kinds.add(heading.inner_text())
        box = form.locator(f"input[name=theme][value='{world['theme']}']")
        tab_to(site, box)
        site.page.keyboard.press("Space")
        expect(box).to_be_checked()
        tab_to(site, form.get_by_role("button", name=ES["Save and next"], exact=True))
        with site.loads():
            site.page.keyboard.press("Enter")
    with live_server.app.app_context():
        from consultations.coding.models import Coding
        from core.models import Contribution

        coded = db.session.scalars(
            db.select(Contribution.space_kind)
            .join(Coding, Coding.contribution_id == Contribution.id)
            .where(Coding.theme_id == world["theme"])
        ).all()
        db.session.remove()
    assert len(coded) == 5 and len(set(coded)) >= 3, coded

    # A new draft, T.3 edited, a change citing the theme, published.
    site.visit(f"/consultations/versions/{world['version']}")
    site.click(main(site).get_by_role("link", name=ES["New draft from this version"], exact=True))
    site.page.get_by_label(ES["Label"], exact=True).fill("v0.2")
    site.click(main(site).get_by_role("button", name=ES["Save"], exact=True))
    site.click(main(site).get_by_role("link", name=ES["Edit %(key)s"] % {"key": "T.3"}, exact=True))
    site.page.get_by_label(ES["Text"], exact=True).fill("Publica las actas dentro de 10 días hábiles.")
    site.click(main(site).get_by_role("button", name=ES["Save changes"], exact=True))
    site.click(main(site).get_by_role("link", name=ES["Revision record"], exact=True))
    site.click(main(site).get_by_role("link", name=ES["Add a change"], exact=True))
    site.page.get_by_label(ES["What changed"], exact=True).fill("Plazo para las actas")
    site.page.get_by_label(ES["Why"], exact=True).fill("Lo pidieron en el foro, en la sala y en el taller.")
    expect(main(site).locator("input[name=section][value='T.3']")).to_be_checked()
    main(site).locator(f"input[name=theme][value='{world['theme']}']").check()
    site.click(main(site).get_by_role("button", name=ES["Save change"], exact=True))
    expect(main(site).locator("#change-1")).to_contain_text("Plazo para las actas")
    # The change's edit form passes axe too.
    record = site.page.url.split("#")[0]
    site.click(main(site).locator("#change-1").get_by_role("link").last)
    site.visit(record)
    site.click(site.page.locator("main").get_by_role("link", name=ES["Publish…"], exact=True))
    site.click(main(site).get_by_role("button", name=ES["Publish"], exact=True))

    # The citizen: the verdict in "Mis aportes", on her post, and one notification.
    citizen = open_site()
    citizen.login("es", world["citizen"].email, PASSWORD)
    citizen.visit("/consultations/mine")
    mine = main(citizen).locator("ul.mine li", has_text=f"Pido actas a tiempo {world['token']}")
    expect(mine.locator(".verdict-badge")).to_have_text("Incorporado en v0.2 · cambio 1")
    expect(mine.locator(".verdict-box")).to_contain_text("Plazo para las actas")
    citizen.visit(f"/forums/threads/{world['thread']}")
    badge = main(citizen).locator(".verdict-badge").first
    expect(badge).to_have_text("Incorporado en v0.2 · cambio 1")
    citizen.click(badge)
    expect(citizen.page).to_have_url(re.compile(r"/revisions#change-1$"))
    citizen.visit("/notifications")
    notices = main(citizen).locator("li", has_text="de sus aportes")
    expect(notices).to_have_count(1)
    expect(notices).to_contain_text("1 de sus aportes fue incorporado en v0.2.")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, SMALL], ids=["wide", "360px"])
def test_loop_pages_are_accessible(facilitator, live_server, viewport):
    """The demo's codebook, workbench, theme, double coding, report, verdicts, revision
    record and change form, as a facilitator."""
    from consultations.coding.models import CodingSample, Theme
    from consultations.versions.models import Version

    with live_server.app.app_context():
        sample = db.session.scalar(db.select(CodingSample).order_by(CodingSample.id))
        theme = db.session.scalar(db.select(Theme).where(Theme.code == "T-ACTAS"))
        version = db.session.scalar(db.select(Version).where(Version.label == "v1.0").order_by(Version.id))
        process = sample.process_id
        paths = [
            f"/consultations/processes/{process}/themes",
            f"/consultations/processes/{process}/coding",
            f"/consultations/processes/{process}/coding?state=uncoded&kind=board",
            f"/consultations/themes/{theme.id}",
            f"/consultations/themes/{theme.id}/edit",
            f"/consultations/processes/{process}/samples",
            f"/consultations/samples/{sample.id}",
            f"/consultations/samples/{sample.id}/report",
            f"/consultations/processes/{process}/verdicts",
            f"/consultations/versions/{version.id}/revisions",
            "/consultations/mine",
            f"/consultations/processes/{process}/summary",
            f"/consultations/processes/{process}/summary?by=municipality&then=profile&internal=1",
            f"/consultations/processes/{process}/walk-ins",
        ]
        db.session.remove()
    for path in paths:
        facilitator.visit(path)
        if viewport == SMALL:
            assert_fits(facilitator)
