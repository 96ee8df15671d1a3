"""Rendered fragments, cached (Flask-Caching): in the worker's memory by default, in Redis
when ``COCREA_REDIS_URL`` is set, so every worker shares them.

A fragment's key is a digest of everything its HTML is made from (:func:`fingerprint`):
the rows' own values (texts, times, names, hidden and blocked marks, verdicts), the
locale, the time zone, the kind of viewer and the template's source. A change that would
alter the HTML changes the key, so a stale fragment is never served, and nothing has to
be deleted: old entries age out (``CACHE_DEFAULT_TIMEOUT``, and the memory cache's
``CACHE_THRESHOLD``).
"""

import hashlib
from collections.abc import Callable

from flask import current_app
from flask_babel import get_locale, get_timezone
from flask_caching import Cache
from markupsafe import Markup

from core.text import cached_html

cache = Cache()


def init_app(app) -> None:
    redis = app.config.get("CACHE_REDIS_URL")
    defaults = {"CACHE_TYPE": "RedisCache" if redis else "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 24 * 3600}
    if not redis:
        # Fragments of about 1 KB: a few megabytes per worker at most.
        defaults["CACHE_THRESHOLD"] = 5000
    for name, value in defaults.items():
        app.config.setdefault(name, value)
    cache.init_app(app)
    _template_digests.clear()


_template_digests: dict[str, str] = {}


def _template_digest(name: str) -> str:
    """A digest of a template's source, so a deployment that changes it starts afresh.
    Read once per process, or at every use while templates reload (development)."""
    if name not in _template_digests or current_app.jinja_env.auto_reload:
        source, _filename, _uptodate = current_app.jinja_env.loader.get_source(current_app.jinja_env, name)
        _template_digests[name] = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    return _template_digests[name]


def fingerprint(template: str, kind: str, *values) -> str:
    """The cache key of a fragment of ``template`` for viewers of ``kind`` made from
    ``values`` (anything with a stable ``repr``: strings, numbers, datetimes, None)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((str(get_locale()), str(get_timezone()), kind, values)).encode())
    return f"fragment:{template}:{_template_digest(template)}:{digest.hexdigest()}"


def fragment(key: str, render: Callable[[], tuple[str, ...]]) -> tuple[Markup, ...]:
    """The cached parts under ``key``, or those ``render()`` draws, stored first."""
    parts = cache.get(key)
    if parts is None:
        parts = tuple(str(part) for part in render())
        cache.set(key, parts)
    return tuple(cached_html(part) for part in parts)
