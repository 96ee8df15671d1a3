"""The codebook and the codings."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import utcnow
from core.text import stored_html


class Theme(db.Model):
    """A facilitator's code grouping contributions ("Actas en plazo"), in one process's
    codebook: two levels (a theme may have a parent), optionally linked to model sections."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("process_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    #: A short code, unique in the process ("T-ACTAS").
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    #: The workshop cluster it was made from, if any.
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("board_clusters.id", ondelete="SET NULL"))
    archived_at: Mapped[datetime | None]
    #: Set when merged into another theme (its codings moved there; it is archived).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def description(self):
        return stored_html(self.description_html)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def label(self) -> str:
        """``T-ACTAS · Actas en plazo``."""
        return f"{self.code} · {self.name}"


class ThemeSection(db.Model):
    """A model section a theme is about (by its stable key)."""

    __tablename__ = "theme_sections"
    __table_args__ = (UniqueConstraint("theme_id", "section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(40))


class Coding(db.Model):
    """A theme applied to a contribution: by whom, when, and from which workshop cluster
    (when a cluster was promoted to a theme)."""

    __tablename__ = "codings"
    __table_args__ = (
        UniqueConstraint("contribution_id", "theme_id"),
        Index("ix_codings_theme_id", "theme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("board_clusters.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    theme: Mapped[Theme] = relationship(lazy="raise")


class CodingSample(db.Model):
    """A sample of contributions that two or more coders code blind to each other, to
    measure how far they agree before the final coding is settled."""

    __tablename__ = "coding_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SampleCoder(db.Model):
    """A coder asked to code a sample."""

    __tablename__ = "coding_sample_coders"
    __table_args__ = (UniqueConstraint("sample_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class SampleItem(db.Model):
    """A contribution in a sample; ``reconciled_at`` once its final coding is settled."""

    __tablename__ = "coding_sample_items"
    __table_args__ = (UniqueConstraint("sample_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    reconciled_at: Mapped[datetime | None]


class SampleMark(db.Model):
    """A coder has coded an item of a sample (possibly with no theme at all); without a
    mark, the coder's coding of the item is missing."""

    __tablename__ = "coding_sample_marks"
    __table_args__ = (UniqueConstraint("sample_id", "contribution_id", "coder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class SampleCoding(db.Model):
    """A theme one coder gave an item of a sample (blind to the other coders)."""

    __tablename__ = "coding_sample_codings"
    __table_args__ = (UniqueConstraint("sample_id", "contribution_id", "coder_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("coding_samples.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
