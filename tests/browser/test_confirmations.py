"""The confirmation steps no other journey visits (issue 12): leaving a forum, cancelling
one's registration for a session, and removing someone's role. Each is reached from the
page where the action is offered; the step is checked (axe, like every page ``Site``
loads); its way back returns to that page with nothing changed; its button then does it.
The registration's step is confirmed from the keyboard.

The live database is shared by the session: each test makes its own accounts (and its
own session or role), and the demo administrator stays in Spanish, as in test_admin.py.
"""

import uuid
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts import services as accounts
from core.extensions import db
from core.roles import Role
from forums.discussions.models import Forum
from forums.meetings.models import Meeting
from tests.browser.helpers import PASSWORD, SPANISH, Site, tab_to

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

ADMIN = ("admin@demo.cocrea.cl", "demo-admin-2016")
FORUM = "Foro ciudadano de Providencia"

# The Spanish catalogue's wording for these steps, written out here (not read from the
# catalogue) so that the tests notice a missing or changed translation; the shared table
# in helpers.py covers the rest.
CONFIRM_SPANISH = {
    "Advisory committee member / expert": "Integrante del comité asesor / experto/a",
    "Back to the account": "Volver a la cuenta",
    "Back to the forum": "Volver al foro",
    "Back to the session": "Volver a la sesión",
    "Cancel my registration": "Cancelar mi inscripción",
    "Cancel your registration?": "¿Cancelar su inscripción?",
    "Leave %(forum)s?": "¿Salir de %(forum)s?",
    "Leave the forum": "Salir del foro",
    "Leave this forum": "Salir de este foro",
    "Register for this session": "Inscribirse en esta sesión",
    "Remove role %(role)s": "Quitar el rol %(role)s",
    "Remove the role": "Quitar el rol",
    "Remove the role %(role)s from %(name)s?": "¿Quitar el rol %(role)s a %(name)s?",
    "Role removed.": "Rol retirado.",
    "They lose what this role allows at once. You can grant it again later.": (
        "Pierde de inmediato lo que este rol le permite. Puede volver a otorgarlo más adelante."
    ),
    "What you wrote stays in the forum. You will no longer be able to post or register for its sessions "
    "until you join again.": (
        "Lo que escribió queda en el foro. No podrá publicar ni inscribirse en sus sesiones hasta que vuelva a unirse."
    ),
    "You are registered.": "Quedó inscrito/a.",
    "You left %(forum)s.": "Salió de %(forum)s.",
    "Your place goes to the first person on the waiting list, if there is one. You can register again while "
    "registration is open.": (
        "Su cupo pasa a la primera persona de la lista de espera, si la hay. Puede volver a inscribirse mientras las"
        " inscripciones estén abiertas."
    ),
    "Your registration is cancelled.": "Se canceló su inscripción.",
}


def tr(lang: str, msgid: str, **values) -> str:
    """What the interface shows for ``msgid`` in ``lang`` (this module's table, then the shared one)."""
    text = msgid if lang != "es" else CONFIRM_SPANISH.get(msgid) or SPANISH[msgid]
    return text % values if values else text


def token() -> str:
    return uuid.uuid4().hex[:8]


def main(site):
    return site.page.locator("main")


def button(site, lang, msgid, **values):
    return main(site).get_by_role("button", name=tr(lang, msgid, **values), exact=True)


def link(site, lang, msgid, **values):
    return main(site).get_by_role("link", name=tr(lang, msgid, **values), exact=True)


def expect_step(site, lang, question, explanation, button_msgid, **values):
    """The confirmation page: its one heading is the question, which names the form; the
    explanation; the button. (``Site`` has already run axe on it.)"""
    heading = site.page.locator("h1")
    expect(heading).to_have_count(1)
    expect(heading).to_have_text(question)
    form = site.page.get_by_role("form", name=question)
    expect(form).to_have_attribute("method", "post")
    expect(form.locator("input[name=csrf_token]")).to_have_count(1)
    expect(main(site)).to_contain_text(tr(lang, explanation))
    expect(form.get_by_role("button", name=tr(lang, button_msgid, **values), exact=True)).to_be_visible()


@pytest.fixture(scope="module")
def forum_path(live_server):
    with live_server.app.app_context():
        forum_id = db.session.scalar(select(Forum.id).where(Forum.title == FORUM))
        db.session.remove()
    return f"/forums/{forum_id}"


def join(site, lang, forum_path):
    site.visit(forum_path)
    site.click(button(site, lang, "Join this forum"))
    expect(site.flash()).to_contain_text(tr(lang, "You joined %(forum)s.", forum=FORUM))


# Leaving a forum ----------------------------------------------------------------------


