"""Walk-ins judged to be someone: linked to an account, or merged with another walk-in."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow
from core.tokens import TokenRow


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


class TallyState(TokenRow, db.Model):
    """One row whose token changes, in the same transaction, with every committed write
    that can change a tally (see :mod:`consultations.tallies.cache`): a summary computed
    under one token is good until the token changes."""

    __tablename__ = "tally_state"

    #: Whether ``tally_events`` holds every event (see :mod:`consultations.tallies.ledger`);
    #: false after a write it could not follow, and until the first build.
    events_built: Mapped[bool] = mapped_column(default=False, server_default=false())


class TallyEvent(db.Model):
    """One way someone took part, with everything a tally counts it by, kept up to date in
    the transaction of the write that changes it (:mod:`consultations.tallies.ledger`): a
    contribution (``contribution_id``), or a line on a sign-in sheet (``attendee_id``).
    Counting reads these narrow, indexed rows instead of joining a million contributions
    to their spaces, sheets, walk-in links and roles."""

    __tablename__ = "tally_events"
    __table_args__ = tuple(
        Index(f"ix_tally_events_{'_'.join(columns)}", "process_id", *columns)
        for columns in (
            ("grp", "person"),
            ("grp", "space"),
            ("person", "channel"),
            ("municipality_id", "person"),
            ("profile", "person"),
            ("month", "person"),
            ("space",),
            # An export reads a process's contributions in order from this index alone,
            # instead of sorting a million rows with their texts.
            ("contribution_id",),
        )
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"))
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"), unique=True)
    #: ``u<account id>``, or ``a<attendee id>`` for a walk-in (the one it was merged into).
    person: Mapped[str | None] = mapped_column(String(24))
    grp: Mapped[str] = mapped_column(String(40))
    space: Mapped[str] = mapped_column(String(64))
    municipality_id: Mapped[int | None]
    profile: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    month: Mapped[str | None] = mapped_column(String(7))
    at: Mapped[datetime | None]


class TallySlice(db.Model):
    """Who and where took part in one slice of a process (a value of one breakdown), kept
    from the ledger's events by :mod:`consultations.tallies.ledger`: one row per person
    (``kind`` "p") and per space ("s") in the slice, with their events and contributions.
    A slice's distinct people are its "p" rows, its spaces its "s" rows, and its
    contributions the sum over its "s" rows, so a summary reads a few thousand index
    entries instead of counting a million events."""

    __tablename__ = "tally_slices"

    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), primary_key=True)
    #: "all", or a breakdown: "group", "municipality", "profile", "channel", "month", and
    #: "group_profile" (the seed's citizens of citizen forums, officials of staff forums).
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The breakdown's value as text ("" for none; "group|profile" for group_profile).
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    #: The person (``u<id>``, ``a<id>``) or the space (``forum:3``).
    member: Mapped[str] = mapped_column(String(64), primary_key=True)
    events: Mapped[int] = mapped_column(default=0)
    contributions: Mapped[int] = mapped_column(default=0)
