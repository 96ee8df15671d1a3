"""Workshop boards, called as services: template columns, cards and who may add, edit and
delete them, the version counter behind live updates, clusters, columns, dot voting, the
workshop's sign-in sheet, invitations and presentations."""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from accounts.models import User
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.notifications import Notification
from core.roles import Role
from core.spaces import SpaceKind
from forums.common import ForumError
from forums.discussions.models import Forum
from forums.meetings import services as meetings
from forums.sheets import services as sheets
from forums.sheets.models import Profile
from forums.workshops import services as workshops
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board, BoardColumn, Card, Cluster, Vote
from forums.workshops.models import Workshop, WorkshopInvitation
from tests.conftest import Persona, login

STARTS = datetime(2017, 5, 10, 18, 0)


def _workshop(actor, process_id, kind="codesign", title="Taller de codiseño"):
    return workshops.create(
        actor,
        process_id=process_id,
        kind=kind,
        title=title,
        starts_at=STARTS,
        ends_at=None,
        place="",
        description="",
    )


@dataclass
class Wall:
    """Ids of a workshop with a board, two invited participants and a facilitator."""

    process_id: int
    workshop_id: int
    board_id: int
    participant: Persona
    other: Persona
    facilitator: Persona
    outsider: Persona

    def load(self):
        """The live objects, in the current application context."""
        get = db.session.get
        workshop = get(Workshop, self.workshop_id)
        board = get(Board, self.board_id)
        participant = get(User, self.participant.id)
        other = get(User, self.other.id)
        facilitator = get(User, self.facilitator.id)
        return SimpleNamespace(
            workshop=workshop,
            board=board,
            columns=boards.columns(board),
            participant=participant,
            other=other,
            facilitator=facilitator,
            outsider=get(User, self.outsider.id),
            invitation=workshops.invitation_of(participant, workshop),
            other_invitation=workshops.invitation_of(other, workshop),
            facilitator_invitation=workshops.invitation_of(facilitator, workshop),
        )


@pytest.fixture
def wall(app, factory, places, personas, snapshots):
    """A co-design workshop with a board; the citizen persona and a second citizen are
    invited as participants, the facilitator persona as facilitator."""
    return snapshots.layer("boards wall", lambda: _build_wall(app, factory, places, personas))


def _build_wall(app, factory, places, personas):
    process_id = factory.process()
    other = factory.user(Role.CITIZEN, municipality_id=places["other"])
    outsider = factory.user(Role.CITIZEN, municipality_id=places["home"])
    with app.app_context():
        facilitator = db.session.get(User, personas["facilitator"].id)
        workshop = _workshop(facilitator, process_id)
        board = boards.create_board(workshop, "  Muro de ideas  ")
        workshops.invite(facilitator, workshop, personas["citizen"].email, "participant")
        workshops.invite(facilitator, workshop, other.email, "participant")
        workshops.invite(facilitator, workshop, facilitator.email, "facilitator")
        db.session.commit()
        ids = (workshop.id, board.id)
    return Wall(process_id, *ids, personas["citizen"], other, personas["facilitator"], outsider)


def _card(w, text="Una idea", column=0, user=None, invitation=None):
    """A card by the participant (or ``user``) in the ``column``-th column."""
    user = user or w.participant
    invitation = invitation if user is not w.participant else w.invitation
    return boards.add_card(user, w.board, invitation, w.columns[column], text)


def _refused(action, *args) -> str:
    """Run ``action`` expecting a :class:`ForumError`; returns its message."""
    with pytest.raises(ForumError) as error:
        action(*args)
    return str(error.value)


# Boards and columns -------------------------------------------------------------------


def test_create_board_makes_the_template_columns_in_order(app, wall):
    with app.app_context():
        w = wall.load()
        assert w.board.title == "Muro de ideas"
        assert w.board.is_open and w.board.version == 0 and w.board.structure_version == 0
        assert [c.section_key for c in w.columns] == ["T", "P", "R", "I", None]
        assert [c.position for c in w.columns] == [0, 1, 2, 3, 4]
        assert all(c.title for c in w.columns)
        assert boards.boards_of(w.workshop) == [w.board]


def test_remove_column_refuses_cards_and_the_last_column(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w, column=0)
        _refused(boards.remove_column, w.board, w.columns[0])
        boards.remove_column(w.board, w.columns[1])
        assert [c.section_key for c in boards.columns(w.board)] == ["T", "R", "I", None]
        # A deleted card (a tombstone) no longer keeps the column.
        boards.delete_card(w.board, card)
        for column in boards.columns(w.board)[1:]:
            boards.remove_column(w.board, column)
        db.session.commit()
        last = boards.columns(w.board)
        assert [c.section_key for c in last] == ["T"]
        version = w.board.version
        _refused(boards.remove_column, w.board, last[0])
        assert len(boards.columns(w.board)) == 1
        db.session.refresh(w.board)
        assert w.board.version == version


def test_move_column_swaps_positions(app, wall):
    with app.app_context():
        w = wall.load()
        t, p, r = w.columns[0], w.columns[1], w.columns[2]
        boards.move_column(w.board, p, -1)
        db.session.commit()
        assert [c.section_key for c in boards.columns(w.board)] == ["P", "T", "R", "I", None]
        assert (p.position, t.position) == (0, 1)
        boards.move_column(w.board, t, +1)
        db.session.commit()
        assert [c.section_key for c in boards.columns(w.board)] == ["P", "R", "T", "I", None]
        assert r.position == 1 and t.position == 2
        # Off either end: nothing moves and no version is taken.
        version = w.board.version
        boards.move_column(w.board, p, -1)
        boards.move_column(w.board, boards.columns(w.board)[-1], +1)
        assert [c.section_key for c in boards.columns(w.board)] == ["P", "R", "T", "I", None]
        db.session.refresh(w.board)
        assert w.board.version == version


