"""Pages the other journeys do not reach: editing a forum, its members page with the
invitation form, editing a session, and the notifications page. Each is checked with axe.

The language is English through the footer form before signing in, so only the cookie
(not the shared demo account's profile) changes.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    # sqlite_only: drives the UI; the database engine is covered by the rest of the suite,
    # and one engine keeps make test fast.
    pytest.mark.sqlite_only,
]

FACILITATOR = ("facilitadora@demo.cocrea.cl", "demo-facilita-2016")


def test_forum_session_and_notification_management_pages(site):
    page = site.page
    site.visit("/")
    site.set_language("en")
    site.login("en", *FACILITATOR)

    site.click(site.header_link("en", "Forums"))
    site.click(page.locator("main").get_by_role("link", name="Foro ciudadano de Vitacura", exact=True))
    forum_url = page.url

    site.click(site.link("en", "Edit title and description"))
    marker = uuid.uuid4().hex[:8]
    site.field("en", "Description").fill(f"Espacio de la comuna ({marker}).")
    site.click(site.button("en", "Save changes"))
    expect(page.locator(".forum-description")).to_contain_text(marker)

    site.click(page.locator("main").get_by_role("link", name="members"))
    expect(page.locator("h1")).to_contain_text("Members of")
    site.field("en", "Email of the person to add").fill(f"nobody-{marker}@example.org")
    site.click(site.button("en", "Add member"), status=422)
    expect(site.error_summary()).to_contain_text("There is no account with this email.")

    site.visit(forum_url)
    site.click(site.link("en", "Schedule a session"))
    site.field("en", "Title").fill(f"Sesión de prueba {marker}")
    page.get_by_label("Starts", exact=True).fill("2027-06-01T18:30")
    site.click(site.button("en", "Save"))
    site.click(page.locator("main").get_by_role("link", name="Edit session", exact=True))
    expect(page.get_by_label("Starts", exact=True)).to_have_value("2027-06-01T18:30")
    site.field("en", "Place").fill("Biblioteca municipal")
    site.click(site.button("en", "Save changes"))
    expect(site.flash()).to_contain_text("Session saved.")
    expect(page.locator("main")).to_contain_text("Biblioteca municipal")

    site.click(page.locator("header").get_by_role("link", name=re.compile(r"^Notifications")))
    expect(page.locator("h1")).to_have_text("Notifications")
