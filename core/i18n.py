"""Locale selection: the user's setting, then ``?lang=`` or the cookie, then
Accept-Language, then Spanish."""

from flask import current_app, g, has_request_context, request
from flask_babel import Domain
from flask_login import current_user

LANGUAGES = ("es", "en")
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Flask-Babel locale selector (see the module docstring for the order)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user
    if user and user.is_authenticated and user.locale in LANGUAGES:
        return user.locale
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


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
