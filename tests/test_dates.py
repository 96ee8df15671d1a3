"""Dates and times read one way everywhere (core/dates.py): no seconds, four-digit years,
the platform's time zone (America/Santiago), named once per page."""

import re
from datetime import date, datetime
from pathlib import Path

import pytest
import pytz

from core import dates
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[1]
#: 22:00 UTC on 30 May 2017 is 18:00 in Santiago (winter time, UTC-4).
MOMENT = datetime(2017, 5, 30, 22, 0)

FORMS = {
    "es": {
        "when": "martes 30 de mayo de 2017, 18:00",
        "day": "martes 30 de mayo de 2017",
        "compact": "30 may 2017, 18:00",
        "compact_day": "30 may 2017",
        "zone": "hora de Chile (America/Santiago)",
    },
    "en": {
        "when": "Tuesday, 30 May 2017, 18:00",
        "day": "Tuesday, 30 May 2017",
        "compact": "30 May 2017, 18:00",
        "compact_day": "30 May 2017",
        "zone": "Chile Time (America/Santiago)",
    },
}


@pytest.fixture
def in_language(app):
    """Enter a request in a language: ``with in_language("en"): ...``."""

    def enter(lang):
        return app.test_request_context(headers={"Accept-Language": lang})

    return enter


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_three_forms_in_each_language(in_language, lang):
    expected = FORMS[lang]
    with in_language(lang):
        assert dates.when(MOMENT) == expected["when"]
        assert dates.day(MOMENT) == expected["day"]
        assert dates.compact(MOMENT) == expected["compact"]
        assert dates.compact(date(2017, 5, 30)) == expected["compact_day"]
        assert dates.day(date(2017, 5, 30)) == expected["day"]
        assert dates.zone_name() == expected["zone"]


def test_seconds_are_never_shown_and_years_have_four_digits(in_language):
    with in_language("es"):
        shown = [dates.when(datetime(2017, 5, 30, 22, 0, 59)), dates.compact(datetime(2009, 1, 2, 15, 4, 5))]
    assert shown == ["martes 30 de mayo de 2017, 18:00", "2 ene 2009, 12:04"]


def test_times_are_converted_to_santiago_and_dates_are_not(in_language):
    with in_language("es"):
        # 02:30 UTC on the 31st is still the 30th in Santiago.
        assert dates.when(datetime(2017, 5, 31, 2, 30)) == "martes 30 de mayo de 2017, 22:30"
        assert dates.day(datetime(2017, 5, 31, 2, 30)) == "martes 30 de mayo de 2017"
        # A calendar day is a calendar day.
        assert dates.day(date(2017, 5, 31)) == "miércoles 31 de mayo de 2017"
        # An aware time is converted from its own zone.
        assert dates.when(pytz.timezone("Europe/Madrid").localize(datetime(2017, 5, 31, 0, 0))) == (
            "martes 30 de mayo de 2017, 18:00"
        )


def test_summer_time_and_its_edges(in_language):
    with in_language("en"):
        # Summer (UTC-3) and winter (UTC-4): 18:00 both times.
        assert dates.when(datetime(2017, 1, 10, 21, 0)) == "Tuesday, 10 January 2017, 18:00"
        assert dates.when(datetime(2017, 7, 11, 22, 0)) == "Tuesday, 11 July 2017, 18:00"
        # Summer time began at midnight on 13 August 2017: the clocks went from 23:59 to 01:00.
        assert dates.when(datetime(2017, 8, 13, 3, 59)) == "Saturday, 12 August 2017, 23:59"
        assert dates.when(datetime(2017, 8, 13, 4, 0)) == "Sunday, 13 August 2017, 01:00"


def test_span_of_one_day_and_of_two(in_language):
    with in_language("es"):
        assert dates.span(MOMENT, datetime(2017, 5, 31, 0, 0)) == "martes 30 de mayo de 2017, 18:00 – 20:00"
        assert dates.span(MOMENT, datetime(2017, 5, 31, 4, 0)) == (
            "martes 30 de mayo de 2017, 18:00 – miércoles 31 de mayo de 2017, 00:00"
        )
        assert dates.span(MOMENT) == dates.span(MOMENT, None) == "martes 30 de mayo de 2017, 18:00"


def test_nothing_reads_as_nothing(in_language):
    with in_language("es"):
        assert dates.when(None) == dates.day(None) == dates.compact(None) == dates.span(None) == ""


def test_a_universal_zone_is_named_by_its_standard_name(in_language, monkeypatch):
    monkeypatch.setattr(dates, "get_timezone", lambda: pytz.utc)
    with in_language("en"):
        assert dates.zone_name() == "Coordinated Universal Time (UTC)"


def test_outside_a_request_the_default_language_is_used(app):
    with app.app_context():
        assert dates.when(MOMENT) == FORMS["es"]["when"]


@pytest.fixture
def session_page(factory, places):
    """A session of a citizens' forum at 18:30 in Santiago on Wednesday 5 April 2017
    (summer time, UTC-3)."""
    forum = factory.forum("citizen", places["home"])
    meeting = factory.meeting(forum, title="Sesión de prueba", starts_at=datetime(2017, 4, 5, 21, 30))
    return f"/forums/sessions/{meeting}"


@pytest.mark.parametrize(
    "lang, when",
    [("es", "miércoles 5 de abril de 2017, 18:30"), ("en", "Wednesday, 5 April 2017, 18:30")],
)
def test_session_page_shows_the_style_and_names_the_zone_once(client, session_page, lang, when):
    page = client.get(session_page, headers={"Accept-Language": lang}).get_data(as_text=True)
    assert when in page
    assert "18:30:00" not in page and "/17" not in page, "no seconds, no two-digit year"
    assert page.count("America/Santiago") == 1
    assert page.count(FORMS[lang]["zone"]) == 1
    assert re.search(r'<p class="zone-note">[^<]*' + re.escape(FORMS[lang]["zone"]), page), "in the footer"


def test_a_form_naming_the_zone_beside_its_fields_leaves_the_footer_out(client, session_page, personas):
    login(client, personas["facilitator"])
    page = client.get(f"{session_page}/edit", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'value="2017-04-05T18:30"' in page, "form values stay as the field reads them"
    assert page.count("America/Santiago") == 1
    assert 'class="zone-note"' not in page


def test_templates_use_only_the_house_forms():
    """Flask-Babel's own filters (short forms with two-digit years, full forms with seconds)
    are not registered; a template using one would fail when rendered."""
    old = re.compile(r"\|\s*(format_date|format_datetime|format_time)\b")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*")
        if path.is_file() and old.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
