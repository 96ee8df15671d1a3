"""One transaction owner per request: views and services only flush; this commits.

Work that must follow a successful commit and must not hold up or fail the page (sending
the mails a request queued, say) registers with :func:`after_commit`: it runs once the
response has been sent (when the WSGI server closes it), in an application context of its
own, and whatever it raises is logged.
"""

import functools

from flask import current_app, g

from core.extensions import db

_AFTER_COMMIT = "_cocrea_after_commit"


def after_commit(callback) -> None:
    """Call ``callback()`` after this request commits, once its response is sent. Nothing
    runs if the request rolls back. Must be called inside a request; raises nothing."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(app, callbacks) -> None:
    with app.app_context():
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the page is sent already; log and go on
                app.logger.exception("After-commit task %r failed", callback)
                db.session.rollback()


def commit_or_rollback(response):
    """``after_request`` hook: commit when the response succeeded, else roll back.

    A failed commit raises, so the client gets the 500 page and nothing is half-written.
    After a commit, the :func:`after_commit` callbacks are attached to the response
    (``call_on_close``).
    """
    callbacks = g.pop(_AFTER_COMMIT, [])
    if response.status_code < 400:
        db.session.commit()
        if callbacks:
            app = current_app._get_current_object()
            response.call_on_close(functools.partial(_run_after_commit, app, callbacks))
    else:
        db.session.rollback()
    return response
