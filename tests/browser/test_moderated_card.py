"""Moderating workshop cards and session remarks in the browser: a participant reports
another participant's card from the board by keyboard; the facilitator follows the
moderation queue's link to the card and hides it with a reason; everyone else then sees
the placeholder (on the board, on the presenter view, and on a board page already open,
through live updates), while the author sees the text and the reason. A remark said at a
session is reported from the session page and reaches the queue. axe passes on every page
visited.

The live database is shared by the session: every test makes its own accounts (and
workshop), and finds things by unique texts.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from forums.meetings.models import Meeting
from tests.browser.helpers import Site, tab_to
from tests.browser.test_sessions_moderation import DEMO_SESSION, SMALL, assert_fits, token, tr
from tests.browser.test_workshops import (
    FACILITATOR,
    LIVE_MS,
    _add_card,
    _mark,
    _setup,
    _still_same_document,
    es,
)

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

# The Spanish catalogue's wording that the other modules' tables do not hold, written out
# so that the tests notice a change.
MODERATION_SPANISH = {
    "Moderate": "Moderar",
    "Restore": "Restablecer",
}


def say(msgid: str, **values) -> str:
    """The Spanish wording of ``msgid``: this module's table, then the sessions' and the
    workshops' ones."""
    if msgid in MODERATION_SPANISH:
        text = MODERATION_SPANISH[msgid]
        return text % values if values else text
    try:
        return tr("es", msgid, **values)
    except KeyError:
        return es(msgid, **values)


PLACEHOLDER = say("Hidden by a moderator.")


def main(site: Site):
    return site.page.locator("main")


def moderation_link(site: Site):
    return site.page.locator("header").get_by_role("link", name=say("Moderation"), exact=True)


def card_of(site: Site, card_id: str):
    return site.page.locator(f"main li.board-card#{card_id}")


def path_of(site: Site) -> str:
    """The page's path and query, without the fragment."""
    return site.page.url.removeprefix(site.base_url).split("#")[0]


def report_by_keyboard(site: Site, scope, reason: str) -> None:
    """Tab to "Report to the moderators" in ``scope``, Enter; on the report's page, Tab
    to the reason, type it, Enter."""
    keyboard = site.page.keyboard
    # A card's link names the card too ("Report to the moderators: <its words>").
    report_link = scope.locator(".flag-box").get_by_role("link", name=say("Report to the moderators"))
    tab_to(site, report_link)
    with site.loads():
        keyboard.press("Enter")
    reason_field = site.page.locator("main").get_by_label(say("Why should moderators look at this?"), exact=True)
    tab_to(site, reason_field)
    keyboard.type(reason)
    with site.loads():
        keyboard.press("Enter")
    expect(site.flash()).to_contain_text(say("Thank you. Moderators will look at it."))


def expect_placeholder(site: Site, card_id: str, text: str, timeout: float | None = None) -> None:
    """The card is on the page, as the placeholder alone."""
    card = card_of(site, card_id)
    expect(card.locator(".placeholder")).to_have_text(PLACEHOLDER, timeout=timeout)
    expect(card.locator(".card-text")).to_have_count(0)
    expect(card.locator(".flag-box")).to_have_count(0)
    expect(main(site)).not_to_contain_text(text)


# 1. A card: reported, hidden from the board, the presenter view and live pages ----------


