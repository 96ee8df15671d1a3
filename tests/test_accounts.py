"""Registration, sign-in, profile, password, verification requests and privacy."""

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from accounts.models import Consent, Process, RequestStatus, StaffRequest, User
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
    # Talagante has no forum here: the newcomer is led to the home page.
    assert response.location == "/"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva@example.org"))
        assert user.municipality_id == places["home"]
        consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id))
        assert consent.document == "privacy_notice"
        assert consent.version == app.config["PRIVACY_NOTICE_VERSION"]
        assert consent.given_at is not None
    assert "Vecina de Talagante" in client.get("/account").get_data(as_text=True)


def test_register_leads_to_the_citizen_forum_of_the_municipality(app, client, factory, places):
    process_id = factory.process()
    factory.forum(kind="staff", municipality_id=places["home"], process_id=process_id)
    factory.forum(municipality_id=places["home"], process_id=process_id, status="archived")
    forum_id = factory.forum(municipality_id=places["home"], process_id=process_id, title="Foro ciudadano")
    factory.forum(municipality_id=places["other"], process_id=process_id)
    response = client.post(
        "/register", data={**VALID, "municipality": str(places["home"])}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 302
    assert response.location == f"/forums/{forum_id}"
    page = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Foro ciudadano" in page
    assert "Welcome, Vecina de Talagante. Your account is ready." in page


def test_register_without_a_municipality_leads_home(client, factory, places):
    factory.forum(municipality_id=places["home"])
    response = client.post("/register", data=VALID)
    assert response.status_code == 302
    assert response.location == "/"


def test_register_prefers_an_open_citizen_forum_to_a_closed_one(client, factory, places):
    process_id = factory.process()
    open_id = factory.forum(municipality_id=places["home"], process_id=process_id)
    factory.forum(municipality_id=places["home"], process_id=process_id, status="closed")
    response = client.post("/register", data={**VALID, "municipality": str(places["home"])})
    assert response.location == f"/forums/{open_id}"


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


def _add_contribution(author_id, text="Queremos actas publicadas a tiempo", **fields):
    """A contribution by ``author_id`` in a space kind no floor registers (so it has no
    place), in a process of its own; committed."""
    process = Process(title=f"Proceso {author_id}-{text[:20]}", starts_on=date(2016, 9, 1), ends_on=date(2018, 6, 30))
    db.session.add(process)
    db.session.flush()
    contribution = Contribution(
        space_kind="test_space",
        space_id=1,
        process_id=process.id,
        author_id=author_id,
        channel=Channel.ONLINE,
        **fields,
    )
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


# Sign-out ---------------------------------------------------------------------------------


def _remember_login(client, persona):
    response = client.post("/login", data={"email": persona.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    session_cookie = client.get_cookie("session")
    remember_cookie = client.get_cookie("remember_token")
    assert session_cookie is not None and remember_cookie is not None
    return session_cookie.value, remember_cookie.value


def _client_with(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_sign_out_deletes_the_remember_cookie_and_ends_copied_sessions(app, client, personas):
    session_value, remember_value = _remember_login(client, personas["citizen"])
    # Before signing out, the copies work: that is what a stolen cookie would do.
    assert _client_with(app, session=session_value).get("/account").status_code == 200
    assert _client_with(app, remember_token=remember_value).get("/account").status_code == 200

    response = client.post("/logout")
    assert response.status_code == 302
    deleted = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0], response.headers.getlist("Set-Cookie")
    assert client.get_cookie("remember_token") is None
    assert client.get("/account").status_code == 302

    for cookies in (
        {"session": session_value},
        {"remember_token": remember_value},
        {"session": session_value, "remember_token": remember_value},
    ):
        replay = _client_with(app, **cookies).get("/account")
        assert replay.status_code == 302, cookies
        assert "/login" in replay.location
    # The account itself signs in again as usual.
    assert login(client, personas["citizen"]).status_code == 302
    assert client.get("/account").status_code == 200


def test_remember_me_keeps_the_person_signed_in_past_the_first_page(app, client, personas):
    """A session restored from the remember-me cookie passes the "strong" session check
    on the pages after the first (it used to sign the person out on the second)."""
    _, remember_value = _remember_login(client, personas["citizen"])
    restored = _client_with(app, remember_token=remember_value)
    for _ in range(3):
        assert restored.get("/account").status_code == 200
    assert restored.get_cookie("remember_token") is not None


def test_deleting_the_account_also_deletes_the_remember_cookie(client, personas):
    _remember_login(client, personas["citizen"])
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert any(
        c.startswith("remember_token=") and "Expires=Thu, 01 Jan 1970" in c
        for c in response.headers.getlist("Set-Cookie")
    )


# Login timing -----------------------------------------------------------------------------


def test_login_checks_a_password_hash_whether_or_not_the_account_exists(app, client, personas, monkeypatch):
    import accounts.services

    real = accounts.services.check_password_hash
    checked = []

    def counting(pwhash, password):
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts.services, "check_password_hash", counting)
    method = app.config["PASSWORD_HASH_METHOD"]

    assert client.post("/login", data={"email": "nadie@example.org", "password": PASSWORD}).status_code == 422
    assert len(checked) == 1, "an unknown email still costs one hash check"
    assert checked[0].startswith(method + "$"), "the dummy hash uses the configured method"

    assert client.post("/login", data={"email": personas["citizen"].email, "password": "otra clave"}).status_code == 422
    assert len(checked) == 2
    assert checked[1].startswith(method + "$")

    assert login(client, personas["citizen"]).status_code == 302
    assert len(checked) == 3


# Consent ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "false", "n", "no", "garbage", "on", "Y", "y ", "1", ["y", "y"]])
def test_register_refuses_anything_but_an_explicitly_checked_consent(app, client, value):
    data = {k: v for k, v in VALID.items() if k != "consent"}
    if value is not None:
        data["consent"] = value
    response = client.post("/register", data=data, headers={"Accept-Language": "es"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="consent-error"' in page
    assert "Debe aceptar el aviso de privacidad para crear una cuenta." in page
    with app.app_context():
        assert _count(User) == 0
        assert _count(Consent) == 0


def _set_consent_version(user_id, version):
    db.session.execute(db.update(Consent).where(Consent.user_id == user_id).values(version=version))
    db.session.commit()


def test_a_changed_notice_asks_for_consent_again(app, client, personas, count_queries):
    citizen = personas["citizen"]
    with app.app_context():
        _set_consent_version(citizen.id, "2020-01")
    login(client, citizen)

    response = client.get("/forums/?page=1")
    assert response.status_code == 303
    assert response.location == "/account/consent?next=/forums/?page%3D1"
    assert client.post("/account/verification", data={"position": "x"}).status_code == 303
    # The notice, the consent page, one's data and the way out stay open.
    for url in ["/privacy", "/account/consent", "/account/privacy", "/account/data", "/account/data.json"]:
        assert client.get(url).status_code == 200, url
    static = client.get("/static/style.css")
    assert static.status_code == 200
    static.close()

    page = client.get("/account/consent", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "2020-01" in page and app.config["PRIVACY_NOTICE_VERSION"] in page
    assert 'href="/privacy#changes"' in page
    assert 'action="/logout"' in page and 'href="/account/data.json"' in page

    for refused in [{}, {"consent": "garbage"}, {"consent": ""}]:
        assert client.post("/account/consent?next=/forums/", data=refused).status_code == 422
    with app.app_context():
        assert _count(Consent) == len(personas), "refusing records nothing"
    assert client.get("/forums/").status_code == 303

    response = client.post("/account/consent?next=/forums/", data={"consent": "y"})
    assert response.status_code == 302 and response.location == "/forums/"
    with app.app_context():
        latest = db.session.scalar(
            select(Consent).where(Consent.user_id == citizen.id).order_by(Consent.id.desc()).limit(1)
        )
        assert latest.version == app.config["PRIVACY_NOTICE_VERSION"] and latest.document == "privacy_notice"
    assert client.get("/forums/").status_code == 200
    # Once accepted, the session remembers it: no consent query on later pages.
    with count_queries:
        assert client.get("/account").status_code == 200
    assert not [q for q in count_queries.statements if "consents" in q]


def test_an_account_without_any_consent_is_asked(app, client, personas):
    with app.app_context():
        db.session.execute(db.delete(Consent).where(Consent.user_id == personas["citizen"].id))
        db.session.commit()
    login(client, personas["citizen"])
    assert client.get("/account").status_code == 303
    page = client.get("/account/consent", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "There is no record of your consent" in page
    assert client.post("/logout").status_code == 302, "signing out needs no consent"


def test_a_new_notice_version_reaches_signed_in_sessions(app, client, personas, monkeypatch):
    login(client, personas["citizen"])
    assert client.get("/account").status_code == 200
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", "2099-01")
    assert client.get("/account").status_code == 303
    assert client.post("/account/consent", data={"consent": "y"}).status_code == 302
    assert client.get("/account").status_code == 200


def test_consent_check_costs_anonymous_visitors_no_query(client, count_queries):
    with count_queries:
        assert client.get("/privacy").status_code == 200
        # (The home page reads the process; the sign-in page reads nothing.)
        assert client.get("/login").status_code == 200
    assert count_queries.count == 0


def test_consent_check_costs_a_signed_in_person_one_query_per_session(app, client, personas, count_queries):
    def consent_queries():
        return [q for q in count_queries.statements if "consents" in q]

    with count_queries:
        _, remember_value = _remember_login(client, personas["citizen"])
    assert len(consent_queries()) == 1, "checked once, at sign-in"
    with count_queries:
        client.get("/account")
        client.get("/forums/")
    assert consent_queries() == []
    # A session restored from the remember-me cookie checks once, on its first page.
    restored = _client_with(app, remember_token=remember_value)
    with count_queries:
        assert restored.get("/account").status_code == 200
    assert len(consent_queries()) == 1
    with count_queries:
        assert restored.get("/account").status_code == 200
    assert consent_queries() == []


# Deletion ---------------------------------------------------------------------------------


def test_delete_account_removes_what_ties_the_person_to_opinions(app, client, factory, personas, places, monkeypatch):
    import core.privacy

    person = personas["staff"]
    erased = []
    monkeypatch.setitem(core.privacy.ERASERS, "test", lambda user: erased.append(user.id))
    with app.app_context():
        contribution_id = _add_contribution(person.id, municipality_id=places["home"])
    pending = factory.staff_request(person.id, places["other"], position="Jefa de la Unidad de Transparencia")
    decided = factory.staff_request(person.id, places["home"], position="DIDECO")
    login(client, personas["facilitator"])
    client.post(f"/admin/staff-requests/{decided}/reject", data={"note": f"{person.name} no figura en la dotación"})
    client.post("/logout")
    with app.app_context():
        from core.notifications import Notification, notify

        notify(person.id, "test", link="/account")
        user = db.session.get(User, person.id)
        user.blocked_reason = "Insultos reiterados"
        db.session.commit()
        audit_before = _count(AuditEntry)
        consents_before = db.session.scalar(select(func.count(Consent.id)).where(Consent.user_id == person.id))

    login(client, person)
    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    assert erased == [person.id], "every floor's eraser ran"

    with app.app_context():
        user = db.session.get(User, person.id)
        assert (user.email, user.display_name, user.password_hash, user.municipality_id, user.locale) == (None,) * 5
        assert user.blocked_reason == "" and user.role_assignments == [] and user.deleted_at is not None
        assert db.session.scalars(select(StaffRequest).where(StaffRequest.id.in_([pending, decided]))).all() == []
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == person.id)) == 0
        contribution = db.session.get(Contribution, contribution_id)
        assert contribution.author_id == person.id and contribution.municipality_id is None
        assert "actas" in contribution.body_source
        # Kept: the consents (proof) and the audit log (accountability), without notes about the person.
        assert db.session.scalar(select(func.count(Consent.id)).where(Consent.user_id == person.id)) == consents_before
        assert _count(AuditEntry) == audit_before + 1
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_user_id == person.id)).all()
        actions = {e.action for e in entries}
        assert {"account.registered", "role.granted", "staff_request.rejected", "account.deleted"} <= actions
        for entry in db.session.scalars(select(AuditEntry)):
            assert person.email not in entry.detail_json and person.name not in entry.detail_json
            assert "dotación" not in entry.detail_json
        rejected = next(e for e in entries if e.action == "staff_request.rejected")
        assert rejected.detail["municipality"] == "Talagante" and not rejected.detail.get("note")


# The data download --------------------------------------------------------------------------


def test_data_download_is_complete_and_json_ready(app, client, factory, personas, places):
    citizen = personas["citizen"]
    with app.app_context():
        _add_contribution(citizen.id, "Texto oculto", hidden_at=datetime(2026, 11, 2, 15), hidden_reason="Spam")
    factory.staff_request(citizen.id, places["home"], position="Encargada de transparencia")
    login(client, citizen)
    response = client.get("/account/data.json")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["municipality"] == "Talagante"
    assert data["account"]["created_at"].startswith("20")
    assert data["staff_requests"][0]["position"] == "Encargada de transparencia"
    assert data["staff_requests"][0]["status"] == "pending"
    assert "decision_note" in data["staff_requests"][0]
    [contribution] = data["contributions"]
    assert contribution["hidden"] is True and contribution["hidden_reason"] == "Spam"
    assert contribution["process"].startswith("Proceso") and contribution["place"] is None
    assert contribution["created_at"].startswith("20")
    assert data["account_history"][0]["action"] == "account.registered"


def test_readable_data_page(app, client, personas):
    citizen = personas["citizen"]
    with app.app_context():
        _add_contribution(citizen.id, "Mi aporte visible")
        _add_contribution(citizen.id, "Mi aporte oculto", hidden_at=datetime(2026, 11, 2, 15), hidden_reason="Spam")
        db.session.execute(
            db.update(Consent).where(Consent.user_id == citizen.id).values(given_at=datetime(2026, 11, 30, 15, 0))
        )
        db.session.commit()
    login(client, citizen)
    privacy = client.get("/account/privacy").get_data(as_text=True)
    assert 'href="/account/data"' in privacy

    response = client.get("/account/data", headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "<h1>" in page and page.count("<h2 ") >= 7
    assert '<th scope="row">Correo electrónico</th>' in page, "field labels are translated"
    assert "Talagante" in page and citizen.email in page
    assert "Mi aporte visible" in page and "Mi aporte oculto" in page and "Spam" in page
    assert ">Sí<" in page and ">No<" in page, "booleans read Sí/No"
    # 15:00 UTC on 30 November is noon in Santiago (summer time, UTC-3).
    assert "30 nov 2026, 12:00" in page and "30 nov 2026, 15:00" not in page, "no seconds either"
    assert page.count('class="table-wrap" tabindex="0" role="region"') >= 4
    assert page.count("<caption") == page.count("<table")
    for raw in ("display_name", "created_at", "given_at", "staff_requests", "privacy_notice"):
        assert f">{raw}<" not in page, f"{raw}: a raw name instead of a label"

    english = client.get("/account/data", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<th scope="row">Email</th>' in english
    assert ">Yes<" in english
    assert "30 Nov 2026, 12:00" in english, "24-hour clock, no seconds"
