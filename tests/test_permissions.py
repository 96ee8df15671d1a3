"""The permission matrix: every route × every role, with the expected status.

Requests carry form data with none of the fields filled, so an allowed POST answers with its
validation error (422) or its redirect, and a refused one with 403 (or a redirect to
the login page for anonymous visitors). ``test_matrix_covers_every_route`` fails when a
route is added without a row here.
"""

from datetime import date

import pytest

from core.extensions import db
from core.roles import Role
from tests.conftest import login

ROLES = ("anonymous", "citizen", "staff", "staff_other", "facilitator", "expert", "admin")
SIGNED_IN = ROLES[1:]


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status, anonymous=302):
    """Login required; every signed-in role gets ``status``."""
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def only(status, *roles):
    """Login required; ``roles`` get ``status``, other signed-in roles 403."""
    expected = {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 403)}
    expected.update(dict.fromkeys(roles, status))
    return expected


def guests(status, signed_in_status=302):
    """Pages for visitors without an account; signed-in people are redirected."""
    return {"anonymous": status, **dict.fromkeys(SIGNED_IN, signed_in_status)}


MATRIX = [
    ("GET", "/", everyone(200)),
    ("GET", "/privacy", everyone(200)),
    ("GET", "/forums/", everyone(200)),
    ("GET", "/consultations/", everyone(200)),
    ("POST", "/language", everyone(302)),
    ("GET", "/register", guests(200)),
    ("POST", "/register", guests(422)),
    ("GET", "/login", guests(200)),
    ("POST", "/login", guests(422)),
    ("POST", "/logout", signed_in(302)),
    ("GET", "/account", signed_in(200)),
    ("POST", "/account", signed_in(422)),
    ("GET", "/account/password", signed_in(200)),
    ("POST", "/account/password", signed_in(422)),
    ("GET", "/account/verification", signed_in(200)),
    ("POST", "/account/verification", signed_in(422)),
    ("GET", "/account/privacy", signed_in(200)),
    ("GET", "/account/data.json", signed_in(200)),
    ("POST", "/account/delete", signed_in(422)),
    ("GET", "/admin/", only(200, "admin")),
    ("GET", "/admin/municipalities", only(200, "admin")),
    ("GET", "/admin/municipalities/new", only(200, "admin")),
    ("POST", "/admin/municipalities/new", only(422, "admin")),
    ("GET", "/admin/municipalities/{municipality}", only(200, "admin")),
    # An edit form posted without its fields keeps the stored values: a redirect.
    ("POST", "/admin/municipalities/{municipality}", only(302, "admin")),
    ("GET", "/admin/organisations", only(200, "admin")),
    ("GET", "/admin/organisations/new", only(200, "admin")),
    ("POST", "/admin/organisations/new", only(422, "admin")),
    ("GET", "/admin/organisations/{organisation}", only(200, "admin")),
    ("POST", "/admin/organisations/{organisation}", only(302, "admin")),
    ("GET", "/admin/processes", only(200, "admin")),
    ("GET", "/admin/processes/new", only(200, "admin")),
    ("POST", "/admin/processes/new", only(422, "admin")),
    ("GET", "/admin/processes/{process}", only(200, "admin")),
    ("POST", "/admin/processes/{process}", only(422, "admin")),
    ("POST", "/admin/processes/{process}/phases", only(422, "admin")),
    ("POST", "/admin/processes/{process}/phases/{phase}/delete", only(302, "admin")),
    ("GET", "/admin/users", only(200, "admin")),
    ("GET", "/admin/users/{user}", only(200, "admin")),
    ("POST", "/admin/users/{user}/roles", only(422, "admin")),
    ("POST", "/admin/roles/{assignment}/revoke", only(302, "admin")),
    ("GET", "/admin/staff-requests", only(200, "admin", "facilitator")),
    ("POST", "/admin/staff-requests/{request}/approve", only(302, "admin", "facilitator")),
    ("POST", "/admin/staff-requests/{request}/reject", only(302, "admin", "facilitator")),
    ("GET", "/admin/audit", only(200, "admin")),
]


