"""The confirmation steps (issue 12): every one is drawn by the one template
``confirm.html`` through :func:`core.confirm.confirm_page`. For each: GET asks (one h1
that names the form, the CSRF token, the POST target, the way back) and changes nothing;
a POST without the form's token is refused and changes nothing; the page's own form does
what it says."""

import re
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import template_rendered
from sqlalchemy import select

from accounts.models import RoleAssignment
from core.extensions import db
from core.roles import Role
from forums.discussions.models import ForumMember, Post
from forums.meetings.models import Meeting, MeetingRegistration
from forums.workshops.boards.models import Board, Card
from tests.conftest import csrf_enabled, login

EN = {"Accept-Language": "en"}


@dataclass
class Step:
    """One confirmation step: who asks, where (the form posts to the same address), what
    the page says, and what it changes."""

    actor: str
    url: str
    question: str
    button: str
    back: str
    back_label: str
    state: object  # (app) -> a value the action changes
    concerns: str  # the thing concerned, shown on the step


@pytest.fixture
def steps(app, client, factory, places, personas):
    """Every confirmation step, on its own things: a forum the citizen belongs to, with
    the citizen's thread of two posts and a session in 2099 the citizen registered for; a
    session that has started and a cancelled one; the official's role; a workshop board
    with the citizen's card."""
    citizen, staff = personas["citizen"], personas["staff"]
    forum_id = factory.forum("citizen", places["home"], title="Foro de Talagante")
    factory.member(forum_id, citizen.id)
    thread_id = factory.thread(forum_id, citizen.id, posts=2, text="Texto {n}")
    upcoming = factory.meeting(forum_id, title="Sesión futura", starts_at=datetime(2099, 5, 1, 21, 0))
    started = factory.meeting(forum_id, title="Sesión pasada", starts_at=datetime(2017, 5, 1, 21, 0))
    cancelled = factory.meeting(forum_id, title="Sesión cancelada", status="cancelled")
    board_id = factory.board(factory.workshop(invite=(citizen.id,)))
    card_id, _contribution = factory.card(board_id, citizen.id, text="Una idea que sobra")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.number == 2))
        role_id = db.session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.user_id == staff.id, RoleAssignment.role == Role.STAFF.value)
        )
    login(client, citizen)
    assert client.post(f"/forums/sessions/{upcoming}/register").status_code == 302
    client.post("/logout")

    def get(model, ident, attribute):
        return lambda app: _read(app, lambda: getattr(db.session.get(model, ident), attribute, None))

    def member(app):
        return _read(
            app,
            lambda: db.session.scalar(
                select(ForumMember.id).where(ForumMember.forum_id == forum_id, ForumMember.user_id == citizen.id)
            ),
        )

    def registration(app):
        return _read(
            app,
            lambda: db.session.scalar(
                select(MeetingRegistration.status).where(
                    MeetingRegistration.meeting_id == upcoming, MeetingRegistration.user_id == citizen.id
                )
            ),
        )

    session, board = "/forums/sessions/{}", f"/forums/boards/{board_id}"
    return {
        "delete post": Step(
            "citizen",
            f"/forums/posts/{post_id}/delete",
            "Delete this post?",
            "Delete the post",
            f"/forums/threads/{thread_id}?page=1#post-2",
            "Back to the thread",
            get(Post, post_id, "deleted_at"),
            "Texto 2",
        ),
        "leave forum": Step(
            "citizen",
            f"/forums/{forum_id}/leave",
            "Leave Foro de Talagante?",
            "Leave the forum",
            f"/forums/{forum_id}",
            "Back to the forum",
            member,
            "Foro de Talagante",
        ),
        "cancel registration": Step(
            "citizen",
            session.format(upcoming) + "/unregister",
            "Cancel your registration?",
            "Cancel my registration",
            session.format(upcoming),
            "Back to the session",
            registration,
            "Sesión futura",
        ),
        "cancel session": Step(
            "facilitator",
            session.format(upcoming) + "/cancel",
            "Cancel this session?",
            "Cancel the session",
            session.format(upcoming),
            "Back to the session",
            get(Meeting, upcoming, "status"),
            "Sesión futura",
        ),
        "mark session held": Step(
            "facilitator",
            session.format(started) + "/held",
            "Mark this session as held?",
            "Mark as held",
            session.format(started),
            "Back to the session",
            get(Meeting, started, "status"),
            "Sesión pasada",
        ),
        "reopen session": Step(
            "facilitator",
            session.format(cancelled) + "/reopen",
            "Put this session back to scheduled?",
            "Back to scheduled",
            session.format(cancelled),
            "Back to the session",
            get(Meeting, cancelled, "status"),
            "Sesión cancelada",
        ),
        "revoke role": Step(
            "admin",
            f"/admin/roles/{role_id}/revoke",
            f"Remove the role Municipal official — Talagante from {staff.name}?",
            "Remove the role",
            f"/admin/users/{staff.id}",
            "Back to the account",
            get(RoleAssignment, role_id, "id"),
            staff.name,
        ),
        "delete card": Step(
            "citizen",
            f"/forums/cards/{card_id}/delete",
            "Delete this card?",
            "Delete the card",
            f"{board}#card-{card_id}",
            "Cancel",
            get(Card, card_id, "deleted_at"),
            "Una idea que sobra",
        ),
        "lock board": Step(
            "facilitator",
            f"{board}/lock",
            "Lock this board?",
            "Lock the board",
            board,
            "Cancel",
            get(Board, board_id, "status"),
            "Muro",
        ),
    }


