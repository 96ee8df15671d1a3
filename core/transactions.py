"""One transaction owner per request: views and services only flush; this commits."""

from core.extensions import db


def commit_or_rollback(response):
    """``after_request`` hook: commit when the response succeeded, else roll back.

    A failed commit raises, so the client gets the 500 page and nothing is half-written.
    """
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response
