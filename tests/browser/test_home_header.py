"""The home page and the header: axe on the home page (the demo's process, its
municipalities and forums), the header on one row at 360 px with a menu that opens by
keyboard without JavaScript, and the admin sub-menu marking the current page."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMALL, assert_fits, t, tab_to

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

ADMIN = ("admin@demo.cocrea.cl", "demo-admin-2016")
WIDE = {"width": 1280, "height": 800}


def _header_rows(site) -> tuple[float, float, float]:
    """The header's height and the tops of the brand and of the menu button."""
    return site.page.evaluate(
        """() => {
            const header = document.querySelector('header.site-header');
            const brand = header.querySelector('.brand').getBoundingClientRect();
            const button = header.querySelector('details.site-menu > summary').getBoundingClientRect();
            const middle = box => box.top + box.height / 2;
            return [header.getBoundingClientRect().height, middle(brand), middle(button)];
        }"""
    )


@pytest.mark.parametrize("viewport", [WIDE, SMALL], ids=["wide", "360px"])
def test_home_shows_the_demo_process(site, lang, viewport):
    site.visit("/")  # axe runs on every page the site loads
    if site.lang != lang:
        site.set_language(lang)
    main = site.page.locator("main")
    # The current process (the demo's, unless another test of this shared site started
    # one running today), each municipality with its citizen forum, Recoleta with none.
    expect(
        main.locator("section[aria-labelledby=home-process] h3, section[aria-labelledby=home-process] p").first
    ).to_be_visible()
    expect(main.get_by_role("link", name="Foro ciudadano de Peñalolén", exact=True)).to_be_visible()
    recoleta = main.locator(".place-list > li", has_text="Recoleta")
    expect(recoleta.locator("p.hint")).to_be_visible()
    expect(main.locator(".place-list > li", has_text="Peñalolén").locator("p.hint")).to_have_count(0)
    if viewport == SMALL:
        assert_fits(site)


@pytest.mark.parametrize("viewport", [SMALL])
def test_the_header_menu_opens_by_keyboard_on_a_phone(site, lang, viewport):
    page = site.page
    site.visit("/")
    if site.lang != lang:
        site.set_language(lang)
    height, brand_middle, button_middle = _header_rows(site)
    assert abs(brand_middle - button_middle) < 4, "the brand and the menu button are not on one row"
    assert height < 80, f"the header is {height}px tall on a phone"
    assert_fits(site)

    button = site.menu_button()
    forums = page.locator("header nav").get_by_role("link", name=t(lang, "Forums"), exact=True)
    expect(button).to_be_visible()
    expect(forums).to_be_hidden()
    tab_to(site, button)
    page.keyboard.press("Enter")
    expect(forums).to_be_visible()
    assert_fits(site)
    page.keyboard.press("Tab")
    expect(forums).to_be_focused()
    with site.loads():
        page.keyboard.press("Enter")
    expect(page).to_have_url(site.url_of("/forums/"))
    # A new page starts with the menu folded again.
    expect(forums).to_be_hidden()
    assert_fits(site)
    # Closed again by the same button.
    tab_to(site, button)
    page.keyboard.press("Enter")
    expect(forums).to_be_visible()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(forums).to_be_hidden()


@pytest.mark.parametrize("viewport", [SMALL])
def test_a_signed_in_header_stays_on_one_row(site, lang, viewport):
    site.register(lang)
    site.visit("/")
    height, brand_middle, button_middle = _header_rows(site)
    assert abs(brand_middle - button_middle) < 4
    assert height < 80
    assert_fits(site)
    expect(site.header_button(lang, "Sign out")).to_be_visible()  # opens the menu
    assert_fits(site)
    site.logout(lang)


def test_the_wide_header_has_no_menu_button(site):
    site.visit("/")
    expect(site.menu_button()).to_be_hidden()
    expect(site.page.locator("header nav").get_by_role("link", name=t("es", "Forums"), exact=True)).to_be_visible()


def test_the_admin_sub_menu_marks_the_current_page(site):
    page = site.page
    site.login("es", *ADMIN)
    site.click(site.header_link("es", "Administration"))
    subnav = page.locator("nav.subnav")
    expect(subnav.locator('[aria-current="page"]')).to_have_count(1)
    site.click(subnav.get_by_role("link", name=t("es", "Audit log"), exact=True))
    current = subnav.locator('[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text(t("es", "Audit log"))
    site.visit("/admin/municipalities/new")
    expect(subnav.locator('[aria-current="page"]')).to_have_count(0)
    expect(subnav.locator('[aria-current="true"]')).to_have_text(t("es", "Municipalities"))
