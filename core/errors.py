"""Error pages in both languages, without stack traces."""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.extensions import db

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you sent and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see or do this.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have been moved or removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts. Please shorten it and try again.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried this too often in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred on our side. Nothing you sent was half-saved; please try again later."),
    ),
}
CSRF_TEXT = _l("This form has expired or was not sent from this site. Please reload the page and try again.")


def render_error(code: int, message=None):
    """Render the error page for HTTP status ``code`` with an optional message."""
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def _handle_http(error: HTTPException):
    db.session.rollback()
    if error.response is not None:
        # The answer was drawn already: a rate-limited form given back with what was typed.
        return error.response
    code = error.code or 500
    if code not in ERROR_TEXTS:
        return error
    response = render_error(code)
    if code == 405 and error.valid_methods:
        return response[0], code, {"Allow": ", ".join(error.valid_methods)}
    return response


def _handle_csrf(error: CSRFError):
    db.session.rollback()
    return render_error(400, CSRF_TEXT)


def _handle_500(error: InternalServerError):
    db.session.rollback()
    return render_error(500)


def register_error_handlers(app) -> None:
    """Attach the error handlers to ``app``."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(InternalServerError, _handle_500)
    app.register_error_handler(HTTPException, _handle_http)
