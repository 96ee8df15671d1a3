"""Feedback where the person is looking: "you reported this", redirects to the thing
acted on with its message beside it, confirmation steps for destructive actions, and
errors on the field they concern."""

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from accounts.models import RoleAssignment
from core.extensions import db
from core.roles import Role
from forums.discussions.models import ForumMember, Post
from forums.meetings.models import MeetingRegistration
from tests.conftest import csrf_enabled, login

EN = {"Accept-Language": "en"}


@pytest.fixture
def thread(factory, places, personas):
    """A citizen forum of the citizen and the official; a thread of two posts by the citizen."""
    forum_id = factory.forum("citizen", places["home"])
    factory.member(forum_id, personas["citizen"].id)
    factory.member(forum_id, personas["staff"].id)
    thread_id = factory.thread(forum_id, personas["citizen"].id, posts=2, text="Texto {n}")
    return forum_id, thread_id


def _post(app, thread_id, number):
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == number))
        return post.id, post.contribution_id


def _article(page: str, number: int) -> str:
    """The HTML of post ``number`` on a thread page."""
    match = re.search(rf'<article[^>]*id="post-{number}".*?</article>', page, re.S)
    assert match, f"post-{number} not on the page"
    return match.group(0)


def _outside_articles(page: str) -> str:
    return re.sub(r"<article.*?</article>", "", page, flags=re.S)


# "You reported this" ------------------------------------------------------------------


def test_flagged_post_shows_you_reported_this_to_the_flagger(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, contribution_id = _post(app, thread_id, 2)
    login(client, personas["staff"])
    answer = client.post(
        f"/forums/contributions/{contribution_id}/flag",
        data={"reason": "Insulta", "next": f"/forums/posts/{post_id}#post-2"},
        headers=EN,
    )
    assert answer.status_code == 302 and answer.location.endswith("#post-2")
    page = client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)
    flagged, other = _article(page, 2), _article(page, 1)
    assert "You reported this to the moderators." in flagged
    assert "Thank you. Moderators will look at it." in flagged
    assert "Thank you. Moderators will look at it." not in _outside_articles(page)
    assert f"/forums/contributions/{contribution_id}/flag" not in flagged
    assert "You reported this" not in other and "Report to the moderators" in other
    # The message is shown once; "you reported this" stays.
    again = client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)
    assert "Thank you." not in again and "You reported this to the moderators." in _article(again, 2)
    client.post("/logout")
    # Nobody else sees it as reported by them.
    login(client, personas["citizen"])
    others_view = client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)
    assert "You reported this" not in others_view


def test_reported_is_one_query_whatever_the_page_size(app, client, factory, thread, personas, count_queries):
    forum_id, _thread_id = thread
    small = factory.thread(forum_id, personas["citizen"].id, posts=2)
    large = factory.thread(forum_id, personas["citizen"].id, posts=12)
    login(client, personas["staff"])
    for thread_id in (small, large):
        for number in (1, 2):
            _pid, cid = _post(app, thread_id, number)
            client.post(f"/forums/contributions/{cid}/flag", data={"reason": "Revisar"})
    counts = []
    for thread_id in (small, large):
        client.get(f"/forums/threads/{thread_id}")
        with count_queries as queries:
            page = client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)
        assert page.count("You reported this to the moderators.") == 2
        counts.append(queries.count)
    assert counts[0] == counts[1]


# Redirects to the thing acted on, with the message beside it ---------------------------


def test_reply_redirects_to_the_new_post_with_its_message(app, client, thread, personas):
    _forum_id, thread_id = thread
    login(client, personas["citizen"])
    answer = client.post(f"/forums/threads/{thread_id}/reply", data={"body": "Una respuesta"}, headers=EN)
    assert answer.status_code == 302 and answer.location.endswith("#post-3")
    page = client.get(answer.location, headers=EN).get_data(as_text=True)
    assert "Reply published." in _article(page, 3)
    assert "Reply published." not in _outside_articles(page)


def test_a_message_for_an_element_not_on_the_page_stays_at_the_top(app, client, thread, personas):
    _forum_id, thread_id = thread
    _pid, contribution_id = _post(app, thread_id, 1)
    login(client, personas["staff"])
    client.post(
        f"/forums/contributions/{contribution_id}/flag", data={"reason": "x", "next": "/forums/#post-99"}, headers=EN
    )
    page = client.get("/forums/", headers=EN).get_data(as_text=True)
    assert "Thank you. Moderators will look at it." in page


def test_vote_redirects_to_the_card(app, client, factory, personas):
    workshop_id = factory.workshop(invite=[personas["citizen"].id])
    board_id = factory.board(workshop_id)
    card_id, _contribution_id = factory.card(board_id, personas["facilitator"].id)
    login(client, personas["citizen"])
    answer = client.post(f"/forums/cards/{card_id}/vote")
    assert answer.status_code in (302, 303) and answer.location.endswith(f"#card-{card_id}")


# Confirmation steps ----------------------------------------------------------------------