def test_add_column_goes_to_the_right_end_up_to_the_maximum(app, wall):
    with app.app_context():
        w = wall.load()
        column = boards.add_column(w.board, "  Dudas  ")
        assert column.title == "Dudas" and column.position == 5 and column.section_key is None
        while len(boards.columns(w.board)) < boards.COLUMNS_MAX:
            boards.add_column(w.board, "Más")
        _refused(boards.add_column, w.board, "Una de más")
        assert len(boards.columns(w.board)) == boards.COLUMNS_MAX


# Cards --------------------------------------------------------------------------------


def test_add_card_makes_an_online_contribution_in_the_columns_section(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w, "  Publicar las actas en línea  ", column=1)
        db.session.commit()
        contribution = db.session.get(Contribution, card.contribution_id)
        assert contribution.space_kind == SpaceKind.BOARD == "board"
        assert contribution.space_id == w.board.id
        assert contribution.section_key == "P"
        assert contribution.channel == Channel.ONLINE.value == "online"
        assert contribution.author_id == w.participant.id
        assert contribution.attendee_id is None
        assert contribution.municipality_id == w.participant.municipality_id
        assert contribution.body_source == "Publicar las actas en línea"
        assert "Publicar las actas en línea" in contribution.body_html
        assert card.board_id == w.board.id and card.column_id == w.columns[1].id
        assert card.dots == 0 and card.cluster_id is None and card.deleted_at is None
        other_column = _card(w, "Sin dimensión", column=4)
        assert db.session.get(Contribution, other_column.contribution_id).section_key is None


@pytest.mark.parametrize("text", ["", "   \n\t ", None, "x" * (boards.CARD_MAX + 1)])
def test_add_card_refuses_empty_or_too_long_text(app, wall, text):
    with app.app_context():
        w = wall.load()
        _refused(boards.add_card, w.participant, w.board, w.invitation, w.columns[0], text)
        assert db.session.scalar(select(func.count(Card.id))) == 0
        assert db.session.scalar(select(func.count(Contribution.id))) == 0
        db.session.refresh(w.board)
        assert w.board.version == 0


def test_add_card_takes_exactly_the_maximum(app, wall):
    with app.app_context():
        w = wall.load()
        assert boards.CARD_MAX == 500
        card = _card(w, "x" * 500)
        assert len(card.contribution.body_source) == 500


def test_add_card_refuses_people_not_invited(app, wall, personas):
    with app.app_context():
        w = wall.load()
        for persona in ("staff", "expert"):
            user = db.session.get(User, personas[persona].id)
            assert boards.card_error(user, w.board, None) is not None
            _refused(boards.add_card, user, w.board, None, w.columns[0], "Hola")
        _refused(boards.add_card, w.outsider, w.board, None, w.columns[0], "Hola")
        assert db.session.scalar(select(func.count(Card.id))) == 0
        # Facilitators and administrators take part without an invitation.
        admin = db.session.get(User, personas["admin"].id)
        assert boards.card_error(admin, w.board, None) is None
        boards.add_card(admin, w.board, None, w.columns[0], "Bienvenida")
        assert boards.card_error(w.facilitator, w.board, None) is None


def test_add_card_refuses_a_blocked_participant(app, wall):
    with app.app_context():
        w = wall.load()
        w.participant.blocked_at = utcnow()
        db.session.commit()
        assert boards.card_error(w.participant, w.board, w.invitation) is not None
        _refused(boards.add_card, w.participant, w.board, w.invitation, w.columns[0], "Hola")
        assert db.session.scalar(select(func.count(Card.id))) == 0


def test_add_card_refuses_a_locked_board(app, wall):
    with app.app_context():
        w = wall.load()
        boards.set_locked(w.board, True)
        db.session.commit()
        assert not w.board.is_open
        assert str(boards.card_error(w.participant, w.board, w.invitation)) == str(boards.LOCKED)
        for user, invitation in ((w.participant, w.invitation), (w.facilitator, w.facilitator_invitation)):
            _refused(boards.add_card, user, w.board, invitation, w.columns[0], "Hola")
        assert db.session.scalar(select(func.count(Card.id))) == 0
        boards.set_locked(w.board, False)
        assert _card(w).id


def test_add_card_refuses_a_board_locked_by_someone_else(app, wall):
    """The board may be locked in another request after this one read it."""
    with app.app_context():
        w = wall.load()
        with app.app_context():
            other = db.session.get(Board, wall.board_id)
            boards.set_locked(other, True)
            db.session.commit()
        assert w.board.is_open, "this request still sees the board open"
        _refused(boards.add_card, w.participant, w.board, w.invitation, w.columns[0], "Hola")
        assert db.session.scalar(select(func.count(Card.id))) == 0


def test_facilitator_writes_a_card_for_a_walk_in(app, wall):
    with app.app_context():
        w = wall.load()
        attendee = sheets.add_walk_in(w.facilitator, w.workshop, "Rosa", "cso", None, True)
        card = boards.add_card(
            w.facilitator, w.board, w.facilitator_invitation, w.columns[2], "Rendir cuentas cada año", attendee
        )
        db.session.commit()
        contribution = db.session.get(Contribution, card.contribution_id)
        assert contribution.channel == Channel.IN_PERSON.value == "in_person"
        assert contribution.attendee_id == attendee.id
        assert contribution.author_id is None
        assert contribution.section_key == "R"
        assert w.workshop.status == "held"


def test_facilitator_writes_a_card_for_a_checked_in_account(app, wall):
    with app.app_context():
        w = wall.load()
        attendee = sheets.check_in(w.facilitator, w.workshop, w.outsider, True)
        card = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Dicho en la sala", attendee)
        contribution = card.contribution
        assert contribution.channel == "in_person"
        assert contribution.attendee_id == attendee.id
        assert contribution.author_id == w.outsider.id
        assert contribution.municipality_id == w.outsider.municipality_id


