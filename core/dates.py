"""How the interface writes dates and times: one style, in the reader's language and the
platform's time zone.

Three forms, no more (examples for 18:00 in Santiago on 30 May 2017):

``when``     a moment, in full: es "martes 30 de mayo de 2017, 18:00",
             en "Tuesday, 30 May 2017, 18:00". For a time that stands on its own or in a
             sentence: when a session or workshop takes place, when a round opens and
             closes, when something was last published.
``day``      a day, in full: es "martes 30 de mayo de 2017", en "Tuesday, 30 May 2017".
             For a day whose hour does not matter: the dates of the process and its phases,
             when someone joined, was invited, or a version was published.
``compact``  for stamps that repeat row after row (posts, comments, notifications, the
             audit log, cells of a table): es "30 may 2017, 18:00", en "30 May 2017,
             18:00"; a date alone (a ``date``, not a ``datetime``) reads "30 may 2017".

Always a four-digit year, a 24-hour clock and no seconds. Stored times are UTC (naive
values are taken as UTC) and are shown in the platform's time zone
(``BABEL_DEFAULT_TIMEZONE``, ``America/Santiago`` by default), which a page names once, in
its footer (:func:`zone_name`), never after each time. A ``date`` is a calendar day and is
not converted. :func:`span` writes a start and an end with the forms above.

``<time datetime="…">`` attributes, form values (``datetime-local``) and exports keep their
ISO 8601 text: these functions are for what people read.

Every function needs an application context (flask-babel's locale and time zone); outside
a request they use the default language. They return ``""`` for ``None`` and raise nothing
else.
"""

from datetime import date, datetime

from babel.dates import get_timezone_name
from flask_babel import format_date, format_datetime, get_locale, get_timezone, to_user_timezone

#: The patterns of each form per language (Unicode/CLDR date patterns). A language missing
#: here falls back to English's, whose patterns have no literal words, so its month and day
#: names still come out in that language.
PATTERNS = {
    "es": {
        "when": "EEEE d 'de' MMMM 'de' y, HH:mm",
        "day": "EEEE d 'de' MMMM 'de' y",
        "compact": "d MMM y, HH:mm",
        "compact_day": "d MMM y",
    },
    "en": {
        "when": "EEEE, d MMMM y, HH:mm",
        "day": "EEEE, d MMMM y",
        "compact": "d MMM y, HH:mm",
        "compact_day": "d MMM y",
    },
}
#: The time alone, for the end of a span on the same day.
TIME = "HH:mm"
#: Zones with no "generic" name in CLDR: they are named by their standard name instead
#: ("Coordinated Universal Time", not "Unknown Region (UTC) Time").
_UNIVERSAL = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Zulu", "Etc/Zulu", "Universal"}


def _pattern(form: str) -> str:
    locale = get_locale()
    language = locale.language if locale is not None else "es"
    return PATTERNS.get(language, PATTERNS["en"])[form]


def when(value: datetime | None) -> str:
    """``value`` (UTC) as a full date and time in the platform's zone: "martes 30 de mayo
    de 2017, 18:00"."""
    if value is None:
        return ""
    return format_datetime(value, _pattern("when"))


def day(value: date | datetime | None) -> str:
    """``value`` as a full date, "martes 30 de mayo de 2017"; a ``datetime`` (UTC) gives
    its day in the platform's zone."""
    if value is None:
        return ""
    return format_date(value, _pattern("day"))


def compact(value: date | datetime | None) -> str:
    """``value`` in the compact form for lists and tables: "30 may 2017, 18:00" for a
    ``datetime`` (UTC, shown in the platform's zone), "30 may 2017" for a ``date``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern("compact"))
    return format_date(value, _pattern("compact_day"))


def span(start: datetime | None, end: datetime | None = None) -> str:
    """From ``start`` to ``end`` (both UTC): "martes 30 de mayo de 2017, 18:00 – 20:00" on
    one day, both in full on different days, ``start`` alone without an end."""
    if start is None:
        return ""
    if end is None:
        return when(start)
    if to_user_timezone(start).date() == to_user_timezone(end).date():
        return f"{when(start)} – {format_datetime(end, TIME)}"
    return f"{when(start)} – {when(end)}"


def today() -> date:
    """Today in the platform's time zone (not the server's)."""
    return datetime.now(get_timezone()).date()


def zone_name() -> str:
    """The platform's time zone as a reader knows it, then its identifier: "hora de Chile
    (America/Santiago)", "Chile Time (America/Santiago)"."""
    zone = get_timezone()
    key = str(zone)
    variant = "standard" if key in _UNIVERSAL else "generic"
    name = get_timezone_name(zone, "long", zone_variant=variant, locale=get_locale())
    return f"{name} ({key})"


def register(app) -> None:
    """Make the three forms Jinja filters (``|when``, ``|day``, ``|compact``) and ``span`` and
    ``zone_name`` template globals of ``app``. Raises nothing."""
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(compact, "compact")
    app.add_template_global(span, "span")
    app.add_template_global(zone_name, "zone_name")