NAMES = [
    "delete post",
    "leave forum",
    "cancel registration",
    "cancel session",
    "mark session held",
    "reopen session",
    "revoke role",
    "delete card",
    "lock board",
]


def _read(app, query):
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()


@pytest.fixture
def rendered(app):
    """The names of the templates rendered while the test runs."""
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


@pytest.mark.parametrize("name", NAMES)
def test_the_step_asks_on_the_one_page_and_changes_nothing(app, client, personas, steps, rendered, name):
    step = steps[name]
    before = step.state(app)
    login(client, personas[step.actor])
    rendered.clear()
    with csrf_enabled(app):
        answer = client.get(step.url, headers=EN)
    assert answer.status_code == 200
    assert rendered[0] == "confirm.html", rendered
    page = answer.get_data(as_text=True)
    assert page.count("<h1") == 1
    assert f'<h1 id="confirm-heading">{step.question}</h1>' in page
    assert f"<title>{step.question}" in page
    form = re.search(r"<form [^>]*aria-labelledby=\"confirm-heading\"[^>]*>.*?</form>", page, re.S)
    assert form, "the form is named by the question"
    form = form.group(0)
    assert 'method="post"' in form and f'action="{step.url}"' in form
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', form)
    assert '<button type="submit" class="button' in form and f">{step.button}</button>" in form
    assert f'<a href="{step.back}">{step.back_label}</a>' in form
    assert step.concerns in page.split('id="confirm-heading"', 1)[1]
    assert step.state(app) == before, "asking changed nothing"


@pytest.mark.parametrize("name", NAMES)
def test_a_post_without_the_forms_token_changes_nothing(app, client, personas, steps, name):
    step = steps[name]
    before = step.state(app)
    login(client, personas[step.actor])
    with csrf_enabled(app):
        assert client.post(step.url, headers=EN).status_code == 400
    assert step.state(app) == before


@pytest.mark.parametrize("name", NAMES)
def test_the_steps_own_form_does_it(app, client, personas, steps, name):
    step = steps[name]
    before = step.state(app)
    login(client, personas[step.actor])
    with csrf_enabled(app):
        page = client.get(step.url, headers=EN).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = client.post(step.url, data={"csrf_token": token}, headers=EN)
    assert answer.status_code == 302
    assert step.state(app) != before
