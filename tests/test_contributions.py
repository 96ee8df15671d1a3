"""The one contribution record across spaces: its process, the registry of spaces, the one
visibility rule, and moderation of cards and remarks like posts."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.models import User
from core import spaces
from core.extensions import db
from core.models import Contribution
from core.notifications import Notification
from core.spaces import SpaceKind
from core.visibility import seen_by
from forums.discussions.models import Post
from forums.moderation.models import Flag
from tests.conftest import login


@pytest.fixture
def everywhere(app, factory, places, personas, snapshots):
    """One contribution of each kind in one process: the citizen's post in a citizen
    forum, a remark at that forum's session, the official's remark at a staff forum's
    session, and the citizen's card on a workshop board."""
    return snapshots.layer("contributions everywhere", lambda: _build_everywhere(app, factory, places, personas))


def _build_everywhere(app, factory, places, personas):
    process_id = factory.process()
    forum_id = factory.forum("citizen", places["home"], process_id)
    staff_forum_id = factory.forum("staff", places["home"], process_id)
    factory.member(forum_id, personas["citizen"].id)
    thread_id = factory.thread(forum_id, personas["citizen"].id, title="Actas en plazo")
    meeting_id = factory.meeting(forum_id, title="Sesión de Talagante")
    staff_meeting_id = factory.meeting(staff_forum_id, title="Sesión interna")
    remark_id = factory.remark(meeting_id, "Que las actas se publiquen")
    staff_remark_id = factory.remark(staff_meeting_id, "Falta personal")
    workshop_id = factory.workshop(process_id, title="Taller 1", invite=[personas["citizen"].id])
    board_id = factory.board(workshop_id, "Muro")
    card_id, card_contribution_id = factory.card(board_id, personas["citizen"].id, "Una idea secreta")
    with app.app_context():
        post_contribution_id = db.session.scalar(
            select(Post.contribution_id).where(Post.thread_id == thread_id, Post.number == 1)
        )
    return {
        "process": process_id,
        "forum": forum_id,
        "thread": thread_id,
        "meeting": meeting_id,
        "board": board_id,
        "card": card_id,
        "post_contribution": post_contribution_id,
        "remark": remark_id,
        "staff_remark": staff_remark_id,
        "card_contribution": card_contribution_id,
    }


def test_every_contribution_knows_its_process_and_kind(app, everywhere, places):
    with app.app_context():
        rows = db.session.execute(select(Contribution.space_kind, Contribution.process_id)).all()
        assert {kind for kind, _ in rows} == {"thread", "meeting", "board"}
        assert {process for _, process in rows} == {everywhere["process"]}
        assert {str(k) for k in SpaceKind} <= set(spaces.SPACES)


def test_places_resolve_every_kind_in_fixed_queries(app, everywhere, places, count_queries):
    with app.app_context():
        contributions = db.session.scalars(select(Contribution).order_by(Contribution.id)).all()
        with count_queries:
            found = spaces.places_of(contributions)
        assert count_queries.count == 3  # one per kind, whatever the number
        post = found[everywhere["post_contribution"]]
        assert post.title == "Actas en plazo" and post.link.startswith("/forums/posts/")
        assert post.process_id == everywhere["process"] and post.municipality_id == places["home"]
        remark = found[everywhere["remark"]]
        assert remark.title == "Sesión de Talagante" and remark.link == f"/forums/sessions/{everywhere['meeting']}"
        card = found[everywhere["card_contribution"]]
        assert card.link == f"/forums/boards/{everywhere['board']}#card-{everywhere['card']}"
        assert card.title == "Taller 1 › Muro" and card.process_id == everywhere["process"]


@pytest.mark.parametrize(
    "role, sees_staff_remark",
    [("anonymous", False), ("citizen", False), ("staff", True), ("staff_other", False), ("facilitator", True)],
)
def test_visibility_of_spaces_follows_their_rules(app, everywhere, personas, role, sees_staff_remark):
    with app.app_context():
        viewer = db.session.get(User, personas[role].id) if role != "anonymous" else _Anonymous()
        visible = set(db.session.scalars(select(Contribution.id).where(spaces.visible_condition(viewer))))
        assert {everywhere["post_contribution"], everywhere["remark"], everywhere["card_contribution"]} <= visible
        assert (everywhere["staff_remark"] in visible) == sees_staff_remark
        staff_remark = db.session.get(Contribution, everywhere["staff_remark"])
        assert spaces.can_see(viewer, staff_remark) == sees_staff_remark


