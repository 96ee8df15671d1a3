"""Workshop boards in the browser: a facilitator sets up a workshop and its board; two
participants in two browsers see each other's cards appear without reloading; the
facilitator clusters cards and runs a dot vote; the presenter view follows live; the board
works by keyboard alone and on a phone; axe passes on every page visited.

The live database is shared by the session: every test makes its own accounts and
workshop and finds them by unique titles.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import User
from core.extensions import db
from forums.sheets import services as sheets
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board
from tests.browser.helpers import SMALL, SPANISH, Site, assert_fits, tab_to

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")
#: Live updates arrive within about five seconds (the page asks every three).
LIVE_MS = 8_000

# The Spanish catalogue's wording, written out so that the tests notice a change.
WORKSHOPS_SPANISH = {
    "Add a dot": "Poner un punto",
    "Add card": "Agregar tarjeta",
    "Board created.": "Tablero creado.",
    "Board title": "Título del tablero",
    "Card": "Tarjeta",
    "Close the vote": "Cerrar la votación",
    "Column settings": "Opciones de la columna",
    "Create board": "Crear tablero",
    "Create cluster": "Crear grupo",
    "Dots": "Puntos",
    "Dots per participant": "Puntos por participante",
    "Email of the person to invite": "Correo de la persona a invitar",
    "Invitation sent.": "Invitación enviada.",
    "Invitations": "Invitaciones",
    "Invite": "Invitar",
    "Kind": "Tipo",
    "Move": "Mover",
    "Move to": "Mover a",
    "New cluster in this column": "Nuevo grupo en esta columna",
    "Open a dot vote": "Abrir una votación por puntos",
    "Open the vote": "Abrir la votación",
    "Presenter view": "Vista para proyectar",
    "Save": "Guardar",
    "Schedule a workshop": "Programar un taller",
    "Starts": "Comienza",
    "Title": "Título",
    "Transparency": "Transparencia",
    "Workshop scheduled.": "Taller programado.",
    "Workshops": "Talleres",
    "You have %(num)s dot left of your %(dots)s.": "Le queda %(num)s de sus %(dots)s puntos.",
    "You have %(num)s dots left of your %(dots)s.": "Le quedan %(num)s de sus %(dots)s puntos.",
    "Card options": "Opciones de la tarjeta",
    "Delete": "Eliminar",
    "Delete the card": "Eliminar la tarjeta",
    "Delete this card?": "¿Eliminar esta tarjeta?",
    "Lock the board": "Cerrar el tablero",
    "Lock this board?": "¿Cerrar este tablero?",
}


def es(msgid: str, **values) -> str:
    text = WORKSHOPS_SPANISH.get(msgid) or SPANISH[msgid]
    return text % values if values else text


def named(label: str, rest: str = ""):
    """An accessible name "label: rest…", where ": rest" is visually hidden text (Chromium
    puts a space before it: the hidden span is positioned, hence a block)."""
    return re.compile(rf"^{re.escape(label)}\s*:\s*{re.escape(rest)}")


def _column(site: Site, title: str):
    return site.page.locator("section.board-column").filter(has=site.page.get_by_role("heading", name=title, level=2))


def _mark(site: Site) -> None:
    """Leave a mark in the page's window: it survives live updates, not a reload."""
    site.page.evaluate("window.__sameDocument = true")


def _still_same_document(site: Site) -> None:
    assert site.page.evaluate("window.__sameDocument === true"), f"{site.page.url} was reloaded"


def _setup(site: Site, invitees: list[str]) -> str:
    """As the facilitator: schedule a workshop, invite people, start a board; returns the
    board's path."""
    title = f"Taller {uuid.uuid4().hex[:8]}"
    site.login("es", *FACILITATOR)
    site.visit("/forums/workshops")
    site.click(site.page.locator("main").get_by_role("link", name=es("Schedule a workshop")))
    site.page.get_by_label(es("Title"), exact=True).fill(title)
    site.page.get_by_label(es("Starts"), exact=True).fill("2017-05-10T09:30")
    site.click(site.page.locator("main").get_by_role("button", name=es("Save")))
    expect(site.flash()).to_contain_text(es("Workshop scheduled."))
    workshop_path = site.page.url.removeprefix(site.base_url)
    site.click(site.page.locator("main").get_by_role("link", name=es("Invitations")))
    for email in invitees:
        site.page.get_by_label(es("Email of the person to invite"), exact=True).fill(email)
        site.click(site.page.locator("main").get_by_role("button", name=es("Invite")))
        expect(site.flash()).to_contain_text(es("Invitation sent."))
    site.visit(workshop_path)
    site.page.get_by_label(es("Board title"), exact=True).fill(f"Muro {title}")
    site.click(site.page.locator("main").get_by_role("button", name=es("Create board")))
    expect(site.flash()).to_contain_text(es("Board created."))
    return site.page.url.removeprefix(site.base_url)


