"""One transaction owner per request: views and services only flush; this commits.

Work that must follow a successful commit and must not hold up or fail the page (sending
the mails a request queued, say) registers with :func:`after_commit`: it runs once the
response has been sent, in an application context of its own, and whatever it raises is
logged.

"Sent" is noticed twice, and the work runs at the first of the two: when the server has
taken the body's last block (the iterator is exhausted), or when it closes the response. A
WSGI server must close it, but werkzeug's development server skips the close when the
browser drops the connection first (it does after a redirect), so closing alone would leave
the work to the next ``flask mail send``.
"""

import threading

from flask import current_app, g

from core.extensions import db

_AFTER_COMMIT = "_cocrea_after_commit"


def after_commit(callback) -> None:
    """Call ``callback()`` after this request commits, once its response is sent. Nothing
    runs if the request rolls back. Must be called inside a request; raises nothing."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


class _Once:
    """Run the callbacks, in an application context of their own, the first time this is
    called (from any thread); later calls do nothing."""

    def __init__(self, app, callbacks):
        self.app = app
        self.callbacks = callbacks
        self.lock = threading.Lock()
        self.done = False

    def __call__(self) -> None:
        with self.lock:
            if self.done:
                return
            self.done = True
        _run_after_commit(self.app, self.callbacks)


class _ThenRun:
    """A response body that calls ``run()`` once the server has taken its last block, or
    when the server closes it (closing the wrapped body first)."""

    def __init__(self, body, run):
        self.body = body
        self.run = run

    def __iter__(self):
        yield from self.body
        self.run()

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.run()


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
    After a commit, the :func:`after_commit` callbacks are attached to the response: they
    run after its last block, or when it is closed, whichever comes first.
    """
    callbacks = g.pop(_AFTER_COMMIT, [])
    if response.status_code < 400:
        db.session.commit()
        if callbacks:
            run = _Once(current_app._get_current_object(), callbacks)
            # A body sent as is (a file) is handed to the server without the response's
            # close(), so the wrapper is the only way to notice it was sent.
            response.call_on_close(run)
            response.response = _ThenRun(response.response, run)
    else:
        db.session.rollback()
    return response
