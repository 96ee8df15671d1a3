"""Whole pages for visitors who are not signed in, cached until anything may have changed.

A page every anonymous visitor sees the same (a thread, a forum) is drawn once and kept
(:data:`pages`) under its address, the locale, the time zone and the token of the one
:class:`SiteState` row. Every committed write that could change what a visitor
sees gives that row a new token in the same transaction (any table but the bookkeeping
ones in :data:`UNSEEN`; for accounts, any column but those in :data:`UNSEEN_USER`), so a
stale page is never served, whichever worker wrote. A page is also dropped after
``PAGE_CACHE_TIMEOUT`` seconds (60), for what depends on the time of day.

The one thing that differs between visitors, the CSRF token of the forms (the layout's
language switch), is kept as a placeholder and filled in for each visitor. Not
cached: signed-in people, a visitor with messages waiting (flashes), anything but a
successful ``text/html`` answer to a GET, and a session with writes not yet committed.
"""

import hashlib
import secrets
from datetime import datetime
from functools import wraps
from itertools import chain

from flask import current_app, request, session
from flask_babel import get_locale, get_timezone
from flask_caching import Cache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import String, event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import TextClause

from core.extensions import db
from core.models import utcnow

#: Tables no visitor's page reads (reading positions, mail, notifications, the audit
#: trail, the tallies' own bookkeeping, consents).
UNSEEN = frozenset(
    {
        "thread_reads",
        "outgoing_mails",
        "notifications",
        "audit_entries",
        "tally_events",
        "tally_slices",
        "tally_state",
        "site_state",
        "consents",
    }
)
#: Columns of an account no visitor's page shows (signing in, passwords, settings).
UNSEEN_USER = frozenset(
    {
        "last_login_at",
        "last_digest_at",
        "password_hash",
        "auth_token",
        "email",
        "email_confirmed_at",
        "locale",
        "notification_mail",
    }
)
PLACEHOLDER = "\x00cocrea-csrf\x00"
_FLAG = "site_changed"


class SiteState(db.Model):
    """One row whose token changes with every committed write a visitor could see."""

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def _seen(instance, dirty: bool) -> bool:
    table = getattr(type(instance), "__table__", None)
    if table is None or table.name in UNSEEN:
        return False
    if dirty and table.name == "users":
        attrs = inspect(instance).attrs
        return any(attr.history.has_changes() for attr in attrs if attr.key not in UNSEEN_USER)
    return True


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    if session.info.get(_FLAG):
        return
    if any(_seen(o, False) for o in chain(session.new, session.deleted)) or any(_seen(o, True) for o in session.dirty):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(statement, "table", None), "name", None)
        if name not in UNSEEN:
            state.session.info[_FLAG] = True
    elif isinstance(statement, TextClause) and statement.text.lstrip()[:6].lower() in {"insert", "update", "delete"}:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.pop(_FLAG, False):
        changed(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_FLAG, None)


def changed(session=None) -> None:
    """Give the site a new token in ``session``'s transaction: every cached page is
    dropped once it commits."""
    session = session or db.session
    values = {"token": secrets.token_hex(16), "changed_at": utcnow()}
    done = session.execute(update(SiteState).where(SiteState.id == 1).values(**values))
    if not done.rowcount:
        session.execute(insert(SiteState).values(id=1, **values))


#: Where pages are kept: the shared cache with Redis; otherwise a small one of this
#: worker's own (a page is some 60 KB: ``PAGE_CACHE_THRESHOLD`` pages, 200 by default).
pages = Cache()


def init_app(app) -> None:
    app.config.setdefault("PAGE_CACHE", True)
    app.config.setdefault("PAGE_CACHE_TIMEOUT", 60)
    app.config.setdefault("PAGE_CACHE_THRESHOLD", 200)
    if app.config.get("CACHE_TYPE") == "RedisCache":
        config = {key: value for key, value in app.config.items() if key.startswith("CACHE_")}
        config["CACHE_KEY_PREFIX"] = "page:"
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": app.config["PAGE_CACHE_THRESHOLD"]}
    pages.init_app(app, config=config)


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and current_app.config["PAGE_CACHE"]
        and not current_user.is_authenticated
        and not session.get("_flashes")
        and not db.session.info.get(_FLAG)
        and not (db.session.new or db.session.dirty or db.session.deleted)
    )


def _key(token: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((request.full_path, str(get_locale()), str(get_timezone()), token)).encode())
    return f"page:{request.endpoint}:{digest.hexdigest()}"


def for_visitors(view):
    """Cache ``view``'s page for visitors who are not signed in (see the module)."""

    @wraps(view)
    def cached(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        token = db.session.scalar(select(SiteState.token).where(SiteState.id == 1))
        if token is None:
            return view(*args, **kwargs)
        key = _key(token)
        body = pages.get(key)
        if body is not None:
            return current_app.response_class(body.replace(PLACEHOLDER, generate_csrf()), mimetype="text/html")
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == "text/html" and not response.direct_passthrough:
            # The visitor's CSRF token (the same for the whole request, in the layout's
            # forms and any other) is kept as a placeholder.
            body = response.get_data(as_text=True).replace(generate_csrf(), PLACEHOLDER)
            pages.set(key, body, timeout=current_app.config["PAGE_CACHE_TIMEOUT"])
        return response

    return cached