def _open_menu(card) -> None:
    """Open a card's menu (its author, edit, delete, move and moderation)."""
    card.locator("details.card-menu > summary").click()
    expect(card.locator("details.card-menu")).to_have_attribute("open", "")


def _add_card(site: Site, column: str, text: str) -> None:
    section = _column(site, column)
    section.get_by_label(es("Card"), exact=True).fill(text)
    site.click(section.get_by_role("button", name=named(es("Add card"), column)))
    expect(site.page.locator(".board-card", has_text=text)).to_be_visible()


def test_two_participants_see_each_other_live_and_facilitator_clusters_and_votes(site, open_site):
    ana, beto, projector = open_site(), open_site(), open_site()
    first, second = ana.register("es"), beto.register("es")
    board = _setup(site, [first.email, second.email])
    transparency = es("Transparency")

    for person in (ana, beto):
        person.visit(board)
        _mark(person)
    projector.visit(board + "/present")
    _mark(projector)

    _add_card(ana, transparency, "Actas del concejo en formato abierto")
    expect(beto.page.get_by_text("Actas del concejo en formato abierto", exact=True)).to_be_visible(timeout=LIVE_MS)
    _still_same_document(beto)
    _mark(ana)  # Ana's page reloaded after her own card.
    _add_card(beto, transparency, "Publicar el presupuesto por barrio")
    expect(ana.page.get_by_text("Publicar el presupuesto por barrio", exact=True)).to_be_visible(timeout=LIVE_MS)
    _still_same_document(ana)
    for text in ("Actas del concejo en formato abierto", "Publicar el presupuesto por barrio"):
        expect(projector.page.get_by_text(text, exact=True)).to_be_visible(timeout=LIVE_MS)
    _still_same_document(projector)

    # The facilitator groups the two cards in a named cluster.
    site.visit(board)
    column = _column(site, transparency)
    column.locator("summary", has_text=es("Column settings")).click()
    column.get_by_label(es("New cluster in this column"), exact=True).fill("Información pública")
    site.click(column.get_by_role("button", name=es("Create cluster")))
    for text in ("Actas del concejo", "Publicar el presupuesto"):
        card = site.page.locator(".board-card", has_text=text)
        _open_menu(card)
        move = site.page.get_by_label(named(es("Move to"), text))
        move.select_option(label=f"{transparency} › Información pública")
        site.click(card.get_by_role("button", name=named(es("Move"))))
    cluster = projector.page.locator("section.cluster", has_text="Información pública")
    expect(cluster.locator(".board-card")).to_have_count(2, timeout=LIVE_MS)
    expect(ana.page.locator("section.cluster", has_text="Información pública").locator(".board-card")).to_have_count(
        2, timeout=LIVE_MS
    )

    # A dot vote: two dots each.
    site.page.locator("summary", has_text=es("Open a dot vote")).click()
    site.page.get_by_label(es("Dots per participant"), exact=True).fill("2")
    site.click(site.page.locator("main").get_by_role("button", name=es("Open the vote")))
    vote = ana.page.get_by_role("button", name=named(es("Add a dot"), "Actas del concejo"))
    expect(vote).to_be_visible(timeout=LIVE_MS)
    _still_same_document(ana)
    ana.click(vote)
    expect(ana.page.get_by_text(es("You have %(num)s dot left of your %(dots)s.", num=1, dots=2))).to_be_visible()
    beto.page.reload()
    beto.check()
    beto.click(beto.page.get_by_role("button", name=named(es("Add a dot"), "Actas del concejo")))
    total = projector.page.locator("section.cluster", has_text="Información pública").locator("[data-cluster-total]")
    expect(total).to_have_text("2", timeout=LIVE_MS)
    card = projector.page.locator(".board-card", has_text="Actas del concejo")
    expect(card.locator(".card-dots")).to_have_text(f"{es('Dots')}: 2")
    _still_same_document(projector)
    site.visit(board)
    site.click(site.page.locator("main").get_by_role("button", name=es("Close the vote")))
    expect(projector.page.get_by_text(re.compile("Votación cerrada"))).to_be_visible(timeout=LIVE_MS)
    projector.check()  # the live page, as it is now, passes axe too