def test_add_card_refuses_an_attendee_of_another_gathering(app, wall, factory, places):
    forum_id = factory.forum("citizen", places["home"])
    with app.app_context():
        w = wall.load()
        elsewhere = _workshop(w.facilitator, wall.process_id, title="Otro taller")
        stranger = sheets.add_walk_in(w.facilitator, elsewhere, "Luis", "cso", None, True)
        meeting = meetings.schedule(
            db.session.get(Forum, forum_id),
            title="Sesión",
            starts_at=STARTS,
            ends_at=None,
            place="",
            online_url="",
            capacity=None,
            agenda="",
        )
        at_meeting = sheets.add_walk_in(w.facilitator, meeting, "Ana", "citizen", None, True)
        for attendee in (stranger, at_meeting):
            _refused(boards.add_card, w.facilitator, w.board, None, w.columns[0], "Hola", attendee)
        # Only facilitators write for attendees, even for one on this workshop's sheet.
        here = sheets.add_walk_in(w.facilitator, w.workshop, "Eva", "citizen", None, True)
        _refused(boards.add_card, w.participant, w.board, w.invitation, w.columns[0], "Hola", here)
        assert db.session.scalar(select(func.count(Card.id))) == 0


def test_who_may_edit_and_delete_a_card(app, wall):
    with app.app_context():
        w = wall.load()
        mine = _card(w, "Mía")
        walk_in = sheets.add_walk_in(w.facilitator, w.workshop, "", "citizen", None, False)
        for_attendee = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Dicho en sala", walk_in)
        by_facilitator = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Del facilitador")
        db.session.commit()

        assert boards.can_edit(w.participant, w.board, mine)
        assert boards.can_delete(w.participant, w.board, mine)
        assert not boards.can_edit(w.other, w.board, mine)
        assert not boards.can_delete(w.other, w.board, mine)
        assert not boards.can_edit(w.participant, w.board, by_facilitator)
        assert not boards.can_delete(w.participant, w.board, by_facilitator)
        # Facilitators delete any card, but edit only the ones written for attendees.
        assert not boards.can_edit(w.facilitator, w.board, mine)
        assert boards.can_delete(w.facilitator, w.board, mine)
        assert boards.can_edit(w.facilitator, w.board, for_attendee)
        assert boards.can_delete(w.facilitator, w.board, for_attendee)
        assert not boards.can_edit(w.participant, w.board, for_attendee)

        boards.edit_card(w.board, mine, "  Mía, corregida ")
        assert mine.contribution.body_source == "Mía, corregida"
        assert mine.contribution.updated_at is not None
        _refused(boards.edit_card, w.board, mine, "")
        _refused(boards.edit_card, w.board, mine, "x" * 501)

        boards.set_locked(w.board, True)
        db.session.commit()
        for user in (w.participant, w.other, w.facilitator):
            for card in (mine, for_attendee, by_facilitator):
                assert not boards.can_edit(user, w.board, card)
                assert not boards.can_delete(user, w.board, card)
        _refused(boards.edit_card, w.board, mine, "Otra vez")
        _refused(boards.delete_card, w.board, mine)


def test_a_deleted_card_is_a_tombstone(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w)
        contribution_id = card.contribution_id
        boards.delete_card(w.board, card)
        db.session.commit()
        card = db.session.get(Card, card.id)
        assert card.deleted_at is not None and card.contribution_id is None and card.contribution is None
        assert db.session.get(Contribution, contribution_id) is None
        assert not boards.can_edit(w.participant, w.board, card)
        assert not boards.can_delete(w.facilitator, w.board, card)
        assert db.session.scalars(boards.cards_query(w.board)).unique().all() == []


# Versions and the change feed ---------------------------------------------------------


def test_every_change_takes_the_next_version(app, wall):
    with app.app_context():
        w = wall.load()
        board = w.board

        def step(action, *args, structural, card=None):
            version, structure = board.version, board.structure_version
            result = action(*args)
            db.session.commit()
            db.session.refresh(board)
            assert board.version == version + 1, action.__name__
            assert board.structure_version == (board.version if structural else structure), action.__name__
            if card is not None:
                assert db.session.get(Card, card.id).version == board.version, action.__name__
            return result

        card = step(_card, w, structural=False)
        assert card.version == board.version == 1 and board.structure_version == 0
        other = step(_card, w, "Otra", 3, structural=False)
        assert other.version == 2
        step(boards.edit_card, board, card, "Cambiada", structural=False, card=card)
        step(boards.move_card, board, card, w.columns[1], structural=False, card=card)

        column = step(boards.add_column, board, "Nueva", structural=True)
        step(boards.rename_column, board, column, "Renombrada", structural=True)
        step(boards.move_column, board, column, -1, structural=True)
        step(boards.remove_column, board, column, structural=True)
        cluster = step(boards.add_cluster, board, w.columns[1], "Grupo", structural=True)
        step(boards.rename_cluster, board, cluster, "Grupo renombrado", structural=True)
        step(boards.move_card, board, card, None, cluster, structural=False, card=card)
        step(boards.dissolve_cluster, board, cluster, structural=True, card=card)

        step(boards.open_round, board, 3, 1, structural=True)
        step(boards.place_dot, w.other, board, w.other_invitation, card, structural=False, card=card)
        step(boards.take_dot, w.other, board, w.other_invitation, card, structural=False, card=card)
        step(boards.close_round, board, structural=True)

        step(boards.delete_card, board, other, structural=False, card=other)
        step(boards.set_locked, board, True, structural=True)
        step(boards.set_locked, board, False, structural=True)
        assert board.version == 19


