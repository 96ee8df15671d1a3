"""Co-design and expert workshops, and their live boards.

A workshop belongs to a process and has invited participants, a sign-in sheet (the same
:class:`~forums.meetings.Attendee` rows as a session's) and, for expert workshops,
presentations. A workshop has boards; a board has columns, and participants add cards to
them. Every card is a :class:`~core.models.Contribution` (space kind
:data:`CARD_SPACE`, space id the board's); the :class:`Card` row keeps where it sits on the
board, its cluster and its dots.

Live updates rest on one counter per board: every change takes the next ``Board.version``
and stamps it on what changed (``Card.version``), or on ``Board.structure_version`` when
columns, clusters or the voting round changed. A client that saw version *v* asks for what
is newer than *v*.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import LabelledEnum
from core.extensions import db
from core.models import utcnow
from core.text import stored_html
from forums.meetings import MeetingStatus

#: The contribution space kind of workshop cards (the space id is the board's).
CARD_SPACE = "workshop_board"


class WorkshopKind(LabelledEnum):
    """The two kinds of workshop the process held."""

    CODESIGN = "codesign", _l("Co-design workshop")
    EXPERT = "expert", _l("Expert workshop")


class InvitationRole(LabelledEnum):
    """What an invited person does at a workshop."""

    PARTICIPANT = "participant", _l("Participant")
    FACILITATOR = "facilitator", lazy_pgettext("workshop role", "Facilitator")


class BoardStatus(LabelledEnum):
    """Open boards take cards and votes; locked boards are read-only."""

    OPEN = "open", lazy_pgettext("board status", "Open")
    LOCKED = "locked", _l("Locked")


class Workshop(db.Model):
    """A co-design or expert workshop of a process."""

    __tablename__ = "workshops"
    __table_args__ = (Index("ix_workshops_process_starts", "process_id", "starts_at"),)

    #: The :class:`~forums.meetings.Attendee` column that points at a workshop.
    SHEET_KEY = "workshop_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=WorkshopKind.CODESIGN.value)
    title: Mapped[str] = mapped_column(String(200))
    #: Naive UTC, like every stored time.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    #: Scheduled until the first check-in (then held); the sign-in sheet shares the rules of sessions.
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED.value)
    headcount: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    process = relationship("Process", lazy="joined")

    @property
    def kind_label(self):
        """The translated kind."""
        return WorkshopKind(self.kind).label

    @property
    def status_label(self):
        """The translated status."""
        return MeetingStatus(self.status).label

    @property
    def is_expert(self) -> bool:
        """Expert workshops record presentations."""
        return self.kind == WorkshopKind.EXPERT.value

    @property
    def description(self):
        """The description's stored, sanitized HTML."""
        return stored_html(self.description_html)


class WorkshopInvitation(db.Model):
    """An account invited to a workshop, as a participant or as one of its facilitators."""

    __tablename__ = "workshop_invitations"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=InvitationRole.PARTICIPANT.value)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def role_label(self):
        """The translated role."""
        return InvitationRole(self.role).label


class Presentation(db.Model):
    """A presentation given at an expert workshop (notes or slides kept as text)."""

    __tablename__ = "presentations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    presenter: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(160), default="")
    notes_source: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def notes(self):
        """The notes' stored, sanitized HTML."""
        return stored_html(self.notes_html)


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