class _Anonymous:
    is_authenticated = False
    is_active = False
    id = None


def test_the_visibility_rule(app, everywhere, personas):
    with app.app_context():
        card = db.session.get(Contribution, everywhere["card_contribution"], options=[joinedload(Contribution.author)])
        author = db.session.get(User, personas["citizen"].id)
        other = db.session.get(User, personas["staff"].id)
        assert seen_by(card, other, manager=False).text
        assert seen_by(card, _Anonymous(), manager=False).text
        assert seen_by(card, other, manager=False, deleted=True).placeholder
        card.hidden_at, card.hidden_reason = card.created_at, "Datos personales"
        hidden = seen_by(card, other, manager=False)
        assert not hidden.text and hidden.placeholder
        own = seen_by(card, author, manager=False)
        assert own.text and "Datos personales" in own.notice
        assert "Datos personales" in seen_by(card, other, manager=True).notice
        card.hidden_at = None
        author.blocked_at = card.created_at
        assert not seen_by(card, other, manager=False).text
        assert seen_by(card, author, manager=False).text
        assert seen_by(card, other, manager=True).notice
        db.session.rollback()


def test_a_card_is_flagged_hidden_and_restored_like_a_post(app, client, everywhere, personas):
    contribution_id = everywhere["card_contribution"]
    board = f"/forums/boards/{everywhere['board']}"
    login(client, personas["staff"])
    assert "Reportar a moderación" in client.get(board).get_data(as_text=True)
    reported = client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Dato personal"})
    assert reported.status_code == 302
    client.post("/logout")
    login(client, personas["facilitator"])
    queue = client.get("/forums/moderation").get_data(as_text=True)
    assert "Dato personal" in queue and f'href="{board}#card-{everywhere["card"]}"' in queue
    hide = client.post(f"/forums/moderation/contributions/{contribution_id}/hide", data={"reason": "Dato personal"})
    assert hide.status_code == 302
    assert "Una idea secreta" in client.get(board).get_data(as_text=True)  # facilitators still see it
    client.post("/logout")
    for viewer in (None, "staff"):
        if viewer:
            login(client, personas[viewer])
        for page in (board, f"{board}/present"):
            text = client.get(page).get_data(as_text=True)
            assert "Una idea secreta" not in text and "Ocultado por una persona moderadora." in text, page
        feed = str(client.get(f"{board}/changes?since=0").get_json())
        assert "Una idea secreta" not in feed
        client.post("/logout")
    login(client, personas["citizen"])
    own = client.get(board).get_data(as_text=True)
    assert "Una idea secreta" in own and "Dato personal" in own
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == personas["citizen"].id))
        assert note.kind == "moderation.hidden" and note.link == f"{board}#card-{everywhere['card']}"
        assert "Taller 1 › Muro" in note.text
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/moderation/contributions/{contribution_id}/restore", data={"reason": "Corregido"})
    client.post("/logout")
    assert "Una idea secreta" in client.get(board).get_data(as_text=True)


def test_a_remark_is_flagged_and_hidden(app, client, everywhere, personas):
    remark_id = everywhere["remark"]
    session = f"/forums/sessions/{everywhere['meeting']}"
    login(client, personas["citizen"])
    client.post(f"/forums/contributions/{remark_id}/flag", data={"reason": "No se dijo así"})
    client.post("/logout")
    login(client, personas["facilitator"])
    assert "No se dijo así" in client.get("/forums/moderation").get_data(as_text=True)
    client.post(f"/forums/moderation/contributions/{remark_id}/hide", data={"reason": "Error de transcripción"})
    client.post("/logout")
    for page in (session, f"/forums/{everywhere['forum']}"):
        text = client.get(page).get_data(as_text=True)
        assert "Que las actas se publiquen" not in text and "Ocultado por una persona moderadora." in text


def test_a_remark_in_a_staff_forum_cannot_be_flagged_by_outsiders(app, client, everywhere, personas):
    login(client, personas["citizen"])
    assert (
        client.post(f"/forums/contributions/{everywhere['staff_remark']}/flag", data={"reason": "x"}).status_code == 404
    )
    with app.app_context():
        assert db.session.scalar(select(Flag.id)) is None


