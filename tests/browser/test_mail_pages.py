"""The pages that e-mail leads to, in the browser with the axe check on every page: the
"forgot your password?" form, the reset form reached from the mail, the refused link, the
reminder to confirm one's address and the confirmation, and the change-of-address form.

The live server has no mail server configured, so mails are written as .eml files
(beside its database); the tests read the links from there.
"""

import email
import email.policy
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite.
    pytest.mark.sqlite_only,
]

LANG = "en"
NEW_PASSWORD = "another browser password"


def mail_link(live_server, address: str, subject: str, timeout: float = 5.0) -> str:
    """The path of the link in the newest mail to ``address`` with ``subject`` (the
    server writes it just after sending the page, so wait a little)."""
    folder = Path(live_server.app.config["MAIL_FILE_DIR"])
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address and message["Subject"] == subject:
                found.append(message)
        if found:
            text = found[-1].get_body(preferencelist=("plain",)).get_content()
            return urlsplit(re.search(r"https?://\S+", text).group(0)).path
        assert time.monotonic() < deadline, f"no mail {subject!r} to {address}"
        time.sleep(0.1)


def test_forgot_password_and_reset(site, live_server):
    account = site.register(LANG)
    site.logout(LANG)

    site.visit("/login")
    site.click(site.link(LANG, "Forgot your password?"))
    expect(site.page.locator("h1")).to_have_text(t(LANG, "Forgot your password?"))
    site.click(site.button(LANG, "Send me a link"), status=422)
    expect(site.error_summary()).to_be_visible()
    site.field(LANG, "Email").fill(account.email)
    site.click(site.button(LANG, "Send me a link"))
    expect(site.page).to_have_url(site.url_of("/login"))
    expect(site.flash()).to_contain_text(account.email)

    path = mail_link(live_server, account.email, "Reset your password")
    site.visit(path)
    expect(site.page.locator("h1")).to_have_text(t(LANG, "Choose a new password"))
    site.field(LANG, "New password").fill(NEW_PASSWORD)
    site.field(LANG, "Repeat the new password").fill("not the same password")
    site.click(site.button(LANG, "Set the new password"), status=422)
    site.field(LANG, "New password").fill(NEW_PASSWORD)
    site.field(LANG, "Repeat the new password").fill(NEW_PASSWORD)
    site.click(site.button(LANG, "Set the new password"))
    expect(site.flash()).to_contain_text(t(LANG, "Your password has been changed. You can sign in with it now."))

    # Used once: the link is refused now, with the way to ask for another.
    site.visit(path, status=404)
    expect(site.page.locator("h1")).to_have_text(t(LANG, "This link cannot be used"))
    expect(site.link(LANG, "Ask for a new link")).to_be_visible()

    site.login(LANG, account.email, NEW_PASSWORD)


def test_confirmation_reminder_and_change_of_address(site, live_server):
    account = site.register(LANG)
    reminder = site.page.locator("main .email-notice")
    expect(reminder).to_contain_text(account.email)

    # Send the link again, from any page: back to that page.
    site.visit("/forums/")
    site.click(reminder.get_by_role("button", name=t(LANG, "Send the link again"), exact=True))
    expect(site.page).to_have_url(site.url_of("/forums/"))
    expect(site.flash()).to_contain_text(account.email)

    site.visit(mail_link(live_server, account.email, "Confirm your e-mail address"))
    site.click(site.button(LANG, "Confirm my address"))
    expect(site.page).to_have_url(site.url_of("/account"))
    expect(site.page.locator("main .email-notice")).to_have_count(0)

    site.click(site.link(LANG, "Change my e-mail address"))
    site.click(site.button(LANG, "Send the confirmation link"), status=422)
    expect(site.error_summary()).to_be_visible()
    new_address = account.email.replace("@", "-nueva@")
    site.field(LANG, "New email").fill(new_address)
    site.field(LANG, "Your password").fill(account.password)
    site.click(site.button(LANG, "Send the confirmation link"))
    expect(site.flash()).to_contain_text(new_address)

    site.visit(mail_link(live_server, new_address, "Confirm your new e-mail address"))
    site.click(site.button(LANG, "Use the new address"))
    expect(site.flash()).to_contain_text(new_address)
    expect(site.page.locator("main")).to_contain_text(new_address)


def test_notification_mail_preference_and_unsubscribe(site, live_server):
    from accounts.models import User
    from accounts.notification_mails import unsubscribe_token
    from core.extensions import db

    account = site.register(LANG)
    site.field(LANG, "Notifications by e-mail").select_option(label=t(LANG, "Right away, one e-mail for each"))
    site.click(site.button(LANG, "Save profile"))
    expect(site.flash()).to_contain_text(t(LANG, "Your profile is saved."))
    site.logout(LANG)

    # The link of every notification mail, opened signed out: a page asks first.
    with live_server.app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.email == account.email))
        token = unsubscribe_token(user_id)
    site.visit(f"/mail/unsubscribe/{token}")
    expect(site.page.locator("main")).to_contain_text(account.email)
    site.click(site.button(LANG, "Stop notification e-mails"))
    expect(site.flash()).to_contain_text(t(LANG, "You will no longer receive notifications by e-mail."))
    expect(site.link(LANG, "Go to my account")).to_be_visible()

    site.visit(f"/mail/unsubscribe/{token[:-2]}xx", status=404)
    expect(site.page.locator("h1")).to_have_text(t(LANG, "This link cannot be used"))
