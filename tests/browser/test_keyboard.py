"""Keyboard only: the skip link, and signing in with Tab, typing, Space and Enter."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

CITIZEN = ("vecina@demo.cocrea.cl", "demo-vecina-2016")


def test_skip_link_and_sign_in_by_keyboard(site, lang):
    page = site.page
    keyboard = page.keyboard
    site.visit("/")
    if site.lang != lang:
        site.set_language(lang)

    keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(t(lang, "Skip to main content"))
    expect(skip).to_be_in_viewport()
    keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#content$"))

    site.visit("/login")
    keyboard.press("Tab")
    expect(skip).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    keyboard.press("Tab")
    expect(site.field(lang, "Email")).to_be_focused()
    keyboard.type(CITIZEN[0])
    keyboard.press("Tab")
    expect(site.field(lang, "Password")).to_be_focused()
    keyboard.type(CITIZEN[1])
    keyboard.press("Tab")
    remember = site.field(lang, "Keep me signed in on this device")
    expect(remember).to_be_focused()
    keyboard.press("Space")
    expect(remember).to_be_checked()
    keyboard.press("Tab")
    expect(site.button(lang, "Sign in")).to_be_focused()
    with site.loads():
        keyboard.press("Enter")

    expect(site.flash()).to_contain_text(t(lang, "You are signed in."))
    expect(site.header_button(lang, "Sign out")).to_be_visible()