def test_blocked_authors_cards_and_remarks_are_hidden(app, client, everywhere, factory, personas):
    with app.app_context():
        attendee_remark = db.session.get(Contribution, everywhere["remark"])
        attendee_remark.author_id = personas["citizen"].id
        db.session.get(User, personas["citizen"].id).blocked_at = attendee_remark.created_at
        db.session.commit()
    board = client.get(f"/forums/boards/{everywhere['board']}").get_data(as_text=True)
    assert "Una idea secreta" not in board
    session = client.get(f"/forums/sessions/{everywhere['meeting']}").get_data(as_text=True)
    assert "Que las actas se publiquen" not in session
    login(client, personas["facilitator"])
    board = client.get(f"/forums/boards/{everywhere['board']}").get_data(as_text=True)
    assert "Una idea secreta" in board and "bloqueada" in board


def test_a_blocked_account_can_neither_edit_its_posts_nor_flag(app, client, everywhere, personas):
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.contribution_id == everywhere["post_contribution"]))
        db.session.get(User, personas["citizen"].id).blocked_at = db.func.now()
        db.session.commit()
    login(client, personas["citizen"])
    assert client.get(f"/forums/posts/{post_id}/edit").status_code == 403
    assert client.post(f"/forums/posts/{post_id}/delete").status_code == 403
    client.post(f"/forums/contributions/{everywhere['card_contribution']}/flag", data={"reason": "x"})
    client.post(f"/forums/contributions/{everywhere['remark']}/flag", data={"reason": "x"})
    with app.app_context():
        assert db.session.scalar(select(Flag.id)) is None


def test_a_hidden_first_post_hides_its_thread_title_from_lists(app, client, everywhere, personas):
    with app.app_context():
        first = db.session.get(Contribution, everywhere["post_contribution"])
        first.hidden_at, first.hidden_reason = first.created_at, "Insultos"
        db.session.commit()
    forum = f"/forums/{everywhere['forum']}"
    for role in (None, "staff"):
        if role:
            login(client, personas[role])
        for page in (forum, f"/forums/threads/{everywhere['thread']}", "/forums/search?q=actas"):
            text = client.get(page).get_data(as_text=True)
            assert "Actas en plazo" not in text, page
        client.post("/logout")
    login(client, personas["facilitator"])
    assert "Actas en plazo" in client.get(forum).get_data(as_text=True)


def test_the_workshop_sheet_never_speaks_of_a_cancelled_session(app, client, factory, personas):
    workshop_id = factory.workshop()
    login(client, personas["facilitator"])
    response = client.post(
        f"/forums/workshops/{workshop_id}/walk-ins", data={"walkin-profile": "citizen", "walkin-name": "Rosa"}
    )
    assert response.status_code == 302
    page = client.get(f"/forums/workshops/{workshop_id}").get_data(as_text=True)
    assert "Realizado" in page or "Realizada" in page
    assert "sesión fue cancelada" not in client.get(f"/forums/workshops/{workshop_id}/sheet").get_data(as_text=True)


def test_blocking_an_author_reaches_open_boards(app, client, everywhere, personas):
    board = f"/forums/boards/{everywhere['board']}"
    login(client, personas["staff"])
    version = client.get(f"{board}/changes").get_json()["version"]
    client.post("/logout")
    login(client, personas["facilitator"])
    assert (
        client.post(f"/forums/moderation/users/{personas['citizen'].id}/block", data={"reason": "Spam"}).status_code
        == 302
    )
    client.post("/logout")
    login(client, personas["staff"])
    feed = client.get(f"{board}/changes?since={version}").get_json()
    assert feed["version"] > version and "Una idea secreta" not in str(feed)
    assert [card["id"] for card in feed.get("cards", [])] == [everywhere["card"]]


def test_a_hidden_post_stays_hidden_where_it_is_quoted_or_reviewed(app, client, everywhere, factory, personas):
    thread = everywhere["thread"]
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.contribution_id == everywhere["post_contribution"]))
        first = db.session.get(Contribution, everywhere["post_contribution"])
        first.set_body("Texto que se editó")
        first.hidden_at, first.hidden_reason = first.created_at, "Insultos"
        db.session.get(Post, post_id).edited_at = first.created_at
        db.session.commit()
    factory.member(everywhere["forum"], personas["staff"].id)
    login(client, personas["staff"])
    quoting = client.get(f"/forums/threads/{thread}/reply?to={post_id}").get_data(as_text=True)
    assert "Texto que se editó" not in quoting and "Ocultado por una persona moderadora." in quoting
    client.post("/logout")
    login(client, personas["facilitator"])
    history = client.get(f"/forums/posts/{post_id}/history")
    assert history.status_code == 200 and "Texto que se editó" in history.get_data(as_text=True)
    assert "Insultos" in history.get_data(as_text=True)