def test_changed_cards_returns_what_changed_after_a_version(app, wall):
    with app.app_context():
        w = wall.load()
        old = _card(w, "Vieja")
        edited = _card(w, "Para editar")
        deleted = _card(w, "Para borrar")
        grouped = _card(w, "En grupo", column=2)
        cluster = boards.add_cluster(w.board, w.columns[2], "Grupo")
        boards.move_card(w.board, grouped, None, cluster)
        db.session.commit()
        since = w.board.version
        assert boards.changed_cards(w.board, since) == []
        deleted_contribution = deleted.contribution_id

        new = _card(w, "Nueva")
        boards.edit_card(w.board, edited, "Editada")
        boards.delete_card(w.board, deleted)
        db.session.commit()
        changed = boards.changed_cards(w.board, since)
        assert [c.id for c in changed] == sorted([new.id, edited.id, deleted.id])
        tombstone = next(c for c in changed if c.id == deleted.id)
        assert tombstone.deleted_at is not None
        assert tombstone.contribution_id is None and tombstone.contribution is None
        assert db.session.get(Contribution, deleted_contribution) is None
        assert old not in changed

        later = w.board.version
        boards.dissolve_cluster(w.board, cluster)
        db.session.commit()
        assert [c.id for c in boards.changed_cards(w.board, later)] == [grouped.id]
        assert [c.id for c in boards.changed_cards(w.board, 0)] == sorted(
            [old.id, edited.id, deleted.id, grouped.id, new.id]
        )
        assert boards.changed_cards(w.board, w.board.version) == []


# Clusters -----------------------------------------------------------------------------


def test_move_card_into_a_cluster_and_dissolve_it(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w, "Datos abiertos", column=0)
        neighbour = _card(w, "Vecina", column=3)
        cluster = boards.add_cluster(w.board, w.columns[3], "  Innovación abierta ")
        assert cluster.title == "Innovación abierta"
        boards.move_card(w.board, card, w.columns[0], cluster)
        boards.move_card(w.board, neighbour, w.columns[3], cluster)
        db.session.commit()
        assert card.column_id == w.columns[3].id and card.cluster_id == cluster.id
        assert db.session.get(Contribution, card.contribution_id).section_key == "I"
        assert boards.clusters(w.board) == [cluster]

        boards.move_card(w.board, neighbour, w.columns[4])
        db.session.commit()
        assert neighbour.column_id == w.columns[4].id and neighbour.cluster_id is None
        assert db.session.get(Contribution, neighbour.contribution_id).section_key is None

        cluster_id = cluster.id
        boards.dissolve_cluster(w.board, cluster)
        db.session.commit()
        assert db.session.get(Cluster, cluster_id) is None
        card = db.session.get(Card, card.id)
        assert card.cluster_id is None and card.column_id == w.columns[3].id and card.deleted_at is None
        assert card.contribution.section_key == "I"
        assert boards.clusters(w.board) == []


# Dot voting ---------------------------------------------------------------------------


def test_vote_error_names_who_may_vote_and_when(app, wall, personas):
    with app.app_context():
        w = wall.load()
        no_round = boards.vote_error(w.participant, w.board, w.invitation, None)
        assert no_round is not None
        voting = boards.open_round(w.board, 3, 1)
        assert boards.current_round(w.board) == voting
        assert boards.vote_error(w.participant, w.board, w.invitation, voting) is None
        assert boards.vote_error(w.other, w.board, w.other_invitation, voting) is None
        not_invited = boards.vote_error(w.outsider, w.board, None, voting)
        assert not_invited is not None and str(not_invited) != str(no_round)
        admin = db.session.get(User, personas["admin"].id)
        assert boards.vote_error(admin, w.board, None, voting) is not None
        assert w.facilitator_invitation.role == "facilitator"
        assert str(boards.vote_error(w.facilitator, w.board, w.facilitator_invitation, voting)) == str(not_invited)
        w.participant.blocked_at = utcnow()
        assert boards.vote_error(w.participant, w.board, w.invitation, voting) is not None
        w.participant.blocked_at = None

        boards.set_locked(w.board, True)
        assert str(boards.vote_error(w.participant, w.board, w.invitation, voting)) == str(boards.LOCKED)
        boards.set_locked(w.board, False)
        boards.close_round(w.board)
        closed = boards.vote_error(w.participant, w.board, w.invitation, boards.current_round(w.board))
        assert str(closed) == str(no_round)


def test_place_dot_up_to_the_dots_per_participant(app, wall):
    with app.app_context():
        w = wall.load()
        cards = [_card(w, f"Idea {n}") for n in range(4)]
        boards.open_round(w.board, 3, 1)
        for card in cards[:3]:
            boards.place_dot(w.other, w.board, w.other_invitation, card)
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, cards[3])
        voting = boards.current_round(w.board)
        assert boards.my_votes(voting, w.other) == {c.id: 1 for c in cards[:3]}
        assert [c.dots for c in cards] == [1, 1, 1, 0]
        # Taking one back frees it for another card.
        boards.take_dot(w.other, w.board, w.other_invitation, cards[0])
        boards.place_dot(w.other, w.board, w.other_invitation, cards[3])
        db.session.commit()
        assert [db.session.get(Card, c.id).dots for c in cards] == [0, 1, 1, 1]
        assert db.session.scalar(select(func.sum(Vote.dots))) == 3


def test_one_dot_per_card_by_default(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w)
        boards.open_round(w.board, 3, 1)
        boards.place_dot(w.other, w.board, w.other_invitation, card)
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, card)
        assert card.dots == 1
        assert boards.my_votes(boards.current_round(w.board), w.other) == {card.id: 1}


def test_two_dots_per_card_when_allowed(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w)
        boards.open_round(w.board, 3, 2)
        boards.place_dot(w.other, w.board, w.other_invitation, card)
        boards.place_dot(w.other, w.board, w.other_invitation, card)
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, card)
        db.session.commit()
        assert db.session.get(Card, card.id).dots == 2
        assert boards.my_votes(boards.current_round(w.board), w.other) == {card.id: 2}
        assert db.session.scalar(select(func.count(Vote.id))) == 1
        boards.take_dot(w.other, w.board, w.other_invitation, card)
        db.session.commit()
        assert db.session.get(Card, card.id).dots == 1
        assert boards.my_votes(boards.current_round(w.board), w.other) == {card.id: 1}


