"""Sessions (meetings): scheduling, registration and waiting list, the sign-in sheet with
walk-ins and consent, headcount, remarks as contributions, minutes; fixed query counts."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Contribution
from core.spaces import SpaceKind
from forums.meetings.models import Meeting, MeetingRegistration
from forums.sheets.models import Attendee
from tests.conftest import login

SESSION = {"title": "Foro en la sede vecinal", "starts_at": "2017-04-05T18:30", "place": "Sede vecinal Nº 3"}


@pytest.fixture
def forum(factory, places, personas):
    forum_id = factory.forum("citizen", places["home"])
    for role in ("citizen", "staff", "expert"):
        factory.member(forum_id, personas[role].id)
    return forum_id


def _schedule(client, forum_id, **extra):
    response = client.post(f"/forums/{forum_id}/sessions/new", data={**SESSION, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.location.rsplit("/", 1)[1])


def test_schedule_stores_utc_and_shows_local_time(app, client, forum, personas):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum, agenda="1. **Bienvenida**", online_url="https://meet.example.org/x")
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        # 18:30 in Santiago in April 2017 (UTC-3) is 21:30 UTC.
        assert meeting.starts_at.hour == 21 and meeting.starts_at.minute == 30
        assert "<strong>Bienvenida</strong>" in meeting.agenda_html
    page = client.get(f"/forums/sessions/{meeting_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "miércoles 5 de abril de 2017, 18:30" in page
    edit = client.get(f"/forums/sessions/{meeting_id}/edit").get_data(as_text=True)
    assert 'value="2017-04-05T18:30"' in edit


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"starts_at": "mañana"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"ends_at": "2017-04-05T17:00"}, "ends_at"),
        ({"capacity": "-3"}, "capacity"),
        ({"capacity": "muchos"}, "capacity"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"online_url": "ftp://example.org/file"}, "online_url"),
        ({"title": "t" * 201}, "title"),
        ({"agenda": "a" * 100_000}, "agenda"),
    ],
)
def test_schedule_rejects_bad_input(app, client, forum, personas, change, field):
    login(client, personas["facilitator"])
    response = client.post(f"/forums/{forum}/sessions/new", data={**SESSION, **change})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_registration_waiting_list_and_promotion(app, client, factory, forum, personas):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum, capacity="1")
    client.post("/logout")
    outsider = factory.user()
    login(client, outsider)
    client.post(f"/forums/sessions/{meeting_id}/register")
    with app.app_context():
        assert db.session.scalar(select(func.count(MeetingRegistration.id))) == 0, "members only"
    client.post("/logout")
    statuses = {}
    for role in ("citizen", "staff", "expert"):
        login(client, personas[role])
        assert client.post(f"/forums/sessions/{meeting_id}/register").status_code == 302
        client.post("/logout")
    with app.app_context():
        rows = db.session.execute(select(MeetingRegistration.user_id, MeetingRegistration.status)).all()
        statuses = {user_id: status for user_id, status in rows}
    assert statuses == {
        personas["citizen"].id: "registered",
        personas["staff"].id: "waitlisted",
        personas["expert"].id: "waitlisted",
    }
    login(client, personas["citizen"])
    again = client.post(f"/forums/sessions/{meeting_id}/register")
    assert again.status_code == 302
    assert client.post(f"/forums/sessions/{meeting_id}/unregister").status_code == 302
    with app.app_context():
        rows = dict(db.session.execute(select(MeetingRegistration.user_id, MeetingRegistration.status)).all())
        assert rows[personas["staff"].id] == "registered", "the first on the waiting list takes the place"
        assert rows[personas["expert"].id] == "waitlisted"
        assert db.session.get(Meeting, meeting_id).registered_count == 1
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/sessions/{meeting_id}/edit", data={**SESSION, "capacity": "5"})
    with app.app_context():
        rows = dict(db.session.execute(select(MeetingRegistration.user_id, MeetingRegistration.status)).all())
        assert rows[personas["expert"].id] == "registered", "more places admit the waiting list"
    lower = client.post(f"/forums/sessions/{meeting_id}/edit", data={**SESSION, "capacity": "1"})
    assert lower.status_code == 422


def test_cancelled_session_takes_no_registrations(app, client, forum, personas):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum)
    client.post(f"/forums/sessions/{meeting_id}/cancel")
    client.post("/logout")
    login(client, personas["citizen"])
    client.post(f"/forums/sessions/{meeting_id}/register")
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "cancelled"
        assert db.session.scalar(select(func.count(MeetingRegistration.id))) == 0


def test_sign_in_sheet_walk_ins_consent_and_remarks(app, client, forum, personas, places):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum)
    client.post("/logout")
    login(client, personas["citizen"])
    client.post(f"/forums/sessions/{meeting_id}/register")
    client.post("/logout")
    login(client, personas["facilitator"])
    url = f"/forums/sessions/{meeting_id}"
    assert client.post(f"{url}/checkin/{personas['citizen'].id}", data={"checkin-consent": "y"}).status_code == 302
    twice = client.post(f"{url}/checkin/{personas['citizen'].id}", data={"checkin-consent": "y"})
    assert twice.status_code == 302
    walk_ins = [
        {
            "walkin-name": "Rosa",
            "walkin-profile": "citizen",
            "walkin-municipality": str(places["home"]),
            "walkin-consent": "y",
        },
        {"walkin-name": "Pedro Reservado", "walkin-profile": "official", "walkin-municipality": ""},
        {"walkin-name": "", "walkin-profile": "cso", "walkin-municipality": ""},
    ]
    for data in walk_ins:
        assert client.post(f"{url}/walk-ins", data=data).status_code == 302
    bad = client.post(f"{url}/walk-ins", data={"walkin-profile": "alien"})
    assert bad.status_code == 422
    with app.app_context():
        attendees = db.session.scalars(select(Attendee).order_by(Attendee.id)).all()
        assert [(a.user_id is not None, a.profile, a.consent) for a in attendees] == [
            (True, "citizen", True),
            (False, "citizen", True),
            (False, "official", False),
            (False, "cso", False),
        ]
        rosa, pedro = attendees[1].id, attendees[2].id
        # Entries on the sheet never decide whether the session was held.
        assert db.session.get(Meeting, meeting_id).status == "scheduled"
    assert (
        client.post(f"{url}/remarks", data={"remark-attendee": str(rosa), "remark-body": "Actas a tiempo"}).status_code
        == 302
    )
    assert (
        client.post(f"{url}/remarks", data={"remark-attendee": str(pedro), "remark-body": "Más personal"}).status_code
        == 302
    )
    assert (
        client.post(f"{url}/remarks", data={"remark-attendee": "", "remark-body": "Desde el fondo"}).status_code == 302
    )
    assert client.post(f"{url}/remarks", data={"remark-attendee": "999999", "remark-body": "x"}).status_code == 422
    assert client.post(f"{url}/remarks", data={"remark-attendee": "", "remark-body": ""}).status_code == 422
    assert client.post(f"{url}/headcount", data={"headcount-headcount": "2"}).status_code == 422, "below the sheet"
    assert client.post(f"{url}/headcount", data={"headcount-headcount": "30"}).status_code == 302
    minutes = {"minutes": "Se acordó **publicar**", "visibility": "published"}
    assert client.post(f"{url}/minutes", data=minutes).status_code == 302
    with app.app_context():
        remarks = db.session.scalars(
            select(Contribution).where(Contribution.space_kind == SpaceKind.MEETING).order_by(Contribution.id)
        ).all()
        assert [(r.attendee_id, r.channel) for r in remarks] == [
            (rosa, "in_person"),
            (pedro, "in_person"),
            (None, "in_person"),
        ]
    manager_page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Pedro Reservado" in manager_page and "did not agree to be named" in manager_page
    client.post("/logout")
    login(client, personas["staff"])
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Rosa" in page and "Actas a tiempo" in page and "Más personal" in page
    assert "Pedro Reservado" not in page, "no name without consent"
    assert "People attending" in page and ">30<" in page
    assert "<strong>publicar</strong>" in page
    forum_page = client.get(f"/forums/{forum}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Said in the room" in forum_page and "Desde el fondo" in forum_page and "Pedro Reservado" not in forum_page
    assert client.get(f"{url}/sheet").status_code == 403


def test_unpublished_minutes_are_for_facilitators(app, client, forum, personas):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum)
    client.post(f"/forums/sessions/{meeting_id}/minutes", data={"minutes": "Borrador del acta", "visibility": "draft"})
    assert "Borrador del acta" in client.get(f"/forums/sessions/{meeting_id}").get_data(as_text=True)
    client.post("/logout")
    login(client, personas["citizen"])
    assert "Borrador del acta" not in client.get(f"/forums/sessions/{meeting_id}").get_data(as_text=True)


def test_check_in_unknown_account_is_404(client, forum, personas):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum)
    assert client.post(f"/forums/sessions/{meeting_id}/checkin/999999").status_code == 404
    assert client.get("/forums/sessions/999999").status_code == 404


def test_session_pages_queries_do_not_grow(app, client, factory, forum, personas, count_queries):
    login(client, personas["facilitator"])
    meeting_id = _schedule(client, forum)
    url = f"/forums/sessions/{meeting_id}"

    def fill(n, offset):
        with app.app_context():
            process_id = db.session.get(Meeting, meeting_id).forum.process_id
            for i in range(n):
                user = factory.user()
                db.session.add(MeetingRegistration(meeting_id=meeting_id, user_id=user.id))
                db.session.add(Attendee(meeting_id=meeting_id, user_id=user.id, consent=i % 2 == 0))
                db.session.add(Attendee(meeting_id=meeting_id, name=f"Visita {offset + i}", profile="official"))
            db.session.flush()
            # In id order, so the newest remarks mix accounts and walk-ins on every engine.
            for attendee in db.session.scalars(
                select(Attendee).where(Attendee.meeting_id == meeting_id).order_by(Attendee.id)
            ):
                remark = Contribution(
                    process_id=process_id, space_kind=SpaceKind.MEETING, space_id=meeting_id, attendee_id=attendee.id
                )
                remark.set_body("dicho")
                db.session.add(remark)
            db.session.commit()

    fill(2, 0)
    few = [_count(client, count_queries, u) for u in (url, f"{url}/sheet", f"/forums/{forum}")]
    fill(60, 100)
    many = [_count(client, count_queries, u) for u in (url, f"{url}/sheet", f"/forums/{forum}")]
    assert few == many


def _count(client, counter, url):
    with counter:
        assert client.get(url).status_code == 200
    return counter.count
