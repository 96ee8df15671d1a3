"""Sessions and their sign-in sheet, as issue 12 asked: an early check-in leaves a session
scheduled; held and cancelled are a facilitator's confirmed, audited and reversible
decisions; remarks are seen, corrected and removed on the sheet (audited); unnamed
attendees are labelled alike everywhere; visitors are told how to register; minutes are
previewed and say whether they are public."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import Notification
from forums.meetings.models import Meeting, MeetingRegistration
from forums.sheets.models import Attendee
from tests.conftest import PASSWORD, login

EN = {"Accept-Language": "en"}


@pytest.fixture
def forum(factory, places, personas):
    forum_id = factory.forum("citizen", places["home"])
    factory.member(forum_id, personas["citizen"].id)
    return forum_id


def _audit(app, action):
    with app.app_context():
        return [
            (e.actor_id, e.target_user_id, e.detail)
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        ]


def _status(app, meeting_id):
    with app.app_context():
        return db.session.get(Meeting, meeting_id).status


def _page(client, url):
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Held and cancelled --------------------------------------------------------------------


def test_early_check_in_leaves_the_session_scheduled_and_registration_open(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=10))
    url = f"/forums/sessions/{meeting_id}"
    login(client, personas["facilitator"])
    assert client.post(f"{url}/checkin/{personas['citizen'].id}", data={"checkin-consent": "y"}).status_code == 302
    assert client.post(f"{url}/walk-ins", data={"walkin-name": "Rosa", "walkin-profile": "citizen"}).status_code == 302
    assert client.post(f"{url}/headcount", data={"headcount-headcount": "5"}).status_code == 302
    assert client.post(f"{url}/remarks", data={"remark-attendee": "", "remark-body": "Antes"}).status_code == 302
    assert _status(app, meeting_id) == "scheduled"
    page = _page(client, url)
    assert "Mark as held" not in page, "not before it starts"
    # Marking it held anyway is refused.
    client.post(f"{url}/held")
    assert _status(app, meeting_id) == "scheduled"
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"{url}/register").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(MeetingRegistration.status)) == "registered"


def test_held_is_confirmed_audited_and_reversible(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)  # started in 2017
    url = f"/forums/sessions/{meeting_id}"
    login(client, personas["facilitator"])
    page = _page(client, url)
    assert f'href="{url}/held"' in page
    confirm = _page(client, f"{url}/held")
    assert "Mark this session as held?" in confirm and f'action="{url}/held"' in confirm
    assert _status(app, meeting_id) == "scheduled", "the confirmation page changes nothing"
    assert client.post(f"{url}/held").status_code == 302
    assert _status(app, meeting_id) == "held"
    assert "Back to scheduled" in _page(client, url)
    assert "Put this session back to scheduled?" in _page(client, f"{url}/reopen")
    assert client.post(f"{url}/reopen").status_code == 302
    assert _status(app, meeting_id) == "scheduled"
    facilitator = personas["facilitator"].id
    assert [(a, d["meeting"]) for a, _t, d in _audit(app, "meeting.held")] == [(facilitator, meeting_id)]
    assert [(a, d["was"]) for a, _t, d in _audit(app, "meeting.reopened")] == [(facilitator, "held")]


def test_cancel_is_confirmed_audited_and_undone_with_registrations_kept(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=10))
    url = f"/forums/sessions/{meeting_id}"
    login(client, personas["citizen"])
    client.post(f"{url}/register")
    client.post("/logout")
    login(client, personas["facilitator"])
    page = _page(client, url)
    assert f'<a href="{url}/cancel">' in page, "a link to the confirmation step, not a button that cancels"
    confirm = _page(client, f"{url}/cancel")
    assert "Cancel this session?" in confirm and "Cancel the session" in confirm
    assert _status(app, meeting_id) == "scheduled"
    assert client.post(f"{url}/cancel").status_code == 302
    assert _status(app, meeting_id) == "cancelled"
    assert client.post(f"{url}/reopen").status_code == 302
    assert _status(app, meeting_id) == "scheduled"
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == personas["citizen"].id).order_by(Notification.id)
        ).all()
        assert kinds == ["meeting.cancelled", "meeting.reopened"]
        assert db.session.scalar(select(MeetingRegistration.status)) == "registered", "the place is kept"
    assert len(_audit(app, "meeting.cancelled")) == 1
    assert [d["was"] for _a, _t, d in _audit(app, "meeting.reopened")] == ["cancelled"]
    # Reopening a scheduled session is refused, and says so.
    response = client.post(f"{url}/reopen", follow_redirects=True, headers=EN)
    assert "This session is already scheduled." in response.get_data(as_text=True)


def test_a_held_session_is_not_cancelled(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum, status="held")
    login(client, personas["facilitator"])
    client.post(f"/forums/sessions/{meeting_id}/cancel")
    assert _status(app, meeting_id) == "held"
    assert _audit(app, "meeting.cancelled") == []


# Remarks on the sheet ------------------------------------------------------------------


def _walk_in(app, meeting_id, name="", consent=True):
    with app.app_context():
        attendee = Attendee(meeting_id=meeting_id, name=name, profile="citizen", consent=consent)
        db.session.add(attendee)
        db.session.commit()
        return attendee.id


def test_remarks_are_seen_corrected_and_removed_on_the_sheet(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    rosa = _walk_in(app, meeting_id, "Rosa")
    unnamed = _walk_in(app, meeting_id)
    remark_id = factory.remark(meeting_id, text="Más luminarias", attendee_id=rosa)
    other_id = factory.remark(meeting_id, text="Dicho por error")
    sheet = f"/forums/sessions/{meeting_id}/sheet"
    login(client, personas["facilitator"])
    page = _page(client, sheet)
    assert "Remarks written down" in page and "Más luminarias" in page and "Dicho por error" in page
    edit = f"/forums/sessions/{meeting_id}/remarks/{remark_id}/edit"
    assert f'href="{edit}"' in page
    form = _page(client, edit)
    assert "Más luminarias" in form and f'<option selected value="{rosa}">' in form
    bad = client.post(edit, data={"remark-attendee": str(rosa), "remark-body": ""})
    assert bad.status_code == 422
    response = client.post(edit, data={"remark-attendee": str(unnamed), "remark-body": "Más luminarias en la plaza"})
    assert response.status_code == 302 and response.location.endswith(f"#remark-{remark_id}")
    with app.app_context():
        remark = db.session.get(Contribution, remark_id)
        assert (remark.body_source, remark.attendee_id, remark.updated_at is not None) == (
            "Más luminarias en la plaza",
            unnamed,
            True,
        )
    [(actor, _target, detail)] = _audit(app, "sheet.remark_corrected")
    assert actor == personas["facilitator"].id
    assert detail == {
        "contribution": remark_id,
        "previous": "Más luminarias",
        "previous_attendee": rosa,
        "attendee": unnamed,
    }
    page = _page(client, sheet)
    assert "Más luminarias en la plaza" in page and "corrected" in page

    remove = f"/forums/sessions/{meeting_id}/remarks/{other_id}/remove"
    confirm = _page(client, remove)
    assert "Remove this remark?" in confirm and "Dicho por error" in confirm
    with app.app_context():
        assert db.session.get(Contribution, other_id) is not None, "the confirmation page removes nothing"
    assert client.post(remove).status_code == 302
    with app.app_context():
        assert db.session.get(Contribution, other_id) is None
    [(_actor, _target, detail)] = _audit(app, "sheet.remark_removed")
    assert detail["previous"] == "Dicho por error" and detail["meeting_id"] == meeting_id
    assert "Dicho por error" not in _page(client, sheet)
    assert "Dicho por error" not in _page(client, f"/forums/sessions/{meeting_id}")


def test_remark_of_another_session_is_404(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    other = factory.meeting(forum, title="Otra")
    remark_id = factory.remark(other)
    login(client, personas["facilitator"])
    assert client.get(f"/forums/sessions/{meeting_id}/remarks/{remark_id}/edit").status_code == 404
    assert client.post(f"/forums/sessions/{meeting_id}/remarks/{remark_id}/remove").status_code == 404
    assert client.get(f"/forums/sessions/{meeting_id}/remarks/999999/remove").status_code == 404


def test_a_remark_with_a_published_verdict_is_not_removed(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    remark_id = factory.remark(meeting_id)
    with app.app_context():
        db.session.get(Contribution, remark_id).verdict_status = "considering"
        db.session.commit()
    login(client, personas["facilitator"])
    remove = f"/forums/sessions/{meeting_id}/remarks/{remark_id}/remove"
    assert "Its verdict is published" in _page(client, remove)
    client.post(remove)
    with app.app_context():
        assert db.session.get(Contribution, remark_id) is not None
    assert _audit(app, "sheet.remark_removed") == []


def test_a_remark_the_revision_record_cites_is_not_removed(app, client, factory, forum, personas):
    """The consultations floor keeps what its revision record cites (a keeper registered
    with core.models); the sheet asks and refuses without knowing that record."""
    from consultations.revisions.models import Change, ChangeContribution

    meeting_id = factory.meeting(forum)
    remark_id = factory.remark(meeting_id)
    version_id = factory.version(label="v0.1", published=False)
    with app.app_context():
        change = Change(version_id=version_id, number=1, summary="Un cambio")
        db.session.add(change)
        db.session.flush()
        db.session.add(ChangeContribution(change_id=change.id, contribution_id=remark_id))
        db.session.commit()
    login(client, personas["facilitator"])
    remove = f"/forums/sessions/{meeting_id}/remarks/{remark_id}/remove"
    assert "A change of the revision record cites it" in _page(client, remove)
    client.post(remove)
    with app.app_context():
        assert db.session.get(Contribution, remark_id) is not None
    assert _audit(app, "sheet.remark_removed") == []


def test_removed_remark_leaves_the_tallies(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    keep = factory.remark(meeting_id, text="Queda")
    gone = factory.remark(meeting_id, text="Se va")
    login(client, personas["facilitator"])
    client.post(f"/forums/sessions/{meeting_id}/remarks/{gone}/remove")
    with app.app_context():
        ids = db.session.scalars(select(Contribution.id).where(Contribution.space_kind == "meeting")).all()
        assert ids == [keep]
        removals = select(func.count(AuditEntry.id)).where(AuditEntry.action == "sheet.remark_removed")
        assert db.session.scalar(removals) == 1


# Unnamed attendees ---------------------------------------------------------------------


def test_unnamed_attendees_have_one_label_and_are_not_listed_as_named(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    _walk_in(app, meeting_id, "Rosa")
    _walk_in(app, meeting_id)  # 2: agreed to be named, gave no name
    reserved = _walk_in(app, meeting_id, "Pedro Reservado", consent=False)  # 3
    factory.remark(meeting_id, text="Algo dicho", attendee_id=reserved)
    login(client, personas["facilitator"])
    sheet = _page(client, f"/forums/sessions/{meeting_id}/sheet")
    assert "<td>Unnamed attendee 2</td>" in sheet
    assert ">Unnamed attendee 2</option>" in sheet, "the dropdown and the table agree"
    assert "<td>Pedro Reservado</td>" in sheet
    client.post("/logout")
    page = _page(client, f"/forums/sessions/{meeting_id}")
    named = page.split("Attendees who agreed to be named", 1)[1].split("</ul>", 1)[0]
    assert "Rosa" in named and "Unnamed" not in named and "Pedro" not in named
    assert "2 attendees are not named." in page
    assert "<strong>Unnamed attendee 3</strong>" in page, "a remark's speaker who did not agree to be named"


# How to register -----------------------------------------------------------------------


def test_anonymous_visitor_is_told_to_sign_in(client, factory, forum):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=3))
    page = _page(client, f"/forums/sessions/{meeting_id}")
    assert "To register for this session, sign in and join the forum" in page
    assert f"/login?next=/forums/sessions/{meeting_id}" in page and 'href="/register"' in page


def test_non_member_is_told_to_join(client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=3))
    login(client, personas["expert"])
    page = _page(client, f"/forums/sessions/{meeting_id}")
    assert "Sessions are for members of the forum" in page
    assert f'action="/forums/{forum}/join"' in page and "Register for this session" not in page


def test_joining_from_a_session_page_comes_back_to_the_session(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=3))
    session_url = f"/forums/sessions/{meeting_id}"
    login(client, personas["expert"])
    page = _page(client, session_url)
    assert f'<input type="hidden" name="next" value="{session_url}">' in page
    response = client.post(f"/forums/{forum}/join", data={"next": session_url})
    assert response.status_code == 302 and response.location == session_url
    back = _page(client, response.location)
    assert "Register for this session" in back and "how-to-register" not in back


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", ""])
def test_joining_goes_only_to_a_page_of_this_site(client, factory, forum, personas, target):
    login(client, personas["expert"])
    response = client.post(f"/forums/{forum}/join", data={"next": target})
    assert response.status_code == 302 and response.location == f"/forums/{forum}"


def test_signing_in_or_registering_from_a_session_page_comes_back_to_it(client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=3))
    session_url = f"/forums/sessions/{meeting_id}"
    page = _page(client, session_url)
    assert f'href="/register?next={session_url}"' in page
    signed_in = client.post(
        f"/login?next={session_url}", data={"email": personas["expert"].email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in.location == session_url
    assert "Sessions are for members of the forum" in _page(client, session_url), "then told to join"
    client.post("/logout")
    form = _page(client, f"/register?next={session_url}")
    assert f'href="/login?next={session_url}"' in form, "signing in instead keeps the way back"
    registered = client.post(
        f"/register?next={session_url}",
        data={
            "email": "nueva@example.org",
            "display_name": "Vecina nueva",
            "password": "una clave bien larga",
            "confirm": "una clave bien larga",
            "consent": "y",
        },
    )
    assert registered.status_code == 302 and registered.location == session_url
    client.post("/logout")
    elsewhere = client.post(
        "/register?next=https://evil.example/",
        data={
            "email": "otra@example.org",
            "display_name": "Otra vecina",
            "password": "una clave bien larga",
            "confirm": "una clave bien larga",
            "consent": "y",
        },
    )
    assert elsewhere.status_code == 302 and "evil" not in elsewhere.location


def test_member_sees_the_button_and_closed_registration_is_said(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum, starts_at=utcnow() + timedelta(days=3))
    login(client, personas["citizen"])
    page = _page(client, f"/forums/sessions/{meeting_id}")
    assert "Register for this session" in page and "how-to-register" not in page
    held = factory.meeting(forum, status="held")
    assert "Registration is closed for this session." in _page(client, f"/forums/sessions/{held}")


# Minutes -------------------------------------------------------------------------------


def test_minutes_preview_saves_nothing(app, client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    url = f"/forums/sessions/{meeting_id}/minutes"
    login(client, personas["facilitator"])
    form = _page(client, url)
    assert re.search(r'<input checked[^>]*value="draft"', form), "the current state is chosen"
    assert not re.search(r'<input checked[^>]*value="published"', form)
    assert "These minutes are not published" in form
    response = client.post(
        url, data={"minutes": "Se acordó **revisar**", "visibility": "published", "preview": "Preview"}, headers=EN
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Preview (not saved yet)" in page and "<strong>revisar</strong>" in page
    assert "Se acordó **revisar**" in page, "the text stays in the form"
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert (meeting.minutes_source, meeting.minutes_published) == ("", False)
    unsafe = client.post(url, data={"minutes": "<script>alert(1)</script>", "visibility": "draft", "preview": "1"})
    assert "<script>alert(1)</script>" not in unsafe.get_data(as_text=True).split("preview-heading", 1)[1]


@pytest.mark.parametrize(
    ("text", "visibility", "message", "published"),
    [
        ("Acta", "published", "Minutes saved and published: everyone who can see the forum can read them.", True),
        ("Acta", "draft", "Minutes saved as a draft: only facilitators can read them.", False),
        ("  ", "published", "Minutes saved. They are empty, so nothing is published.", False),
    ],
)
def test_minutes_message_says_whether_they_are_public(
    app, client, factory, forum, personas, text, visibility, message, published
):
    meeting_id = factory.meeting(forum)
    login(client, personas["facilitator"])
    response = client.post(
        f"/forums/sessions/{meeting_id}/minutes",
        data={"minutes": text, "visibility": visibility},
        headers=EN,
        follow_redirects=True,
    )
    assert message in response.get_data(as_text=True)
    assert _status(app, meeting_id) == "scheduled"
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).minutes_published is published


def test_minutes_need_a_choice_of_who_reads_them(client, factory, forum, personas):
    meeting_id = factory.meeting(forum)
    login(client, personas["facilitator"])
    response = client.post(f"/forums/sessions/{meeting_id}/minutes", data={"minutes": "Acta"}, headers=EN)
    assert response.status_code == 422 and "Choose who can read the minutes." in response.get_data(as_text=True)
