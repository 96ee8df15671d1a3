"""Deleting an account that did everything on the forums floor: what goes, what is
anonymised, what stays (the privacy notice's promises)."""

from datetime import datetime

from sqlalchemy import func, select

from accounts.models import User
from core.extensions import db
from core.models import Contribution
from core.spaces import SpaceKind
from forums.discussions.models import Forum, ForumMember, Post, PostRevision, Thread, ThreadRead
from forums.meetings import services as meetings
from forums.meetings.models import Meeting, MeetingRegistration
from forums.moderation.models import Flag
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board, Card, Vote
from forums.workshops.models import Workshop, WorkshopInvitation
from tests.conftest import PASSWORD, login


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_deleting_an_account_that_did_everything(app, client, factory, places, personas):
    person = factory.user(municipality_id=places["home"], name="Rosa Pérez")
    other = personas["staff"]
    facilitator_id = personas["facilitator"].id
    process_id = factory.process()
    forum_id = factory.forum("citizen", places["home"], process_id)
    for persona_id in (person.id, other.id):
        factory.member(forum_id, persona_id)
    others_thread = factory.thread(forum_id, other.id, title="Hilo de otra persona")
    held = factory.meeting(forum_id, title="Sesión realizada")
    upcoming = factory.meeting(forum_id, title="Próxima sesión", starts_at=datetime(2030, 1, 1))
    workshop_id = factory.workshop(process_id, invite=[person.id, other.id])
    board_id = factory.board(workshop_id)
    factory.card(board_id, other.id, "Tarjeta ajena")

    login(client, person)
    started = client.post(f"/forums/{forum_id}/threads/new", data={"title": "Mi hilo sobre actas", "body": "Primera"})
    thread_id = int(started.location.rsplit("/", 1)[1])
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
        others_post = db.session.scalar(select(Post).where(Post.thread_id == others_thread))
        others_contribution = others_post.contribution_id
    client.post(f"/forums/posts/{post_id}/edit", data={"body": "Primera, corregida"})
    client.post(f"/forums/threads/{others_thread}/reply", data={"body": "Estoy de acuerdo"})
    client.get(f"/forums/threads/{others_thread}")
    client.post(f"/forums/contributions/{others_contribution}/flag", data={"reason": "Me parece ofensivo"})
    client.post("/logout")

    with app.app_context():
        facilitator = db.session.get(User, facilitator_id)
        user = db.session.get(User, person.id)
        waiting = db.session.get(User, other.id)
        meeting = db.session.get(Meeting, upcoming)
        meeting.capacity = 1
        meetings.register(user, meeting)
        meetings.register(waiting, meeting)  # the waiting list
        attendee = sheets.check_in(facilitator, db.session.get(Meeting, held), user, consent=True)
        sheets.add_remark(
            facilitator, db.session.get(Meeting, held), SpaceKind.MEETING, attendee.id, "Lo dije en la sala"
        )
        db.session.commit()
    card_id, _contribution_id = factory.card(board_id, person.id, "Mi tarjeta")
    with app.app_context():
        board = db.session.get(Board, board_id)
        user = db.session.get(User, person.id)
        invitation = db.session.scalar(select(WorkshopInvitation).where(WorkshopInvitation.user_id == person.id))
        boards.open_round(board, 3, 1)
        boards.place_dot(user, board, invitation, db.session.get(Card, card_id))
        sheets.check_in(db.session.get(User, facilitator_id), db.session.get(Workshop, workshop_id), user, True)
        db.session.commit()
        member_count = db.session.get(Forum, forum_id).member_count
        # Two reading positions: a thread read, and the thread of one's own post.
        assert _count(PostRevision) == 1 and _count(ThreadRead, ThreadRead.user_id == person.id) == 2

    login(client, person)
    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302

    with app.app_context():
        uid = person.id
        # Removed.
        assert _count(ForumMember, ForumMember.user_id == uid) == 0
        assert db.session.get(Forum, forum_id).member_count == member_count - 1
        assert _count(MeetingRegistration, MeetingRegistration.user_id == uid) == 0
        promoted = db.session.scalar(select(MeetingRegistration).where(MeetingRegistration.user_id == other.id))
        assert promoted.status == "registered", "the freed place went to the waiting list"
        assert _count(WorkshopInvitation, WorkshopInvitation.user_id == uid) == 0
        assert _count(Vote, Vote.user_id == uid) == 0
        assert _count(Flag, Flag.user_id == uid) == 0 and _count(Flag) == 0
        assert _count(PostRevision) == 0
        assert _count(ThreadRead, ThreadRead.user_id == uid) == 0
        # Anonymised: the sign-in sheet still counts someone, who is no longer anyone.
        entries = db.session.scalars(select(Attendee).where(Attendee.meeting_id == held)).all()
        assert len(entries) == 1 and (entries[0].user_id, entries[0].name, entries[0].municipality_id) == (
            None,
            "",
            None,
        )
        assert sheets.named_count(db.session.get(Meeting, held)) == 1
        # Kept: the words and the thread title, attributed to "deleted participant".
        words = db.session.scalars(select(Contribution).where(Contribution.author_id == uid)).all()
        texts = {c.body_source for c in words}
        assert {"Primera, corregida", "Estoy de acuerdo", "Lo dije en la sala", "Mi tarjeta"} <= texts
        assert all(c.municipality_id is None for c in words)
        assert db.session.get(Thread, thread_id).title == "Mi hilo sobre actas"
        assert db.session.get(Card, card_id).dots == 1, "dots already counted stay, without a name"
        assert db.session.get(User, uid).public_name in ("participante eliminado", "deleted participant")
    page = client.get(f"/forums/threads/{thread_id}").get_data(as_text=True)
    assert "Mi hilo sobre actas" in page and "Rosa Pérez" not in page


def test_data_page_and_download_queries_do_not_grow(app, client, factory, places, personas, count_queries):
    """The readable page and the JSON download of a person with a little and with a lot
    of participation (posts, memberships, cards, reports) cost the same queries."""
    person = personas["citizen"]
    other = personas["staff"]

    def participate(n):
        process_id = factory.process()
        workshop_id = factory.workshop(process_id, invite=[person.id])
        board_id = factory.board(workshop_id)
        for _ in range(n):
            forum_id = factory.forum("citizen", places["home"], process_id)
            factory.member(forum_id, person.id)
            factory.thread(forum_id, person.id, posts=3)
            factory.card(board_id, person.id)
            others = factory.thread(forum_id, other.id)
            with app.app_context():
                target = db.session.scalar(select(Post.contribution_id).where(Post.thread_id == others))
                db.session.add(Flag(contribution_id=target, user_id=person.id, reason="Revisar"))
                db.session.commit()

    def cost():
        counts = []
        for url in ("/account/data", "/account/data.json"):
            with count_queries:
                assert client.get(url).status_code == 200
            counts.append(count_queries.count)
        return counts

    login(client, person)
    participate(1)
    few = cost()
    participate(6)
    many = cost()
    assert few == many, (few, many)