def test_delete_post_asks_first(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, _cid = _post(app, thread_id, 2)
    login(client, personas["citizen"])
    page = client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)
    assert f'href="/forums/posts/{post_id}/delete"' in page
    confirm = client.get(f"/forums/posts/{post_id}/delete", headers=EN)
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Delete this post?" in text and "Texto 2" in text
    assert f'action="/forums/posts/{post_id}/delete"' in text
    with app.app_context():
        assert db.session.get(Post, post_id).deleted_at is None
    answer = client.post(f"/forums/posts/{post_id}/delete", headers=EN)
    assert answer.status_code == 302 and answer.location.endswith("#post-2")
    with app.app_context():
        assert db.session.get(Post, post_id).deleted_at is not None
    after = client.get(answer.location, headers=EN).get_data(as_text=True)
    assert "Post deleted." in _article(after, 2)


def test_delete_post_post_still_needs_csrf(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, _cid = _post(app, thread_id, 2)
    login(client, personas["citizen"])
    with csrf_enabled(app):
        assert client.post(f"/forums/posts/{post_id}/delete").status_code == 400
    with app.app_context():
        assert db.session.get(Post, post_id).deleted_at is None


def test_delete_post_confirmation_is_the_authors(app, client, thread, personas):
    _forum_id, thread_id = thread
    post_id, _cid = _post(app, thread_id, 2)
    login(client, personas["staff"])
    assert client.get(f"/forums/posts/{post_id}/delete").status_code == 403


def test_leave_forum_asks_first(app, client, thread, personas):
    forum_id, _thread_id = thread
    login(client, personas["citizen"])
    page = client.get(f"/forums/{forum_id}", headers=EN).get_data(as_text=True)
    assert f'href="/forums/{forum_id}/leave"' in page
    confirm = client.get(f"/forums/{forum_id}/leave", headers=EN)
    assert confirm.status_code == 200 and "Leave the forum" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ForumMember).where(ForumMember.user_id == personas["citizen"].id))
    assert client.post(f"/forums/{forum_id}/leave").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ForumMember).where(ForumMember.user_id == personas["citizen"].id)) is None
    # No longer a member: the confirmation page sends back to the forum.
    assert client.get(f"/forums/{forum_id}/leave").status_code == 302


def test_cancel_registration_asks_first(app, client, factory, thread, personas):
    forum_id, _thread_id = thread
    meeting_id = factory.meeting(forum_id, starts_at=datetime(2099, 5, 1, 21, 0))
    login(client, personas["citizen"])
    assert client.get(f"/forums/sessions/{meeting_id}/unregister").status_code == 302
    assert client.post(f"/forums/sessions/{meeting_id}/register").status_code == 302
    page = client.get(f"/forums/sessions/{meeting_id}", headers=EN).get_data(as_text=True)
    assert f'href="/forums/sessions/{meeting_id}/unregister"' in page
    confirm = client.get(f"/forums/sessions/{meeting_id}/unregister", headers=EN)
    assert confirm.status_code == 200 and "Cancel your registration?" in confirm.get_data(as_text=True)
    assert client.post(f"/forums/sessions/{meeting_id}/unregister").status_code == 302
    with app.app_context():
        registration = db.session.scalar(select(MeetingRegistration))
        assert registration.status == "cancelled"


def test_revoke_role_asks_first(app, client, personas):
    login(client, personas["admin"])
    with app.app_context():
        assignment = db.session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.user_id == personas["staff"].id, RoleAssignment.role == Role.STAFF.value
            )
        )
        assignment_id = assignment.id
    page = client.get(f"/admin/users/{personas['staff'].id}", headers=EN).get_data(as_text=True)
    assert f'href="/admin/roles/{assignment_id}/revoke"' in page
    confirm = client.get(f"/admin/roles/{assignment_id}/revoke", headers=EN)
    assert confirm.status_code == 200 and "Remove the role" in confirm.get_data(as_text=True)
    assert client.post(f"/admin/roles/{assignment_id}/revoke").status_code == 302
    with app.app_context():
        assert db.session.get(RoleAssignment, assignment_id) is None


# Errors on the field they concern -------------------------------------------------------


def _field(page: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*">(?:(?!<div class="field).)*?name="{name}".*?</div>', page, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def test_session_end_before_start_is_the_end_fields_error(app, client, thread, personas):
    forum_id, _thread_id = thread
    login(client, personas["facilitator"])
    answer = client.post(
        f"/forums/{forum_id}/sessions/new",
        data={"title": "Sesión", "starts_at": "2099-05-01T18:00", "ends_at": "2099-05-01T17:00"},
        headers=EN,
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    end = _field(page, "ends_at")
    assert "The end cannot be before the start." in end
    assert 'aria-describedby="ends_at-error"' in end and 'id="ends_at-error"' in end
    assert "The end cannot be before the start." not in _field(page, "starts_at")


def test_official_without_municipality_is_the_municipality_fields_error(app, client, personas):
    login(client, personas["admin"])
    answer = client.post(f"/admin/users/{personas['citizen'].id}/roles", data={"role": "staff"}, headers=EN)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    municipality = _field(page, "municipality")
    assert "A municipal official needs a municipality." in municipality
    assert 'id="municipality-error"' in municipality and "municipality-error" in municipality.split("<select")[1]
    assert "A municipal official needs a municipality." not in _field(page, "role")
    assert 'href="#municipality"' in page  # the error summary links to the field
