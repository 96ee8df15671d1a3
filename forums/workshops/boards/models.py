"""Live boards of a workshop: columns, clusters, cards and dot votes.

A board has columns, and participants add cards to them. Every card is a
:class:`~core.models.Contribution` (space kind :attr:`core.spaces.SpaceKind.BOARD`, space
id the board's); the :class:`Card` row keeps where it sits on the board, its cluster and
its dots.

Live updates rest on one counter per board: every change takes the next ``Board.version``
and stamps it on what changed (``Card.version``), or on ``Board.structure_version`` when
columns, clusters or the voting round changed. A client that saw version *v* asks for what
is newer than *v*.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from core.enums import LabelledEnum
from core.extensions import db
from core.models import utcnow
from forums.workshops.models import Workshop


class BoardStatus(LabelledEnum):
    """Open boards take cards and votes; locked boards are read-only."""

    OPEN = "open", lazy_pgettext("board status", "Open")
    LOCKED = "locked", _l("Locked")


class Board(db.Model):
    """A wall of a workshop: columns of cards, clusters and dot votes."""

    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=BoardStatus.OPEN.value)
    #: Raised by one at every change; what changed carries the new value.
    version: Mapped[int] = mapped_column(default=0)
    #: The version of the last change to columns, clusters or the voting round.
    structure_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop = relationship(Workshop, lazy="joined")

    @property
    def is_open(self) -> bool:
        """Whether the board takes changes."""
        return self.status == BoardStatus.OPEN.value

    @property
    def status_label(self):
        """The translated status."""
        return BoardStatus(self.status).label


class BoardColumn(db.Model):
    """A column of a board, often one of the model's dimensions."""

    __tablename__ = "board_columns"
    __table_args__ = (Index("ix_board_columns_board_position", "board_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    #: The model dimension the column stands for (``T``, ``P``, ``R``, ``I``), if any;
    #: cards in it carry it as their contribution's section key.
    section_key: Mapped[str | None] = mapped_column(String(40))


class Cluster(db.Model):
    """A named group of cards within a column."""

    __tablename__ = "board_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("board_columns.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Card(db.Model):
    """Where a card sits on its board; its words are the contribution's."""

    __tablename__ = "board_cards"
    __table_args__ = (Index("ix_board_cards_board_version", "board_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    column_id: Mapped[int] = mapped_column(ForeignKey("board_columns.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("board_clusters.id", ondelete="SET NULL"))
    #: Empty once the card is deleted (the contribution goes with it).
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contributions.id", ondelete="SET NULL"), unique=True
    )
    #: Dots of the board's latest voting round.
    dots: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Kept as a tombstone so live viewers learn the card is gone.
    deleted_at: Mapped[datetime | None]

    contribution = relationship("Contribution", lazy="joined")

    #: Filled by the board page (``with_expression``), ``None`` otherwise: the viewer's
    #: dots on the card in the board's current voting round.
    my_dots: Mapped[int | None] = query_expression()


class VotingRound(db.Model):
    """A dot-voting round of a board; the latest one is the board's current round."""

    __tablename__ = "voting_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    dots_per_participant: Mapped[int]
    #: How many of one's dots may go on a single card.
    max_per_card: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    @property
    def is_open(self) -> bool:
        """Whether dots can still be placed and taken back."""
        return self.closed_at is None


class Vote(db.Model):
    """A participant's dots on one card in one round."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("round_id", "card_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("voting_rounds.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("board_cards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dots: Mapped[int] = mapped_column(default=1)
