"""The accessibility check itself: axe runs under the app's Content-Security-Policy and
does report violations, so a clean result elsewhere means something."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]


def test_axe_runs_under_the_content_security_policy(site):
    page = site.page
    response = site.visit("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # The policy is on: an inline page script is refused...
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("window.injected") is None
    site.console_errors.clear()  # Chromium's report of the refused script

    # ...yet axe, evaluated through the DevTools protocol, runs and finds a planted fault.
    assert axe_violations(page) == []
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"data:,\">')")
    assert "image-alt" in {v["id"] for v in axe_violations(page)}


def test_error_page(site):
    """Error pages are pages too."""
    site.visit("/no-such-page", status=404)
    site.expect_lang("es")
    expect(site.page.locator("h1")).to_have_text(t("es", "Page not found"))
