"""Locale selection: the user's setting, then ``?lang=`` or the cookie, then
Accept-Language, then Spanish."""

import functools

import pytz
from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import Domain
from flask_login import current_user

LANGUAGES = ("es", "en")
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
LANGUAGE_COOKIE = "lang"


@functools.cache
def _locale(code: str) -> Locale:
    # Flask-Babel parses a string the selector returns on every request (which checks
    # for the locale's data file on disk each time) but takes a Locale as it is.
    return Locale.parse(code)


def select_locale() -> Locale:
    """Flask-Babel locale selector (see the module docstring for the order)."""
    if not has_request_context():
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.locale in LANGUAGES:
        return _locale(user.locale)
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return _locale(candidate)
    best = request.accept_languages.best_match(LANGUAGES)
    return _locale(best or current_app.config["BABEL_DEFAULT_LOCALE"])


@functools.cache
def _zone(name: str):
    return pytz.timezone(name)


def select_timezone():
    """Flask-Babel time zone selector: the configured zone, looked up once (Flask-Babel
    looks the name up again on every request)."""
    return _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


class _Domain(Domain):
    """Flask-Babel's message domain, remembering the request's translations beside its
    locale: Flask-Babel looks them up afresh for every string (three context look-ups and
    the locale's name each time), about a third of a simple page's time. ``force_locale``
    sets a new locale object, so the remembered translations are used only for the one
    they were found for."""

    def get_translations(self):
        try:
            context = g._flask_babel
            found = context.cocrea_translations
            if found[0] is context.babel_locale:
                return found[1]
        except (AttributeError, RuntimeError):
            pass
        result = super().get_translations()
        try:
            context = g._flask_babel
            context.cocrea_translations = (context.babel_locale, result)
        except (AttributeError, RuntimeError):
            pass
        return result


_DOMAIN = _Domain()


def translations():
    """The request's translations (remembered; see :class:`_Domain`)."""
    return _DOMAIN.get_translations()


def init_app(app, babel) -> None:
    """Use the remembering domain for ``babel`` (the one Flask-Babel instance) and in
    templates' ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext``."""
    babel.__dict__["domain_instance"] = _DOMAIN
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
