"""Walk-ins judged to be someone: linked to an account, or merged with another walk-in."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow


class WalkInLink(db.Model):
    """A facilitator's judgement that a walk-in (an attendee without an account) is a
    registered account (``kind`` "link"), or the same person as another walk-in ("merge").
    Tallies follow active ones; undoing keeps the row, with who undid it and when."""

    __tablename__ = "walk_in_links"
    __table_args__ = (Index("ix_walk_in_links_attendee_active", "attendee_id", "undone_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    #: The account (a link).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The walk-in it is the same person as (a merge; always one not merged itself).
    into_attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TallyState(db.Model):
    """One row whose token changes, in the same transaction, with every committed write
    that can change a tally (see :mod:`consultations.tallies.cache`): a summary computed
    under one token is good until the token changes."""

    __tablename__ = "tally_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
