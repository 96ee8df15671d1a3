"""The in-memory cache of a worker without Redis (core/cache.py ``LocalCache``), behind
the rendered fragments and, as ``core.pagecache.LocalPages``, the cached pages: bounded in
entries and in bytes, the entry read least recently dropped first, entries expiring."""

import pytest

from core import cache as core_cache
from core import pagecache
from core.cache import LocalCache, size_of

PAGE = size_of(b"x" * 300)


def test_it_is_bounded_in_bytes_dropping_the_entry_read_least_recently():
    kept = LocalCache(threshold=100, max_bytes=3 * PAGE + 10)
    for name in "abc":
        assert kept.set(name, name.encode() * 300)
    assert kept.get("a") == b"a" * 300  # "b" is now the one read least recently
    assert kept.set("d", b"d" * 300)
    assert kept.get("b") is None
    assert all(kept.get(name) is not None for name in "acd")
    assert kept.bytes == 3 * PAGE and len(kept) == 3
    # Replacing an entry counts its new size, not both.
    assert kept.set("a", b"A" * 50)
    assert kept.bytes == 2 * PAGE + size_of(b"A" * 50)
    assert kept.delete("a") and not kept.delete("a")
    assert kept.bytes == 2 * PAGE


def test_it_is_bounded_in_entries():
    kept = LocalCache(threshold=2)
    for name in "abc":
        kept.set(name, b"x")
    assert kept.get("a") is None and kept.get("b") == b"x" and kept.get("c") == b"x"
    assert len(kept) == 2


def test_a_value_larger_than_the_whole_cache_is_not_kept():
    kept = LocalCache(threshold=10, max_bytes=PAGE - 1)
    kept.set("small", b"s")
    kept.set("big", b"one")
    assert kept.set("big", b"x" * 300) is False
    assert kept.get("big") is None and kept.get("small") == b"s" and kept.bytes == size_of(b"s")


def test_sizes_count_what_python_holds():
    assert size_of("añ" * 100) > size_of("an" * 100) > 200
    assert size_of(("abc", ("d", b"e"))) > size_of("abc") + size_of("d") + size_of(b"e")


def test_entries_expire(monkeypatch):
    kept = LocalCache()
    now = [1000.0]
    monkeypatch.setattr(core_cache.time, "monotonic", lambda: now[0])
    kept.set("page", b"x", timeout=60)
    kept.set("forever", b"y", timeout=0)
    now[0] += 59
    assert kept.has("page")
    now[0] += 2
    assert kept.get("page") is None and kept.get("forever") == b"y" and kept.bytes == size_of(b"y")
    assert kept.add("page", b"z") and not kept.add("page", b"w") and kept.get("page") == b"z"


@pytest.mark.parametrize("which", ["fragments", "pages"])
def test_without_redis_both_caches_are_bounded_in_memory(app, which):
    with app.app_context():
        backend = core_cache.cache.cache if which == "fragments" else pagecache.pages.cache
    assert isinstance(backend, LocalCache)
    assert backend.max_bytes == 8 << 20
    assert backend.threshold == (5000 if which == "fragments" else 200)
