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
cached: a visitor with messages waiting (flashes), anything but a successful
``text/html`` answer to a GET, and a session with writes not yet committed.

Signed-in people get pages drawn once per *kind* of viewer (:func:`for_kind`): everyone
whose page would be the same but for a few parts (their own posts' links, what they
reported) shares one drawing, in which each such part is a :class:`Holes` choice drawn
in all its variants; the person's own variant is chosen when the page is served.
"""

import hashlib
import re
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, g, request, session
from flask_babel import get_locale, get_timezone
from flask_caching import Cache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import inspect

from core.cache import LocalCache, size_of
from core.extensions import db
from core.notifications import unread_count
from core.text import cached_html
from core.tokens import TokenRow, Watch

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
_PLACEHOLDER = PLACEHOLDER.encode()


class SiteState(TokenRow, db.Model):
    """One row whose token changes with every committed write a visitor could see."""

    __tablename__ = "site_state"


def _seen(instance, dirty: bool) -> bool:
    table = getattr(type(instance), "__table__", None)
    if table is None or table.name in UNSEEN:
        return False
    if dirty and table.name == "users":
        attrs = inspect(instance).attrs
        return any(attr.history.has_changes() for attr in attrs if attr.key not in UNSEEN_USER)
    return True


#: The site's token (``core.tokens``): any table but :data:`UNSEEN`.
site = Watch("site", SiteState, _seen, lambda name: name not in UNSEEN)


def changed(session=None) -> None:
    """Give the site a new token in ``session``'s transaction: every cached page is
    dropped once it commits."""
    site.changed(session or db.session)


#: Where pages are kept: the shared cache with Redis; otherwise a small one of this
#: worker's own (:class:`LocalPages`). Pages are kept as UTF-8 bytes, as they are sent.
pages = Cache()


class LocalPages(LocalCache):
    """This worker's own pages when there is no Redis (:class:`core.cache.LocalCache`:
    at most ``PAGE_CACHE_THRESHOLD`` pages, 200, and ``PAGE_CACHE_BYTES``, 8 MiB, the
    page read least recently dropped first; kept as the objects they are, bytes and
    :class:`Drawn`, never changed once kept). A page drawn under an older site token can
    never be served again, so seeing a new token (:meth:`see_token`) drops every page at
    once instead of leaving them to age out."""

    #: Tokens seen before the current one: a request still reading under one of them
    #: (another thread of this worker, its transaction begun before a write) clears
    #: nothing.
    OLDER_TOKENS = 8

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._older: deque[str] = deque(maxlen=self.OLDER_TOKENS)

    def see_token(self, token: str) -> None:
        """Drop every page if ``token`` is newer than any seen (see the class)."""
        if token == self._token or token in self._older:
            return
        with self._lock:
            if self._token is not None:
                self._older.append(self._token)
            self._token = token
            self.clear()


def init_app(app) -> None:
    app.config.setdefault("PAGE_CACHE", True)
    app.config.setdefault("PAGE_CACHE_TIMEOUT", 60)
    app.config.setdefault("PAGE_CACHE_THRESHOLD", 200)
    app.config.setdefault("PAGE_CACHE_BYTES", 8 << 20)
    if app.config.get("CACHE_TYPE") == "RedisCache":
        config = {key: value for key, value in app.config.items() if key.startswith("CACHE_")}
        config["CACHE_KEY_PREFIX"] = "page:"
    else:
        config = {
            "CACHE_TYPE": "core.pagecache.LocalPages",
            "CACHE_THRESHOLD": app.config["PAGE_CACHE_THRESHOLD"],
            "CACHE_MAX_BYTES": app.config["PAGE_CACHE_BYTES"],
        }
    pages.init_app(app, config=config)


def _cacheable(signed_in: bool = False) -> bool:
    return (
        request.method == "GET"
        and current_app.config["PAGE_CACHE"]
        and current_user.is_authenticated == signed_in
        and not session.get("_flashes")
        and not site.pending(db.session)
        and not (db.session.new or db.session.dirty or db.session.deleted)
    )


def token_column():
    """The site's token as a column, for a statement every signed-in request makes anyway
    (the sign-in loader's), which hands it to :func:`remember_token`: a page drawn for a
    kind of viewer then costs no query of its own for it."""
    return site.read.scalar_subquery()


def remember_token(token: str | None) -> None:
    g.site_token = token


def _token() -> str | None:
    if "site_token" in g:
        return g.site_token
    return site.token(db.session)


def _see(token: str) -> None:
    """Tell this worker's own cache the site's token (:meth:`LocalPages.see_token`)."""
    backend = pages.cache
    if isinstance(backend, LocalPages):
        backend.see_token(token)


def _key(token: str, kind: tuple = ()) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((request.full_path, str(get_locale()), str(get_timezone()), token, kind)).encode())
    return f"page:{request.endpoint}:{digest.hexdigest()}"


def for_visitors(view):
    """Cache ``view``'s page for visitors who are not signed in (see the module)."""

    @wraps(view)
    def cached(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        token = _token()
        if token is None:
            return view(*args, **kwargs)
        _see(token)
        key = _key(token)
        body = pages.get(key)
        if body is not None:
            return current_app.response_class(_with_csrf(body), mimetype="text/html")
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == "text/html" and not response.direct_passthrough:
            # The visitor's CSRF token (the same for the whole request, in the layout's
            # forms and any other) is kept as a placeholder.
            body = response.get_data().replace(generate_csrf().encode(), _PLACEHOLDER)
            pages.set(key, body, timeout=current_app.config["PAGE_CACHE_TIMEOUT"])
        return response

    return cached


def _with_csrf(body: bytes) -> bytes:
    """A kept page with this visitor's CSRF token in place of the placeholder."""
    return body.replace(_PLACEHOLDER, generate_csrf().encode())


_HOLE = re.compile("\x00hole(\\d+)\x00")


class Holes:
    """The parts of a page that differ between people of one kind, while it is drawn
    for all of them: :meth:`choice` takes a part's variants and what decides between
    them (``key``) and leaves a marker in the page; ``extra`` keeps what the view needs
    again when it serves the page from the cache (see :func:`for_kind`)."""

    def __init__(self) -> None:
        self.keys: list[Hashable] = []
        self.variants: list[tuple[str, ...]] = []
        self.extra: dict = {}

    def choice(self, key: Hashable, *variants) -> str:
        self.keys.append(key)
        self.variants.append(tuple(str(variant) for variant in variants))
        return cached_html(f"\x00hole{len(self.keys) - 1}\x00")


@dataclass(frozen=True)
class Drawn:
    """A page drawn for a kind of viewer: the HTML between the choices (``pieces``, one
    more than the choices), and per choice its key and variants, all as UTF-8 bytes."""

    pieces: tuple[bytes, ...]
    keys: tuple
    variants: tuple[tuple[bytes, ...], ...]
    extra: dict = field(default_factory=dict)
    #: The memory its pieces and variants take, for the bound of :class:`LocalPages`.
    nbytes: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nbytes", size_of(self.pieces) + size_of(self.variants))

    def fill(self, chosen: Sequence[int]) -> bytes:
        """The page with variant ``chosen[i]`` of choice ``i``."""
        parts = [self.pieces[0]]
        for variants, index, piece in zip(self.variants, chosen, self.pieces[1:], strict=True):
            parts.append(variants[index])
            parts.append(piece)
        return b"".join(parts)


def viewer_kind() -> tuple:
    """What the layout shows of the signed-in person (roles, unread notifications, the
    e-mail confirmation notice, whether blocked): part of every :func:`for_kind` key."""
    user = current_user._get_current_object()
    unconfirmed = user.email if user.email and user.email_confirmed_at is None else None
    return (tuple(user.roles), unread_count(user.id), unconfirmed, user.is_blocked)


def for_kind(
    kind: tuple,
    draw: Callable[[Holes], str],
    choose: Callable[[Sequence, dict], Sequence[int]],
) -> tuple[bytes, dict]:
    """The page ``draw(holes)`` makes for a signed-in person, drawn once for everyone of
    ``kind`` (with :func:`viewer_kind`, the address, locale and zone) until anything
    may have changed, as for visitors; ``choose(keys, extra)`` then picks, for this
    person, the variant of each :class:`Holes` choice (an index per key). Returns the
    person's HTML (UTF-8 bytes) and the drawing's ``extra``. A request that may not use the cache
    (flashes waiting, writes pending, the cache off) draws afresh the same way."""
    key = None
    if _cacheable(signed_in=True):
        token = _token()
        if token is not None:
            _see(token)
            key = _key(token, (*viewer_kind(), *kind))
    drawn = pages.get(key) if key else None
    if drawn is None:
        holes = Holes()
        body = str(draw(holes))
        csrf = generate_csrf()
        # Split at the markers: the odd items are the choices' numbers, in order.
        split = _HOLE.split(body.replace(csrf, PLACEHOLDER))
        if [int(n) for n in split[1::2]] != list(range(len(holes.keys))):
            raise RuntimeError("each Holes choice must be on the page once, in order")
        drawn = Drawn(
            tuple(piece.encode() for piece in split[0::2]),
            tuple(holes.keys),
            tuple(
                tuple(variant.replace(csrf, PLACEHOLDER).encode() for variant in variants)
                for variants in holes.variants
            ),
            holes.extra,
        )
        if key:
            pages.set(key, drawn, timeout=current_app.config["PAGE_CACHE_TIMEOUT"])
    return _with_csrf(drawn.fill(choose(drawn.keys, drawn.extra))), drawn.extra
