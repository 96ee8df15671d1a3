"""Forum sessions (meetings) and moderation in the browser: scheduling a session, registering
with a waiting list, the sign-in sheet with consent, remarks said in the room, minutes;
reporting a post, hiding it, the author's notification; the report box by keyboard; and a
phone screen.

The live database is shared by the session: every test makes its own accounts, sessions and
threads, and finds them by their unique titles. The demo facilitator signs in once for the
module (the login limit is 5 a minute per account) and every test opens its own page in
that browser; its language is chosen with the ``lang`` cookie, never through the footer
form, which would store a preference on the shared demo account.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from forums.discussions.models import Forum
from forums.meetings.models import Meeting
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import SPANISH, Site, tab_to

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")
FORUM = "Foro ciudadano de Providencia"
DEMO_SESSION = "Sesión presencial: Foro ciudadano de Providencia"
SMALL = {"width": 360, "height": 740}

# The Spanish catalogue's wording for sessions and moderation, written out here (not read
# from the catalogue) so that the tests notice a missing or changed translation; the
# shared table in helpers.py covers the rest.
SESSIONS_SPANISH = {
    "%(name)s is checked in.": "Se registró la asistencia de %(name)s.",
    "%(taken)s of %(capacity)s taken": "%(taken)s de %(capacity)s ocupados",
    "A moderator hid your contribution in “%(place)s”: %(reason)s": (
        "Una persona moderadora ocultó su aporte en «%(place)s»: %(reason)s"
    ),
    "Add a walk-in": "Agregar a una persona sin inscripción",
    "Add to the sign-in sheet": "Agregar a la lista de asistencia",
    "Added to the sign-in sheet.": "Se agregó a la lista de asistencia.",
    "Agenda": "Programa",
    "Agrees to be recorded by name": "Acepta quedar registrado/a con su nombre",
    "Attendees who agreed to be named": "Asistentes que aceptaron figurar con su nombre",
    "Back to the session": "Volver a la sesión",
    "Capacity": "Cupo",
    "Check in %(name)s": "Registrar asistencia de %(name)s",
    "Checked in": "Asistencia registrada",
    "Civil-society organisation": "Organización de la sociedad civil",
    "Flagged": "Reportados",
    "Headcount in the room: %(headcount)s, of whom %(named)s on the sign-in sheet.": (
        "Personas contadas en la sala: %(headcount)s, de las cuales %(named)s figuran en la lista de asistencia."
    ),
    "Headcount saved.": "Se guardó el conteo.",
    "Held": "Realizada",
    "Hidden by a moderator.": "Ocultado por una persona moderadora.",
    "Hidden by a moderator: %(reason)s": "Ocultado por una persona moderadora: %(reason)s",
    "Hidden by a moderator: %(reason)s. Only you and the moderators see it.": (
        "Ocultado por una persona moderadora: %(reason)s. Solo usted y el equipo de moderación lo ven."
    ),
    "Hidden contributions": "Aportes ocultos",
    "Hidden. The author can see it, with your reason.": (
        "Se ocultó. Su autor o autora puede verlo, junto con el motivo."
    ),
    "Hide": "Ocultar",
    "in the session": "en la sesión",
    "Join the waiting list": "Inscribirse en la lista de espera",
    "Minutes": "Acta",
    "Minutes saved.": "Se guardó el acta.",
    "Moderation": "Moderación",
    "Name (optional)": "Nombre (opcional)",
    "No": "No",
    "Notifications": "Notificaciones",
    "On the sign-in sheet": "En la lista de asistencia",
    "On the waiting list": "En lista de espera",
    "People attending": "Personas asistentes",
    "People in the room": "Personas en la sala",
    "Place": "Lugar",
    "Places": "Cupos",
    "Profile": "Perfil",
    "Published: everyone who can see the forum can read them": (
        "Publicada: toda persona que puede ver el foro puede leerla"
    ),
    "Reason, shown to the author": "Motivo (se mostrará a su autor o autora)",
    "Register for this session": "Inscribirse en esta sesión",
    # A registration's status (forums/meetings.py RegistrationStatus.REGISTERED), as in
    # "Quedó inscrito/a." — not the admin page's "Registered" (date of registration).
    "Registered": "Inscrito/a",
    "Registered people": "Personas inscritas",
    "Remark written down.": "Se anotó la intervención.",
    "Report to the moderators": "Reportar a moderación",
    "Said by": "Dicho por",
    "Said in the room": "Dicho en la sala",
    "Save headcount": "Guardar conteo",
    "Save minutes": "Guardar acta",
    "Schedule a session": "Programar una sesión",
    "Scheduled": "Programada",
    "Send report": "Enviar reporte",
    "Session scheduled.": "Se programó la sesión.",
    "Sign-in sheet": "Lista de asistencia",
    "Sign-in sheet and remarks": "Lista de asistencia e intervenciones",
    "Starts": "Comienza",
    "Thank you. Moderators will look at it.": "Gracias. El equipo de moderación lo revisará.",
    "The session is full: you are on the waiting list.": "La sesión está llena: quedó en la lista de espera.",
    "Unnamed attendee": "Asistente sin nombre",
    "Unnamed attendee %(number)s": "Asistente sin nombre %(number)s",
    "%(num)d attendee is not named.": "%(num)d asistente no figura con su nombre.",
    "Back to scheduled": "Volver a programada",
    "Mark as held": "Marcar como realizada",
    "Mark this session as held?": "¿Marcar esta sesión como realizada?",
    "The session is marked as held.": "La sesión quedó marcada como realizada.",
    "remark %(number)s": "intervención %(number)s",
    "Back to the sign-in sheet": "Volver a la lista de asistencia",
    "Cancel the session": "Cancelar la sesión",
    "Cancel this session": "Cancelar esta sesión",
    "Cancel this session?": "¿Cancelar esta sesión?",
    "Cancelled": "Cancelada",
    "Correct": "Corregir",
    "Correct a remark": "Corregir una intervención",
    "Create an account": "Crear una cuenta",
    "Minutes saved and published: everyone who can see the forum can read them.": (
        "Se guardó y publicó el acta: toda persona que puede ver el foro puede leerla."
    ),
    "Preview": "Vista previa",
    "Preview (not saved yet)": "Vista previa (aún no se guarda)",
    "Put this session back to scheduled?": "¿Volver a dejar esta sesión como programada?",
    "Remark corrected.": "Se corrigió la intervención.",
    "Remark removed from the sign-in sheet.": "Se quitó la intervención de la lista de asistencia.",
    "Remarks written down": "Intervenciones anotadas",
    "Remove": "Quitar",
    "Remove the remark": "Quitar la intervención",
    "Remove this remark?": "¿Quitar esta intervención?",
    "Save changes": "Guardar cambios",
    "Session cancelled.": "Se canceló la sesión.",
    "The session is scheduled again.": "La sesión vuelve a estar programada.",
    "To register for this session, sign in and join the forum “%(forum)s”.": (
        "Para inscribirse en esta sesión, inicie sesión y únase al foro «%(forum)s»."
    ),
    "Unread:": "No leída:",
    "View": "Ver",
    "What was said": "Lo que se dijo",
    "When": "Cuándo",
    "Why should moderators look at this?": "¿Por qué debería revisarlo moderación?",
    "Write down": "Anotar",
    "Yes": "Sí",
    "You are registered.": "Quedó inscrito/a.",
    "Your registration: %(status)s.": "Su inscripción: %(status)s.",
    "did not agree to be named": "no aceptó figurar con su nombre",
}


def tr(lang: str, msgid: str, **values) -> str:
    """What the interface shows for ``msgid`` in ``lang`` (this module's table, then the shared one)."""
    text = msgid if lang != "es" else SESSIONS_SPANISH.get(msgid) or SPANISH[msgid]
    return text % values if values else text


def token() -> str:
    return uuid.uuid4().hex[:8]


# Locators -------------------------------------------------------------------------------


def main(site):
    return site.page.locator("main")


def button(scope, lang, msgid, **values):
    return scope.get_by_role("button", name=tr(lang, msgid, **values), exact=True)


def link(scope, lang, msgid):
    return scope.get_by_role("link", name=tr(lang, msgid), exact=True)


def label(scope, lang, msgid):
    return scope.get_by_label(tr(lang, msgid), exact=True)


def main_link(site, name):
    return main(site).get_by_role("link", name=name, exact=True)


def header_link(site, lang, msgid):
    """A header link (the menu opened first on a phone); the notifications link's name
    also holds its unread count."""
    site.open_menu()
    return site.page.locator("header").get_by_role("link", name=re.compile(rf"^{re.escape(tr(lang, msgid))}\b"))


def post(site, number):
    return site.page.locator(f"main article#post-{number}")


def stats(site) -> dict[str, str]:
    """The attendance figures (dl.stats) as {label: number}."""
    return dict(
        site.page.evaluate(
            "[...document.querySelectorAll('main dl.stats > div')]"
            ".map(d => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()])"
        )
    )


def details_value(site, lang, msgid):
    """The <dd> after the session details' <dt>``msgid``</dt>."""
    return (
        main(site)
        .locator("dl.details dt", has_text=re.compile(rf"^{re.escape(tr(lang, msgid))}$"))
        .locator("xpath=following-sibling::dd[1]")
    )


def assert_fits(site):
    width = site.page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL["width"], f"{site.page.url} scrolls sideways: {width}px wide in a {SMALL['width']}px screen"


# Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paths(live_server):
    """The addresses of the demo forum and of its held session, read from the database
    once (the journeys reach them through the interface where that is what is tested)."""
    with live_server.app.app_context():
        forum_id = db.session.scalar(select(Forum.id).where(Forum.title == FORUM))
        session_id = db.session.scalar(select(Meeting.id).where(Meeting.title == DEMO_SESSION))
        db.session.remove()
    return {"forum": f"/forums/{forum_id}", "demo session": f"/forums/sessions/{session_id}"}


@pytest.fixture(scope="module")
def facilitator_context(browser, live_server):
    """A browser where the demo facilitator is signed in, once for the module."""
    context = browser.new_context(base_url=live_server.url, locale="es-CL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = context.new_page()
        Site(page, live_server.url).login("es", *FACILITATOR)
        page.close()
        yield context
    finally:
        context.close()


@pytest.fixture
def open_facilitator(facilitator_context, live_server, viewport):
    """A new page in the facilitator's browser, in ``lang`` (the demo account has no stored
    language, so the ``lang`` cookie chooses it), as a checked Site."""
    pages = []

    def open_(lang="es"):
        facilitator_context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        page = facilitator_context.new_page()
        page.set_viewport_size(viewport)
        pages.append(page)
        return Site(page, live_server.url)

    yield open_
    for page in pages:
        page.close()


# Journeys ------------------------------------------------------------------------------


def join(site, lang, title=FORUM):
    site.click(button(main(site), lang, "Join this forum"))
    expect(site.flash()).to_contain_text(tr(lang, "You joined %(forum)s.", forum=title))


def member_at_session(site, lang, forum_path, session_title):
    """A new citizen, in ``lang``, who joins the forum and opens the session's page."""
    account = site.register(lang)
    site.visit(forum_path)
    join(site, lang)
    site.click(main(site).locator("section[aria-labelledby=sessions-heading]").get_by_role("link", name=session_title))
    expect(site.page.locator("h1")).to_have_text(session_title)
    return account


def report(site, lang, scope, reason):
    """Follow "Report to the moderators" in ``scope`` with the mouse, and send ``reason``
    from the report's page."""
    site.click(link(scope.locator(".flag-box"), lang, "Report to the moderators"))
    expect(site.page.locator("h1")).to_have_text(tr(lang, "Report to the moderators"))
    if site.page.viewport_size["width"] <= SMALL["width"]:
        assert_fits(site)  # the report's page too, on a phone
    label(main(site), lang, "Why should moderators look at this?").fill(reason)
    site.click(button(main(site), lang, "Send report"))
    expect(site.flash()).to_contain_text(tr(lang, "Thank you. Moderators will look at it."))


# 1. A session from scheduling to published minutes -----------------------------------------


def test_session_from_scheduling_to_minutes(lang, paths, open_site, open_facilitator):
    facilitator = open_facilitator(lang)
    facilitator.visit("/forums/")
    facilitator.expect_lang(lang)
    facilitator.click(main_link(facilitator, FORUM))
    facilitator.click(link(main(facilitator), lang, "Schedule a session"))
    expect(facilitator.page.locator("h1")).to_have_text(tr(lang, "Schedule a session"))
    title = f"Sesión abierta {token()}"
    form = main(facilitator)
    label(form, lang, "Title").fill(title)
    label(form, lang, "Starts").fill("2027-03-10T18:30")
    label(form, lang, "Place").fill("Sede vecinal Los Aromos")
    label(form, lang, "Capacity").fill("1")
    label(form, lang, "Agenda").fill("1. Bienvenida\n2. **Presupuesto** participativo")
    facilitator.click(button(form, lang, "Save"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Session scheduled."))
    expect(facilitator.page.locator("h1")).to_have_text(title)
    session_path = facilitator.page.url.removeprefix(facilitator.base_url)
    expect(details_value(facilitator, lang, "Status")).to_have_text(tr(lang, "Scheduled"))
    # The time typed in is the platform's (America/Santiago), and shown as typed.
    expect(details_value(facilitator, lang, "When")).to_contain_text(
        {"es": "miércoles 10 de marzo de 2027, 18:30", "en": "Wednesday, 10 March 2027, 18:30"}[lang]
    )
    expect(details_value(facilitator, lang, "Place")).to_have_text("Sede vecinal Los Aromos")
    expect(details_value(facilitator, lang, "Places")).to_have_text(
        tr(lang, "%(taken)s of %(capacity)s taken", taken=0, capacity=1)
    )
    expect(main(facilitator).locator("section[aria-labelledby=agenda-heading] strong")).to_have_text("Presupuesto")

    # The first citizen takes the only place.
    first = open_site()
    first_account = member_at_session(first, lang, paths["forum"], title)
    first.click(button(main(first), lang, "Register for this session"))
    expect(first.flash()).to_contain_text(tr(lang, "You are registered."))
    expect(details_value(first, lang, "Places")).to_have_text(
        tr(lang, "%(taken)s of %(capacity)s taken", taken=1, capacity=1)
    )
    first_notice = main(first).locator("p.notice").inner_text()

    # The second lands on the waiting list.
    second = open_site()
    member_at_session(second, lang, paths["forum"], title)
    expect(button(main(second), lang, "Register for this session")).to_have_count(0)
    second.click(button(main(second), lang, "Join the waiting list"))
    expect(second.flash()).to_contain_text(tr(lang, "The session is full: you are on the waiting list."))
    waiting = tr(lang, "Your registration: %(status)s.", status=tr(lang, "On the waiting list"))
    expect(main(second).locator("p.notice")).to_have_text(waiting)

    # The sign-in sheet: a check-in with consent, two walk-ins, a headcount, a remark.
    facilitator.click(link(main(facilitator), lang, "Sign-in sheet and remarks"))
    expect(facilitator.page.locator("h1")).to_have_text(f"{tr(lang, 'Sign-in sheet')}: {title}")
    registered = main(facilitator).locator("section[aria-labelledby=registered-heading] li")
    expect(registered).to_have_count(2)
    row = registered.filter(has_text=first_account.name)
    label(row, lang, "Agrees to be recorded by name").check()
    facilitator.click(button(row, lang, "Check in %(name)s", name=first_account.name))
    expect(facilitator.flash()).to_contain_text(tr(lang, "%(name)s is checked in.", name=first_account.name))
    expect(row.locator(".badge")).to_have_text(tr(lang, "Checked in"))

    walk_in_name = f"Rosa Pérez {token()}"
    walk_ins = main(facilitator).locator("section[aria-labelledby=walkin-heading]")
    expect(walk_ins.locator("h2")).to_have_text(tr(lang, "Add a walk-in"))
    label(walk_ins, lang, "Name (optional)").fill(walk_in_name)
    label(walk_ins, lang, "Profile").select_option(label=tr(lang, "Citizen"))
    expect(label(walk_ins, lang, "Municipality").locator("option:checked")).to_have_text("Providencia")
    label(walk_ins, lang, "Agrees to be recorded by name").check()
    facilitator.click(button(walk_ins, lang, "Add to the sign-in sheet"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Added to the sign-in sheet."))

    expect(label(walk_ins, lang, "Name (optional)")).to_have_value("")
    label(walk_ins, lang, "Profile").select_option(label=tr(lang, "Civil-society organisation"))
    expect(label(walk_ins, lang, "Agrees to be recorded by name")).not_to_be_checked()
    facilitator.click(button(walk_ins, lang, "Add to the sign-in sheet"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Added to the sign-in sheet."))

    label(main(facilitator), lang, "People in the room").fill("12")
    facilitator.click(button(main(facilitator), lang, "Save headcount"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Headcount saved."))

    remark = f"Pedimos que el acta llegue por correo {token()}."
    remarks = main(facilitator).locator("section[aria-labelledby=remark-heading]")
    label(remarks, lang, "Said by").select_option(label=walk_in_name)
    label(remarks, lang, "What was said").fill(remark)
    facilitator.click(button(remarks, lang, "Write down"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Remark written down."))

    sheet_rows = main(facilitator).locator("section[aria-labelledby=sheet-heading] tbody tr")
    expect(sheet_rows).to_have_count(3)
    expect(sheet_rows.nth(0).locator("td")).to_have_text(
        [first_account.name, tr(lang, "Citizen"), "Peñalolén", tr(lang, "Yes")]
    )
    expect(sheet_rows.nth(1).locator("td")).to_have_text(
        [walk_in_name, tr(lang, "Citizen"), "Providencia", tr(lang, "Yes")]
    )
    # A walk-in without a name has the label the "said by" choices give them.
    unnamed = tr(lang, "Unnamed attendee %(number)s", number=3)
    expect(sheet_rows.nth(2).locator("td")).to_have_text(
        [unnamed, tr(lang, "Civil-society organisation"), "Providencia", tr(lang, "No")]
    )
    expect(label(remarks, lang, "Said by").locator("option", has_text=unnamed)).to_have_count(1)
    # The remark is on the sheet, to be corrected there.
    written = main(facilitator).locator("section[aria-labelledby=remarks-heading] li").filter(has_text=remark)
    expect(written.locator(".post-meta strong")).to_have_text(walk_in_name)
    counts = {
        tr(lang, "People attending"): "12",
        tr(lang, "Citizen"): "2",
        tr(lang, "Civil-society organisation"): "1",
    }
    assert stats(facilitator) == counts

    # The minutes, published.
    facilitator.click(link(main(facilitator), lang, "Back to the session"))
    facilitator.click(link(main(facilitator).locator("ul.manage"), lang, "Minutes"))
    minutes = f"Acta: asistieron doce personas. Acuerdo **{token()}**."
    label(main(facilitator), lang, "Minutes").fill(minutes)
    label(main(facilitator), lang, "Published: everyone who can see the forum can read them").check()
    # A preview first: the page again with the text drawn, nothing saved, the choice kept.
    facilitator.click(button(main(facilitator), lang, "Preview"))
    preview = main(facilitator).locator("section[aria-labelledby=preview-heading]")
    expect(preview.locator("h2")).to_have_text(tr(lang, "Preview (not saved yet)"))
    expect(preview.locator(".post-body strong")).to_have_count(1)
    expect(label(main(facilitator), lang, "Minutes")).to_have_value(minutes)
    expect(label(main(facilitator), lang, "Published: everyone who can see the forum can read them")).to_be_checked()
    facilitator.click(button(main(facilitator), lang, "Save minutes"))
    expect(facilitator.flash()).to_contain_text(
        tr(lang, "Minutes saved and published: everyone who can see the forum can read them.")
    )
    expect(facilitator.page).to_have_url(facilitator.url_of(session_path))

    # The forum page shows the remark, with its speaker and a link to the session.
    facilitator.click(facilitator.page.locator("nav.breadcrumbs").get_by_role("link", name=FORUM, exact=True))
    room = main(facilitator).locator("section[aria-labelledby=room-heading]")
    expect(room.locator("h2")).to_have_text(tr(lang, "Said in the room"))
    said = room.locator("li").filter(has_text=remark)
    expect(said.locator(".post-meta strong")).to_have_text(walk_in_name)
    expect(said.locator(".post-meta")).to_contain_text(tr(lang, "in the session"))
    expect(said.get_by_role("link", name=title, exact=True)).to_have_attribute("href", session_path)

    # What a member who is not a facilitator sees: figures, only the consenting names.
    second.visit(session_path)
    # The session is in 2027: checking people in early did not mark it held.
    expect(details_value(second, lang, "Status")).to_have_text(tr(lang, "Scheduled"))
    expect(main(second).locator("p.notice")).to_have_text(waiting)
    assert stats(second) == counts
    expect(main(second).locator("section[aria-labelledby=attendance-heading] p.hint")).to_have_text(
        tr(
            lang,
            "Headcount in the room: %(headcount)s, of whom %(named)s on the sign-in sheet.",
            headcount=12,
            named=3,
        )
    )
    attendance = main(second).locator("section[aria-labelledby=attendance-heading]")
    expect(attendance.locator("h3")).to_have_text(tr(lang, "Attendees who agreed to be named"))
    named = attendance.locator("ul.member-list li")
    expect(named).to_have_count(2)
    expect(named.nth(0)).to_contain_text(first_account.name)
    expect(named.nth(1)).to_contain_text(walk_in_name)
    expect(attendance).not_to_contain_text(tr(lang, "Unnamed attendee"))
    expect(attendance.locator("#unnamed-attendees")).to_have_text(tr(lang, "%(num)d attendee is not named.", num=1))
    expect(attendance.locator("ul.member-list")).not_to_contain_text(tr(lang, "Civil-society organisation"))
    expect(attendance).not_to_contain_text(tr(lang, "did not agree to be named"))
    said = main(second).locator("section[aria-labelledby=remarks-heading] li").filter(has_text=remark)
    expect(said.locator(".post-meta strong")).to_have_text(walk_in_name)
    expect(link(main(second), lang, "Sign-in sheet and remarks")).to_have_count(0)
    published = main(second).locator("section[aria-labelledby=minutes-heading]")
    expect(published.locator("h2")).to_have_text(tr(lang, "Minutes"))
    expect(published.locator(".post-body")).to_contain_text("Acta: asistieron doce personas.")
    expect(published.locator(".post-body strong")).to_have_count(1)

    # Last, so that the rest of the journey is checked even if it fails: the status the
    # first citizen was shown when registering.
    assert first_notice == tr(lang, "Your registration: %(status)s.", status=tr(lang, "Registered")), (
        f"the registration status is shown as {first_notice!r}"
    )


# 1b. Status changes, remarks corrected and removed, and how a visitor registers ------------


def schedule(site, lang, title, starts):
    """The facilitator schedules a session of the demo forum; returns its path."""
    site.visit("/forums/")
    site.click(main_link(site, FORUM))
    site.click(link(main(site), lang, "Schedule a session"))
    form = main(site)
    label(form, lang, "Title").fill(title)
    label(form, lang, "Starts").fill(starts)
    site.click(button(form, lang, "Save"))
    expect(site.flash()).to_contain_text(tr(lang, "Session scheduled."))
    return site.page.url.removeprefix(site.base_url)


def confirm_status(site, lang, link_text, question, button_text, done, status):
    """Follow a status link to its confirmation page, confirm, and read the status."""
    site.click(link(main(site).locator("ul.manage"), lang, link_text))
    expect(site.page.locator("h1")).to_have_text(tr(lang, question))
    site.click(button(main(site), lang, button_text))
    expect(site.flash()).to_contain_text(tr(lang, done))
    expect(details_value(site, lang, "Status")).to_have_text(tr(lang, status))


def test_session_status_remarks_and_how_to_register(lang, open_site, open_facilitator):
    facilitator = open_facilitator(lang)
    title = f"Sesión pasada {token()}"
    session_path = schedule(facilitator, lang, title, "2017-05-10T18:30")

    # An anonymous visitor is told how to register.
    visitor = open_site()
    visitor.visit(f"{session_path}?lang={lang}")
    how = main(visitor).locator("#how-to-register")
    expect(how).to_contain_text(
        tr(lang, "To register for this session, sign in and join the forum “%(forum)s”.", forum=FORUM)
    )
    expect(link(how, lang, "Sign in")).to_have_attribute("href", re.compile(r"/login\?next="))
    expect(link(how, lang, "Create an account")).to_be_visible()

    # A remark written down, corrected, then removed, each from the sheet.
    facilitator.click(link(main(facilitator), lang, "Sign-in sheet and remarks"))
    walk_ins = main(facilitator).locator("section[aria-labelledby=walkin-heading]")
    label(walk_ins, lang, "Name (optional)").fill("Vecina del sector")
    label(walk_ins, lang, "Agrees to be recorded by name").check()
    facilitator.click(button(walk_ins, lang, "Add to the sign-in sheet"))
    remarks = main(facilitator).locator("section[aria-labelledby=remark-heading]")
    label(remarks, lang, "What was said").fill("Faltan luminarias")
    facilitator.click(button(remarks, lang, "Write down"))
    written = main(facilitator).locator("section[aria-labelledby=remarks-heading]")
    expect(written.locator("h2")).to_have_text(tr(lang, "Remarks written down"))
    first = f"{tr(lang, 'Correct')} {tr(lang, 'remark %(number)s', number=1)}"
    facilitator.click(written.get_by_role("link", name=first, exact=True))
    expect(facilitator.page.locator("h1")).to_contain_text(tr(lang, "Correct a remark"))
    label(main(facilitator), lang, "Said by").select_option(label="Vecina del sector")
    label(main(facilitator), lang, "What was said").fill("Faltan luminarias en la plaza")
    facilitator.click(button(main(facilitator), lang, "Save changes"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Remark corrected."))
    item = written.locator("li.post")
    expect(item.locator(".post-body")).to_have_text("Faltan luminarias en la plaza")
    expect(item.locator(".post-meta strong")).to_have_text("Vecina del sector")
    remove = f"{tr(lang, 'Remove')} {tr(lang, 'remark %(number)s', number=1)}"
    facilitator.click(written.get_by_role("link", name=remove, exact=True))
    expect(facilitator.page.locator("h1")).to_have_text(tr(lang, "Remove this remark?"))
    facilitator.click(button(main(facilitator), lang, "Remove the remark"))
    expect(facilitator.flash()).to_contain_text(tr(lang, "Remark removed from the sign-in sheet."))
    expect(written.locator("li.post")).to_have_count(0)

    # Held, undone, then cancelled: each through its confirmation page.
    facilitator.visit(session_path)
    expect(details_value(facilitator, lang, "Status")).to_have_text(tr(lang, "Scheduled"))
    confirm_status(
        facilitator,
        lang,
        "Mark as held",
        "Mark this session as held?",
        "Mark as held",
        "The session is marked as held.",
        "Held",
    )
    confirm_status(
        facilitator,
        lang,
        "Back to scheduled",
        "Put this session back to scheduled?",
        "Back to scheduled",
        "The session is scheduled again.",
        "Scheduled",
    )
    confirm_status(
        facilitator,
        lang,
        "Cancel this session",
        "Cancel this session?",
        "Cancel the session",
        "Session cancelled.",
        "Cancelled",
    )


# 2. Reporting a post; a facilitator hides it; the author is told ---------------------------


def test_reported_post_is_hidden_and_its_author_told(site, paths, open_site, open_facilitator):
    author = site
    account = author.register("es")
    author.visit(paths["forum"])
    join(author, "es")
    author.click(link(main(author), "es", "Start a thread"))
    title = f"Luminarias apagadas {token()}"
    body = f"En mi pasaje hay tres luminarias apagadas {token()}."
    label(main(author), "es", "Title").fill(title)
    label(main(author), "es", "Message").fill(body)
    author.click(button(main(author), "es", "Publish"))
    expect(author.flash()).to_contain_text(tr("es", "Thread published."))
    thread_path = author.page.url.removeprefix(author.base_url)
    # Nobody reports their own post.
    expect(post(author, 1).locator(".flag-box")).to_have_count(0)

    reporter = open_site()
    reporter_account = reporter.register("es")
    reporter.visit(thread_path)
    reason = f"Trae datos personales de vecinos {token()}"
    report(reporter, "es", post(reporter, 1), reason)
    expect(reporter.page).to_have_url(re.compile(rf"{re.escape(thread_path)}(\?page=1)?#post-1$"))

    facilitator = open_facilitator("es")
    facilitator.visit("/")
    facilitator.click(header_link(facilitator, "es", "Moderation"))
    expect(facilitator.page.locator("h1")).to_have_text(tr("es", "Moderation"))
    flagged = main(facilitator).locator("section[aria-labelledby=flagged-heading]")
    expect(flagged.locator("h2")).to_have_text(tr("es", "Flagged"))
    card = flagged.locator("li.card").filter(has=facilitator.page.get_by_role("link", name=title, exact=True))
    expect(card).to_have_count(1)
    expect(card.locator(".post-meta strong")).to_have_text(account.name)
    expect(card.locator(".post-body")).to_contain_text(body)
    expect(card).to_contain_text(reason)
    expect(card).to_contain_text(reporter_account.name)
    hide_reason = f"Publica datos personales {token()}"
    label(card, "es", "Reason, shown to the author").fill(hide_reason)
    facilitator.click(button(card, "es", "Hide"))
    expect(facilitator.flash()).to_contain_text(tr("es", "Hidden. The author can see it, with your reason."))
    expect(card).to_have_count(0)
    hidden = main(facilitator).locator("section[aria-labelledby=hidden-heading] li").filter(has_text=hide_reason)
    expect(hidden.get_by_role("link", name=title, exact=True)).to_be_visible()

    # The author: a count in the header, the notice, and the post with the reason.
    author.visit(thread_path)
    notifications = header_link(author, "es", "Notifications")
    expect(notifications.locator(".count")).to_contain_text("1")
    author.click(notifications)
    expect(author.page.locator("h1")).to_have_text(tr("es", "Notifications"))
    notice = main(author).locator("ul.notification-list li").filter(has_text=hide_reason)
    expect(notice).to_contain_text(
        tr("es", "A moderator hid your contribution in “%(place)s”: %(reason)s", place=title, reason=hide_reason)
    )
    expect(notice.locator(".visually-hidden")).to_have_text(tr("es", "Unread:") + " ")
    author.click(button(notice, "es", "View"))
    expect(author.page).to_have_url(re.compile(rf"{re.escape(thread_path)}\?page=1#post-1$"))
    expect(post(author, 1).locator("p.notice")).to_have_text(
        tr("es", "Hidden by a moderator: %(reason)s. Only you and the moderators see it.", reason=hide_reason)
    )
    expect(post(author, 1).locator(".post-body")).to_have_text(body)
    expect(header_link(author, "es", "Notifications").locator(".count")).to_have_count(0)

    # Anyone else sees only the placeholder.
    visitor = open_site()
    visitor.visit(thread_path)
    expect(post(visitor, 1).locator(".placeholder")).to_have_text(tr("es", "Hidden by a moderator."))
    expect(post(visitor, 1).locator(".post-body")).to_have_count(0)
    expect(main(visitor)).not_to_contain_text(body)
    expect(main(visitor)).not_to_contain_text(hide_reason)


# 3. A report by keyboard ------------------------------------------------------------------


def test_report_by_keyboard(site, paths):
    page = site.page
    keyboard = page.keyboard
    site.register("es")
    site.visit(paths["forum"])
    # The oldest activity: a demo thread, whose first post is someone else's.
    site.click(main(site).locator("ul.thread-list a.thread-title").last)
    report_link = link(post(site, 1).locator(".flag-box"), "es", "Report to the moderators")
    tab_to(site, report_link)
    with site.loads():
        keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(tr("es", "Report to the moderators"))
    reason_field = label(main(site), "es", "Why should moderators look at this?")
    tab_to(site, reason_field)
    keyboard.type(f"Lenguaje ofensivo {token()}")
    with site.loads():
        keyboard.press("Enter")
    expect(site.flash()).to_contain_text(tr("es", "Thank you. Moderators will look at it."))
    expect(page).to_have_url(re.compile(r"#post-1$"))


# 4. A phone screen -------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [SMALL])
def test_session_sheet_and_moderation_fit_a_small_screen(site, paths, open_facilitator):
    # A citizen reports a remark said at the demo's session, so the queue is not empty.
    site.register("es")
    site.visit(paths["demo session"])
    expect(site.page.locator("h1")).to_have_text(DEMO_SESSION)
    assert_fits(site)
    remark = main(site).locator("section[aria-labelledby=remarks-heading] li").first
    report(site, "es", remark, f"Revisar esta intervención {token()}")
    assert_fits(site)

    facilitator = open_facilitator("es")
    facilitator.visit(paths["demo session"])
    expect(facilitator.page.locator("h1")).to_have_text(DEMO_SESSION)
    assert_fits(facilitator)
    facilitator.click(link(main(facilitator), "es", "Sign-in sheet and remarks"))
    expect(main(facilitator).locator("section[aria-labelledby=sheet-heading] tbody tr").first).to_be_visible()
    assert_fits(facilitator)
    facilitator.click(header_link(facilitator, "es", "Moderation"))
    card = (
        main(facilitator)
        .locator("li.card")
        .filter(has=facilitator.page.get_by_role("link", name=DEMO_SESSION, exact=True))
    )
    expect(card.first).to_be_visible()
    assert_fits(facilitator)
