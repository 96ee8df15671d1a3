"""Co-design and expert workshops.

A workshop belongs to a process and has invited participants, a sign-in sheet (the same
:class:`~forums.sheets.models.Attendee` rows as a session's) and, for expert workshops,
presentations. Its boards are :mod:`forums.workshops.boards`'.
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


class WorkshopKind(LabelledEnum):
    """The two kinds of workshop the process held."""

    CODESIGN = "codesign", _l("Co-design workshop")
    EXPERT = "expert", _l("Expert workshop")


class InvitationRole(LabelledEnum):
    """What an invited person does at a workshop."""

    PARTICIPANT = "participant", _l("Participant")
    FACILITATOR = "facilitator", lazy_pgettext("workshop role", "Facilitator")


class WorkshopStatus(LabelledEnum):
    """Scheduled until the first entry on its sign-in sheet, then held."""

    SCHEDULED = "scheduled", _l("Scheduled")
    HELD = "held", _l("Held")


class Workshop(db.Model):
    """A co-design or expert workshop of a process."""

    __tablename__ = "workshops"
    __table_args__ = (Index("ix_workshops_process_starts", "process_id", "starts_at"),)

    #: The :class:`~forums.sheets.models.Attendee` column that points at a workshop (a
    #: workshop is a :class:`~forums.sheets.services.Gathering`).
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
    #: Scheduled until the first entry on the sign-in sheet, then held.
    status: Mapped[str] = mapped_column(String(20), default=WorkshopStatus.SCHEDULED.value)
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
        return WorkshopStatus(self.status).label

    @property
    def sheet_municipality_id(self) -> int | None:
        """A workshop gathers several municipalities: walk-ins have none until said."""
        return None

    def sheet_refusal(self):
        """A workshop's sheet always takes entries."""
        return None

    def mark_held(self) -> None:
        """The workshop took place."""
        self.status = WorkshopStatus.HELD.value

    def on_sheet_entry(self) -> None:
        """A workshop is held from its first entry on the sign-in sheet."""
        self.mark_held()

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