def test_take_dot_needs_a_dot(app, wall):
    with app.app_context():
        w = wall.load()
        card = _card(w)
        boards.open_round(w.board, 2, 1)
        _refused(boards.take_dot, w.other, w.board, w.other_invitation, card)
        boards.place_dot(w.other, w.board, w.other_invitation, card)
        _refused(boards.take_dot, w.participant, w.board, w.invitation, card)
        boards.take_dot(w.other, w.board, w.other_invitation, card)
        assert card.dots == 0
        _refused(boards.take_dot, w.other, w.board, w.other_invitation, card)
        assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_dots_of_two_voters_and_closing_the_round(app, wall):
    with app.app_context():
        w = wall.load()
        first, second = _card(w, "Primera"), _card(w, "Segunda")
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, first)
        _refused(boards.open_round, w.board, 0, 1)
        _refused(boards.open_round, w.board, 2, 3)
        voting = boards.open_round(w.board, 2, 1)
        assert boards.voters(voting) == 0
        boards.place_dot(w.participant, w.board, w.invitation, first)
        boards.place_dot(w.other, w.board, w.other_invitation, first)
        boards.place_dot(w.other, w.board, w.other_invitation, second)
        db.session.commit()
        assert (db.session.get(Card, first.id).dots, db.session.get(Card, second.id).dots) == (2, 1)
        assert boards.voters(voting) == 2
        _refused(boards.open_round, w.board, 2, 1)

        boards.close_round(w.board)
        db.session.commit()
        assert not boards.current_round(w.board).is_open
        _refused(boards.place_dot, w.participant, w.board, w.invitation, second)
        _refused(boards.take_dot, w.other, w.board, w.other_invitation, first)
        _refused(boards.close_round, w.board)
        assert (first.dots, second.dots) == (2, 1), "closing keeps the result"


def test_a_new_round_starts_from_zero(app, wall):
    with app.app_context():
        w = wall.load()
        first, second = _card(w, "Primera"), _card(w, "Segunda")
        old = boards.open_round(w.board, 1, 1)
        boards.place_dot(w.participant, w.board, w.invitation, first)
        boards.place_dot(w.other, w.board, w.other_invitation, second)
        boards.close_round(w.board)
        db.session.commit()
        since = w.board.version

        new = boards.open_round(w.board, 1, 1)
        db.session.commit()
        assert new.id != old.id and boards.current_round(w.board) == new
        assert [db.session.get(Card, c.id).dots for c in (first, second)] == [0, 0]
        assert sorted(c.id for c in boards.changed_cards(w.board, since)) == [first.id, second.id]
        assert boards.voters(new) == 0 and boards.voters(old) == 2
        assert boards.my_votes(new, w.participant) == {}
        boards.place_dot(w.participant, w.board, w.invitation, second)
        db.session.commit()
        assert db.session.get(Card, second.id).dots == 1
        assert db.session.scalar(select(func.count(Vote.id))) == 3, "the old round's votes are kept"


def test_deleting_a_card_gives_the_dots_back(app, wall):
    with app.app_context():
        w = wall.load()
        doomed, survivor = _card(w, "Se va"), _card(w, "Se queda")
        boards.open_round(w.board, 1, 1)
        boards.place_dot(w.other, w.board, w.other_invitation, doomed)
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, survivor)
        boards.delete_card(w.board, doomed)
        db.session.commit()
        assert db.session.scalar(select(func.count(Vote.id)).where(Vote.card_id == doomed.id)) == 0
        assert doomed.dots == 0
        assert boards.voters(boards.current_round(w.board)) == 0
        _refused(boards.place_dot, w.other, w.board, w.other_invitation, doomed)
        boards.place_dot(w.other, w.board, w.other_invitation, survivor)
        db.session.commit()
        assert db.session.get(Card, survivor.id).dots == 1


def test_voters_counts_people_not_dots(app, wall):
    with app.app_context():
        w = wall.load()
        cards = [_card(w, f"Idea {n}") for n in range(3)]
        voting = boards.open_round(w.board, 3, 1)
        for card in cards:
            boards.place_dot(w.other, w.board, w.other_invitation, card)
        assert boards.voters(voting) == 1
        boards.place_dot(w.participant, w.board, w.invitation, cards[0])
        assert boards.voters(voting) == 2
        assert boards.voters(None) == 0


def test_dots_placed_by_concurrent_requests_all_count(app, wall):
    """Two people vote for the same card at the same time: each request read the card
    (as the vote view does) before the other wrote its dot."""
    with app.app_context():
        w = wall.load()
        card_id = _card(w).id
        boards.open_round(w.board, 3, 1)
        db.session.commit()
    with app.app_context():
        first = wall.load()
        card = db.session.get(Card, card_id)
        with app.app_context():
            second = wall.load()
            boards.place_dot(second.other, second.board, second.other_invitation, db.session.get(Card, card_id))
            db.session.commit()
        boards.place_dot(first.participant, first.board, first.invitation, card)
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(select(func.sum(Vote.dots)).where(Vote.card_id == card_id)) == 2
        assert db.session.get(Card, card_id).dots == 2


def test_a_dot_on_a_card_deleted_meanwhile_is_refused(app, wall):
    """The vote view reads the card and checks it is not deleted; its author deletes it
    before the dot is placed. The dot must not land on the tombstone (where it would be
    lost to the voter)."""
    with app.app_context():
        w = wall.load()
        card_id = _card(w).id
        boards.open_round(w.board, 1, 1)
        db.session.commit()
    with app.app_context():
        first = wall.load()
        card = db.session.get(Card, card_id)
        assert card.deleted_at is None
        with app.app_context():
            second = wall.load()
            boards.delete_card(second.board, db.session.get(Card, card_id))
            db.session.commit()
        with pytest.raises(ForumError):
            boards.place_dot(first.other, first.board, first.other_invitation, card)
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(select(func.count(Vote.id))) == 0
        assert db.session.get(Card, card_id).dots == 0