def test_board_by_keyboard_alone(site, open_site):
    """Add a card, move it with the move control, vote: keys only."""
    participant = open_site()
    person = participant.register("es")
    board = _setup(site, [person.email])
    page = site.page
    keyboard = page.keyboard
    transparency = es("Transparency")
    site.visit(board)

    # The facilitator adds a card: focus the card field, type, Tab to the button, Enter.
    field = _column(site, transparency).get_by_label(es("Card"), exact=True)
    field.focus()
    keyboard.type("Tarjeta escrita con el teclado")
    keyboard.press("Tab")
    if page.evaluate("document.activeElement.tagName") == "SELECT":  # "said by", when people are on the sheet
        keyboard.press("Tab")
    expect(_column(site, transparency).get_by_role("button", name=named(es("Add card"), transparency))).to_be_focused()
    with site.loads():
        keyboard.press("Enter")
    card = page.locator(".board-card", has_text="Tarjeta escrita con el teclado")
    expect(card).to_be_visible()

    # Move it to Innovation with the move control, in the card's menu: Enter opens it.
    card.locator("details.card-menu > summary").focus()
    keyboard.press("Enter")
    move = card.get_by_label(named(es("Move to")))
    tab_to(site, move)
    options = move.locator("option").all_text_contents()
    target = options.index("Innovación")
    current = options.index(transparency)
    for _ in range(target - current):
        keyboard.press("ArrowDown")
    keyboard.press("Tab")
    expect(card.get_by_role("button", name=named(es("Move")))).to_be_focused()
    with site.loads():
        keyboard.press("Enter")
    moved = _column(site, "Innovación").locator(".board-card", has_text="Tarjeta escrita con el teclado")
    expect(moved).to_be_visible()

    # Open a vote by keyboard.
    summary = page.locator("summary", has_text=es("Open a dot vote"))
    summary.focus()
    keyboard.press("Enter")
    dots = page.get_by_label(es("Dots per participant"), exact=True)
    dots.focus()
    keyboard.press("Control+A")
    keyboard.type("3")
    page.get_by_role("button", name=es("Open the vote")).focus()
    with site.loads():
        keyboard.press("Enter")

    # The participant votes with the keyboard.
    participant.visit(board)
    button = participant.page.get_by_role("button", name=named(es("Add a dot"), "Tarjeta escrita"))
    button.focus()
    with participant.loads():
        participant.page.keyboard.press("Enter")
    card = participant.page.locator(".board-card", has_text="Tarjeta escrita con el teclado")
    expect(card.locator(".card-dots")).to_have_text(f"{es('Dots')}: 1")
    left = es("You have %(num)s dots left of your %(dots)s.", num=2, dots=3)
    expect(participant.page.get_by_text(left)).to_be_visible()


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}])
def test_demo_workshop_pages_fit_a_phone(site, viewport):
    """The demo's workshops, boards and presenter view at 360 px, signed in as the
    facilitator (every control shown)."""
    site.login("es", *FACILITATOR)
    site.visit("/forums/workshops")
    demo = site.page.locator("main ul.cards a", has_text=re.compile(r"^Taller de (codiseño|expertos) \d:"))
    expect(demo).to_have_count(6)
    for href in demo.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        site.visit(href)
        assert site.page.evaluate("document.documentElement.scrollWidth") <= 360, site.page.url
        boards = site.page.locator("#boards ~ ul a", has_text=re.compile("."))
        for board in boards.evaluate_all("els => els.map(e => e.getAttribute('href'))")[:2]:
            site.visit(board)
            assert site.page.evaluate("document.documentElement.scrollWidth") <= 360, site.page.url


def _board_id(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[1])


