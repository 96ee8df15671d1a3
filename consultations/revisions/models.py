"""Changes of a version's revision record."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow
from core.text import stored_html


class Change(db.Model):
    """One entry of a version's revision record: what changed from the version it was
    drafted from, why, and because of which themes and contributions. An editorial change
    (wording, a typo) explains sections without themes."""

    __tablename__ = "revision_changes"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The new version (the one whose record this is).
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3… within the version ("change 4").
    number: Mapped[int]
    summary: Mapped[str] = mapped_column(String(300))
    reason_source: Mapped[str] = mapped_column(Text, default="")
    reason_html: Mapped[str] = mapped_column(Text, default="")
    editorial: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def reason(self):
        return stored_html(self.reason_html)


class ChangeSection(db.Model):
    """A section (by key) a change touched."""

    __tablename__ = "revision_change_sections"
    __table_args__ = (UniqueConstraint("change_id", "section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("revision_changes.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(40))


class ChangeTheme(db.Model):
    """A theme that motivated a change."""

    __tablename__ = "revision_change_themes"
    __table_args__ = (UniqueConstraint("change_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("revision_changes.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)


class ChangeContribution(db.Model):
    """A contribution a change answers (cited by the facilitator)."""

    __tablename__ = "revision_change_contributions"
    __table_args__ = (UniqueConstraint("change_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("revision_changes.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
