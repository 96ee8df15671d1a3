"""Shared model pieces: timestamps and the one contribution record.

Every piece of input (a forum post, a workshop card, a comment on a draft section, a
remark written down at an in-person session) is a :class:`Contribution`. Spaces keep
their own tables and the contribution points at its space by kind and id.
"""

import enum
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.text import render_markdown, stored_html


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


class Channel(enum.StrEnum):
    """How a contribution reached the platform."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    #: Sent in writing (a letter, an e-mail) and entered by a facilitator.
    WRITTEN = "written"


class Contribution(db.Model):
    """Anything a participant said, wherever they said it."""

    __tablename__ = "contributions"
    __table_args__ = (
        Index("ix_contributions_author_id", "author_id"),
        Index("ix_contributions_attendee_id", "attendee_id"),
        # A space's contributions (its first two columns); a round's comments by section,
        # oldest first (counts, a section's threads).
        Index("ix_contributions_space_section", "space_kind", "space_id", "section_key", "created_at", "id"),
        # A process's contributions (its first column); oldest first (the coding
        # workbench's queue).
        Index("ix_contributions_process_created", "process_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The process it belongs to, always (filled when it is made, whatever the space).
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    #: The kind of space and its id: a :class:`core.spaces.SpaceKind`, named after what
    #: ``space_id`` points at (``thread``: a forum thread's posts; ``meeting``: remarks
    #: written down at a forum session; ``board``: a workshop board's cards).
    space_kind: Mapped[str] = mapped_column(String(40))
    space_id: Mapped[int]
    #: The model section the contribution is about, when it is about one (``T.3``).
    section_key: Mapped[str | None] = mapped_column(String(40))
    #: The account that said it; empty for an in-person attendee without an account.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The attendee who said it in the room (``forums.sheets``' table, named by string so
    #: the core imports no floor above it).
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20), default=Channel.ONLINE.value)
    body_source: Mapped[str] = mapped_column(Text)
    #: Sanitized HTML, rendered once when the text is stored.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    #: Hidden by a moderator: the author still sees it, with the reason; others see a placeholder.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The published verdict (``core.verdicts.VerdictStatus``; empty: received), and the
    #: version and change it was taken into, copied here when verdicts are published so
    #: every page shows the badge without another query.
    verdict_status: Mapped[str | None] = mapped_column(String(20))
    verdict_version_id: Mapped[int | None]
    verdict_version_label: Mapped[str | None] = mapped_column(String(20))
    verdict_change_number: Mapped[int | None]

    #: The account (resolved by name: the accounts floor defines it).
    author = relationship("User", foreign_keys=[author_id], lazy="raise")

    @property
    def is_hidden(self) -> bool:
        """Hidden by a moderator."""
        return self.hidden_at is not None

    def set_body(self, source: str) -> None:
        """Store markdown ``source`` and its sanitized HTML rendering."""
        self.body_source = source
        self.body_html = render_markdown(source)
        if self.id is not None:
            self.updated_at = utcnow()

    @property
    def html(self):
        """The stored, already sanitized HTML, ready for a template."""
        return stored_html(self.body_html)


#: Functions ``(contribution) -> reason or None``, registered by the floors above: why a
#: contribution is part of a record that must not lose it (the revision record cites it,
#: say), so a floor below can refuse to delete it without knowing that record.
_KEEPERS: list = []


def register_keeper(keeper) -> None:
    """Register ``keeper(contribution)``, which returns a translated reason to keep the
    contribution, or ``None``."""
    _KEEPERS.append(keeper)


def kept_because(contribution: Contribution):
    """The first reason a registered keeper gives to keep ``contribution``, or ``None``."""
    for keeper in _KEEPERS:
        reason = keeper(contribution)
        if reason:
            return reason
    return None