def test_card_menu_by_keyboard_move_and_delete_with_confirmation(site):
    """The card's menu by keys only: open it, move the card with the select, then delete
    it through the confirmation step; axe passes with the menu open and on the step."""
    board = _setup(site, [])
    page, keyboard = site.page, site.page.keyboard
    transparency = es("Transparency")
    site.visit(board)
    _add_card(site, transparency, "Tarjeta que se va")
    card = page.locator(".board-card", has_text="Tarjeta que se va")
    menu = card.locator("details.card-menu")
    summary = card.locator("details.card-menu > summary")
    expect(summary).to_contain_text(es("Card options"))
    expect(card.get_by_label(named(es("Move to")))).to_be_hidden()  # text first: the menu is closed

    # Open the menu with the keyboard, choose Innovation in the select, move.
    tab_to(site, summary)
    keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    site.check()  # axe with the menu open
    move = card.get_by_label(named(es("Move to")))
    tab_to(site, move)
    options = move.locator("option").all_text_contents()
    for _ in range(options.index("Innovación") - options.index(transparency)):
        keyboard.press("ArrowDown")
    keyboard.press("Tab")
    expect(card.get_by_role("button", name=named(es("Move")))).to_be_focused()
    with site.loads():
        keyboard.press("Enter")
    card = _column(site, "Innovación").locator(".board-card", has_text="Tarjeta que se va")
    expect(card).to_be_visible()

    # Delete: the menu's link leads to a step that asks first; Enter confirms.
    summary = card.locator("details.card-menu > summary")
    tab_to(site, summary)
    keyboard.press("Enter")
    delete = card.get_by_role("link", name=named(es("Delete"), "Tarjeta que se va"))
    tab_to(site, delete)
    with site.loads():
        keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(es("Delete this card?"))
    expect(page.locator("main")).to_contain_text("Tarjeta que se va")
    tab_to(site, page.locator("main").get_by_role("button", name=es("Delete the card")))
    with site.loads():
        keyboard.press("Enter")
    expect(page.locator(".board-card", has_text="Tarjeta que se va")).to_have_count(0)


def test_live_update_keeps_said_by_typed_text_and_open_menus(site, live_server):
    """A facilitator writing down a card for someone on the sheet: a structural change
    redraws the board's body, and the text, "said by", an open card menu and a changed
    move select all stay as the facilitator left them."""
    board = _setup(site, [])
    board_id = _board_id(board)
    transparency = es("Transparency")
    site.visit(board)
    _add_card(site, transparency, "Tarjeta ya puesta")
    with live_server.app.app_context():
        facilitator = db.session.scalar(select(User).where(User.email == FACILITATOR[0]))
        workshop = db.session.get(Board, board_id).workshop
        rosa = sheets.add_walk_in(facilitator, workshop, "Rosa Vecina", "cso", None, True)
        db.session.commit()
        rosa_id, facilitator_id = str(rosa.id), facilitator.id
    site.visit(board)
    _mark(site)
    column = _column(site, transparency)
    column.get_by_label(es("Card"), exact=True).fill("Lo que dijo Rosa en la sala")
    said_by = column.locator("select[id$='-attendee']")
    said_by.select_option(rosa_id)
    card = site.page.locator(".board-card", has_text="Tarjeta ya puesta")
    _open_menu(card)
    move = card.get_by_label(named(es("Move to")))
    move.select_option(label="Innovación")
    chosen = move.input_value()

    # Someone else adds a cluster: every open page redraws the board's body.
    with live_server.app.app_context():
        live = db.session.get(Board, board_id)
        boards.add_cluster(live, boards.columns(live)[1], "Grupo nuevo")
        db.session.commit()
    expect(site.page.get_by_role("heading", name="Grupo nuevo", level=3)).to_be_visible(timeout=LIVE_MS)
    _still_same_document(site)
    column = _column(site, transparency)
    expect(column.get_by_label(es("Card"), exact=True)).to_have_value("Lo que dijo Rosa en la sala")
    expect(column.locator("select[id$='-attendee']")).to_have_value(rosa_id)
    card = site.page.locator(".board-card", has_text="Tarjeta ya puesta")
    expect(card.locator("details.card-menu")).to_have_attribute("open", "")
    expect(card.get_by_label(named(es("Move to")))).to_have_value(chosen)

    # A card-level change (another card) leaves them too; then the card is added for Rosa.
    with live_server.app.app_context():
        live = db.session.get(Board, board_id)
        writer = db.session.get(User, facilitator_id)
        boards.add_card(writer, live, None, boards.columns(live)[0], "Otra")
        db.session.commit()
    expect(site.page.locator(".board-card", has_text="Otra")).to_be_visible(timeout=LIVE_MS)
    expect(column.locator("select[id$='-attendee']")).to_have_value(rosa_id)
    site.click(column.get_by_role("button", name=named(es("Add card"), transparency)))
    added = site.page.locator(".board-card", has_text="Lo que dijo Rosa en la sala")
    _open_menu(added)
    expect(added.locator(".card-author")).to_contain_text("Rosa Vecina")


