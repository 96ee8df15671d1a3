"""Moderation (flags, hide and restore, blocks) and in-app notifications."""

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution
from core.notifications import Notification
from forums.discussions.models import Post
from forums.moderation.models import Flag
from tests.conftest import login


@pytest.fixture
def thread(factory, places, personas):
    """A citizen forum whose members are the citizen and the official; a thread by the
    citizen with two posts."""
    forum_id = factory.forum("citizen", places["home"])
    factory.member(forum_id, personas["citizen"].id)
    factory.member(forum_id, personas["staff"].id)
    thread_id = factory.thread(forum_id, personas["citizen"].id, posts=2, text="Texto original {n}")
    return forum_id, thread_id


def _first(app, thread_id):
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == 1))
        return post.id, post.contribution_id


def _notifications(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()


def test_flag_then_hide_then_restore(app, client, thread, personas):
    forum_id, thread_id = thread
    post_id, contribution_id = _first(app, thread_id)
    login(client, personas["citizen"])
    own = client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "x"})
    assert own.status_code == 302
    client.post("/logout")
    login(client, personas["staff"])
    assert client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": ""}).status_code == 422
    assert client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Insulta"}).status_code == 302
    client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Otra vez"})
    with app.app_context():
        flags = db.session.scalars(select(Flag)).all()
        assert [(f.user_id, f.reason) for f in flags] == [(personas["staff"].id, "Insulta")]
    assert client.get("/forums/moderation").status_code == 403
    client.post("/logout")

    login(client, personas["facilitator"])
    queue = client.get("/forums/moderation").get_data(as_text=True)
    assert "Insulta" in queue and "Texto original 1" in queue
    assert (
        client.post(f"/forums/moderation/contributions/{contribution_id}/hide", data={"reason": ""}).status_code == 302
    )
    with app.app_context():
        assert db.session.get(Contribution, contribution_id).hidden_at is None, "a reason is required"
    hidden = client.post(
        f"/forums/moderation/contributions/{contribution_id}/hide", data={"reason": "Lenguaje ofensivo"}
    )
    assert hidden.status_code == 302
    assert "Nothing is waiting" in client.get("/forums/moderation", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    client.post("/logout")

    page = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Texto original 1" not in page and "Hidden by a moderator." in page and "Texto original 2" in page
    assert "Texto original 1" not in client.get("/forums/search?q=original").get_data(as_text=True).split("</form>")[-1]
    login(client, personas["citizen"])
    own_view = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Texto original 1" in own_view and "Lenguaje ofensivo" in own_view
    notes = _notifications(app, personas["citizen"].id)
    assert [n.kind for n in notes] == ["moderation.hidden"]
    client.post("/logout")

    login(client, personas["facilitator"])
    client.post(f"/forums/moderation/contributions/{contribution_id}/restore", data={"reason": "Revisado"})
    client.post("/logout")
    assert "Texto original 1" in client.get(f"/forums/threads/{thread_id}").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("moderation.%"))).all()
        assert actions == ["moderation.hidden", "moderation.restored"]
    assert [n.kind for n in _notifications(app, personas["citizen"].id)] == ["moderation.hidden", "moderation.restored"]


def test_dismiss_closes_flags(app, client, thread, personas):
    _forum_id, thread_id = thread
    _post_id, contribution_id = _first(app, thread_id)
    login(client, personas["staff"])
    client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Spam"})
    client.post("/logout")
    login(client, personas["admin"])
    assert client.post(f"/forums/moderation/contributions/{contribution_id}/dismiss").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Flag.resolved_by_id)) == personas["admin"].id
        assert db.session.get(Contribution, contribution_id).hidden_at is None


def test_block_hides_content_and_stops_posting(app, client, thread, personas):
    _forum_id, thread_id = thread
    login(client, personas["facilitator"])
    refused = client.post(f"/forums/moderation/users/{personas['admin'].id}/block", data={"reason": "x"})
    assert refused.status_code == 302
    client.post(f"/forums/moderation/users/{personas['citizen'].id}/block", data={"reason": "Acoso reiterado"})
    client.post("/logout")
    page = client.get(f"/forums/threads/{thread_id}").get_data(as_text=True)
    assert "Texto original" not in page
    login(client, personas["citizen"])
    response = client.post(f"/forums/threads/{thread_id}/reply", data={"body": "sigo", "submit": "1"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread_id)) == 2
    client.post("/logout")
    login(client, personas["admin"])
    assert "Acoso reiterado" in client.get("/forums/moderation").get_data(as_text=True)
    client.post(f"/forums/moderation/users/{personas['citizen'].id}/unblock")
    client.post("/logout")
    assert "Texto original" in client.get(f"/forums/threads/{thread_id}").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("moderation.%")).order_by(AuditEntry.id)
        ).all()
        assert actions == ["moderation.blocked", "moderation.unblocked"]