def test_leaving_a_forum_asks_first(site, lang, forum_path):
    site.register(lang)
    join(site, lang, forum_path)
    forum_url = site.url_of(forum_path)

    site.click(link(site, lang, "Leave this forum"))
    question = tr(lang, "Leave %(forum)s?", forum=FORUM)
    expect_step(
        site,
        lang,
        question,
        "What you wrote stays in the forum. You will no longer be able to post or register for its sessions "
        "until you join again.",
        "Leave the forum",
    )
    expect(site.page.locator("nav.breadcrumbs").get_by_role("link", name=FORUM, exact=True)).to_be_visible()

    # The way back: the forum, still a member.
    site.click(link(site, lang, "Back to the forum"))
    expect(site.page).to_have_url(forum_url)
    expect(link(site, lang, "Leave this forum")).to_be_visible()
    expect(button(site, lang, "Join this forum")).to_have_count(0)

    # Asked again and confirmed: no longer a member.
    site.click(link(site, lang, "Leave this forum"))
    site.click(button(site, lang, "Leave the forum"))
    expect(site.page).to_have_url(forum_url)
    expect(site.flash()).to_contain_text(tr(lang, "You left %(forum)s.", forum=FORUM))
    expect(button(site, lang, "Join this forum")).to_be_visible()
    expect(link(site, lang, "Leave this forum")).to_have_count(0)


# Cancelling a registration, by keyboard -------------------------------------------------


@pytest.fixture
def session(live_server, forum_path):
    """A session of the demo forum in 2099, of its own title: its path and title."""
    forum_id = int(forum_path.rsplit("/", 1)[1])
    title = f"Sesión por venir {token()}"
    with live_server.app.app_context():
        meeting = Meeting(forum_id=forum_id, title=title, starts_at=datetime(2099, 4, 7, 21, 0))
        db.session.add(meeting)
        db.session.commit()
        path = f"/forums/sessions/{meeting.id}"
        db.session.remove()
    return path, title


def test_cancelling_a_registration_asks_first_and_works_by_keyboard(site, lang, forum_path, session):
    session_path, title = session
    site.register(lang)
    join(site, lang, forum_path)
    site.visit(session_path)
    session_url = site.url_of(session_path)
    site.click(button(site, lang, "Register for this session"))
    expect(site.flash()).to_contain_text(tr(lang, "You are registered."))

    site.click(link(site, lang, "Cancel my registration"))
    expect_step(
        site,
        lang,
        tr(lang, "Cancel your registration?"),
        "Your place goes to the first person on the waiting list, if there is one. You can register again while "
        "registration is open.",
        "Cancel my registration",
    )
    # The session concerned is named on the step.
    expect(main(site).locator("dl.details")).to_contain_text(title)

    # The way back: the session, still registered.
    site.click(link(site, lang, "Back to the session"))
    expect(site.page).to_have_url(session_url)
    expect(link(site, lang, "Cancel my registration")).to_be_visible()
    expect(button(site, lang, "Register for this session")).to_have_count(0)

    # Asked again, and confirmed from the keyboard: Tab reaches the button, Enter posts.
    site.click(link(site, lang, "Cancel my registration"))
    confirm = button(site, lang, "Cancel my registration")
    tab_to(site, confirm)
    with site.loads():
        site.page.keyboard.press("Enter")
    expect(site.page).to_have_url(session_url)
    expect(site.flash()).to_contain_text(tr(lang, "Your registration is cancelled."))
    expect(button(site, lang, "Register for this session")).to_be_visible()
    expect(link(site, lang, "Cancel my registration")).to_have_count(0)


# Removing a role ------------------------------------------------------------------------


@pytest.fixture
def expert(live_server):
    """A new account holding the expert role (granted directly: the grant form is tested
    in tests/test_admin.py); its display name."""
    name = f"Persona experta {token()}"
    with live_server.app.app_context():
        user = accounts.register_user(f"experta-{token()}@example.org", name, PASSWORD)
        accounts.grant_role(user, user, Role.EXPERT)
        db.session.commit()
        db.session.remove()
    return name


def test_removing_a_role_asks_first(site: Site, expert):
    lang, page = "es", site.page
    site.login(lang, *ADMIN)
    site.click(site.header_link(lang, "Administration"))
    site.click(page.locator("nav.subnav").get_by_role("link", name=tr(lang, "People and roles"), exact=True))
    page.get_by_role("searchbox").fill(expert)
    with site.loads():
        page.get_by_role("searchbox").press("Enter")
    site.click(page.locator("main table").get_by_role("link", name=expert, exact=True))
    account_url = page.url
    role = tr(lang, "Advisory committee member / expert")
    roles = main(site).get_by_role("listitem").filter(has_text=role)
    expect(roles).to_have_count(1)

    site.click(link(site, lang, "Remove role %(role)s", role=role))
    expect_step(
        site,
        lang,
        tr(lang, "Remove the role %(role)s from %(name)s?", role=role, name=expert),
        "They lose what this role allows at once. You can grant it again later.",
        "Remove the role",
    )

    # The way back: the account, the role still held.
    site.click(link(site, lang, "Back to the account"))
    expect(page).to_have_url(account_url)
    expect(roles).to_have_count(1)

    # Asked again and confirmed: the role is gone.
    site.click(link(site, lang, "Remove role %(role)s", role=role))
    site.click(button(site, lang, "Remove the role"))
    expect(page).to_have_url(account_url)
    expect(site.flash()).to_contain_text(tr(lang, "Role removed."))
    expect(roles).to_have_count(0)
    expect(link(site, lang, "Remove role %(role)s", role=role)).to_have_count(0)
