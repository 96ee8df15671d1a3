"""Notifications by e-mail, through a real SMTP server on loopback: right away, in a daily
summary, or never; the one-click unsubscribe link and headers; the new kinds of
notification (promotion from the waiting list, verification approved or rejected);
a failing server never fails the page that made the notification.

Requests whose mails are delivered after the response are made with ``buffered=True``
(see ``tests/test_mail.py``). Services called outside a request need ``BASE_URL`` for the
links; their mails go out with ``deliver_due()``, as ``flask mail send`` would.
"""

import logging
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core.extensions import db
from core.roles import Role
from tests.conftest import free_port, html_of, login, mail_config, text_of


def token_of(app, user_id) -> str:
    from accounts.notification_mails import unsubscribe_token

    with app.app_context():
        return unsubscribe_token(user_id)


BASE = "https://cocrea.example.org"
LINK = re.compile(r"https?://\S+")


def links_in(message) -> list[str]:
    """The paths of the links in the plain-text part."""
    return [urlsplit(url).path for url in LINK.findall(text_of(message))]


def set_preference(app, user_id, choice):
    from accounts.models import User

    with app.app_context():
        db.session.get(User, user_id).notification_mail = choice
        db.session.commit()


def preference(app, user_id) -> str:
    from accounts.models import User

    with app.app_context():
        return db.session.get(User, user_id).notification_mail


@contextmanager
def outside_a_request(app):
    """An application context with ``BASE_URL`` set; commits, then delivers."""
    from core.mail import deliver_due

    with mail_config(app, BASE_URL=BASE), app.app_context():
        yield
        db.session.commit()
        deliver_due()


def outbox(app):
    from core.mail import OutgoingMail

    with app.app_context():
        rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        db.session.expunge_all()
        return rows


def decide(app, factory, person, decision="approve", note="", municipality=None):
    """A facilitator approves or rejects ``person``'s verification request on the admin page."""
    municipality = factory.municipality(municipality)
    request_id = factory.staff_request(person.id, municipality)
    facilitator = factory.user(Role.FACILITATOR, organisation_id=factory.organisation())
    client = app.test_client()
    login(client, facilitator)
    return client.post(f"/admin/staff-requests/{request_id}/{decision}", data={"note": note}, buffered=True)


def assert_unsubscribable(message):
    """The mail has a working one-click unsubscribe, in the headers and in both parts."""
    header = str(message["List-Unsubscribe"]).strip()
    assert header.startswith("<http") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in text_of(message)
    assert url in html_of(message)
    assert urlsplit(url).path.startswith("/mail/unsubscribe/")
    return urlsplit(url).path


# Right away --------------------------------------------------------------------------------


def test_verification_approved_is_mailed_right_away_in_the_recipient_s_language(app, factory, smtp):
    person = factory.user(locale="en")
    set_preference(app, person.id, "immediate")

    response = decide(app, factory, person, municipality="Talagante")

    assert response.status_code == 302
    message = smtp.only(person.email)
    assert message["Subject"] == "You are now a verified official of Talagante."
    assert message["Content-Language"] == "en"
    assert 'lang="en"' in html_of(message)
    assert "You are now a verified official of Talagante." in text_of(message)
    assert "/account" in links_in(message)
    assert_unsubscribable(message)
    # The notification is on the site as well.
    client = app.test_client()
    login(client, person)
    assert "You are now a verified official of Talagante." in client.get(
        "/notifications", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)


def test_verification_rejected_is_mailed_with_the_note(app, factory, smtp):
    person = factory.user(locale="en")
    set_preference(app, person.id, "immediate")

    assert decide(app, factory, person, "reject", note="No trabaja en el municipio").status_code == 302

    message = smtp.only(person.email)
    assert "was not accepted: No trabaja en el municipio" in text_of(message)
    assert "No trabaja en el municipio" in html_of(message)


def test_promotion_from_the_waiting_list_is_a_notification_and_a_mail(app, factory, smtp):
    from accounts.models import User
    from core.notifications import Notification
    from forums.meetings import services as meetings
    from forums.meetings.models import Meeting

    first = factory.user()
    waiting = factory.user(locale="en")
    set_preference(app, waiting.id, "immediate")
    forum = factory.forum()
    meeting_id = factory.meeting(forum, title="Sesión de Talagante", starts_at=datetime(2099, 4, 5, 18, 30))
    with app.app_context():
        db.session.get(Meeting, meeting_id).capacity = 1
        db.session.commit()
    with outside_a_request(app):
        meeting = db.session.get(Meeting, meeting_id)
        meetings.register(db.session.get(User, first.id), meeting)
        assert meetings.register(db.session.get(User, waiting.id), meeting).status == "waitlisted"
    assert smtp.messages == []

    with outside_a_request(app):
        meetings.unregister(db.session.get(User, first.id), db.session.get(Meeting, meeting_id))

    message = smtp.only(waiting.email)
    assert "A place opened up in the session “Sesión de Talagante”" in text_of(message)
    assert f"/forums/sessions/{meeting_id}" in links_in(message)
    assert message["Content-Language"] == "en"
    assert_unsubscribable(message)
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == waiting.id)).all()
    assert kinds == ["meeting.promoted"]


