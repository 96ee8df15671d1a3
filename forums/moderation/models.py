"""Flags: someone asks moderators to look at a contribution."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.extensions import db
from core.models import utcnow

#: The most a reason (for a flag, a hide, a restore or a block) may say.
REASON_MAX = 500


class Flag(db.Model):
    """Someone asks moderators to look at a contribution, and says why."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("contribution_id", "user_id"),
        # A thread page asks whether its reader has any report waiting.
        Index("ix_flags_user_open", "user_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship(User, foreign_keys=[user_id], lazy="joined")