@pytest.fixture
def world(app, factory, places, personas):
    """Personas plus one of everything a route can name by id."""
    from accounts.models import RoleAssignment

    process_id = factory.process()
    request_id = factory.staff_request(personas["citizen"].id, places["home"])
    with app.app_context():
        from accounts.models import Process

        phase_id = db.session.get(Process, process_id).phases[0].id
        assignment_id = db.session.scalar(
            db.select(RoleAssignment.id).where(RoleAssignment.user_id == personas["expert"].id)
        )
    ids = {
        "municipality": places["home"],
        "organisation": places["cplt"],
        "process": process_id,
        "phase": phase_id,
        "user": personas["citizen"].id,
        "assignment": assignment_id,
        "request": request_id,
    }
    return personas, ids


CASES = [
    pytest.param(method, url, role, expected[role], id=f"{method} {url} as {role}")
    for method, url, expected in MATRIX
    for role in ROLES
]


@pytest.mark.parametrize(("method", "url", "role", "expected"), CASES)
def test_permission_matrix(client, world, method, url, role, expected):
    personas, ids = world
    if role != "anonymous":
        assert login(client, personas[role]).status_code == 302
    # A field nobody declares: the form counts as submitted, and every real field is missing.
    data = {"probe": "1"} if method == "POST" else None
    response = client.open(url.format(**ids), method=method, data=data)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302 and role == "anonymous" and method == "GET":
        assert "/login" in response.location


def test_matrix_covers_every_route(app):
    listed = {(method, url) for method, url, _ in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "{x}").replace(f"<{argument}>", "{x}")
            path = path.replace("<any(approve, reject):decision>", "{decision}")
            candidates = {(method, u) for m, u in listed if m == method}
            normalised = {(m, _normalise(u)) for m, u in candidates}
            if (method, path) not in normalised and not _decision_listed(method, path, normalised):
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from the permission matrix: {missing}"


def _normalise(url):
    import re

    return re.sub(r"\{[a-z]+\}", "{x}", url)


def _decision_listed(method, path, normalised):
    if "{decision}" not in path:
        return False
    return all((method, path.replace("{decision}", d)) in normalised for d in ("approve", "reject"))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/municipalities/999999",
        "/admin/organisations/999999",
        "/admin/processes/999999",
    ],
)
def test_unknown_ids_are_404_for_administrators(client, personas, url):
    login(client, personas["admin"])
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "x"}).status_code == 404


def test_unknown_user_is_404(client, personas):
    login(client, personas["admin"])
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/roles/999999/revoke",
        "/admin/staff-requests/999999/approve",
        "/admin/processes/999999/phases",
        "/admin/users/999999/roles",
    ],
)
def test_unknown_ids_in_actions_are_404(client, personas, url):
    login(client, personas["admin"])
    assert client.post(url, data={}).status_code == 404


def test_phase_of_another_process_is_404(app, client, factory, personas):
    first, second = factory.process(), factory.process()
    with app.app_context():
        from accounts.models import Process

        phase_id = db.session.get(Process, second).phases[0].id
    login(client, personas["admin"])
    assert client.post(f"/admin/processes/{first}/phases/{phase_id}/delete").status_code == 404


def test_staff_role_is_scoped_to_its_municipality(app, personas, places):
    with app.app_context():
        from accounts.models import User

        staff = db.session.get(User, personas["staff"].id)
        assert staff.has_role(Role.STAFF, municipality_id=places["home"])
        assert not staff.has_role(Role.STAFF, municipality_id=places["other"])
        assert staff.has_role(Role.CITIZEN)
        assert not staff.has_role(Role.ADMIN)


def test_process_dates_are_dates(app, factory):
    with app.app_context():
        from accounts.models import Process

        process = db.session.get(Process, factory.process())
        assert process.starts_on == date(2016, 9, 1)