def test_reported_card_is_hidden_for_everyone_but_its_author(site, open_site):
    facilitator = site
    author, reporter, watcher = open_site(), open_site(), open_site()
    author_account = author.register("es")
    reporter_account = reporter.register("es")
    watcher_account = watcher.register("es")
    board = _setup(facilitator, [author_account.email, reporter_account.email, watcher_account.email])

    # The author writes a card; nobody reports their own.
    text = f"Publicar las actas del concejo en formato abierto {token()}"
    author.visit(board)
    _add_card(author, es("Transparency"), text)
    card_id = author.page.locator(".board-card", has_text=text).get_attribute("id")
    expect(card_of(author, card_id).locator(".flag-box")).to_have_count(0)

    # Another participant already has the board open, and sees the card.
    watcher.visit(board)
    expect(card_of(watcher, card_id).locator(".card-text")).to_have_text(text)
    _mark(watcher)

    # A third reports it by keyboard, and comes back to the card.
    reporter.visit(board)
    reason = f"Menciona a un vecino por su nombre {token()}"
    report_by_keyboard(reporter, card_of(reporter, card_id), reason)
    expect(reporter.page).to_have_url(reporter.url_of(f"{board}#{card_id}"))

    # The facilitator finds the report in the queue and follows its link to the card.
    facilitator.visit("/")
    facilitator.click(moderation_link(facilitator))
    expect(facilitator.page.locator("h1")).to_have_text(say("Moderation"))
    flagged = main(facilitator).locator("section[aria-labelledby=flagged-heading] li.card").filter(has_text=reason)
    expect(flagged).to_have_count(1)
    expect(flagged.locator(".post-meta strong")).to_have_text(author_account.name)
    expect(flagged.locator(".post-body")).to_have_text(text)
    expect(flagged).to_contain_text(reporter_account.name)
    to_card = flagged.locator(f"a[href='{board}#{card_id}']")
    expect(to_card).to_have_text(re.compile(r"^Taller \w+ › Muro Taller \w+$"))
    facilitator.click(to_card)
    expect(facilitator.page).to_have_url(facilitator.url_of(f"{board}#{card_id}"))

    # It hides the card from the board, with a reason.
    card = card_of(facilitator, card_id)
    card.locator("details.card-menu > summary").click()  # moderation sits in the card's menu
    box = card.locator("details.flag-box")
    box.locator("summary", has_text=say("Moderate")).click()
    expect(box).to_have_attribute("open", "")
    hide_reason = f"Datos personales de terceros {token()}"
    box.get_by_label(say("Reason, shown to the author"), exact=True).fill(hide_reason)
    facilitator.click(box.get_by_role("button", name=say("Hide"), exact=True))
    expect(facilitator.flash()).to_contain_text(say("Hidden. The author can see it, with your reason."))
    expect(facilitator.page).to_have_url(facilitator.url_of(f"{board}#{card_id}"))
    # The facilitator still reads it, with a note, and may restore it.
    expect(card.locator("p.notice")).to_have_text(say("Hidden by a moderator: %(reason)s", reason=hide_reason))
    expect(card.locator(".card-text")).to_have_text(text)
    expect(
        card.locator("details.flag-box").get_by_role("button", name=say("Restore"), exact=True, include_hidden=True)
    ).to_be_attached()
    # The queue: no longer waiting, listed as hidden.
    facilitator.click(moderation_link(facilitator))
    expect(main(facilitator).locator("section[aria-labelledby=flagged-heading]")).not_to_contain_text(reason)
    hidden = main(facilitator).locator("section[aria-labelledby=hidden-heading] li").filter(has_text=hide_reason)
    expect(hidden.locator(f"a[href='{board}#{card_id}']")).to_have_count(1)

    # (d) The page already open gets the placeholder without a reload.
    expect_placeholder(watcher, card_id, text, timeout=LIVE_MS)
    expect(main(watcher)).not_to_contain_text(hide_reason)
    _still_same_document(watcher)
    watcher.check()  # the live page, as it is now, passes axe too

    # (a) The board as an anonymous visitor and as another participant.
    visitor = open_site()
    visitor.visit(board)
    expect_placeholder(visitor, card_id, text)
    reporter.visit(board)
    expect_placeholder(reporter, card_id, text)
    expect(main(reporter)).not_to_contain_text(hide_reason)

    # (b) The presenter view.
    visitor.visit(f"{board}/present")
    expect_placeholder(visitor, card_id, text)

    # (c) The author reads the text and why it was hidden.
    author.visit(board)
    mine = card_of(author, card_id)
    expect(mine.locator("p.notice")).to_have_text(
        say("Hidden by a moderator: %(reason)s. Only you and the moderators see it.", reason=hide_reason)
    )
    expect(mine.locator(".card-text")).to_have_text(text)

    # The board at 360 px: no sideways scroll, whoever looks.
    for person in (author, visitor, facilitator):
        person.page.set_viewport_size(SMALL)
    visitor.visit(board)
    facilitator.visit(f"{board}#{card_id}")
    card.locator("details.card-menu > summary").click()
    card.locator("details.flag-box summary").click()
    for person in (author, visitor, facilitator):
        assert_fits(person)


# 2. A remark said at a session, reported from the session page -----------------------------


@pytest.fixture
def demo_session(live_server) -> str:
    """The path of the demo's held session (reached through the interface elsewhere)."""
    with live_server.app.app_context():
        meeting_id = db.session.scalar(select(Meeting.id).where(Meeting.title == DEMO_SESSION))
        db.session.remove()
    return f"/forums/sessions/{meeting_id}"


def test_reported_remark_reaches_the_queue(site, open_site, demo_session):
    reporter_account = site.register("es")
    site.visit(demo_session)
    expect(site.page.locator("h1")).to_have_text(DEMO_SESSION)
    remarks = main(site).locator("section[aria-labelledby=remarks-heading] li")
    remark = remarks.filter(has=site.page.locator(".flag-box")).last
    said = remark.locator(".post-body").inner_text().strip()
    reason = f"Esta intervención nombra a una funcionaria {token()}"
    report_by_keyboard(site, remark, reason)
    expect(site.page).to_have_url(site.url_of(demo_session))

    facilitator = open_site()
    facilitator.login("es", *FACILITATOR)
    facilitator.click(moderation_link(facilitator))
    flagged = main(facilitator).locator("section[aria-labelledby=flagged-heading] li.card").filter(has_text=reason)
    expect(flagged).to_have_count(1)
    expect(flagged.locator(".post-body")).to_have_text(said)
    expect(flagged).to_contain_text(reporter_account.name)
    expect(flagged.get_by_role("link", name=DEMO_SESSION, exact=True)).to_have_attribute("href", demo_session)
    expect(flagged.get_by_role("button", name=say("Hide"), exact=True)).to_be_visible()
    facilitator.click(flagged.get_by_role("link", name=DEMO_SESSION, exact=True))
    assert path_of(facilitator) == demo_session
