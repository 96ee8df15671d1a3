"""Rendered fragments, cached (Flask-Caching): in the worker's memory by default, in Redis
when ``COCREA_REDIS_URL`` is set, so every worker shares them.

A fragment's key is a digest of everything its HTML is made from (:func:`fingerprint`):
the rows' own values (texts, times, names, hidden and blocked marks, verdicts), the
locale, the time zone, the kind of viewer and the template's source. A change that would
alter the HTML changes the key, so a stale fragment is never served, and nothing has to
be deleted: old entries age out (``CACHE_DEFAULT_TIMEOUT``, and the bounds of the memory
cache, :class:`LocalCache`).
"""

import hashlib
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app
from flask_babel import get_locale, get_timezone
from flask_caching import Cache
from flask_caching.backends.base import BaseCache
from markupsafe import Markup

from core.text import cached_html

cache = Cache()


class LocalCache(BaseCache):
    """A Flask-Caching backend in this worker's memory, bounded both in entries
    (``CACHE_THRESHOLD``) and in the memory they take (``CACHE_MAX_BYTES``, measured by
    :func:`size_of`), the entry read least recently dropped first.

    Values are kept as the objects they are, not pickled: only immutable ones may be
    kept (strings, bytes, tuples of them, frozen objects). Unlike Flask-Caching's
    ``SimpleCache``, which sorts every entry whenever it is full, a store costs the same
    whether it is full or not."""

    def __init__(self, threshold: int = 500, max_bytes: int = 8 << 20, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        self.threshold = threshold
        self.max_bytes = max_bytes
        self.bytes = 0
        # key -> (monotonic expiry or 0 for never, value, its size), least recently read first.
        self._entries: OrderedDict[str, tuple[float, object, int]] = OrderedDict()
        self._lock = threading.RLock()

    @classmethod
    def factory(cls, app, config, args, kwargs) -> "LocalCache":
        return cls(
            threshold=config["CACHE_THRESHOLD"],
            max_bytes=config.get("CACHE_MAX_BYTES", 8 << 20),
            default_timeout=config["CACHE_DEFAULT_TIMEOUT"],
        )

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str):
        with self._lock:
            kept = self._entries.get(key)
            if kept is None:
                return None
            if kept[0] and kept[0] <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return kept[1]

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def set(self, key: str, value, timeout=None) -> bool:
        size = size_of(value)
        seconds = self._normalize_timeout(timeout)
        with self._lock:
            self._drop(key)
            if size > self.max_bytes:
                return False
            self._entries[key] = (time.monotonic() + seconds if seconds else 0, value, size)
            self.bytes += size
            while len(self._entries) > self.threshold or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return True

    def add(self, key: str, value, timeout=None) -> bool:
        with self._lock:
            return not self.has(key) and self.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
        return True

    def _drop(self, key: str) -> bool:
        kept = self._entries.pop(key, None)
        if kept is None:
            return False
        self.bytes -= kept[2]
        return True


def size_of(value) -> int:
    """The memory ``value`` takes, for :class:`LocalCache`: strings and bytes as Python
    holds them, tuples with their items, and anything else by its ``nbytes``."""
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(map(size_of, value))
    return value.nbytes


def init_app(app) -> None:
    redis = app.config.get("CACHE_REDIS_URL")
    defaults = {"CACHE_TYPE": "RedisCache" if redis else "core.cache.LocalCache", "CACHE_DEFAULT_TIMEOUT": 24 * 3600}
    if not redis:
        # Fragments of about 1 KB: a few megabytes per worker at most.
        defaults["CACHE_THRESHOLD"] = 5000
        defaults["CACHE_MAX_BYTES"] = 8 << 20
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