def test_locking_the_board_asks_first(site):
    board = _setup(site, [])
    site.visit(board)
    site.click(site.page.locator("main").get_by_role("link", name=es("Lock the board"), exact=True))
    expect(site.page.locator("h1")).to_have_text(es("Lock this board?"))
    site.click(site.page.locator("main").get_by_role("button", name=es("Lock the board"), exact=True))
    expect(site.page.locator("main .notice").first).to_be_visible()
    expect(site.page.locator("main").get_by_role("link", name=es("Lock the board"), exact=True)).to_have_count(0)


def test_board_and_presenter_fit_a_phone_with_dots(site, open_site):
    """At 360 px, with a dot vote and a card menu open: no sideways scroll on the board
    (participant and facilitator) or the presenter view; axe passes on each."""
    participant = open_site()
    person = participant.register("es")
    board = _setup(site, [person.email])
    site.visit(board)
    _add_card(site, es("Transparency"), "Una tarjeta con un texto bastante largo para un teléfono")
    site.page.locator("summary", has_text=es("Open a dot vote")).click()
    site.page.get_by_label(es("Dots per participant"), exact=True).fill("1")
    site.click(site.page.locator("main").get_by_role("button", name=es("Open the vote")))
    participant.visit(board)
    participant.click(participant.page.get_by_role("button", name=named(es("Add a dot"), "Una tarjeta")))
    # No dots left: the button is disabled, its reason beside it.
    button = participant.page.get_by_role("button", name=named(es("Add a dot"), "Una tarjeta"))
    expect(button).to_be_disabled()
    expect(participant.page.locator(".dot-refusal")).to_be_visible()
    for who in (site, participant):
        who.page.set_viewport_size(SMALL)
        who.visit(board)
        card = who.page.locator(".board-card").first
        if card.locator("details.card-menu").count():
            _open_menu(card)
            who.check()
        assert_fits(who)
    site.visit(board + "/present")
    assert_fits(site)
    dots = site.page.locator(".board-card .card-dots strong").first
    expect(dots).to_have_text("1")
    assert float(dots.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 32


def test_card_refused_by_a_lock_is_told_beside_its_column_with_the_text(site, open_site, live_server):
    """On a phone: the facilitator locks the board while a participant types a card; the
    participant sends it and lands beside the column's form, with the reason and the text
    to copy."""
    participant = open_site()
    person = participant.register("es")
    board = _setup(site, [person.email])
    board_id = _board_id(board)
    participant.page.set_viewport_size(SMALL)
    # No live update between the lock and the click (it would redraw the board first).
    participant.page.route("**/changes*", lambda route: route.abort())
    participant.visit(board)
    other = "Otro"
    column = _column(participant, other)
    column.get_by_label(es("Card"), exact=True).fill("Escrita mientras cerraban")
    with live_server.app.app_context():
        boards.set_locked(db.session.get(Board, board_id), True)
        db.session.commit()
    participant.click(column.get_by_role("button", name=named(es("Add card"), other)))
    assert re.search(r"#add-card-\d+$", participant.page.url)
    beside = _column(participant, other).locator("[id^='add-card-']")
    expect(beside.locator(".flash-error")).to_be_in_viewport()
    expect(beside.locator("textarea[readonly]")).to_have_value("Escrita mientras cerraban")


def test_card_with_an_error_comes_back_scrolled_to_its_form(site):
    board = _setup(site, [])
    site.page.set_viewport_size(SMALL)
    site.visit(board)
    other = "Otro"
    column = _column(site, other)
    column.get_by_label(es("Card"), exact=True).fill("   ")
    site.click(column.get_by_role("button", name=named(es("Add card"), other)), status=422)
    expect(_column(site, other).locator(".field-error .error")).to_be_in_viewport()
