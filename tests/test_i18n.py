"""Locale selection order, localised dates and numbers, and complete catalogs."""

from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from accounts.models import User
from core.extensions import db
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent


def lang_of(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_spanish_is_the_default(client):
    response = client.get("/")
    assert lang_of(response) == "es"
    assert "Saltar al contenido principal" in response.get_data(as_text=True)


def test_accept_language(client):
    assert lang_of(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})) == "en"
    assert lang_of(client.get("/", headers={"Accept-Language": "fr, es;q=0.5"})) == "es"
    assert lang_of(client.get("/", headers={"Accept-Language": "de"})) == "es"


def test_query_and_cookie_beat_accept_language(client):
    assert lang_of(client.get("/?lang=en", headers={"Accept-Language": "es"})) == "en"
    assert lang_of(client.get("/?lang=xx", headers={"Accept-Language": "en"})) == "en"
    client.set_cookie("lang", "en")
    assert lang_of(client.get("/", headers={"Accept-Language": "es"})) == "en"
    assert lang_of(client.get("/?lang=es")) == "es", "?lang= beats the cookie"


def test_user_setting_beats_everything(app, client, factory):
    persona = factory.user(locale="en")
    login(client, persona)
    client.set_cookie("lang", "es")
    assert lang_of(client.get("/account?lang=es", headers={"Accept-Language": "es"})) == "en"


def test_language_form_sets_cookie_and_profile(app, client, personas):
    response = client.post("/language", data={"lang": "en", "next": "/privacy"})
    assert response.status_code == 302 and response.location == "/privacy"
    assert lang_of(client.get("/privacy")) == "en"
    login(client, personas["citizen"])
    client.post("/language", data={"lang": "es", "next": "https://evil.example/"})
    with app.app_context():
        assert db.session.get(User, personas["citizen"].id).locale == "es"


def test_language_form_refuses_unknown_language(client):
    response = client.post("/language", data={"lang": "xx"})
    assert response.status_code == 302
    assert "lang=xx" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_dates_and_numbers_are_localised(app):
    from flask_babel import format_date, format_number

    moment = datetime(2017, 3, 14, 15, 0)
    with app.test_request_context("/?lang=es"):
        assert format_date(moment, "long") == "14 de marzo de 2017"
        assert format_number(1234567) == "1.234.567"
    with app.test_request_context("/?lang=en"):
        assert format_date(moment, "long") == "March 14, 2017"
        assert format_number(1234567) == "1,234,567"


def _catalog(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=lang)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings marked in the code now, extracted as ``make catalogs`` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    argv = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext"]
    argv += ["-k", "lazy_pgettext:1c,2", "-k", "lazy_ngettext:1,2"]
    CommandLineInterface().run([*argv, "-o", str(pot), str(ROOT)])
    with open(pot, "rb") as handle:
        ids = {(m.id, m.context) for m in read_po(handle) if m.id}
    assert ("Skip to main content", None) in ids and ("Create account", None) in ids, "extraction found the templates"
    assert ("Registered", "registration status") in ids, "contexts are extracted"
    return ids


@pytest.mark.parametrize("lang", ["es", "en"])
def test_catalog_is_complete(extracted, lang):
    catalog = _catalog(lang)
    missing = sorted(str(i) for i, context in extracted if catalog.get(i, context=context) is None)
    assert not missing, f"marked strings missing from {lang} (run `make catalogs`): {missing[:10]}"
    untranslated = [
        str(m.id) for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert not untranslated, f"untranslated in {lang}: {untranslated[:10]}"
    fuzzy = [str(m.id) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:10]}"
    problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems


@pytest.mark.parametrize("lang", ["es", "en"])
def test_catalog_has_no_stale_entries(extracted, lang):
    stale = sorted(str(m.id) for m in _catalog(lang) if m.id and (m.id, m.context) not in extracted)
    assert not stale, f"entries no longer in the code (run `make catalogs`): {stale[:10]}"


def test_spanish_differs_from_english():
    """A sanity check that the Spanish catalog is really Spanish, not copied msgids."""
    catalog = _catalog("es")
    same = [m.id for m in catalog if m.id and m.string == m.id]
    assert len(same) < len(catalog) * 0.1, same[:20]
