"""Accounts in the browser, in Spanish and in English: register, sign out and in, change
language and password, download one's data, delete the account, and form errors."""

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, other, t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

NEW_PASSWORD = "a different long password"


def test_register_lands_on_profile(site, lang):
    account = site.register(lang)

    page = site.page
    site.expect_lang(lang)
    expect(page.locator("h1")).to_have_text(t(lang, "My account"))
    expect(page.locator("main")).to_contain_text(account.email)
    expect(page.locator("section[aria-labelledby=roles-heading] li").first).to_have_text(t(lang, "Citizen"))
    expect(site.field(lang, "Display name")).to_have_value(account.name)
    expect(site.field(lang, "Your municipality").locator("option:checked")).to_have_text("Peñalolén")
    expect(site.field(lang, "Preferred language")).to_have_value(lang)
    expect(site.header_link(lang, "My account")).to_be_visible()


def test_sign_out_and_in_again_remembered(site, lang):
    account = site.register(lang)
    site.logout(lang)
    expect(site.header_link(lang, "Register")).to_be_visible()

    site.login(lang, account.email, account.password, remember=True)

    context = site.page.context
    cookies = {c["name"]: c for c in context.cookies()}
    assert "remember_token" in cookies
    assert cookies["remember_token"]["httpOnly"]
    assert cookies["remember_token"]["expires"] > time.time() + 29 * 24 * 3600
    # The browser is closed and opened again: the session cookie is gone, the remember-me
    # cookie signs the person back in.
    context.clear_cookies(name="session")
    site.visit("/account")
    expect(site.page.locator("h1")).to_have_text(t(lang, "My account"))
    expect(site.page.locator("main")).to_contain_text(account.email)


def test_change_language_in_footer_and_profile(site, lang):
    page = site.page
    site.visit("/")
    site.set_language(other(lang))
    site.set_language(lang)
    expect(page.locator("h1")).to_have_text(t(lang, "Co-creating open government with municipalities"))
    expect(site.header_link(lang, "Sign in")).to_be_visible()

    account = site.register(lang)
    preferred = site.field(lang, "Preferred language")
    expect(preferred).to_have_value(lang)
    preferred.select_option(other(lang))
    site.click(site.button(lang, "Save profile"))
    site.expect_lang(other(lang))
    # The confirmation itself is still in the previous language: see
    # test_profile_confirmation_uses_the_new_language below.
    expect(site.flash()).to_be_visible()
    expect(site.field(other(lang), "Preferred language")).to_have_value(other(lang))
    expect(page.locator("footer select#language-select")).to_have_value(other(lang))

    # The preference belongs to the account: it beats the language chosen while signed out.
    site.logout(other(lang))
    site.set_language(lang)
    site.login(lang, account.email, account.password, then=other(lang))
    site.expect_lang(other(lang))

    # The footer, used while signed in, updates the preference too.
    site.set_language(lang)
    site.click(site.header_link(lang, "My account"))
    expect(site.field(lang, "Preferred language")).to_have_value(lang)


def test_profile_confirmation_uses_the_new_language(site):
    site.register("es")
    site.field("es", "Preferred language").select_option("en")
    site.click(site.button("es", "Save profile"))
    site.expect_lang("en")
    expect(site.flash()).to_have_text(t("en", "Your profile is saved."), timeout=1000)


@pytest.mark.parametrize("browser_locale", ["en-US"])
def test_profile_preselects_the_language_shown(site):
    """Someone whose browser asks for English sees English without choosing it; their
    profile must not preselect Spanish, or saving it for any reason switches them over."""
    site.visit("/register")
    site.expect_lang("en")
    site.register("en")
    site.click(site.button("en", "Save profile"))
    site.expect_lang("en", timeout=1000)


def test_change_password(site, lang):
    page = site.page
    account = site.register(lang)
    site.click(site.link(lang, "Change password"))
    expect(page.locator("h1")).to_have_text(t(lang, "Change password"))

    site.field(lang, "Current password").fill("not the password at all")
    site.field(lang, "New password").fill(NEW_PASSWORD)
    site.field(lang, "Repeat the new password").fill(NEW_PASSWORD)
    site.click(site.button(lang, "Change password"), status=422)
    expect(site.error_summary()).to_contain_text(t(lang, "The current password is not correct."))
    expect(site.field(lang, "Current password")).to_have_attribute("aria-invalid", "true")

    site.field(lang, "Current password").fill(account.password)
    site.field(lang, "New password").fill(NEW_PASSWORD)
    site.field(lang, "Repeat the new password").fill(NEW_PASSWORD)
    site.click(site.button(lang, "Change password"))
    expect(page).to_have_url(site.url_of("/account"))
    expect(site.flash()).to_contain_text(t(lang, "Your password has been changed."))

    site.logout(lang)
    site.login(lang, account.email, account.password, status=422)
    expect(site.error_summary()).to_contain_text(t(lang, "The email or password is not correct."))
    site.login(lang, account.email, NEW_PASSWORD)


