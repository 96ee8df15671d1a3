"""Registration, sign-in, profile, password, verification requests and privacy."""

import json

import pytest
from sqlalchemy import func, select

from accounts.models import Consent, RequestStatus, StaffRequest, User
from core.audit import AuditEntry
from core.extensions import db
from core.models import Channel, Contribution
from core.roles import Role
from tests.conftest import PASSWORD, login

VALID = {
    "email": "Nueva@Example.org",
    "display_name": "Vecina de Talagante",
    "password": "una clave bien larga",
    "confirm": "una clave bien larga",
    "consent": "y",
}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_records_consent_and_signs_in(app, client, places):
    response = client.post("/register", data={**VALID, "municipality": str(places["home"])})
    assert response.status_code == 302
    assert response.location.endswith("/account")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva@example.org"))
        assert user.municipality_id == places["home"]
        consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id))
        assert consent.document == "privacy_notice"
        assert consent.version == app.config["PRIVACY_NOTICE_VERSION"]
        assert consent.given_at is not None
    assert "Vecina de Talagante" in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"consent": None}, "consent", "You must accept the privacy notice"),
        ({"password": "corta", "confirm": "corta"}, "password", "between 12 and 128"),
        ({"confirm": "otra clave distinta"}, "confirm", "do not match"),
        ({"email": "no-es-un-correo"}, "email", "valid email"),
        ({"display_name": "x" * 81}, "display_name", "Between 2 and 80"),
        ({"email": "a" * 250 + "@x.org"}, "email", "At most 254"),
        ({"municipality": "999999"}, "municipality", "Not a valid choice"),
        ({"municipality": "abc"}, "municipality", "Invalid Choice"),
    ],
)
def test_register_rejects_bad_input_without_writing(app, client, places, change, field, message):
    data = {**VALID, **change}
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post("/register", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert _count(User) == 0
        assert _count(Consent) == 0


def test_register_errors_are_translated(client):
    response = client.post("/register", data={"email": "x"}, headers={"Accept-Language": "es"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Este campo es obligatorio" in page or "obligatorio" in page


def test_register_duplicate_email_is_refused(app, client, personas):
    response = client.post("/register", data={**VALID, "email": personas["citizen"].email.upper()})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == personas["citizen"].email)) == 1


def test_register_huge_body_is_a_clean_error(client):
    response = client.post("/register", data={**VALID, "display_name": "x" * 100_000})
    assert response.status_code == 422


def test_login_with_wrong_password_fails(client, personas):
    response = client.post("/login", data={"email": personas["citizen"].email, "password": "no es esta clave"})
    assert response.status_code == 422
    assert client.get("/account").status_code == 302


def test_login_is_case_insensitive_and_renews_session(client, personas):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = client.post("/login", data={"email": personas["citizen"].email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
    assert client.get("/account").status_code == 200


def test_login_follows_safe_next_only(client, personas):
    data = {"email": personas["citizen"].email, "password": PASSWORD}
    response = client.post("/login?next=/account/privacy", data=data)
    assert response.location == "/account/privacy"
    client.post("/logout")
    for unsafe in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        response = client.post("/login", query_string={"next": unsafe}, data=data)
        assert response.location == "/", unsafe
        client.post("/logout")


def test_remember_me_sets_cookie(client, personas):
    response = client.post("/login", data={"email": personas["citizen"].email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0]


def test_logout_is_post_only(client, personas):
    login(client, personas["citizen"])
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_change_password_needs_current_and_ends_other_sessions(app, personas):
    first, second = app.test_client(), app.test_client()
    login(first, personas["citizen"])
    login(second, personas["citizen"])
    wrong = first.post(
        "/account/password",
        data={"current": "no es la clave", "password": "nueva clave larga", "confirm": "nueva clave larga"},
    )
    assert wrong.status_code == 422
    ok = first.post(
        "/account/password", data={"current": PASSWORD, "password": "nueva clave larga", "confirm": "nueva clave larga"}
    )
    assert ok.status_code == 302
    assert first.get("/account").status_code == 200, "the session that changed it stays signed in"
    assert second.get("/account").status_code == 302, "other sessions end"
    third = app.test_client()
    assert login(third, personas["citizen"].email, PASSWORD).status_code == 422
    assert login(third, personas["citizen"].email, "nueva clave larga").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.password_changed"))


def test_profile_update_sets_language_and_municipality(app, client, personas, places):
    login(client, personas["citizen"])
    response = client.post(
        "/account", data={"display_name": "Nombre nuevo", "municipality": str(places["other"]), "locale": "en"}
    )
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in page
    with app.app_context():
        user = db.session.get(User, personas["citizen"].id)
        assert (user.display_name, user.municipality_id, user.locale) == ("Nombre nuevo", places["other"], "en")


def test_profile_rejects_unknown_language(client, personas):
    login(client, personas["citizen"])
    response = client.post("/account", data={"display_name": "Nombre", "municipality": "", "locale": "fr"})
    assert response.status_code == 422


def test_staff_request_then_approval_grants_role(app, client, personas, places):
    login(client, personas["citizen"])
    response = client.post("/account/verification", data={"municipality": str(places["home"]), "position": "DIDECO"})
    assert response.status_code == 302
    again = client.post("/account/verification", data={"municipality": str(places["home"]), "position": "DIDECO"})
    assert again.status_code == 422, "a second pending request is refused"
    client.post("/logout")

    login(client, personas["facilitator"])
    queue = client.get("/admin/staff-requests").get_data(as_text=True)
    assert personas["citizen"].name in queue
    with app.app_context():
        request_id = db.session.scalar(select(StaffRequest.id))
    assert client.post(f"/admin/staff-requests/{request_id}/approve", data={"note": "Verificado"}).status_code == 302
    assert client.post(f"/admin/staff-requests/{request_id}/reject", data={}).status_code == 302
    with app.app_context():
        staff_request = db.session.get(StaffRequest, request_id)
        assert staff_request.status == RequestStatus.APPROVED.value, "a decided request is not decided again"
        assert staff_request.decided_by_id == personas["facilitator"].id
        user = db.session.get(User, personas["citizen"].id)
        assert user.has_role(Role.STAFF, municipality_id=places["home"])
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert "role.granted" in actions and "staff_request.approved" in actions


def test_staff_request_rejection(app, client, factory, personas, places):
    request_id = factory.staff_request(personas["citizen"].id, places["home"])
    login(client, personas["admin"])
    client.post(f"/admin/staff-requests/{request_id}/reject", data={"note": "No figura en la dotación"})
    with app.app_context():
        assert db.session.get(StaffRequest, request_id).status == RequestStatus.REJECTED.value
        assert not db.session.get(User, personas["citizen"].id).has_role(Role.STAFF)
    client.post("/logout")
    login(client, personas["citizen"])
    assert "No figura en la dotación" in client.get("/account").get_data(as_text=True)


def test_staff_request_with_unknown_municipality(client, personas):
    login(client, personas["citizen"])
    response = client.post("/account/verification", data={"municipality": "999999", "position": "x"})
    assert response.status_code == 422


def _add_contribution(author_id, text="Queremos actas publicadas a tiempo"):
    contribution = Contribution(space_kind="forum_post", space_id=1, author_id=author_id, channel=Channel.ONLINE)
    contribution.set_body(text)
    db.session.add(contribution)
    db.session.commit()
    return contribution.id


def test_download_my_data(app, client, personas):
    with app.app_context():
        _add_contribution(personas["citizen"].id)
    login(client, personas["citizen"])
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == personas["citizen"].email
    assert data["consents"][0]["version"] == app.config["PRIVACY_NOTICE_VERSION"]
    assert data["contributions"][0]["text"] == "Queremos actas publicadas a tiempo"
    assert data["roles"] == []


def test_delete_account_keeps_contributions_without_identity(app, client, personas):
    with app.app_context():
        contribution_id = _add_contribution(personas["staff"].id)
    login(client, personas["staff"])
    wrong = client.post("/account/delete", data={"password": "no es la clave", "confirm": "y"})
    assert wrong.status_code == 422
    unconfirmed = client.post("/account/delete", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302, "signed out"
    assert login(client, personas["staff"]).status_code == 422, "cannot sign in again"
    with app.app_context():
        user = db.session.get(User, personas["staff"].id)
        assert user.email is None and user.display_name is None and user.password_hash is None
        assert user.role_assignments == []
        assert user.public_name == "participante eliminado", "outside a request: the default locale"
        contribution = db.session.get(Contribution, contribution_id)
        assert contribution.author_id == user.id
        assert "actas" in contribution.body_html
    # The email can be used again for a new account.
    again = client.post("/register", data={**VALID, "email": personas["staff"].email})
    assert again.status_code == 302


def test_deleted_participant_name_is_translated(app, personas):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        user = db.session.get(User, personas["citizen"].id)
        user.deleted_at = user.created_at
        assert user.public_name == "participante eliminado"
        db.session.rollback()
