"""Malformed input on every form: missing fields, wrong types, unknown ids and huge
bodies get a clear answer (a 4xx or a redirect), never a 500."""

import pytest

from tests.conftest import login
from tests.test_permissions import MATRIX, WORKSHOP_IDS, world  # noqa: F401  (the fixture is used by name)

FIELDS = """email password confirm display_name municipality consent current locale position name region
in_commission acronym kind title description starts_on ends_on coordinator role organisation note lang next body
reply_to status reason process_id starts_at ends_at place online_url capacity agenda minutes published headcount
attendee profile remember q""".split()
PREFIXES = ("", "process-", "phase-", "walkin-", "remark-", "headcount-", "checkin-")
TEXTS = ("body", "description", "agenda", "minutes", "reason", "remark-body")


def _payloads():
    every = [prefix + field for prefix in PREFIXES for field in FIELDS]
    return {
        "wrong types": dict.fromkeys(every, "abc\x00\ud7ff"),
        "numbers out of range": dict.fromkeys(every, "-99999999999999999999"),
        "long values": dict.fromkeys(every, "x" * 2_000),
        "100 KB texts": dict.fromkeys(TEXTS, "y" * 100_000),
        "nothing": {},
    }


POSTS = [pytest.param(url, id=url) for method, url, _ in MATRIX if method == "POST"]


@pytest.fixture
def posted_world(request, snapshots, places, personas, url):
    """The permission matrix's world for ``url``, built once per kind (what the fixture
    adds for workshops and consultations) and put back for each address: every address
    starts from the same untouched world, as if it had built its own."""
    kind = (any(name in url for name in WORKSHOP_IDS), url.startswith("/consultations/") and "{" in url)
    return snapshots.layer(("permission world", kind), lambda: request.getfixturevalue("world"))


@pytest.mark.parametrize("url", POSTS)
def test_no_server_error_on_malformed_input(client, posted_world, url):
    personas, ids = posted_world
    for role in ("admin", "citizen", "facilitator"):
        login(client, personas[role])
        for name, data in _payloads().items():
            response = client.post(url.format(**ids), data=data, headers={"Accept-Language": "es"})
            # Closed, as a server closes every answer: a download sent as it is written
            # keeps its request open until then (and the next request would find it).
            response.close()
            assert response.status_code < 500, (role, name, response.status_code)
        client.post("/logout")


@pytest.mark.parametrize(
    "url",
    [
        "/forums/99999999999999999999",
        "/forums/threads/-1",
        "/forums/threads/abc",
        "/forums/sessions/0",
        "/forums/posts/999999/history",
        "/forums/search?q=%00&forum=abc",
        "/forums/search?q=a%00b",
        "/admin/users?q=%00",
        "/forums/search?page=-5&q=x",
        "/admin/users?page=abc",
        "/admin/users/99999999999999999999",
        "/admin/audit?page=99999999999999999999",
        "/notifications?page=99999999999999999999",
        "/forums/moderation?page=99999999999999999999",
        "/forums/threads/1/reply?to=99999999999999999999",
        "/forums/2147483648",
    ],
)
def test_no_server_error_on_odd_addresses(client, personas, url):
    login(client, personas["admin"])
    assert client.get(url).status_code < 500