def test_reply_notifies_and_notifications_are_read(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, _contribution_id = _first(app, thread_id)
    login(client, personas["staff"])
    client.post(
        f"/forums/threads/{thread_id}/reply", data={"body": "Te respondo", "reply_to": str(post_id), "submit": "1"}
    )
    client.post(f"/forums/threads/{thread_id}/reply", data={"body": "Y al hilo", "submit": "1"})
    client.post("/logout")
    login(client, personas["citizen"])
    home = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<span class="count">2<span class="visually-hidden"> unread' in home
    listing = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{personas['staff'].name} replied to your post" in listing
    notes = _notifications(app, personas["citizen"].id)
    opened = client.post(f"/notifications/{notes[0].id}/read")
    assert opened.status_code == 302 and opened.location.startswith("/forums/posts/")
    assert '<span class="count">1<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read")
    assert 'class="count"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, personas["staff"])
    assert client.post(f"/notifications/{notes[0].id}/read").status_code == 404, "not someone else's"
    assert _notifications(app, personas["staff"].id) == [], "no notification for one's own replies"


def test_session_change_and_cancellation_notify_registrants(app, client, factory, thread, personas):
    forum_id, _thread_id = thread
    login(client, personas["facilitator"])
    created = client.post(f"/forums/{forum_id}/sessions/new", data={"title": "Sesión", "starts_at": "2017-05-01T18:00"})
    meeting_id = int(created.location.rsplit("/", 1)[1])
    client.post("/logout")
    for role in ("citizen", "staff"):
        login(client, personas[role])
        client.post(f"/forums/sessions/{meeting_id}/register")
        client.post("/logout")
    login(client, personas["staff"])
    client.post(f"/forums/sessions/{meeting_id}/unregister")
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/sessions/{meeting_id}/edit", data={"title": "Sesión", "starts_at": "2017-05-02T18:00"})
    client.post(f"/forums/sessions/{meeting_id}/cancel")
    assert [n.kind for n in _notifications(app, personas["citizen"].id)] == ["meeting.changed", "meeting.cancelled"]
    assert _notifications(app, personas["staff"].id) == [], "cancelled registrations are not told"
    client.post("/logout")
    login(client, personas["citizen"])
    page = client.get("/notifications", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "La sesión «Sesión» en que se inscribió fue cancelada." in page


def test_moderation_and_notification_pages_queries_do_not_grow(app, client, factory, thread, personas, count_queries):
    forum_id, thread_id = thread

    def grow(n):
        with app.app_context():
            for _ in range(n):
                persona = factory.user()
                contribution_id = _first(app, factory.thread(forum_id, persona.id))[1]
                db.session.add(Flag(contribution_id=contribution_id, user_id=personas["staff"].id, reason="r"))
                db.session.add(
                    Notification(
                        user_id=personas["facilitator"].id,
                        kind="forum.reply",
                        params_json='{"name": "x", "thread": "y"}',
                    )
                )
            db.session.commit()

    login(client, personas["facilitator"])
    grow(2)
    few = []
    for url in ("/forums/moderation", "/notifications"):
        with count_queries:
            assert client.get(url).status_code == 200
        few.append(count_queries.count)
    grow(30)
    many = []
    for url in ("/forums/moderation", "/notifications"):
        with count_queries:
            assert client.get(url).status_code == 200
        many.append(count_queries.count)
    assert few == many


def test_data_download_includes_forum_participation(app, client, thread, personas):
    import json

    forum_id, thread_id = thread
    _post_id, contribution_id = _first(app, thread_id)
    login(client, personas["facilitator"])
    created = client.post(f"/forums/{forum_id}/sessions/new", data={"title": "Sesión", "starts_at": "2017-05-01T18:00"})
    meeting_id = int(created.location.rsplit("/", 1)[1])
    client.post("/logout")
    login(client, personas["staff"])
    client.post(f"/forums/sessions/{meeting_id}/register")
    client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Revisar"})
    client.get(f"/forums/threads/{thread_id}")
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/sessions/{meeting_id}/checkin/{personas['staff'].id}", data={"checkin-consent": "y"})
    client.post(f"/forums/sessions/{meeting_id}/edit", data={"title": "Sesión", "starts_at": "2017-05-02T18:00"})
    client.post("/logout")
    login(client, personas["staff"])
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    forums = data["forums"]
    assert len(forums["memberships"]) == 1 and forums["memberships"][0]["joined_at"]
    assert forums["session_registrations"][0]["status"] == "registered"
    assert forums["sheet_entries"][0] == {
        **forums["sheet_entries"][0],
        "gathering": "Sesión",
        "consent_to_be_named": True,
    }
    assert forums["reports_made"][0]["reason"] == "Revisar" and forums["reports_made"][0]["link"].startswith("/forums/")
    assert forums["reading_positions"][0]["last_post_read"] == 2
    assert "changed" in data["notifications"][0]["text"] or "cambió" in data["notifications"][0]["text"]
    client.post("/account/delete", data={"password": "correct horse battery", "confirm": "y"})
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == personas["staff"].id))
            == 0
        )


def test_the_report_page_shows_the_words_and_keeps_a_refused_reason(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, contribution_id = _first(app, thread_id)
    url = f"/forums/contributions/{contribution_id}/flag"
    login(client, personas["staff"])
    back = f"/forums/posts/{post_id}#post-1"
    page = client.get(url, query_string={"next": back}, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Texto original 1" in page and "Why should moderators look at this?" in page
    assert f'name="next" type="hidden" value="{back}"' in page and f'href="{back}"' in page
    # A way back to another site is not followed: the words' own page instead.
    elsewhere = client.get(url, query_string={"next": "https://elsewhere.test/"}).get_data(as_text=True)
    assert 'value="https://elsewhere.test/"' not in elsewhere and 'href="https://elsewhere.test/"' not in elsewhere
    assert f'name="next" type="hidden" value="/forums/posts/{post_id}"' in elsewhere
    too_long = "Motivo " + "x" * 600
    refused = client.post(url, data={"reason": too_long, "next": back}, headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert too_long in refused.get_data(as_text=True) and f'value="{back}"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Flag)).all() == []
    sent = client.post(url, data={"reason": "Insulta", "next": back})
    assert sent.status_code == 302 and sent.location.endswith(back)
