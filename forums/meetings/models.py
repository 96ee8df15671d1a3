"""Sessions (meetings) of a forum: scheduling, registration with a waiting list, remarks
said in the room and minutes. Their sign-in sheets are :mod:`forums.sheets`'.

In code a forum session is a *meeting*, so it is never mistaken for a database or HTTP
session; the interface calls it "sesión".
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


class MeetingStatus(LabelledEnum):
    """Where a meeting stands."""

    SCHEDULED = "scheduled", _l("Scheduled")
    HELD = "held", _l("Held")
    CANCELLED = "cancelled", _l("Cancelled")


class RegistrationStatus(LabelledEnum):
    """A place at a meeting, a place on its waiting list, or a cancelled registration."""

    REGISTERED = "registered", lazy_pgettext("registration status", "Registered")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    CANCELLED = "cancelled", _l("Cancelled")


class Meeting(db.Model):
    """One session of a forum, in the room or online."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_forum_starts", "forum_id", "starts_at"),)

    #: The :class:`~forums.sheets.models.Attendee` column that points at a meeting (a
    #: meeting is a :class:`~forums.sheets.services.Gathering`).
    SHEET_KEY = "meeting_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    #: Naive UTC, like every stored time; shown in the platform's time zone.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    agenda_source: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED.value)
    #: People counted in the room when names were not taken (may exceed named attendees).
    headcount: Mapped[int | None]
    minutes_source: Mapped[str] = mapped_column(Text, default="")
    minutes_html: Mapped[str] = mapped_column(Text, default="")
    minutes_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_count: Mapped[int] = mapped_column(default=0)

    forum = relationship("Forum", lazy="joined")

    @property
    def status_label(self):
        """The translated status."""
        return MeetingStatus(self.status).label

    @property
    def agenda(self):
        """The agenda's stored, sanitized HTML."""
        return stored_html(self.agenda_html)

    @property
    def minutes(self):
        """The minutes' stored, sanitized HTML."""
        return stored_html(self.minutes_html)

    @property
    def process_id(self) -> int:
        """The forum's process."""
        return self.forum.process_id

    @property
    def sheet_municipality_id(self) -> int | None:
        """Walk-ins are from the forum's municipality unless said otherwise."""
        return self.forum.municipality_id

    def sheet_refusal(self):
        """A cancelled session takes no sign-in sheet entries."""
        if self.status == MeetingStatus.CANCELLED.value:
            return _l("This session was cancelled.")
        return None

    def on_sheet_entry(self) -> None:
        """An entry on the sheet changes nothing: whether a session was held (or
        cancelled) is a facilitator's explicit decision (:func:`forums.meetings.services.mark_held`),
        so checking people in early never closes registration."""

    @property
    def has_started(self) -> bool:
        """Whether the start time has passed."""
        return self.starts_at <= utcnow()

    @property
    def is_full(self) -> bool:
        """Whether every place is taken (new registrations go to the waiting list)."""
        return self.capacity is not None and self.registered_count >= self.capacity


class MeetingRegistration(db.Model):
    """A member's registration for a meeting."""

    __tablename__ = "meeting_registrations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.REGISTERED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Position on the waiting list is the order of this time.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")

    @property
    def status_label(self):
        """The translated status."""
        return RegistrationStatus(self.status).label
