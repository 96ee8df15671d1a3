"""Forums in the browser: joining, threads, replies with preview, editing and deleting,
closing a forum, search, staff forums' privacy, a keyboard-only reply and a phone screen.

The live database is shared by the session: every test makes its own accounts, threads
and (for closing) its own forum, and never counts the demo's threads or posts.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

ADMIN = ("admin@demo.cocrea.cl", "demo-admin-2016")
CITIZEN = ("vecina@demo.cocrea.cl", "demo-vecina-2016")
OFFICIAL = ("funcionario@demo.cocrea.cl", "demo-funciona-2016")
FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")

STAFF_TALAGANTE = "Foro de funcionarios de Talagante"
STAFF_VITACURA = "Foro de funcionarios de Vitacura"
PROVIDENCIA = "Foro ciudadano de Providencia"
SMALL = {"width": 360, "height": 740}


def token() -> str:
    return uuid.uuid4().hex[:8]


def main_link(site, name):
    return site.page.locator("main").get_by_role("link", name=name, exact=True)


def post(site, number):
    return site.page.locator(f"main article#post-{number}")


def open_forum(site, lang, title):
    """From anywhere, through the header's Forums link and the forum's card."""
    site.click(site.header_link(lang, "Forums"))
    expect(site.page.locator("h1")).to_have_text(t(lang, "Forums"))
    site.click(main_link(site, title))
    expect(site.page.locator("h1")).to_have_text(title)


def join(site, lang, forum_title):
    site.click(site.button(lang, "Join this forum"))
    expect(site.flash()).to_contain_text(t(lang, "You joined %(forum)s.", forum=forum_title))
    expect(site.button(lang, "Join this forum")).to_have_count(0)


def start_thread(site, lang, title, body, check_preview=None):
    """From the forum page; returns the thread's address. With ``check_preview``, first
    shows the preview and hands that section to ``check_preview``."""
    site.click(site.link(lang, "Start a thread"))
    expect(site.page.locator("h1")).to_have_text(t(lang, "Start a thread"))
    site.field(lang, "Title").fill(title)
    site.field(lang, "Message").fill(body)
    if check_preview:
        site.click(site.button(lang, "Preview"))
        shown = site.page.locator("main section.preview")
        expect(shown.get_by_role("heading", name=t(lang, "Preview"), exact=True)).to_be_visible()
        check_preview(shown)
        # What was typed is kept for publishing.
        expect(site.field(lang, "Title")).to_have_value(title)
        expect(site.field(lang, "Message")).to_have_value(body)
    site.click(site.button(lang, "Publish"))
    expect(site.flash()).to_contain_text(t(lang, "Thread published."))
    expect(site.page.locator("h1")).to_have_text(title)
    return site.page.url


def reply_in_box(site, lang, body, number, shown=None):
    """Write in the thread page's reply box; the new post is ``number`` and shows
    ``shown`` (``body`` if not given; Markdown is rendered)."""
    box = site.page.locator("main section.reply-box")
    expect(box.get_by_role("heading", name=t(lang, "Reply"), exact=True)).to_be_visible()
    box.get_by_label(t(lang, "Message"), exact=True).fill(body)
    site.click(box.get_by_role("button", name=t(lang, "Publish"), exact=True))
    expect(site.flash()).to_contain_text(t(lang, "Reply published."))
    expect(site.page).to_have_url(re.compile(rf"#post-{number}$"))
    expect(post(site, number).locator(".post-body")).to_have_text(shown or body)


def citizen_with_thread(site, lang, forum_title, title, body):
    """A new citizen who joins ``forum_title`` and starts a thread there."""
    account = site.register(lang)
    open_forum(site, lang, forum_title)
    join(site, lang, forum_title)
    return account, start_thread(site, lang, title, body)


# 1. Join, start a thread with a preview, reply and reply to a post --------------------


def test_citizen_joins_starts_a_thread_and_replies(site, lang):
    page = site.page
    account = site.register(lang)
    forum = "Foro ciudadano de Talagante"
    open_forum(site, lang, forum)
    expect(site.link(lang, "Start a thread")).to_have_count(0)
    join(site, lang, forum)

    # Publishing an empty thread explains what is missing, next to each field.
    site.click(site.link(lang, "Start a thread"))
    site.click(site.button(lang, "Publish"), status=422)
    summary = site.error_summary()
    expect(summary).to_contain_text(t(lang, "Please correct the following:"))
    for label in ("Title", "Message"):
        expect(summary.get_by_role("link", name=t(lang, label), exact=True)).to_be_visible()
        expect(site.field(lang, label)).to_have_attribute("aria-invalid", "true")
    site.click(site.page.locator("nav.breadcrumbs").get_by_role("link", name=forum, exact=True))

    title = f"Feria de las pulgas {token()}"
    body = "Propongo una feria **cada mes** en la plaza.\n\n- con puestos\n- con música"

    def check_preview(preview):
        expect(preview.locator(".post-body strong")).to_have_text("cada mes")
        expect(preview.locator(".post-body li")).to_have_count(2)
        expect(preview).not_to_contain_text("**")

    thread_url = start_thread(site, lang, title, body, check_preview=check_preview)
    expect(page.locator("main section.preview")).to_have_count(0)
    first = post(site, 1)
    expect(first.locator(".post-body strong")).to_have_text("cada mes")
    expect(first.locator(".post-body li")).to_have_count(2)
    expect(first.locator(".post-meta strong")).to_have_text(account.name)

    reply_in_box(site, lang, "Yo puedo ayudar a *organizarla*.", 2, shown="Yo puedo ayudar a organizarla.")
    expect(post(site, 2).locator(".post-body em")).to_have_text("organizarla")

    site.click(first.get_by_role("link", name=t(lang, "Reply to this post"), exact=True))
    expect(page.locator("h1")).to_have_text(t(lang, "Reply"))
    quoted = page.locator("main blockquote.quoted")
    expect(quoted).to_contain_text(t(lang, "In reply to %(name)s", name=account.name))
    expect(quoted.locator("strong")).to_have_text("cada mes")
    site.field(lang, "Message").fill("Sobre la feria: también **los domingos**.")
    site.click(site.button(lang, "Publish"))
    expect(site.flash()).to_contain_text(t(lang, "Reply published."))

    expect(page).to_have_url(re.compile(rf"^{re.escape(thread_url)}\?page=1#post-3$"))
    expect(page.locator("main article.post")).to_have_count(3)
    expect(post(site, 2).locator(".in-reply-to")).to_have_count(0)
    expect(post(site, 3).locator(".in-reply-to")).to_have_text(t(lang, "In reply to %(name)s", name=account.name))
    expect(post(site, 3).locator(".post-body strong")).to_have_text("los domingos")
    site.expect_lang(lang)


# 2. Staff forums are for that municipality's verified officials -------------------------


def staff_forum_addresses(official):
    """What an official of Talagante sees: the staff forum's address and a thread's."""
    official.login("es", *OFFICIAL)
    open_forum(official, "es", STAFF_TALAGANTE)
    forum_url = official.page.url
    official.click(official.page.locator("main ul.thread-list a.thread-title").first)
    thread_url = official.page.url
    # Its posts turn up in the official's own search (and in nobody else's, below).
    official.visit("/forums/search?q=DIDECO")
    expect(official.page.locator("main ol.results")).to_contain_text(STAFF_TALAGANTE)
    return forum_url, thread_url


def assert_cannot_reach(site, forum_url, thread_url):
    site.visit("/forums/")
    expect(main_link(site, STAFF_TALAGANTE)).to_have_count(0)
    forum_path = forum_url.removeprefix(site.base_url)
    forum_id = forum_path.rsplit("/", 1)[1]
    for path in [
        forum_path,
        f"{forum_path}/members",
        f"/forums/search?forum={forum_id}&q=datos",
        thread_url.removeprefix(site.base_url),
    ]:
        site.visit(path, status=404)
        expect(site.page.locator("h1")).to_have_text(t("es", "Page not found"))
    # Nor do its posts turn up in a search of all forums.
    site.visit("/forums/search?q=DIDECO")
    expect(site.page.locator("main")).not_to_contain_text(STAFF_TALAGANTE)


def test_staff_forum_is_hidden_from_citizens_and_other_municipalities(site, open_site):
    official = open_site()
    forum_url, thread_url = staff_forum_addresses(official)

    # A citizen.
    site.login("es", *CITIZEN)
    site.visit("/forums/")
    expect(main_link(site, PROVIDENCIA)).to_be_visible()
    expect(site.page.locator("main").get_by_role("link", name=re.compile("funcionarios"))).to_have_count(0)
    assert_cannot_reach(site, forum_url, thread_url)
    site.logout("es")

    # A verified official of Vitacura.
    account = site.register("es", municipality="Vitacura")
    site.visit("/account/verification")
    expect(site.page.locator("h1")).to_have_text(t("es", "Verification as a municipal official"))
    site.field("es", "Municipality").select_option(label="Vitacura")
    site.field("es", "Position or unit").fill("Unidad de transparencia")
    site.click(site.button("es", "Request verification"))
    expect(site.flash()).to_contain_text(
        t("es", "Your request was sent. A facilitator or administrator will review it.")
    )

    admin = open_site()
    admin.login("es", *ADMIN)
    admin.visit("/admin/staff-requests")
    card = admin.page.locator("main li.card").filter(has_text=account.email)
    expect(card).to_contain_text("Vitacura")
    admin.click(card.get_by_role("button", name=t("es", "Approve %(name)s", name=account.name), exact=True))
    expect(admin.flash()).to_contain_text(t("es", "%(name)s is now a verified official.", name=account.name))

    site.visit("/forums/")
    expect(main_link(site, STAFF_VITACURA)).to_be_visible()
    assert_cannot_reach(site, forum_url, thread_url)


# 3. Editing and deleting one's posts; the facilitator sees the earlier version ----------


def test_author_edits_and_deletes_posts(site, open_site):
    page = site.page
    first_body = f"Texto original {token()}"
    _account, thread_url = citizen_with_thread(
        site, "es", "Foro ciudadano de Santo Domingo", f"Biblioteca móvil {token()}", first_body
    )
    reply_in_box(site, "es", "Un mensaje que luego borraré.", 2)

    site.click(post(site, 1).get_by_role("link", name=t("es", "Edit"), exact=True))
    expect(page.locator("h1")).to_have_text(t("es", "Edit post"))
    expect(site.field("es", "Message")).to_have_value(first_body)
    new_body = f"Texto **corregido** {token()}"
    site.field("es", "Message").fill(new_body)
    site.click(site.button("es", "Publish"))
    expect(site.flash()).to_contain_text(t("es", "Post saved."))
    expect(post(site, 1).locator(".post-meta .badge")).to_have_text(t("es", "edited"))
    expect(post(site, 1).locator(".post-body strong")).to_have_text("corregido")
    expect(post(site, 1)).not_to_contain_text(first_body)

    # Deleting asks first, on a page of its own (no JavaScript needed).
    site.click(post(site, 2).get_by_role("link", name=t("es", "Delete"), exact=True))
    expect(page.locator("h1")).to_have_text(t("es", "Delete this post?"))
    assert axe_violations(page) == []
    site.click(site.button("es", "Delete the post"))
    expect(site.flash()).to_contain_text(t("es", "Post deleted."))
    expect(post(site, 2).locator(".placeholder")).to_have_text(t("es", "Deleted by its author."))
    expect(post(site, 2).locator(".post-body")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Un mensaje que luego borraré.")
    expect(post(site, 1).locator(".post-body")).to_be_visible()

    facilitator = open_site()
    facilitator.login("es", *FACILITATOR)
    facilitator.visit(thread_url.removeprefix(site.base_url))
    expect(post(facilitator, 2).get_by_role("link", name=t("es", "Edit history"))).to_have_count(0)
    facilitator.click(post(facilitator, 1).get_by_role("link", name=t("es", "Edit history"), exact=True))
    main = facilitator.page.locator("main")
    expect(main.locator("h1")).to_have_text(t("es", "Edit history"))
    versions = main.locator("section")
    expect(versions).to_have_count(2)
    expect(versions.nth(0).locator("h2")).to_contain_text(t("es", "Current version"))
    expect(versions.nth(0).locator(".post-body strong")).to_have_text("corregido")
    expect(versions.nth(1).locator(".post-body")).to_have_text(first_body)


# 4. A facilitator closes a forum -------------------------------------------------------


def test_facilitator_closes_a_forum(site, open_site):
    facilitator = open_site()
    facilitator.login("es", *FACILITATOR)
    facilitator.click(facilitator.header_link("es", "Forums"))
    facilitator.click(facilitator.link("es", "Open a forum"))
    title = f"Foro de prueba {token()}"
    facilitator.field("es", "Kind").select_option(label=t("es", "Citizen forum"))
    facilitator.field("es", "Municipality").select_option(label="Cerro Navia")
    facilitator.field("es", "Title").fill(title)
    facilitator.field("es", "Description").fill("Un foro abierto por las pruebas del navegador.")
    facilitator.click(facilitator.button("es", "Save"))
    expect(facilitator.flash()).to_contain_text(t("es", "Forum created."))
    expect(facilitator.page.locator("h1")).to_have_text(title)
    forum_path = facilitator.page.url.removeprefix(facilitator.base_url)

    _account, thread_url = citizen_with_thread(site, "es", title, f"Primera conversación {token()}", "Hola a todos.")
    thread_path = thread_url.removeprefix(site.base_url)
    expect(site.page.locator("main section.reply-box")).to_be_visible()

    manage = facilitator.page.locator("main section.manage")
    expect(manage.get_by_role("heading", name=t("es", "Manage this forum"), exact=True)).to_be_visible()
    manage.get_by_label(t("es", "Status"), exact=True).select_option(label=t("es", "Closed"))
    facilitator.click(manage.get_by_role("button", name=t("es", "Change status"), exact=True))
    expect(facilitator.flash()).to_contain_text(t("es", "The forum is now: %(status)s.", status=t("es", "Closed")))

    closed = t("es", "This forum is closed: it can be read but takes no new posts.")
    site.visit(thread_path)
    expect(site.page.locator("main p.notice")).to_have_text(closed)
    expect(site.page.locator("main section.reply-box")).to_have_count(0)
    expect(site.page.locator("main textarea")).to_have_count(0)
    expect(post(site, 1).get_by_role("link", name=t("es", "Reply to this post"))).to_have_count(0)
    expect(post(site, 1).get_by_role("link", name=t("es", "Edit"), exact=True)).to_have_count(0)
    expect(post(site, 1).get_by_role("link", name=t("es", "Delete"), exact=True)).to_have_count(0)
    site.visit(forum_path)
    expect(site.page.locator("main p.notice")).to_have_text(closed)
    expect(site.link("es", "Start a thread")).to_have_count(0)
    # The reply form's own address sends the member back with the same message.
    site.visit(f"{thread_path}/reply")
    expect(site.page).to_have_url(site.url_of(thread_path))
    expect(site.page.locator("main .flashes")).to_contain_text(closed)


# 5. Search -----------------------------------------------------------------------------


def test_search_finds_a_new_thread(site):
    word = f"zorzal{token()}"
    title = f"Huertos comunitarios {token()}"
    forum = "Foro ciudadano de Vitacura"
    citizen_with_thread(site, "es", forum, title, f"Podríamos plantar junto al {word} del parque.")

    site.click(site.header_link("es", "Forums"))
    site.page.get_by_role("searchbox", name=t("es", "Search the forums"), exact=True).fill(word)
    site.click(site.page.locator("main form[role=search]").get_by_role("button", name=t("es", "Search")))
    expect(site.page.locator("h1")).to_have_text(t("es", "Search the forums"))
    expect(site.page.locator("main p[role=status]")).to_have_text(t("es", "%(num)s result", num=1))
    result = site.page.locator("main ol.results li")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(forum)
    expect(result.locator(".post-body")).to_contain_text(word)
    site.click(result.get_by_role("link", name=title, exact=True))
    expect(site.page.locator("h1")).to_have_text(title)
    expect(site.page).to_have_url(re.compile(r"#post-1$"))
    expect(post(site, 1)).to_contain_text(word)


# 6. Replying with the keyboard only ----------------------------------------------------


def test_reply_by_keyboard_only(site):
    page = site.page
    keyboard = page.keyboard
    _account, thread_url = citizen_with_thread(
        site, "es", "Foro ciudadano de Peñalolén", f"Ciclovías {token()}", "¿Dónde faltan ciclovías?"
    )
    site.visit(thread_url.removeprefix(site.base_url))

    keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    box = page.locator("main section.reply-box").get_by_label(t("es", "Message"), exact=True)
    for _ in range(40):
        keyboard.press("Tab")
        if box.evaluate("element => element === document.activeElement"):
            break
    expect(box).to_be_focused()
    text = f"En la avenida principal {token()}"
    keyboard.type(text)
    keyboard.press("Tab")
    publish = site.button("es", "Publish")
    expect(publish).to_be_focused()
    with site.loads():
        keyboard.press("Space")

    expect(site.flash()).to_contain_text(t("es", "Reply published."))
    expect(page.locator("main article.post")).to_have_count(2)
    expect(post(site, 2).locator(".post-body")).to_have_text(text)


# 7. A phone screen ---------------------------------------------------------------------


def assert_fits(site):
    width = site.page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL["width"], f"{site.page.url} scrolls sideways: {width}px wide in a {SMALL['width']}px screen"


@pytest.mark.parametrize("viewport", [SMALL])
def test_forum_pages_fit_a_small_screen(site):
    # A long address in a post must wrap, not widen the page.
    address = "https://transparencia.municipio.example.cl/documentos/actas/concejo/2016/sesion-ordinaria-42.pdf"
    forum = "Foro ciudadano de Cerro Navia"
    _account, thread_url = citizen_with_thread(site, "es", forum, f"Actas {token()}", f"Están en {address}")
    expect(post(site, 1).get_by_role("link", name=address)).to_be_visible()
    site.visit("/forums/")
    assert_fits(site)
    site.click(main_link(site, forum))
    assert_fits(site)
    site.visit(thread_url.removeprefix(site.base_url))
    expect(site.page.locator("main section.reply-box")).to_be_visible()
    assert_fits(site)
