"""Administration in the browser: the verification queue, and every admin page once.

Both tests sign in as the demo administrator and stay in Spanish: switching the language
while signed in would change the administrator's stored preference for the other test.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import t

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

ADMIN = ("admin@demo.cocrea.cl", "demo-admin-2016")
APPLICANT = ("postulante@demo.cocrea.cl", "demo-postula-2016")
APPLICANT_NAME = "Postulante de Peñalolén"


def subnav(site, msgid):
    return site.page.locator("nav.subnav").get_by_role("link", name=t("es", msgid), exact=True)


def test_admin_approves_a_verification_request(site):
    page = site.page
    site.login("es", *ADMIN)
    site.click(site.header_link("es", "Administration"))
    site.click(subnav(site, "Verification requests"))
    expect(page).to_have_url(site.url_of("/admin/staff-requests"))
    expect(page.locator("h1")).to_have_text(t("es", "Verification requests"))

    card = page.locator("main li.card").filter(has_text=APPLICANT_NAME)
    expect(card).to_contain_text(APPLICANT[0])
    expect(card).to_contain_text("Peñalolén")
    site.click(card.get_by_role("button", name=t("es", "Approve %(name)s", name=APPLICANT_NAME), exact=True))
    expect(site.flash()).to_contain_text(t("es", "%(name)s is now a verified official.", name=APPLICANT_NAME))
    expect(card).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"{APPLICANT_NAME} — Peñalolén: {t('es', 'Approved')}")

    site.logout("es")
    site.login("es", *APPLICANT)
    site.click(site.header_link("es", "My account"))
    roles = page.locator("section[aria-labelledby=roles-heading]")
    expect(roles.get_by_role("listitem").filter(has_text=t("es", "Municipal official"))).to_have_text(
        f"{t('es', 'Municipal official')} — Peñalolén"
    )
    site.set_language("en")
    expect(roles.get_by_role("listitem").filter(has_text=t("en", "Municipal official"))).to_have_text(
        f"{t('en', 'Municipal official')} — Peñalolén"
    )


def test_admin_pages(site):
    page = site.page
    site.login("es", *ADMIN)
    site.click(site.header_link("es", "Administration"))
    expect(page.locator("h1")).to_have_text(t("es", "Administration"))

    for section, item in [
        ("Municipalities", "Talagante"),
        ("Organisations", "Consejo para la Transparencia"),
        ("Processes", "Modelo de Gobierno Abierto Municipal"),
        ("People and roles", "Administración"),
    ]:
        site.click(subnav(site, section))
        expect(page.locator("h1")).to_have_text(t("es", section))
        site.click(page.locator("main table").get_by_role("link", name=item, exact=True))
        expect(page.locator("h1")).to_have_text(item)

    site.click(subnav(site, "People and roles"))
    page.get_by_role("searchbox").fill("vecina")
    with site.loads():
        page.get_by_role("searchbox").press("Enter")
    expect(page.locator("main table tbody tr")).to_have_count(1)

    site.click(subnav(site, "Audit log"))
    expect(page.locator("h1")).to_have_text(t("es", "Audit log"))
    expect(page.locator("main table tbody tr").first).not_to_be_empty()
