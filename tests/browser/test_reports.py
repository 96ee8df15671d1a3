"""The participation summary with its chart, and the methodology report, in the browser:
no axe violations, no sideways scrolling on a 360 px screen, the charts drawn under the
strict Content-Security-Policy (no console errors), and the report reached and read by
keyboard alone. Uses the demo process of the live server (read only)."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Process
from core.extensions import db
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import SMALL, Site, assert_fits, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")
WIDE = {"width": 1280, "height": 800}


def _process_id(live_server) -> int:
    with live_server.app.app_context():
        process_id = db.session.scalar(select(Process.id).order_by(Process.id))
        db.session.remove()
    return process_id


def _charts_drawn(site: Site) -> None:
    """Every chart of the page is shown: inline SVG with its name, or an image that loaded."""
    main = site.page.locator("main")
    for image in main.locator("figure.chart img").all():
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart image loaded"
    for svg in main.locator("figure.chart svg[role=img]").all():
        expect(svg).to_be_visible()
        assert svg.get_attribute("aria-labelledby")


@pytest.mark.parametrize("viewport", [WIDE, SMALL], ids=["wide", "360px"])
def test_summary_and_report_are_accessible_and_fit(site, live_server, viewport):
    process_id = _process_id(live_server)
    for query in ("", "?by=month", "?by=municipality"):
        site.visit(f"/consultations/processes/{process_id}/summary{query}")
        expect(site.page.locator("main figure.chart img")).to_have_count(1)
        _charts_drawn(site)
        if viewport == SMALL:
            assert_fits(site)
    site.visit(f"/consultations/processes/{process_id}/report")
    expect(site.page.locator("main figure.chart svg")).to_have_count(5)
    _charts_drawn(site)
    if viewport == SMALL:
        assert_fits(site)


@pytest.mark.parametrize("viewport", [WIDE, SMALL], ids=["wide", "360px"])
def test_facilitator_reads_the_internal_report(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="es-CL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        site = Site(context.new_page(), live_server.url)
        site.login("es", *FACILITATOR)
        process_id = _process_id(live_server)
        site.visit(f"/consultations/processes/{process_id}/summary?internal=1")
        _charts_drawn(site)
        site.visit(f"/consultations/processes/{process_id}/report?internal=1")
        expect(site.page.locator("main .internal-banner")).to_be_visible()
        _charts_drawn(site)
        if viewport == SMALL:
            assert_fits(site)
    finally:
        context.close()


@pytest.mark.parametrize("browser_locale", ["en"])
def test_report_is_reached_and_read_by_keyboard(site, live_server):
    process_id = _process_id(live_server)
    site.visit(f"/consultations/processes/{process_id}/summary")
    main = site.page.locator("main")
    link = main.get_by_role("link", name="Methodology report (printable, with a PDF)", exact=True)
    tab_to(site, link)
    with site.loads():
        site.page.keyboard.press("Enter")
    expect(site.page.locator("h1")).to_contain_text("Methodology report")
    # The contents lead to each section; the tables scroll by keyboard.
    themes = main.locator(".report-toc").get_by_role("link", name="Themes", exact=True)
    tab_to(site, themes)
    site.page.keyboard.press("Enter")
    expect(site.page).to_have_url(f"{live_server.url}/consultations/processes/{process_id}/report#themes-heading")
    region = main.get_by_role("region", name="Themes with their counts")
    tab_to(site, region)
    pdf = main.get_by_role("link", name="Download as PDF", exact=True)
    expect(pdf).to_have_attribute("href", f"/consultations/processes/{process_id}/report.pdf")
    tab_to(site, pdf)