def test_download_my_data(site, lang, live_server):
    account = site.register(lang)
    site.click(site.link(lang, "Download my data or delete my account"))

    with site.page.expect_download() as info:
        site.link(lang, "Download my data (JSON)").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == "my-data.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))

    assert data["account"]["email"] == account.email
    assert data["account"]["display_name"] == account.name
    assert data["account"]["municipality"] == "Peñalolén"
    assert data["consents"], "the consent given at registration is missing"
    assert data["consents"][0]["version"] == live_server.app.config["PRIVACY_NOTICE_VERSION"]
    assert data["consents"][0]["given_at"]


def test_readable_data_page_and_consent_page(site, lang, live_server):
    """The readable data download and the consent page asked after the notice changes:
    both pass axe, also at 360 px, where only the tables scroll sideways."""
    from sqlalchemy import select, update

    from accounts.models import Consent, User
    from core.extensions import db

    page = site.page
    account = site.register(lang)
    site.click(site.link(lang, "Download my data or delete my account"))
    site.click(page.locator('main a[href="/account/data"]'))
    expect(page).to_have_url(site.url_of("/account/data"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main h2").first).to_be_visible()
    email_row = page.locator("main table th[scope=row]", has_text=t(lang, "Email"))
    expect(email_row.first).to_be_visible()
    expect(page.locator("main")).to_contain_text(account.email)
    expect(page.locator("main")).to_contain_text(live_server.app.config["PRIVACY_NOTICE_VERSION"])
    assert page.locator("main table").count() == page.locator("main .table-wrap[role=region] table").count()
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # The notice changes after this account consented: it is asked again after signing in.
    with live_server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == account.email))
        db.session.execute(update(Consent).where(Consent.user_id == user_id).values(version="2000-01"))
        db.session.commit()
    site.logout(lang)
    site.login(lang, account.email, account.password)
    expect(page).to_have_url(re.compile(r"/account/consent"))
    expect(page.locator("main")).to_contain_text("2000-01")
    expect(page.locator('main a[href="/privacy#changes"]')).to_be_visible()
    submit = page.locator("main form.form [type=submit]")
    site.click(submit, status=422)
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#consent").check()
    site.click(submit)
    expect(page).to_have_url(site.url_of("/"))
    site.visit("/account")
    expect(page.locator("h1")).to_have_text(t(lang, "My account"))


def test_delete_account(site, lang):
    page = site.page
    account = site.register(lang)
    site.click(site.link(lang, "Download my data or delete my account"))

    site.field(lang, "Your password").fill(account.password)
    site.field(lang, "I understand that my name and email are removed and cannot be recovered.").check()
    site.click(site.button(lang, "Delete my account"))
    expect(page).to_have_url(site.url_of("/"))
    expect(site.flash()).to_contain_text(
        t(lang, "Your account has been deleted. What you contributed remains, without your name.")
    )
    expect(site.header_link(lang, "Sign in")).to_be_visible()

    site.login(lang, account.email, account.password, status=422)
    expect(site.error_summary()).to_contain_text(t(lang, "The email or password is not correct."))
    expect(site.header_link(lang, "Sign in")).to_be_visible()


def test_register_with_empty_form_shows_errors(site, lang):
    site.visit("/register")
    if site.lang != lang:
        site.set_language(lang)

    site.click(site.button(lang, "Create account"), status=422)

    summary = site.error_summary()
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text(t(lang, "Please correct the following:"))
    required = re.compile(re.escape(t(lang, "This field is required.")))
    for label in ("Email", "Display name", "Password", "Repeat the password"):
        field = site.field(lang, label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(required)
    consent = site.field(
        lang, "I have read the privacy notice and agree that my participation is recorded as it describes."
    )
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(consent).to_have_accessible_description(t(lang, "You must accept the privacy notice to register."))
    expect(site.field(lang, "Your municipality")).not_to_have_attribute("aria-invalid", "true")

    # Each entry of the summary leads to its field.
    summary.get_by_role("link", name=t(lang, "Display name"), exact=True).click()
    expect(site.field(lang, "Display name")).to_be_focused()
    site.expect_lang(lang)
