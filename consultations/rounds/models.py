"""Comment rounds and their comments."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultations.versions.models import Version
from core.enums import LabelledEnum
from core.extensions import db
from core.models import Contribution, utcnow
from core.text import stored_html


class Audience(LabelledEnum):
    """Who may comment in a round."""

    COMMITTEE = "committee", _l("Advisory committee")
    EXPERTS = "experts", _l("Experts")
    STAFF = "staff", _l("Municipal staff")
    PUBLIC = "public", _l("Public")


class RoundStatus(LabelledEnum):
    """Computed from the dates (no scheduled job: a round opens and closes by itself)."""

    SCHEDULED = "scheduled", _l("Scheduled")
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


class Stance(LabelledEnum):
    """What a comment says about the text, if its author says."""

    AGREE = "agree", _l("Agree")
    DISAGREE = "disagree", _l("Disagree")
    CHANGE = "change", _l("Proposes a change")


class CommentRound(db.Model):
    """One version × one audience × one time window, with a guiding question."""

    __tablename__ = "comment_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    question_source: Mapped[str] = mapped_column(Text, default="")
    question_html: Mapped[str] = mapped_column(Text, default="")
    #: UTC, naive, like every stored time.
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    #: When a facilitator closed it before its planned end (``closes_at`` then moves).
    closed_early_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    version: Mapped[Version] = relationship(lazy="joined")

    def status_at(self, now: datetime) -> RoundStatus:
        """The round's status at ``now`` (UTC, naive)."""
        if now < self.opens_at:
            return RoundStatus.SCHEDULED
        if now < self.closes_at:
            return RoundStatus.OPEN
        return RoundStatus.CLOSED

    @property
    def status(self) -> RoundStatus:
        return self.status_at(utcnow())

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def audience_label(self):
        return Audience(self.audience).label

    @property
    def question(self):
        return stored_html(self.question_html)

    @property
    def process_id(self) -> int:
        return self.version.model.process_id


class RoundMember(db.Model):
    """An account invited to a round (the advisory committee's members; experts a
    facilitator invites without the expert role)."""

    __tablename__ = "round_members"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("comment_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class RoundMunicipality(db.Model):
    """A municipality whose officials a staff round is for (none: every official)."""

    __tablename__ = "round_municipalities"
    __table_args__ = (UniqueConstraint("round_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("comment_rounds.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))


class Comment(db.Model):
    """A comment in a round: its words are a :class:`~core.models.Contribution` (space
    kind ``round``, with the section key it is about, or none for the whole version)."""

    __tablename__ = "round_comments"
    __table_args__ = (Index("ix_round_comments_round_parent", "round_id", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("comment_rounds.id", ondelete="CASCADE"))
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    #: The comment it answers (one level: a reply is never answered by a reply).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("round_comments.id", ondelete="CASCADE"))
    stance: Mapped[str | None] = mapped_column(String(20))
    wording_source: Mapped[str] = mapped_column(Text, default="")
    wording_html: Mapped[str] = mapped_column(Text, default="")
    #: Who said it, when a facilitator entered it for someone without an account here.
    said_by: Mapped[str] = mapped_column(String(120), default="")
    #: The facilitator who entered it on someone's behalf.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contribution: Mapped[Contribution] = relationship(lazy="raise")

    @property
    def wording(self):
        return stored_html(self.wording_html)

    @property
    def stance_label(self):
        return Stance(self.stance).label if self.stance else None
