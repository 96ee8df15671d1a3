"""Rules for workshop boards: columns, cards, clusters, dot votes, locking, and the
change feed behind live updates.

Every change first locks the board row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
writes one at a time anyway), checks its rules, then takes the next board version with
:func:`_bump`. Versions therefore become visible in order, and a viewer that saw version
*v* misses nothing by asking for what is newer than *v*. Services flush; the request
commits.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import aliased, attributes, joinedload, lazyload, with_expression

from accounts.models import User
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.permissions import is_manager
from core.spaces import SpaceKind
from core.text import checked_text
from forums.common import ForumError, account_load
from forums.sheets.models import Attendee
from forums.workshops.boards.models import Board, BoardColumn, BoardStatus, Card, Cluster, Vote, VotingRound
from forums.workshops.models import InvitationRole, Workshop, WorkshopInvitation

#: The most a card may say.
CARD_MAX = 500
#: The most columns a board may have.
COLUMNS_MAX = 12
#: The most dots a round may give each participant.
DOTS_MAX = 50

LOCKED = _l("This board is locked: it can be read but not changed.")


def template_columns() -> list[tuple[str, str | None]]:
    """A new board's columns: the model's three dimensions, Innovation and "Other", with
    the model section key each stands for (in the language of whoever creates it)."""
    return [
        (_("Transparency"), "T"),
        (_("Participation and Collaboration"), "P"),
        (_("Accountability"), "R"),
        (_("Innovation"), "I"),
        (_("Other"), None),
    ]


def _lock(board: Board) -> None:
    """Hold the board row until the transaction ends, so changes take versions in order."""
    db.session.execute(select(Board.id).where(Board.id == board.id).with_for_update())


def _bump(board: Board, structure: bool = False) -> int:
    """Take the board's next version (and mark a structural change); returns it."""
    values = {"version": Board.version + 1}
    if structure:
        values["structure_version"] = Board.version + 1
    version = db.session.execute(
        update(Board).where(Board.id == board.id).values(**values).returning(Board.version),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    attributes.set_committed_value(board, "version", version)
    if structure:
        attributes.set_committed_value(board, "structure_version", version)
    return version


def _change(board: Board) -> None:
    """Begin a change: lock the board and refuse a locked one."""
    _lock(board)
    db.session.refresh(board, ["status"])
    if not board.is_open:
        raise ForumError(LOCKED)


def _change_card(board: Board, card: Card) -> None:
    """Begin a change to a card: lock the board, then read the card again (another
    request may have changed or deleted it since this one loaded it)."""
    _change(board)
    db.session.refresh(card)
    if card.deleted_at is not None:
        raise ForumError(_l("This card was deleted."))


# Boards and columns -------------------------------------------------------------------


def create_board(workshop: Workshop, title: str) -> Board:
    """A new board of ``workshop``, with the template's columns."""
    board = Board(workshop_id=workshop.id, title=title.strip(), status=BoardStatus.OPEN.value)
    db.session.add(board)
    db.session.flush()
    for position, (name, key) in enumerate(template_columns()):
        db.session.add(BoardColumn(board_id=board.id, title=name, position=position, section_key=key))
    db.session.flush()
    return board


def boards_of(workshop: Workshop) -> list[Board]:
    """A workshop's boards in the order they were made."""
    return db.session.scalars(
        select(Board).where(Board.workshop_id == workshop.id).order_by(Board.created_at, Board.id)
    ).all()


def set_locked(board: Board, locked: bool) -> None:
    """Lock a board (read-only) or open it again."""
    _lock(board)
    board.status = BoardStatus.LOCKED.value if locked else BoardStatus.OPEN.value
    _bump(board, structure=True)


def columns_and_clusters(board: Board) -> tuple[list[BoardColumn], list[Cluster]]:
    """:func:`columns` and :func:`clusters`, in one query."""
    rows = db.session.execute(
        select(BoardColumn, Cluster)
        .outerjoin(Cluster, Cluster.column_id == BoardColumn.id)
        .where(BoardColumn.board_id == board.id)
        .order_by(BoardColumn.position, BoardColumn.id)
    ).all()
    found = list(dict.fromkeys(column for column, _cluster in rows))
    grouped = sorted({c for _column, c in rows if c is not None}, key=lambda c: (c.created_at, c.id))
    return found, grouped


def columns(board: Board) -> list[BoardColumn]:
    """The board's columns, left to right."""
    return db.session.scalars(
        select(BoardColumn).where(BoardColumn.board_id == board.id).order_by(BoardColumn.position, BoardColumn.id)
    ).all()


def add_column(board: Board, title: str) -> BoardColumn:
    """Add a column at the right end. Raises :class:`ForumError` when there are too many."""
    _change(board)
    existing = columns(board)
    if len(existing) >= COLUMNS_MAX:
        raise ForumError(_l("A board has at most %(max)d columns.", max=COLUMNS_MAX))
    position = max((c.position for c in existing), default=-1) + 1
    column = BoardColumn(board_id=board.id, title=title.strip(), position=position)
    db.session.add(column)
    _bump(board, structure=True)
    db.session.flush()
    return column


def rename_column(board: Board, column: BoardColumn, title: str) -> None:
    """Rename a column."""
    _change(board)
    column.title = title.strip()
    _bump(board, structure=True)


def move_column(board: Board, column: BoardColumn, step: int) -> None:
    """Swap a column with its neighbour to the left (``step`` -1) or right (+1)."""
    _change(board)
    ordered = columns(board)
    index = ordered.index(column)
    other = index + step
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    _bump(board, structure=True)


def remove_column(board: Board, column: BoardColumn) -> None:
    """Remove an empty column. Raises :class:`ForumError` if it holds cards or is the last."""
    _change(board)
    if db.session.scalar(select(func.count(Card.id)).where(Card.column_id == column.id, Card.deleted_at.is_(None))):
        raise ForumError(_l("Only an empty column can be removed: move its cards first."))
    if len(columns(board)) <= 1:
        raise ForumError(_l("A board needs at least one column."))
    db.session.delete(column)
    _bump(board, structure=True)
    db.session.flush()


# Cards --------------------------------------------------------------------------------


def card_error(user, board: Board, invitation: WorkshopInvitation | None):
    """Why ``user`` may not add cards to ``board`` (a translated message), or ``None``."""
    if not board.is_open:
        return LOCKED
    if user and user.is_authenticated and user.is_blocked:
        return _l("Your account is blocked: you can read but not post.")
    if not (user and user.is_authenticated) or (invitation is None and not is_manager(user)):
        return _l("Only invited participants and the facilitators add cards to this board.")
    return None


def _check_text(text: str) -> str:
    return checked_text(text, CARD_MAX, ForumError, too_long=_l("A card holds at most %(max)d characters."))


def add_card(
    actor: User,
    board: Board,
    invitation: WorkshopInvitation | None,
    column: BoardColumn,
    text: str,
    attendee: Attendee | None = None,
) -> Card:
    """Put a card in a column, by ``actor`` or, when a facilitator writes down what an
    attendee said, on the attendee's behalf (channel "in person"). Raises
    :class:`ForumError` for a locked board, someone not invited, bad text or an attendee
    who is not on the workshop's sign-in sheet."""
    error = card_error(actor, board, invitation)
    if error:
        raise ForumError(error)
    text = _check_text(text)
    if attendee is not None and (not is_manager(actor) or attendee.workshop_id != board.workshop_id):
        raise ForumError(_l("That person is not on this workshop's sign-in sheet."))
    _change(board)
    contribution = Contribution(
        process_id=board.workshop.process_id,
        space_kind=SpaceKind.BOARD.value,
        space_id=board.id,
        section_key=column.section_key,
        author_id=attendee.user_id if attendee else actor.id,
        attendee_id=attendee.id if attendee else None,
        municipality_id=attendee.municipality_id if attendee else actor.municipality_id,
        channel=(Channel.IN_PERSON if attendee else Channel.ONLINE).value,
    )
    contribution.set_body(text)
    db.session.add(contribution)
    db.session.flush()
    card = Card(board_id=board.id, column_id=column.id, contribution_id=contribution.id)
    card.version = _bump(board)
    db.session.add(card)
    db.session.flush()
    return card


def can_edit(user, board: Board, card: Card) -> bool:
    """Authors edit their cards while the board is open; facilitators edit the cards they
    wrote down for attendees."""
    if not (board.is_open and user and user.is_authenticated) or card.deleted_at is not None:
        return False
    contribution = card.contribution
    if contribution.author_id == user.id and not user.is_blocked:
        return True
    return contribution.attendee_id is not None and is_manager(user)


def can_delete(user, board: Board, card: Card) -> bool:
    """Authors delete their cards while the board is open; facilitators delete any."""
    return can_edit(user, board, card) or (board.is_open and card.deleted_at is None and is_manager(user))


def edit_card(board: Board, card: Card, text: str) -> None:
    """Change a card's text."""
    text = _check_text(text)
    _change_card(board, card)
    card.contribution.set_body(text)
    card.version = _bump(board)


def delete_card(board: Board, card: Card) -> None:
    """Delete a card: its contribution and dots go; a tombstone tells live viewers."""
    _change_card(board, card)
    db.session.execute(delete(Vote).where(Vote.card_id == card.id))
    if card.contribution is not None:
        db.session.delete(card.contribution)
    card.contribution_id = None
    card.deleted_at = utcnow()
    card.dots = 0
    card.version = _bump(board)
    db.session.flush()


def move_card(board: Board, card: Card, column: BoardColumn, cluster: Cluster | None = None) -> None:
    """Move a card to a column, or into a cluster (and so to the cluster's column)."""
    _change_card(board, card)
    if cluster is not None:
        column = db.session.get(BoardColumn, cluster.column_id)
    card.column_id = column.id
    card.cluster_id = cluster.id if cluster is not None else None
    if card.contribution is not None:
        card.contribution.section_key = column.section_key
    card.version = _bump(board)


# Clusters -----------------------------------------------------------------------------


def clusters(board: Board) -> list[Cluster]:
    """The board's clusters in the order they were made."""
    return db.session.scalars(
        select(Cluster).where(Cluster.board_id == board.id).order_by(Cluster.created_at, Cluster.id)
    ).all()


def add_cluster(board: Board, column: BoardColumn, title: str) -> Cluster:
    """Start a named cluster in a column."""
    _change(board)
    cluster = Cluster(board_id=board.id, column_id=column.id, title=title.strip())
    db.session.add(cluster)
    _bump(board, structure=True)
    db.session.flush()
    return cluster


def rename_cluster(board: Board, cluster: Cluster, title: str) -> None:
    """Rename a cluster."""
    _change(board)
    cluster.title = title.strip()
    _bump(board, structure=True)


def dissolve_cluster(board: Board, cluster: Cluster) -> None:
    """Dissolve a cluster; its cards stay in the column."""
    _change(board)
    version = _bump(board, structure=True)
    db.session.execute(
        update(Card).where(Card.cluster_id == cluster.id).values(cluster_id=None, version=version),
        execution_options={"synchronize_session": False},
    )
    db.session.delete(cluster)
    db.session.flush()


# Dot voting ---------------------------------------------------------------------------


def current_round(board: Board) -> VotingRound | None:
    """The board's latest voting round, open or closed."""
    return db.session.scalar(
        select(VotingRound).where(VotingRound.board_id == board.id).order_by(VotingRound.id.desc()).limit(1)
    )


def open_round(board: Board, dots: int, max_per_card: int) -> VotingRound:
    """Open a voting round; dots of an earlier round are cleared from the cards (its
    votes are kept). Raises :class:`ForumError` if a round is open or numbers are off."""
    _change(board)
    if not 1 <= dots <= DOTS_MAX:
        raise ForumError(_l("Between %(min)s and %(max)s.", min=1, max=DOTS_MAX))
    if not 1 <= max_per_card <= dots:
        raise ForumError(_l("Dots on one card: between 1 and the dots per participant."))
    latest = current_round(board)
    if latest is not None and latest.is_open:
        raise ForumError(_l("A voting round is already open."))
    voting = VotingRound(board_id=board.id, dots_per_participant=dots, max_per_card=max_per_card)
    db.session.add(voting)
    version = _bump(board, structure=True)
    db.session.execute(
        update(Card).where(Card.board_id == board.id, Card.dots != 0).values(dots=0, version=version),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return voting


def close_round(board: Board) -> None:
    """Close the open voting round. Raises :class:`ForumError` if none is open."""
    _change(board)
    voting = current_round(board)
    if voting is None or not voting.is_open:
        raise ForumError(_l("There is no open voting round."))
    voting.closed_at = utcnow()
    _bump(board, structure=True)


def vote_error(user, board: Board, invitation: WorkshopInvitation | None, voting: VotingRound | None):
    """Why ``user`` may not vote on ``board`` now (a translated message), or ``None``."""
    if not board.is_open:
        return LOCKED
    if voting is None or not voting.is_open:
        return _l("There is no open voting round.")
    if (
        not (user and user.is_authenticated)
        or user.is_blocked
        or invitation is None
        or invitation.role != InvitationRole.PARTICIPANT.value
    ):
        return _l("Only invited participants vote.")
    return None


def my_votes(voting: VotingRound | None, user) -> dict[int, int]:
    """The user's dots per card in ``voting``."""
    if voting is None or not (user and user.is_authenticated):
        return {}
    rows = db.session.execute(
        select(Vote.card_id, Vote.dots).where(Vote.round_id == voting.id, Vote.user_id == user.id)
    ).all()
    return dict(rows)


def place_dot(user: User, board: Board, invitation, card: Card) -> None:
    """Put one of the user's dots on a card. Raises :class:`ForumError` when the round is
    closed, the user has no dots left, or the card already has as many of theirs as
    allowed."""
    _change_card(board, card)
    voting = current_round(board)
    error = vote_error(user, board, invitation, voting)
    if error:
        raise ForumError(error)
    mine = my_votes(voting, user)
    if sum(mine.values()) >= voting.dots_per_participant:
        raise ForumError(
            lazy_ngettext(
                "You have used your only dot: take it back first.",
                "You have used all your %(num)d dots: take one back first.",
                voting.dots_per_participant,
            )
        )
    on_card = mine.get(card.id, 0)
    if on_card >= voting.max_per_card:
        if voting.max_per_card == 1:
            raise ForumError(_l("You already put a dot on this card."))
        raise ForumError(
            lazy_ngettext(
                "At most %(num)d of your dots can go on one card.",
                "At most %(num)d of your dots can go on one card.",
                voting.max_per_card,
            )
        )
    if on_card:
        db.session.execute(
            update(Vote)
            .where(Vote.round_id == voting.id, Vote.card_id == card.id, Vote.user_id == user.id)
            .values(dots=Vote.dots + 1)
        )
    else:
        db.session.add(Vote(round_id=voting.id, card_id=card.id, user_id=user.id, dots=1))
    card.dots = Card.dots + 1
    card.version = _bump(board)
    db.session.flush()


def take_dot(user: User, board: Board, invitation, card: Card) -> None:
    """Take one of the user's dots back from a card while the round is open."""
    _change_card(board, card)
    voting = current_round(board)
    error = vote_error(user, board, invitation, voting)
    if error:
        raise ForumError(error)
    on_card = my_votes(voting, user).get(card.id, 0)
    if not on_card:
        raise ForumError(_l("You have no dot on this card."))
    where = (Vote.round_id == voting.id, Vote.card_id == card.id, Vote.user_id == user.id)
    if on_card == 1:
        db.session.execute(delete(Vote).where(*where))
    else:
        db.session.execute(update(Vote).where(*where).values(dots=Vote.dots - 1))
    card.dots = Card.dots - 1
    card.version = _bump(board)
    db.session.flush()


def voters(voting: VotingRound | None) -> int:
    """How many people placed dots in ``voting``."""
    if voting is None:
        return 0
    return db.session.scalar(select(func.count(func.distinct(Vote.user_id))).where(Vote.round_id == voting.id)) or 0


# Reading a board ----------------------------------------------------------------------


def _card_load():
    return account_load(joinedload(Card.contribution).joinedload(Contribution.author))


def cards_query(board: Board, voting: VotingRound | None = None, voter=None):
    """The board's live cards, oldest first, with their words and accounts (which decide
    what a viewer sees of them); with ``voting`` and a signed-in ``voter``, also the
    voter's dots on each (:attr:`Card.my_dots`)."""
    statement = (
        select(Card).where(Card.board_id == board.id, Card.deleted_at.is_(None)).options(_card_load()).order_by(Card.id)
    )
    if voting is not None and voter is not None and voter.is_authenticated:
        dots = select(Vote.dots).where(Vote.round_id == voting.id, Vote.card_id == Card.id, Vote.user_id == voter.id)
        statement = statement.options(with_expression(Card.my_dots, dots.scalar_subquery()))
    return statement


@dataclass
class BoardState:
    """A board and what one viewer's page of it depends on besides its cards."""

    board: Board
    #: The current voting round (the latest), if any.
    voting: VotingRound | None
    #: The viewer's invitation to the workshop, if any.
    invitation: WorkshopInvitation | None
    #: How many people placed dots, once the current round is closed (``None`` before).
    voters: int | None


def board_state(board_id: int, viewer=None) -> BoardState | None:
    """The board ``board_id`` with its workshop, its current voting round (with the number
    of voters once closed) and ``viewer``'s invitation, in one query; ``None`` if there is
    no such board."""
    latest = aliased(VotingRound)
    newest = select(latest.id).where(latest.board_id == Board.id).order_by(latest.id.desc()).limit(1)
    people = select(func.count(func.distinct(Vote.user_id))).where(Vote.round_id == VotingRound.id)
    voters = case((VotingRound.closed_at.is_not(None), people.scalar_subquery()))
    statement = (
        select(Board, VotingRound, voters)
        .select_from(Board)
        .outerjoin(VotingRound, VotingRound.id == newest.scalar_subquery())
        .where(Board.id == board_id)
        .options(joinedload(Board.workshop).lazyload(Workshop.process))
    )
    signed_in = viewer is not None and viewer.is_authenticated
    if signed_in:
        statement = (
            statement.add_columns(WorkshopInvitation)
            .outerjoin(
                WorkshopInvitation,
                and_(WorkshopInvitation.workshop_id == Board.workshop_id, WorkshopInvitation.user_id == viewer.id),
            )
            .options(lazyload(WorkshopInvitation.user))
        )
    row = db.session.execute(statement).first()
    if row is None:
        return None
    return BoardState(board=row[0], voting=row[1], voters=row[2], invitation=row[3] if signed_in else None)


def card_seen_differently(contribution: Contribution) -> None:
    """Moderation hid or restored a card's words: give the card the board's next version,
    so open pages draw it again for each viewer (on a locked board too)."""
    card = db.session.scalar(select(Card).where(Card.contribution_id == contribution.id))
    if card is None:
        return
    board = db.session.get(Board, card.board_id)
    _lock(board)
    card.version = _bump(board)
    db.session.flush()


def changed_cards(board: Board, since: int) -> list[Card]:
    """Cards changed after version ``since``, tombstones included, with their words and
    accounts."""
    return db.session.scalars(
        select(Card).where(Card.board_id == board.id, Card.version > since).options(_card_load()).order_by(Card.id)
    ).all()
