"""The model under revision as data: a model, its versions, their sections."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import LabelledEnum
from core.extensions import db
from core.models import utcnow
from core.text import stored_html


class VersionStatus(LabelledEnum):
    """Where a version stands: edited, published (read and commented), replaced."""

    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    SUPERSEDED = "superseded", _l("Superseded")


class SectionKind(LabelledEnum):
    """What a section is; decided by its key (:mod:`consultations.versions.keys`)."""

    FREE = "free", _l("Section")
    DIMENSION = "dimension", _l("Dimension")
    LEVEL = "level", _l("Level")
    INDICATOR = "indicator", _l("Indicator")
    FACTOR = "factor", _l("Transversal factor")
    ASPECT = "aspect", _l("Aspect")


class ConsultationModel(db.Model):
    """A model that a process writes together, draft after draft ("Modelo de Gobierno
    Abierto Municipal")."""

    __tablename__ = "consultation_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    process = relationship("Process", lazy="select")

    @property
    def description(self):
        """The stored, sanitized description."""
        return stored_html(self.description_html)


class Version(db.Model):
    """One version of a model: a draft being edited, or a published text (never edited
    again), or one a later version replaced."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("consultation_models.id", ondelete="CASCADE"), index=True)
    #: A short name such as ``v0.2``.
    label: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    summary_source: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT.value)
    published_at: Mapped[datetime | None]
    #: The version this one was drafted from.
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    model: Mapped[ConsultationModel] = relationship(lazy="joined")
    based_on: Mapped["Version | None"] = relationship(remote_side=[id], lazy="raise")

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT.value

    @property
    def status_label(self):
        return VersionStatus(self.status).label

    @property
    def summary(self):
        return stored_html(self.summary_html)

    @property
    def name(self) -> str:
        """``v0.2 · Versión preliminar``."""
        return f"{self.label} · {self.title}"


class Section(db.Model):
    """A part of a version: dimension, level, indicator, factor, aspect or free section.
    Its key is stable across versions; its kind follows from the key."""

    __tablename__ = "model_sections"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        Index("ix_model_sections_version_position", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text, default="")
    #: Sanitized HTML, rendered once when the text is stored.
    body_html: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    @property
    def body(self):
        return stored_html(self.body_html)

    @property
    def kind_label(self):
        return SectionKind(self.kind).label
