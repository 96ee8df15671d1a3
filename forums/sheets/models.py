"""The sign-in sheet of a gathering: who was in the room (an account, or a walk-in
without one), under which profile, from which municipality, and whether they agreed to be
named. A gathering is a forum session or a workshop (see :mod:`forums.sheets.services`)."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import LabelledEnum
from core.extensions import db
from core.models import utcnow


class Profile(LabelledEnum):
    """Who an attendee is, for attendance tallies."""

    CITIZEN = "citizen", _l("Citizen")
    OFFICIAL = "official", _l("Municipal official")
    CSO = "cso", _l("Civil-society organisation")
    EXPERT = "expert", _l("Expert")


class Attendee(db.Model):
    """A person on the sign-in sheet of a meeting or of a workshop: an account, or a
    walk-in without one."""

    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        UniqueConstraint("workshop_id", "user_id"),
        CheckConstraint("(meeting_id IS NULL) <> (workshop_id IS NULL)", name="one_gathering"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gathering: a session or a workshop (tables named by string: sheets imports
    #: neither feature).
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: A walk-in's name, if they gave one.
    name: Mapped[str] = mapped_column(String(120), default="")
    profile: Mapped[str] = mapped_column(String(20), default=Profile.CITIZEN.value)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    #: Consent to be recorded by name (asked of everyone on the sheet).
    consent: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    municipality = relationship("Municipality", lazy="joined")

    @property
    def profile_label(self):
        """The translated profile."""
        return Profile(self.profile).label

    @property
    def full_name(self) -> str:
        """The name on the sheet: the account's public name or the walk-in's, if any."""
        if self.user is not None:
            return self.user.public_name
        return self.name