# The workshop's sign-in sheet ---------------------------------------------------------


def test_check_in_at_a_workshop(app, wall, personas):
    with app.app_context():
        w = wall.load()
        assert w.workshop.status == "scheduled"
        staff = db.session.get(User, personas["staff"].id)
        attendee = sheets.check_in(w.facilitator, w.workshop, w.participant, True)
        assert w.workshop.status == "held"
        assert attendee.workshop_id == w.workshop.id and attendee.meeting_id is None
        assert attendee.profile == Profile.CITIZEN.value
        sheets.check_in(w.facilitator, w.workshop, staff, False)
        sheets.add_walk_in(w.facilitator, w.workshop, "Rosa", "cso", None, True)
        sheets.add_walk_in(w.facilitator, w.workshop, "", "citizen", None, False)
        _refused(sheets.check_in, w.facilitator, w.workshop, w.participant, True)
        db.session.commit()
        assert sheets.is_checked_in(w.workshop, w.participant.id)
        assert not sheets.is_checked_in(w.workshop, w.other.id)

        counts = sheets.attendance(w.workshop)
        assert dict(counts["by_profile"]) == {
            Profile.CITIZEN: 2,
            Profile.OFFICIAL: 1,
            Profile.CSO: 1,
            Profile.EXPERT: 0,
        }
        assert (counts["named"], counts["total"], counts["headcount"]) == (4, 4, None)
        _refused(sheets.set_headcount, w.workshop, 3)
        sheets.set_headcount(w.workshop, 12)
        counts = sheets.attendance(w.workshop)
        assert (counts["named"], counts["total"], counts["headcount"]) == (4, 12, 12)
        assert [a.name for a in sheets.sheet_attendees(w.workshop)][2:] == ["Rosa", ""]


def test_a_meeting_and_a_workshop_keep_separate_sheets(app, wall, factory, places):
    forum_id = factory.forum("citizen", places["home"])
    with app.app_context():
        w = wall.load()
        meeting = meetings.schedule(
            db.session.get(Forum, forum_id),
            title="Sesión",
            starts_at=STARTS,
            ends_at=None,
            place="",
            online_url="",
            capacity=None,
            agenda="",
        )
        db.session.commit()
        sheets.check_in(w.facilitator, meeting, w.participant, True)
        sheets.add_walk_in(w.facilitator, meeting, "Ana", "citizen", None, True)
        assert sheets.named_count(w.workshop) == 0
        assert not sheets.is_checked_in(w.workshop, w.participant.id)
        assert w.workshop.status == "scheduled"
        # The same account may sign both sheets.
        sheets.check_in(w.facilitator, w.workshop, w.participant, True)
        db.session.commit()
        assert sheets.named_count(meeting) == 2 and sheets.named_count(w.workshop) == 1
        assert sheets.attendance(meeting)["named"] == 2 and sheets.attendance(w.workshop)["named"] == 1
        assert {a.meeting_id for a in sheets.sheet_attendees(meeting)} == {meeting.id}
        assert {a.workshop_id for a in sheets.sheet_attendees(w.workshop)} == {w.workshop.id}
        # A remark at the meeting cannot be pinned on a workshop attendee.
        workshop_attendee = sheets.sheet_attendees(w.workshop)[0]
        _refused(sheets.add_remark, w.facilitator, meeting, SpaceKind.MEETING, workshop_attendee.id, "Hola")


# Invitations and presentations --------------------------------------------------------


def test_invite_refuses_unknown_duplicate_and_unqualified_facilitators(app, wall, personas):
    with app.app_context():
        w = wall.load()
        _refused(workshops.invite, w.facilitator, w.workshop, "nadie@example.org", "participant")
        _refused(workshops.invite, w.facilitator, w.workshop, w.participant.email, "participant")
        _refused(workshops.invite, w.facilitator, w.workshop, w.other.email, "facilitator")
        _refused(workshops.invite, w.facilitator, w.workshop, w.outsider.email, "facilitator")
        _refused(workshops.invite, w.facilitator, w.workshop, personas["expert"].email, "facilitator")
        with pytest.raises(ValueError):
            workshops.invite(w.facilitator, w.workshop, w.outsider.email, "host")
        assert len(workshops.invitations(w.workshop)) == 3
        admin = workshops.invite(w.facilitator, w.workshop, personas["admin"].email, "facilitator")
        assert admin.role == "facilitator"
        roles = [i.role for i in workshops.invitations(w.workshop)]
        assert roles == ["facilitator", "facilitator", "participant", "participant"]


def test_invite_notifies_the_invited(app, wall):
    with app.app_context():
        w = wall.load()
        invitation = workshops.invite(w.facilitator, w.workshop, "  " + w.outsider.email.upper() + " ", "participant")
        db.session.commit()
        assert invitation.user_id == w.outsider.id and invitation.role == "participant"
        assert invitation.invited_by_id == w.facilitator.id
        notes = db.session.scalars(select(Notification).where(Notification.user_id == w.outsider.id)).all()
        assert [(n.kind, n.link) for n in notes] == [("workshop.invited", f"/forums/workshops/{w.workshop.id}")]
        assert w.workshop.title in notes[0].text
        # The wall's own invitations: each participant told once, the facilitator not at all.
        kinds = dict(
            db.session.execute(
                select(Notification.user_id, func.count(Notification.id)).group_by(Notification.user_id)
            ).all()
        )
        assert kinds == {w.participant.id: 1, w.other.id: 1, w.outsider.id: 1}