def test_a_workshop_invitation_is_mailed_in_spanish_by_default(app, factory, smtp):
    from accounts.models import User
    from forums.workshops import services as workshops
    from forums.workshops.models import Workshop

    invited = factory.user()
    set_preference(app, invited.id, "immediate")
    facilitator = factory.user(Role.FACILITATOR, organisation_id=factory.organisation())
    workshop_id = factory.workshop(title="Taller de codiseño")
    with outside_a_request(app):
        workshops.invite(
            db.session.get(User, facilitator.id), db.session.get(Workshop, workshop_id), invited.email, "participant"
        )

    message = smtp.only(invited.email)
    assert message["Content-Language"] == "es"
    assert 'lang="es"' in html_of(message)
    assert "Taller de codiseño" in message["Subject"]
    assert f"{BASE}/forums/workshops/{workshop_id}" in text_of(message)
    assert_unsubscribable(message)


def test_never_and_daily_send_nothing_right_away(app, factory, smtp):
    never = factory.user()
    set_preference(app, never.id, "never")
    daily = factory.user()  # the default

    assert decide(app, factory, never).status_code == 302
    assert decide(app, factory, daily).status_code == 302

    assert smtp.messages == []
    assert outbox(app) == []


def test_the_preference_is_on_the_profile_page(app, client, factory):
    from accounts.models import User

    person = factory.user()
    login(client, person)
    page = client.get("/account").get_data(as_text=True)
    assert 'name="notification_mail"' in page
    assert '<option selected value="daily">' in page

    response = client.post("/account", data={"display_name": "Ana", "locale": "es", "notification_mail": "immediate"})
    assert response.status_code == 302
    assert preference(app, person.id) == "immediate"
    # Back to the summary: its window starts now, so what was mailed is not sent again.
    client.post("/account", data={"display_name": "Ana", "locale": "es", "notification_mail": "daily"})
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user.notification_mail == "daily" and user.last_digest_at is not None
    # A form without the field keeps the choice; a choice that does not exist is refused.
    client.post("/account", data={"display_name": "Ana", "locale": "es"})
    assert preference(app, person.id) == "daily"
    refused = client.post("/account", data={"display_name": "Ana", "locale": "es", "notification_mail": "hourly"})
    assert refused.status_code == 422
    assert preference(app, person.id) == "daily"


# The daily summary -------------------------------------------------------------------------


def _notify(app, user_id, kind, link="", created_at=None, read=False, **params):
    from core.models import utcnow
    from core.notifications import Notification, notify

    with app.app_context():
        notify(user_id, kind, link=link, **params)
        db.session.flush()
        row = db.session.scalars(select(Notification).order_by(Notification.id.desc()).limit(1)).one()
        row.created_at = created_at or utcnow()
        row.read_at = utcnow() if read else None
        db.session.commit()


