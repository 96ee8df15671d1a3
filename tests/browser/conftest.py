"""Fixtures for the browser tests: a live server on 127.0.0.1 with the demo loaded, one
Chromium for the session, and a fresh browser context (cookies, storage) per test.

Never name a fixture here ``app``: the suite's autouse ``_isolation`` fixture empties the
tables of whatever ``app`` a test uses, and the live database is shared by the session.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from core.extensions import db
from tests.browser.helpers import AXE_PATH, CHROMIUM, CHROMIUM_ARGS, LANGUAGES, ROOT, Site
from tests.conftest import make_app

DEFAULT_TIMEOUT_MS = 10_000


def _unavailable(reason: str):
    """Skip on a developer's machine; fail under CI, where nothing may be skipped."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _compile_catalogs(source: Path, target: Path) -> None:
    """Compile every ``messages.po`` under ``source`` into ``target``: the tests see the
    catalogs as they are now, whether or not ``make compile-catalogs`` has run, and
    nothing is written into ``translations/``."""
    for po in source.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs errors, not every request."""

    def log_request(self, code="-", size="-"):
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The application on a fresh SQLite file with the demo loaded, served by werkzeug on
    127.0.0.1 (a free port) in a daemon thread, with real CSRF protection."""
    tmp = tmp_path_factory.mktemp("browser")
    translations = tmp / "translations"
    _compile_catalogs(ROOT / "translations", translations)
    application = make_app(
        f"sqlite:///{tmp / 'live.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_REGISTER="100 per hour",
        RATELIMIT_REGISTER_ATTEMPTS="1000 per hour",
        # The demo accounts sign in many times a minute across the journeys; the limits
        # themselves are tested in tests/test_security.py.
        RATELIMIT_LOGIN_ACCOUNT="100 per minute",
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
        # Live boards ask for changes every half second instead of every three: the
        # journeys wait for what another participant did (the interval is a setting;
        # the asking is the same).
        BOARD_POLL_MS=500,
    )
    result = application.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, application, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=application, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (Playwright's own download is not used)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (make system-deps installs it)")
    if not AXE_PATH.exists():
        _unavailable(f"{AXE_PATH} is missing (npm ci installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def viewport():
    """The window size; a module overrides this fixture to test another one."""
    return {"width": 1280, "height": 800}


@pytest.fixture
def browser_locale():
    """The browser's language (its Accept-Language): Chilean Spanish, as the platform's
    people mostly have; a test parametrizes this fixture to use another."""
    return "es-CL"


@pytest.fixture
def page(browser, live_server, viewport, browser_locale):
    """A page in a new browser context: no cookies from other tests."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=browser_locale)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def site(page, live_server):
    """The page, with helpers that check every page they load (status, axe, console)."""
    return Site(page, live_server.url)


@pytest.fixture
def open_site(browser, live_server, viewport, browser_locale):
    """Open another person's browser (a new context, its own cookies) as a checked Site."""
    contexts = []

    def open_():
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=browser_locale)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return Site(context.new_page(), live_server.url)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(params=LANGUAGES)
def lang(request):
    """Run the test once in Spanish (the default) and once in English."""
    return request.param
