"""Administration: places, processes, roles with their audit trail, and lists that
issue a fixed number of queries however long they grow."""

from datetime import date

import pytest
from sqlalchemy import func, select

from accounts.models import Municipality, Organisation, Process, RoleAssignment, User
from core.audit import AuditEntry
from core.extensions import db
from core.roles import Role
from tests.conftest import login


@pytest.fixture
def admin_client(client, personas):
    login(client, personas["admin"])
    return client


def test_create_and_edit_municipality(app, admin_client):
    response = admin_client.post("/admin/municipalities/new", data={"name": "Lo Prado", "region": "RM"})
    assert response.status_code == 302
    duplicate = admin_client.post("/admin/municipalities/new", data={"name": "lo prado"})
    assert duplicate.status_code == 422
    with app.app_context():
        municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == "Lo Prado"))
    edited = admin_client.post(
        f"/admin/municipalities/{municipality_id}",
        data={"name": "Lo Prado", "region": "Metropolitana", "in_commission": "y"},
    )
    assert edited.status_code == 302
    with app.app_context():
        municipality = db.session.get(Municipality, municipality_id)
        assert (municipality.region, municipality.in_commission) == ("Metropolitana", True)
    assert "Lo Prado" in admin_client.get("/admin/municipalities").get_data(as_text=True)


def test_municipality_name_too_long(app, admin_client):
    response = admin_client.post("/admin/municipalities/new", data={"name": "x" * 121})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Municipality.id))) == 2  # the two from `places`


def test_create_organisation_and_reject_unknown_kind(app, admin_client):
    ok = admin_client.post("/admin/organisations/new", data={"name": "Fundación Datos", "kind": "cso"})
    assert ok.status_code == 302
    bad = admin_client.post("/admin/organisations/new", data={"name": "Otra", "kind": "party"})
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Organisation.kind).where(Organisation.name == "Fundación Datos")) == "cso"
        assert db.session.scalar(select(Organisation.id).where(Organisation.name == "Otra")) is None


def test_process_with_phases(app, admin_client, places):
    response = admin_client.post(
        "/admin/processes/new",
        data={
            "process-title": "Segundo modelo",
            "process-description": "Revisión",
            "process-starts_on": "2019-01-01",
            "process-ends_on": "2019-12-31",
            "process-coordinator": str(places["cplt"]),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        process_id = db.session.scalar(select(Process.id).where(Process.title == "Segundo modelo"))
    backwards = admin_client.post(
        f"/admin/processes/{process_id}/phases",
        data={"phase-name": "Foros", "phase-starts_on": "2019-05-01", "phase-ends_on": "2019-04-01"},
        headers={"Accept-Language": "en"},
    )
    assert backwards.status_code == 422
    assert "cannot be before the start date" in backwards.get_data(as_text=True)
    malformed = admin_client.post(
        f"/admin/processes/{process_id}/phases",
        data={"phase-name": "Foros", "phase-starts_on": "mañana", "phase-ends_on": "2019-04-01"},
    )
    assert malformed.status_code == 422
    ok = admin_client.post(
        f"/admin/processes/{process_id}/phases",
        data={"phase-name": "Foros", "phase-starts_on": "2019-03-01", "phase-ends_on": "2019-04-01"},
    )
    assert ok.status_code == 302
    with app.app_context():
        process = db.session.get(Process, process_id)
        assert [(p.name, p.starts_on) for p in process.phases] == [("Foros", date(2019, 3, 1))]
        assert process.coordinator_id == places["cplt"]


def test_grant_and_revoke_roles_are_audited(app, admin_client, personas, places):
    target = personas["citizen"]
    missing_scope = admin_client.post(f"/admin/users/{target.id}/roles", data={"role": "staff"})
    assert missing_scope.status_code == 422
    granted = admin_client.post(
        f"/admin/users/{target.id}/roles", data={"role": "staff", "municipality": str(places["other"])}
    )
    assert granted.status_code == 302
    twice = admin_client.post(
        f"/admin/users/{target.id}/roles", data={"role": "staff", "municipality": str(places["other"])}
    )
    assert twice.status_code == 422
    unknown = admin_client.post(f"/admin/users/{target.id}/roles", data={"role": "emperor"})
    assert unknown.status_code == 422
    with app.app_context():
        assignment = db.session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == target.id))
        assert assignment.role == "staff" and assignment.municipality_id == places["other"]
        assert assignment.granted_by_id == personas["admin"].id
        assignment_id = assignment.id
    assert admin_client.post(f"/admin/roles/{assignment_id}/revoke").status_code == 302
    with app.app_context():
        assert not db.session.get(User, target.id).has_role(Role.STAFF)
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_user_id == target.id).order_by(AuditEntry.id)
        ).all()
        actions = [(e.action, e.actor_id, e.detail.get("role")) for e in entries if e.action.startswith("role.")]
        assert actions == [
            ("role.granted", personas["admin"].id, "staff"),
            ("role.revoked", personas["admin"].id, "staff"),
        ]
    log = admin_client.get("/admin/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Role granted" in log and "Role removed" in log and "Vitacura" in log


def test_admin_cannot_remove_own_admin_role(app, admin_client, personas):
    with app.app_context():
        own = db.session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == personas["admin"].id))
    admin_client.post(f"/admin/roles/{own}/revoke")
    with app.app_context():
        assert db.session.get(User, personas["admin"].id).has_role(Role.ADMIN)


def test_user_search(admin_client, personas):
    page = admin_client.get("/admin/users?q=" + personas["expert"].name).get_data(as_text=True)
    assert personas["expert"].name in page
    assert personas["citizen"].name not in page


def _bulk_users(app, count, municipality_id):
    from accounts import services

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email.like("persona%")).order_by(User.id))
        for i in range(count):
            user = User(email=f"bulk{i}@example.org", display_name=f"Bulk {i:04d}", municipality_id=municipality_id)
            user.password_hash = "x"
            db.session.add(user)
            db.session.flush()
            if i % 3 == 0:
                services.grant_role(admin, user, Role.STAFF, municipality_id=municipality_id)
            elif i % 3 == 1:
                services.request_staff_verification(user, municipality_id, "Oficina de partes")
        db.session.commit()


@pytest.mark.parametrize(
    "url",
    ["/admin/users", "/admin/audit", "/admin/staff-requests", "/admin/municipalities", "/admin/"],
)
def test_admin_lists_use_a_fixed_number_of_queries(app, admin_client, places, count_queries, url):
    """The same number of queries with a handful of rows and with many."""
    with count_queries as few:
        assert admin_client.get(url).status_code == 200
    _bulk_users(app, 120, places["home"])
    with app.app_context():
        for i in range(40):
            db.session.add(Municipality(name=f"Comuna extra {i}"))
        db.session.commit()
    with count_queries as many:
        assert admin_client.get(url).status_code == 200
    assert few.count > 0
    assert many.count == few.count, many.statements
