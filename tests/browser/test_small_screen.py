"""A 360 × 740 phone screen: nothing scrolls sideways, and axe passes."""

import pytest

from tests.browser.helpers import other

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

WIDTH = 360


@pytest.fixture
def viewport():
    return {"width": WIDTH, "height": 740}


def assert_fits(site):
    width = site.page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{site.page.url} scrolls sideways: {width}px wide in a {WIDTH}px screen"


def test_pages_fit_a_small_screen(site, lang):
    site.visit("/")
    site.set_language(other(lang))
    site.set_language(lang)
    assert_fits(site)
    site.visit("/login")
    assert_fits(site)
    site.visit("/register")
    assert_fits(site)
    site.register(lang)  # lands on the profile page
    assert_fits(site)
    site.visit("/account/privacy")
    assert_fits(site)