def test_the_daily_summary_groups_the_news_and_is_sent_once(app, factory, runner, smtp):
    person = factory.user(locale="en")
    quiet = factory.user()  # nothing new: no mail
    _notify(app, person.id, "staff_request.approved", link="/account", municipality="Talagante")
    _notify(app, person.id, "workshop.invited", link="/forums/workshops/7", title="Taller uno")
    _notify(app, person.id, "workshop.invited", link="/forums/workshops/8", title="Taller dos")
    _notify(app, person.id, "workshop.invited", link="/forums/workshops/9", title="Taller leído", read=True)

    with mail_config(app, BASE_URL=BASE):
        result = runner.invoke(args=["mail", "digest"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(args=["mail", "send"]).exit_code == 0

    message = smtp.only(person.email)
    assert smtp.to(quiet.email) == []
    assert message["Subject"] == "You have 3 new notifications on Cocrea"
    assert message["Content-Language"] == "en"
    text = text_of(message)
    assert "there are 3 new notifications" in text
    assert text.index("Your account") < text.index("You are now a verified official of Talagante.")
    assert text.index("Workshops") < text.index("Taller uno") < text.index("Taller dos")
    assert "Taller leído" not in text
    assert {"/account", "/forums/workshops/7", "/forums/workshops/8", "/notifications"} <= set(links_in(message))
    html = html_of(message)
    assert "<h2" in html and "Workshops" in html and f'href="{BASE}/forums/workshops/8"' in html
    assert_unsubscribable(message)

    # Run again the same day (and deliver): nothing more, even with news meanwhile.
    _notify(app, person.id, "workshop.invited", link="/forums/workshops/10", title="Taller tres")
    with mail_config(app, BASE_URL=BASE):
        assert runner.invoke(args=["mail", "digest"]).exit_code == 0
        assert runner.invoke(args=["mail", "send"]).exit_code == 0
    assert len(smtp.to(person.email)) == 1
    assert len(outbox(app)) == 1


def test_the_next_day_s_summary_has_only_what_came_since(app, factory, smtp):
    from accounts.notification_mails import send_digests
    from core.mail import deliver_due
    from core.models import utcnow

    person = factory.user(locale="en")
    now = utcnow()
    _notify(app, person.id, "workshop.invited", title="Taller uno", created_at=now - timedelta(hours=2))
    with mail_config(app, BASE_URL=BASE), app.app_context():
        assert send_digests(now) == (1, 1)
    _notify(app, person.id, "workshop.invited", title="Taller dos", created_at=now + timedelta(hours=3))
    with mail_config(app, BASE_URL=BASE), app.app_context():
        assert send_digests(now + timedelta(hours=12)) == (0, 0)  # too soon
        assert send_digests(now + timedelta(hours=24)) == (1, 1)
        deliver_due()

    first, second = smtp.to(person.email)
    assert "Taller uno" in text_of(first) and "Taller dos" not in text_of(first)
    assert "Taller dos" in text_of(second) and "Taller uno" not in text_of(second)
    assert second["Subject"] == "You have 1 new notification on Cocrea"


def test_immediate_and_never_get_no_summary(app, factory, runner, smtp):
    immediate = factory.user()
    never = factory.user()
    set_preference(app, immediate.id, "immediate")
    set_preference(app, never.id, "never")
    _notify(app, never.id, "workshop.invited", title="Taller")
    with mail_config(app, BASE_URL=BASE):
        assert runner.invoke(args=["mail", "digest"]).exit_code == 0
        assert runner.invoke(args=["mail", "send"]).exit_code == 0
    assert smtp.messages == []


def test_the_summary_needs_the_site_address(app, runner):
    with mail_config(app, BASE_URL=None):
        result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code != 0
    assert "COCREA_BASE_URL" in result.output


# Unsubscribe -------------------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_signing_in(app, factory, smtp):
    person = factory.user(locale="en")
    set_preference(app, person.id, "immediate")
    decide(app, factory, person)
    path = assert_unsubscribable(smtp.only(person.email))
    client = app.test_client()

    # Opening the link (a mail scanner does) changes nothing.
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    body = page.get_data(as_text=True)
    assert person.email in body and "Stop notification e-mails" in body
    assert preference(app, person.id) == "immediate"

    response = client.post(path, headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert preference(app, person.id) == "never"
    done = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You will no longer receive notifications by e-mail." in done
    assert "no longer receives notifications by e-mail" in done

    # Nothing more is mailed.
    decide(app, factory, person, "reject")
    assert len(smtp.to(person.email)) == 1


def test_one_click_unsubscribe_from_a_mail_program(app, factory, smtp):
    from tests.conftest import csrf_enabled

    person = factory.user()
    client = app.test_client()
    with csrf_enabled(app):  # the signed token is the credential: no form token needed
        response = client.post(
            f"/mail/unsubscribe/{token_of(app, person.id)}",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 302
    assert preference(app, person.id) == "never"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bad_unsubscribe_link_is_refused_with_a_translated_message(app, factory, method):
    person = factory.user()
    client = app.test_client()
    forged = token_of(app, person.id)[:-2] + "xx"
    response = client.open(f"/mail/unsubscribe/{forged}", method=method)
    assert response.status_code == 404
    assert "Este enlace no es válido." in response.get_data(as_text=True)
    response = client.open(f"/mail/unsubscribe/{forged}", method=method, headers={"Accept-Language": "en"})
    assert "This link is not valid." in response.get_data(as_text=True)
    assert preference(app, person.id) == "daily"


def test_the_link_of_a_deleted_account_is_refused(app, factory):
    from accounts import services
    from accounts.models import User

    person = factory.user()
    with app.app_context():
        services.delete_account(db.session.get(User, person.id))
        db.session.commit()
    response = app.test_client().get(f"/mail/unsubscribe/{token_of(app, person.id)}")
    assert response.status_code == 404


# Failures ----------------------------------------------------------------------------------


def test_a_failing_server_does_not_fail_the_page_that_notifies(app, factory, caplog):
    person = factory.user()
    set_preference(app, person.id, "immediate")
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port()), caplog.at_level(logging.WARNING):
        response = decide(app, factory, person)
    assert response.status_code == 302
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.unsubscribe_url.startswith("http")
    assert any("not sent" in record.getMessage() for record in caplog.records)
    with app.app_context():
        from accounts.models import User

        assert db.session.get(User, person.id).has_role(Role.STAFF)


def test_without_a_site_address_a_notification_outside_a_request_is_kept_unmailed(app, factory, caplog):
    from accounts.models import User
    from core.notifications import Notification, notify

    person = factory.user()
    set_preference(app, person.id, "immediate")
    with mail_config(app, BASE_URL=None), app.app_context(), caplog.at_level(logging.WARNING):
        notify(person.id, "workshop.invited", link="/forums/workshops/1", title="Taller")
        db.session.commit()
        assert db.session.scalar(select(Notification.id).where(Notification.user_id == person.id))
        assert db.session.get(User, person.id).notification_mail == "immediate"
    assert outbox(app) == []
    assert any("not mailed" in record.getMessage() for record in caplog.records)
