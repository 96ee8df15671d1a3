"""Locale selection: the user's setting, then ``?lang=`` or the cookie, then
Accept-Language, then Spanish."""

from flask import current_app, has_request_context, request
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