def test_invitations_and_taking_part(app, wall):
    with app.app_context():
        w = wall.load()
        assert boards.card_error(w.participant, w.board, w.invitation) is None
        assert boards.card_error(w.facilitator, w.board, None) is None
        assert boards.card_error(w.outsider, w.board, None) is not None
        workshops.ensure_invited(w.facilitator, w.workshop, w.outsider)
        workshops.ensure_invited(w.facilitator, w.workshop, w.outsider)
        invitation = workshops.invitation_of(w.outsider, w.workshop)
        assert invitation is not None and invitation.role == "participant"
        workshops.remove_invitation(w.invitation)
        db.session.commit()
        assert workshops.invitation_of(w.participant, w.workshop) is None
        assert db.session.scalar(select(func.count(WorkshopInvitation.id))) == 3


def test_presentations_only_at_expert_workshops(app, wall):
    with app.app_context():
        w = wall.load()
        _refused(workshops.save_presentation, w.workshop, None, "Charla", "Ana", "", "Notas")
        expert = _workshop(w.facilitator, wall.process_id, kind="expert", title="Taller de expertos")
        assert expert.is_expert and not w.workshop.is_expert
        talk = workshops.save_presentation(expert, None, " Datos abiertos ", " Ana Pérez ", "", "**Notas**")
        db.session.commit()
        assert (talk.title, talk.presenter, talk.organisation) == ("Datos abiertos", "Ana Pérez", "")
        assert "<strong>Notas</strong>" in talk.notes_html
        assert workshops.presentations(expert) == [talk]
        assert workshops.presentations(w.workshop) == []


def test_workshop_times_are_checked(app, wall):
    with app.app_context():
        w = wall.load()
        with pytest.raises(ForumError):
            workshops.create(
                w.facilitator,
                process_id=wall.process_id,
                kind="codesign",
                title="Al revés",
                starts_at=STARTS,
                ends_at=datetime(2017, 5, 10, 17, 0),
                place="",
                description="",
            )
        assert db.session.scalar(select(func.count(Workshop.id))) == 1
        assert db.session.scalar(select(func.count(BoardColumn.id))) == 5


# The board page: cards, their menu, dot buttons, confirmation steps (issue 12) -----------


def _page(client, board_id, path="") -> str:
    response = client.get(f"/forums/boards/{board_id}{path}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _card_html(page: str, card_id: int) -> str:
    """The ``<li>`` of one card on a board page."""
    start = page.index(f'id="card-{card_id}"')
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]


def _set_locale(app, persona, locale):
    with app.app_context():
        db.session.get(User, persona.id).locale = locale
        db.session.commit()


def test_a_card_written_down_for_someone_shows_as_theirs(app, client, wall):
    """The facilitator sees the person's name on a card written down for them, never
    "Yours"; the person with an account sees it as theirs."""
    with app.app_context():
        w = wall.load()
        rosa = sheets.add_walk_in(w.facilitator, w.workshop, "Rosa", "cso", None, True)
        account = sheets.check_in(w.facilitator, w.workshop, w.outsider, True)
        for_rosa = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Dicho por Rosa", rosa)
        for_account = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Dicho en la sala", account)
        own = boards.add_card(w.facilitator, w.board, None, w.columns[0], "Escrito por la facilitadora")
        db.session.commit()
        ids = for_rosa.id, for_account.id, own.id
        outsider_name = w.outsider.public_name
        facilitator_name = w.facilitator.public_name
    _set_locale(app, wall.facilitator, "en")
    login(client, wall.facilitator)
    page = _page(client, wall.board_id)
    feed = "".join(c["html"] for c in client.get(f"/forums/boards/{wall.board_id}/changes?since=0").get_json()["cards"])
    for html in (page, feed):
        rosa_card, account_card, own_card = (_card_html(html, card_id) for card_id in ids)
        assert "Said by: Rosa, in the room" in rosa_card
        assert f"Said by: {outsider_name}, in the room" in account_card
        assert f"Said by: {facilitator_name}" in own_card
        for card in (rosa_card, account_card):
            assert "Yours" not in card and "mine" not in card.split(">", 1)[0]
    client.post("/logout")
    _set_locale(app, wall.outsider, "en")
    login(client, wall.outsider)
    page = _page(client, wall.board_id)
    assert "Yours" in _card_html(page, ids[1]) and "Said by" not in page
    assert "Yours" not in _card_html(page, ids[0])


def test_card_options_sit_in_one_menu_with_text_first(app, client, wall):
    """Author, edit, delete and move are inside the card's menu, after its text; the move
    select stays for keyboard users; delete is a link to a confirmation step."""
    with app.app_context():
        w = wall.load()
        card = _card(w, "Mi idea", user=w.facilitator, invitation=w.facilitator_invitation)
        db.session.commit()
        card_id = card.id
    _set_locale(app, wall.facilitator, "en")
    login(client, wall.facilitator)
    html = _card_html(_page(client, wall.board_id), card_id)
    text, menu = html.index("Mi idea"), html.index('<details class="card-menu"')
    assert text < menu
    for inside in ("Said by:", "Edit", f'href="/forums/cards/{card_id}/delete"', f'id="move-{card_id}"', "Moderate"):
        assert html.index(inside) > menu, inside
    assert f'action="/forums/cards/{card_id}/delete"' not in html


def _voting_page(app, client, wall, dots, max_per_card, placed):
    """The citizen's board page (English) after a round of ``dots`` and ``placed`` dots
    on the first of three cards."""
    with app.app_context():
        w = wall.load()
        cards = [_card(w, f"Idea {n}", user=w.other, invitation=w.other_invitation) for n in range(3)]
        boards.open_round(w.board, dots, max_per_card)
        for card in placed(cards):
            boards.place_dot(w.participant, w.board, w.invitation, card)
        db.session.commit()
        ids = [c.id for c in cards]
    _set_locale(app, wall.participant, "en")
    login(client, wall.participant)
    return _page(client, wall.board_id), ids


