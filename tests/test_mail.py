"""E-mail, end to end, through a real SMTP server on loopback (aiosmtpd): password reset,
confirmation of the address, change of address, the .eml fallback, failures and retries,
and the recipient's language.

Delivery runs after the request commits, once the response is closed: requests that send
mail are made with ``buffered=True`` so the test client closes the response (as a WSGI
server does after sending it).
"""

import email
import email.policy
import logging
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from core.extensions import db
from tests.conftest import PASSWORD, Inbox, html_of, login, mail_config, text_of
from tests.conftest import free_port as _free_port

NEW_PASSWORD = "a brand new long password"
LINK = re.compile(r"https?://\S+")


def link_in(message) -> str:
    """The path of the (first) link in the plain-text part."""
    return urlsplit(LINK.search(text_of(message)).group(0)).path


def post(client, url, **data):
    """A POST whose response is closed, so the mails it queued are delivered."""
    return client.post(url, data=data, buffered=True)


def outbox(app):
    from core.mail import OutgoingMail

    with app.app_context():
        rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        db.session.expunge_all()
        return rows


def user_row(app, user_id):
    from accounts.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


# Password reset ----------------------------------------------------------------------------


def test_password_reset_end_to_end(app, factory, smtp):
    person = factory.user(locale="es")
    elsewhere = app.test_client()
    login(elsewhere, person)
    client = app.test_client()

    response = post(client, "/password/forgot", email=person.email.upper())
    assert response.status_code == 302
    assert response.location.endswith("/login")

    message = smtp.only(person.email)
    assert message["Content-Language"] == "es"
    assert 'lang="es"' in html_of(message)
    path = link_in(message)
    assert path.startswith("/password/reset/")
    assert path in html_of(message)

    assert client.get(path).status_code == 200
    response = post(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/login")

    assert login(app.test_client(), person.email, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), person.email, PASSWORD).status_code == 422
    # The other session ended (the login token rotated).
    assert elsewhere.get("/account").status_code == 302
    # The link works once.
    again = client.get(path)
    assert again.status_code == 404
    assert post(client, path, password="yet another password", confirm="yet another password").status_code == 404
    assert login(app.test_client(), person.email, NEW_PASSWORD).status_code == 302


def test_expired_reset_link_is_refused(app, factory, smtp, monkeypatch):
    person = factory.user()
    client = app.test_client()
    two_hours_ago = int(time.time()) - 2 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
        post(client, "/password/forgot", email=person.email)
    path = link_in(smtp.only(person.email))
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This link has expired." in response.get_data(as_text=True)
    assert post(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD).status_code == 404
    assert login(app.test_client(), person).status_code == 302


