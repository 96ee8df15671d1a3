"""Facilitators' verdict decisions (private) and published verdicts."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow
from core.text import stored_html


class Decision(db.Model):
    """A verdict a facilitator writes, private until verdicts are published: for one
    contribution (it overrides what would be derived), or once for every contribution of a
    theme that no change took. A reason is always given."""

    __tablename__ = "verdict_decisions"
    __table_args__ = (CheckConstraint("(contribution_id IS NULL) <> (theme_id IS NULL)", name="one_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), unique=True)
    #: A :class:`core.verdicts.VerdictStatus` value.
    status: Mapped[str] = mapped_column(String(20))
    reason_source: Mapped[str] = mapped_column(Text, default="")
    reason_html: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def reason(self):
        return stored_html(self.reason_html)


class Batch(db.Model):
    """One publication of verdicts (with a version, or on its own)."""

    __tablename__ = "verdict_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: How many verdicts this publication changed.
    changed: Mapped[int] = mapped_column(default=0)


class Verdict(db.Model):
    """The published verdict of a contribution (the latest batch that changed it)."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    #: Taken into this version, by this change.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="SET NULL"))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("revision_changes.id", ondelete="SET NULL"))
    reason_html: Mapped[str] = mapped_column(Text, default="")
    #: The theme whose decision gave the reason, if it came from one.
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("verdict_batches.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def reason(self):
        return stored_html(self.reason_html)