def _dot_button(card_html: str) -> str:
    start = card_html.index('action="/forums/cards/')
    start = card_html.index("<button", start)
    return card_html[start : card_html.index(">", start)]


def test_dot_buttons_disabled_at_a_cards_maximum_with_the_reason(app, client, wall):
    page, ids = _voting_page(app, client, wall, 3, 1, lambda cards: cards[:1])
    first, second = _card_html(page, ids[0]), _card_html(page, ids[1])
    assert "disabled" in _dot_button(first)
    assert f'aria-describedby="dot-refusal-{ids[0]}"' in _dot_button(first)
    assert f'id="dot-refusal-{ids[0]}">This card has the 1 dot you may put on one card.<' in first
    assert "disabled" not in _dot_button(second) and "dot-refusal" not in second
    assert "You have 2 dots left of your 3." in page


def test_dot_buttons_disabled_with_no_dots_left_with_the_reason(app, client, wall):
    page, ids = _voting_page(app, client, wall, 2, 2, lambda cards: cards[:1] * 2)
    for card_id in ids:
        card = _card_html(page, card_id)
        assert "disabled" in _dot_button(card)
    assert "This card has the 2 dots you may put on one card." in _card_html(page, ids[0])
    for card_id in ids[1:]:
        assert "You have used all your dots: take one back to move it." in _card_html(page, card_id)
    # Taking a dot back stays possible.
    assert f'action="/forums/cards/{ids[0]}/unvote"' in page
    assert "You have 0 dots left of your 2." in page


@pytest.mark.parametrize(
    ("locale", "placed", "expected"),
    [
        ("en", 2, "You have 1 dot left of your 3."),
        ("en", 1, "You have 2 dots left of your 3."),
        ("es", 2, "Le queda 1 de sus 3 puntos."),
        ("es", 1, "Le quedan 2 de sus 3 puntos."),
    ],
)
def test_dots_left_reads_in_the_right_plural_form(app, client, wall, locale, placed, expected):
    page, _ids = _voting_page(app, client, wall, 3, 1, lambda cards: cards[:placed])
    if locale != "en":
        _set_locale(app, wall.participant, locale)
        page = _page(client, wall.board_id)
    assert expected in page


def test_dots_left_uses_ngettext_with_the_dots_left(app, wall, monkeypatch):
    """The plural form is chosen by the dots left, not the dots per participant."""
    from forums.workshops.boards import views

    calls = []

    def spy(singular, plural, num, **variables):
        calls.append((singular, plural, num, variables))
        return "…"

    monkeypatch.setattr(views, "ngettext", spy)
    voting = SimpleNamespace(dots_per_participant=3, max_per_card=1)
    view = views.BoardView(None, False, 1, None, [], [], voting, {7: 1, 8: 1})
    with app.test_request_context():
        view.dots_left_text  # noqa: B018
    assert calls == [
        ("You have %(num)s dot left of your %(dots)s.", "You have %(num)s dots left of your %(dots)s.", 1, {"dots": 3})
    ]


def test_deleting_a_card_asks_first(app, client, wall):
    with app.app_context():
        w = wall.load()
        card_id = _card(w, "Una idea que sobra").id
        db.session.commit()
    _set_locale(app, wall.participant, "en")
    login(client, wall.participant)
    page = _page(client, wall.board_id)
    assert f'href="/forums/cards/{card_id}/delete"' in page
    confirm = client.get(f"/forums/cards/{card_id}/delete")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Delete this card?" in html and "Una idea que sobra" in html
    assert f'action="/forums/cards/{card_id}/delete"' in html and "Delete the card" in html
    assert f'href="/forums/boards/{wall.board_id}#card-{card_id}"' in html  # Cancel
    with app.app_context():
        assert db.session.get(Card, card_id).deleted_at is None  # asking deleted nothing
    response = client.post(f"/forums/cards/{card_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Card, card_id).deleted_at is not None
    assert client.get(f"/forums/cards/{card_id}/delete").status_code == 404


def test_the_delete_step_is_only_for_who_may_delete(app, client, wall):
    with app.app_context():
        w = wall.load()
        card_id = _card(w, "De la participante").id
        db.session.commit()
    login(client, wall.other)
    assert client.get(f"/forums/cards/{card_id}/delete").status_code == 403
    client.post("/logout")
    login(client, wall.facilitator)
    assert client.get(f"/forums/cards/{card_id}/delete").status_code == 200
    assert client.post(f"/forums/boards/{wall.board_id}/lock").status_code == 302
    # On a locked board the step refuses with the board's message.
    assert client.get(f"/forums/cards/{card_id}/delete").status_code == 303


def test_locking_a_board_asks_first(app, client, wall):
    _set_locale(app, wall.facilitator, "en")
    login(client, wall.facilitator)
    page = _page(client, wall.board_id)
    assert f'href="/forums/boards/{wall.board_id}/lock"' in page
    assert f'action="/forums/boards/{wall.board_id}/lock"' not in page
    confirm = client.get(f"/forums/boards/{wall.board_id}/lock")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Lock this board?" in html and f'action="/forums/boards/{wall.board_id}/lock"' in html
    with app.app_context():
        assert db.session.get(Board, wall.board_id).is_open
    assert client.post(f"/forums/boards/{wall.board_id}/lock").status_code == 302
    with app.app_context():
        assert not db.session.get(Board, wall.board_id).is_open
    # Locked: the step sends back to the board, which offers to open it again at once.
    assert client.get(f"/forums/boards/{wall.board_id}/lock").status_code == 302
    assert f'action="/forums/boards/{wall.board_id}/unlock"' in _page(client, wall.board_id)
    client.post("/logout")
    login(client, wall.participant)
    assert client.get(f"/forums/boards/{wall.board_id}/lock").status_code == 403