def test_forged_reset_link_is_refused(app, factory, smtp):
    factory.user()
    response = app.test_client().get("/password/reset/not-a-token", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This link is not valid." in response.get_data(as_text=True)


def test_unknown_address_gets_the_same_answer_and_no_mail(app, factory, smtp):
    person = factory.user()
    known_client, unknown_client = app.test_client(), app.test_client()
    known = post(known_client, "/password/forgot", email=person.email)
    unknown = post(unknown_client, "/password/forgot", email="nobody@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    flashes = re.compile(r'<div class="flashes".*?</div>', re.S)
    known_said = flashes.search(known_client.get("/login").get_data(as_text=True)).group(0)
    unknown_said = flashes.search(unknown_client.get("/login").get_data(as_text=True)).group(0)
    assert known_said.replace(person.email, "X") == unknown_said.replace("nobody@example.org", "X")
    assert [m["To"] for m in smtp.messages] == [person.email]
    assert [row.recipient for row in outbox(app)] == [person.email]


def test_reset_requests_are_rate_limited_per_address(app, factory, smtp):
    person = factory.user()
    with mail_config(app, RATELIMIT_PASSWORD_RESET_EMAIL="2 per hour"):
        client = app.test_client()
        statuses = [post(client, "/password/forgot", email=person.email).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(smtp.to(person.email)) == 2


def test_signed_in_people_are_sent_to_the_password_change(app, client, factory):
    person = factory.user()
    login(client, person)
    response = client.get("/password/forgot")
    assert response.status_code == 302 and response.location.endswith("/account/password")
    assert client.get("/password/reset/x").status_code == 302


def test_login_page_links_to_the_reset(client):
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/password/forgot"' in page


# Confirmation of the address ----------------------------------------------------------------


def _register(client, address, lang="en"):
    return client.post(
        "/register",
        data={
            "email": address,
            "display_name": "Nueva Persona",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "consent": "y",
        },
        headers={"Accept-Language": lang},
        buffered=True,
    )


def test_registration_sends_a_confirmation_in_the_person_s_language(app, client, smtp):
    assert _register(client, "nueva@example.org", lang="en").status_code == 302
    message = smtp.only("nueva@example.org")
    assert message["Subject"] == "Confirm your e-mail address"
    assert message["Content-Language"] == "en"
    assert 'lang="en"' in html_of(message)
    assert "Hello, Nueva Persona." in text_of(message)

    # Taking part before confirming is fine; every page reminds.
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Please confirm your e-mail address" in page
    assert "Send the link again" in page

    path = link_in(message)
    assert path.startswith("/account/confirm/")
    # Opening the link changes nothing (mail scanners open links); the button does.
    assert client.get(path).status_code == 200
    assert client.get("/account").get_data(as_text=True).count("Send the link again") == 1
    response = post(client, path)
    assert response.status_code == 302 and response.location.endswith("/account")
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Please confirm your e-mail address" not in page
    from accounts.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nueva@example.org"))
        assert user.email_confirmed_at is not None


def test_confirmation_link_works_without_signing_in(app, smtp):
    _register(app.test_client(), "fuera@example.org")
    path = link_in(smtp.only("fuera@example.org"))
    anonymous = app.test_client()
    response = post(anonymous, path)
    assert response.status_code == 302 and response.location.endswith("/login")
    # Following it again is harmless: it says so.
    page = anonymous.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "is already confirmed" in page


def test_resend_the_confirmation(app, client, factory, smtp):
    person = factory.user(locale="en")
    login(client, person)
    response = post(client, "/account/confirm/resend", next="/forums/")
    assert response.status_code == 302 and response.location.endswith("/forums/")
    message = smtp.only(person.email)
    assert message["Subject"] == "Confirm your e-mail address"
    post(client, link_in(message))
    assert user_row(app, person.id).email_confirmed_at is not None
    # Confirmed: nothing more is sent.
    response = post(client, "/account/confirm/resend", next="https://elsewhere.example/")
    assert response.location.endswith("/account")
    assert len(smtp.messages) == 1


def test_resend_is_rate_limited(app, client, factory, smtp):
    person = factory.user()
    login(client, person)
    with mail_config(app, RATELIMIT_CONFIRMATION="2 per hour"):
        statuses = [post(client, "/account/confirm/resend").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(smtp.to(person.email)) == 2


def test_a_confirmation_for_a_former_address_is_refused(app, client, factory, smtp):
    person = factory.user()
    login(client, person)
    post(client, "/account/confirm/resend")
    old_link = link_in(smtp.only(person.email))
    post(client, "/account/email", email="cambio@example.org", password=PASSWORD)
    post(client, link_in(smtp.only("cambio@example.org")))
    assert client.get(old_link).status_code == 404


# Change of address ----------------------------------------------------------------------------


def test_change_of_address_is_confirmed_on_the_new_one(app, client, factory, smtp):
    person = factory.user(locale="en")
    login(client, person)
    assert client.get("/account/email").status_code == 200
    response = post(client, "/account/email", email="Nueva.Direccion@example.org", password=PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/account")

    notice = smtp.only(person.email)
    assert notice["Subject"] == "A change of your e-mail address was requested"
    assert "nueva.direccion@example.org" in text_of(notice)
    confirmation = smtp.only("nueva.direccion@example.org")
    path = link_in(confirmation)
    # Nothing changes until the link is followed.
    assert user_row(app, person.id).email == person.email

    assert client.get(path).status_code == 200
    assert post(client, path).status_code == 302
    user = user_row(app, person.id)
    assert user.email == "nueva.direccion@example.org"
    assert user.email_confirmed_at is not None
    changed = [m for m in smtp.to(person.email) if m["Subject"] == "Your e-mail address was changed"]
    assert len(changed) == 1

    client.post("/logout")
    assert login(client, "nueva.direccion@example.org").status_code == 302
    assert login(app.test_client(), person.email).status_code == 422
    # The link works once.
    assert client.get(path).status_code == 404


def test_change_of_address_asks_for_the_password_and_a_free_address(app, client, factory, smtp, personas):
    person = factory.user()
    login(client, person)
    assert post(client, "/account/email", email="otra@example.org", password="wrong password").status_code == 422
    assert post(client, "/account/email", email=personas["admin"].email, password=PASSWORD).status_code == 422
    assert post(client, "/account/email", email=person.email, password=PASSWORD).status_code == 422
    assert post(client, "/account/email", email="no es correo", password=PASSWORD).status_code == 422
    assert smtp.messages == []


def test_change_link_is_refused_when_the_address_was_taken_meanwhile(app, client, factory, smtp):
    person = factory.user()
    login(client, person)
    post(client, "/account/email", email="disputada@example.org", password=PASSWORD)
    path = link_in(smtp.only("disputada@example.org"))
    factory.user(email="disputada@example.org")
    assert client.get(path).status_code == 404
    assert post(client, path).status_code == 404
    assert user_row(app, person.id).email == person.email


# Delivery: the .eml fallback, failures and retries ---------------------------------------------


def test_without_a_server_mails_are_written_as_eml_files(app, factory, tmp_path):
    person = factory.user(locale="en")
    with mail_config(app, MAIL_SERVER=None, MAIL_FILE_DIR=str(tmp_path / "mail")):
        response = post(app.test_client(), "/password/forgot", email=person.email)
    assert response.status_code == 302
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == person.email
    assert message["Subject"] == "Reset your password"
    assert link_in(message).startswith("/password/reset/")
    assert [row.status for row in outbox(app)] == ["sent"]


def test_a_failing_server_does_not_fail_the_page_and_the_mail_is_retried(app, factory, runner, caplog):
    person = factory.user()
    closed_port = _free_port()
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port), caplog.at_level(logging.WARNING):
        response = post(app.test_client(), "/password/forgot", email=person.email)
    assert response.status_code == 302
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in row.last_error
    assert any("not sent" in record.getMessage() for record in caplog.records)

    # Not due yet (backoff): the cron's pass leaves it.
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port):
        result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert outbox(app)[0].attempts == 1

    # Later, with the server back.
    from core.mail import OutgoingMail

    with app.app_context():
        mail_row = db.session.get(OutgoingMail, row.id)
        mail_row.next_attempt_at -= timedelta(hours=1)
        db.session.commit()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port):
            result = runner.invoke(args=["mail", "send"])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0, still queued 0" in result.output
    assert link_in(inbox.only(person.email)).startswith("/password/reset/")
    (row,) = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert row.sent_at is not None


def test_a_mail_is_given_up_after_the_last_attempt(app, factory, runner, caplog):
    from core.mail import OutgoingMail

    person = factory.user()
    closed_port = _free_port()
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_MAX_ATTEMPTS=2):
        post(app.test_client(), "/password/forgot", email=person.email)
        with app.app_context():
            row = db.session.scalar(select(OutgoingMail))
            row.next_attempt_at -= timedelta(days=1)
            db.session.commit()
        with caplog.at_level(logging.ERROR):
            result = runner.invoke(args=["mail", "send"])
    assert "failed 1" in result.output
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("failed", 2)
    assert any("failed for good" in record.getMessage() for record in caplog.records)


def test_a_request_that_fails_sends_nothing(app, client, factory, smtp):
    person = factory.user()
    login(client, person)
    # The form is refused (422): the request rolls back, and nothing is queued or sent.
    assert post(client, "/account/email", email="x@example.org", password="wrong password").status_code == 422
    assert outbox(app) == [] and smtp.messages == []


def test_mails_are_in_the_recipient_s_language_not_the_requester_s(app, factory, smtp):
    english, spanish = factory.user(locale="en"), factory.user(locale="es")
    client = app.test_client()
    # Asked from a Spanish-speaking browser, for an English-speaking account, and back.
    client.post("/password/forgot", data={"email": english.email}, headers={"Accept-Language": "es"}, buffered=True)
    client.post("/password/forgot", data={"email": spanish.email}, headers={"Accept-Language": "en"}, buffered=True)
    message = smtp.only(english.email)
    assert message["Subject"] == "Reset your password"
    assert message["Content-Language"] == "en"
    assert "The link works for 1 hour and only once." in text_of(message)
    assert smtp.only(spanish.email)["Content-Language"] == "es"
    assert 'lang="es"' in html_of(smtp.only(spanish.email))


def test_deleting_the_account_removes_its_mails(app, client, factory, smtp):
    person = factory.user()
    login(client, person)
    post(client, "/account/confirm/resend")
    assert len(outbox(app)) == 1
    client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert outbox(app) == []
