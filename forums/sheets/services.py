"""Rules of the sign-in sheet, for any gathering: check-in of accounts, walk-ins, the
headcount and attendance by profile. Services flush; the request commits.

The sheet knows gatherings only through :class:`Gathering`: forum sessions
(:class:`forums.meetings.models.Meeting`) and workshops
(:class:`forums.workshops.models.Workshop`) both satisfy it, and this module imports
neither.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from accounts.models import User
from core import audit
from core.extensions import db
from core.models import Channel, Contribution, kept_because, utcnow
from core.roles import Role
from core.text import checked_text
from forums.common import BODY_MAX, ForumError, account_load
from forums.sheets.models import Attendee, Profile


class Gathering(Protocol):
    """Something people attend in person and sign in at."""

    #: The :class:`Attendee` column that points at this kind of gathering.
    SHEET_KEY: ClassVar[str]
    id: int
    title: str
    #: The process the gathering belongs to (remarks said there belong to it too).
    process_id: int
    #: People counted in the room (may exceed the named attendees), or ``None``.
    headcount: int | None

    @property
    def sheet_municipality_id(self) -> int | None:
        """The municipality a walk-in is from unless the facilitator says otherwise."""

    def sheet_refusal(self):
        """Why the sheet takes no entries now (a translated message), or ``None``."""

    def on_sheet_entry(self) -> None:
        """What an entry on the sheet says about the gathering (a workshop is then held;
        a session's status is left to its facilitators)."""


@dataclass(frozen=True)
class SheetPages:
    """How one kind of gathering shows its sign-in sheet: each kind registers one (see
    :func:`register_gathering`) and :mod:`forums.sheets.views` adds its routes, keeping
    the endpoint names and addresses each kind always had."""

    #: The address part before the id (``sessions``, ``workshops``) and the id's name.
    path: str
    id_name: str
    #: Endpoint names (without the blueprint) of the sheet page and its actions;
    #: ``remark`` is ``None`` for a kind whose sheet takes no remarks.
    sheet: str
    check_in: str
    walk_in: str
    headcount: str
    remark: str | None
    #: ``id -> gathering`` (404 when unknown or not visible).
    load: Callable
    #: ``gathering -> template context``: crumbs, the people expected (``people``,
    #: ``people_heading``, ``nobody``) and the way back (``back``).
    context: Callable
    template: str
    #: The space kind of remarks said there (when ``remark`` is set).
    remark_space: str | None = None
    #: ``(actor, gathering, user)``, run after an account is checked in.
    after_check_in: Callable | None = None
    #: Endpoint names of correcting and removing a remark (with ``remark``).
    edit_remark: str | None = None
    remove_remark: str | None = None


GATHERINGS: list[SheetPages] = []


def register_gathering(pages: SheetPages) -> None:
    """Give one kind of gathering its sign-in sheet pages."""
    GATHERINGS.append(pages)


def sheet_filter(gathering: Gathering):
    """The condition selecting the attendees of ``gathering``."""
    return getattr(Attendee, gathering.SHEET_KEY) == gathering.id


def _open(gathering: Gathering) -> None:
    refusal = gathering.sheet_refusal()
    if refusal:
        raise ForumError(refusal)
    gathering.on_sheet_entry()


def profile_of(user: User) -> Profile:
    """The attendance profile an account counts under."""
    if user.has_role(Role.STAFF):
        return Profile.OFFICIAL
    if user.has_role(Role.EXPERT):
        return Profile.EXPERT
    if user.has_role(Role.FACILITATOR):
        return Profile.CSO
    return Profile.CITIZEN


def is_checked_in(gathering: Gathering, user_id: int) -> bool:
    """Whether the account is on the sheet of ``gathering``."""
    return bool(db.session.scalar(select(Attendee.id).where(sheet_filter(gathering), Attendee.user_id == user_id)))


def check_in(actor: User, gathering: Gathering, user: User, consent: bool) -> Attendee:
    """Put an account on the sign-in sheet. Raises :class:`ForumError` if it is already
    there or the gathering takes no entries."""
    _open(gathering)
    if is_checked_in(gathering, user.id):
        raise ForumError(_l("This person is already checked in."))
    attendee = Attendee(
        user_id=user.id,
        profile=profile_of(user).value,
        municipality_id=user.municipality_id,
        consent=consent,
        added_by_id=actor.id,
        **{gathering.SHEET_KEY: gathering.id},
    )
    db.session.add(attendee)
    db.session.flush()
    return attendee


def add_walk_in(actor: User, gathering: Gathering, name: str, profile, municipality_id, consent: bool) -> Attendee:
    """Put someone without an account on the sign-in sheet (the name is optional).
    Raises :class:`ForumError` when the gathering takes no entries."""
    _open(gathering)
    attendee = Attendee(
        name=(name or "").strip(),
        profile=Profile(profile).value,
        municipality_id=municipality_id,
        consent=consent,
        added_by_id=actor.id,
        **{gathering.SHEET_KEY: gathering.id},
    )
    db.session.add(attendee)
    db.session.flush()
    return attendee


def sheet_attendees(gathering: Gathering, names_only: bool = False) -> list[Attendee]:
    """The sign-in sheet in the order people arrived (the order attendee choices number).
    ``names_only``: for a page that shows no more than names and consent (a board), the
    accounts are loaded without their roles and the municipalities not at all."""
    statement = select(Attendee).where(sheet_filter(gathering)).order_by(Attendee.checked_in_at, Attendee.id)
    if names_only:
        statement = statement.options(account_load(joinedload(Attendee.user)), lazyload(Attendee.municipality))
    return db.session.scalars(statement).all()


def attendee_on_sheet(gathering: Gathering, attendee_id: int | None) -> Attendee | None:
    """The attendee ``attendee_id`` of this gathering's sheet (``None`` for no id).
    Raises :class:`ForumError` for someone who is not on it."""
    if attendee_id is None:
        return None
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or getattr(attendee, gathering.SHEET_KEY) != gathering.id:
        raise ForumError(_l("That person is not on this sign-in sheet."))
    return attendee


def named_count(gathering: Gathering) -> int:
    """How many people are on the sheet."""
    return db.session.scalar(select(func.count(Attendee.id)).where(sheet_filter(gathering))) or 0


def set_headcount(gathering: Gathering, headcount: int | None) -> None:
    """Record how many people were in the room. Raises :class:`ForumError` if fewer than
    the people on the sheet, or the gathering takes no entries."""
    if headcount is not None and headcount < named_count(gathering):
        raise ForumError(_l("The headcount cannot be lower than the people on the sign-in sheet."))
    if headcount is not None:
        _open(gathering)
    gathering.headcount = headcount


def attendance(gathering: Gathering) -> dict:
    """Distinct people on the sheet by profile, their total, and the room's headcount."""
    rows = db.session.execute(
        select(Attendee.profile, func.count(Attendee.id)).where(sheet_filter(gathering)).group_by(Attendee.profile)
    ).all()
    by_profile = {Profile(profile): count for profile, count in rows}
    named = sum(by_profile.values())
    return {
        "by_profile": [(profile, by_profile.get(profile, 0)) for profile in Profile],
        "named": named,
        "total": max(named, gathering.headcount or 0),
        "headcount": gathering.headcount,
    }


def attendee_choices(attendees: list[Attendee], blank_label) -> list[tuple]:
    """Select choices for "said by": a blank one, then each attendee by name or number
    (the same label the sheet's table shows)."""
    return [("", blank_label)] + [(a.id, attendee_label(a, number)) for number, a in enumerate(attendees, start=1)]


def attendee_label(attendee: Attendee, number: int, named: bool = True) -> str:
    """An attendee's name or, for a walk-in who gave none (or, with ``named`` false,
    for anyone), "Unnamed attendee N", N their place on the sheet. The sheet's table,
    its "said by" choices and the session page all use it."""
    if named and attendee.full_name:
        return attendee.full_name
    return _("Unnamed attendee %(number)s", number=number)


def attendee_labels(attendees: list[Attendee], named: Callable[[Attendee], bool] = lambda a: True) -> dict:
    """``{attendee id: label}`` for a sheet in arrival order (see :func:`attendee_label`);
    ``named(attendee)`` says whether this viewer may see the attendee's name."""
    return {a.id: attendee_label(a, number, named(a)) for number, a in enumerate(attendees, start=1)}


def add_remark(actor: User, gathering: Gathering, space_kind: str, attendee_id: int | None, text: str):
    """Write down something said in the room, attributed to an attendee on the sheet or
    to nobody: a contribution of ``space_kind`` (channel "in person"). Raises
    :class:`ForumError` for an empty or too long text, someone not on the sheet, or a
    gathering that takes no entries."""
    text = checked_text(text, BODY_MAX, ForumError)
    attendee = attendee_on_sheet(gathering, attendee_id)
    _open(gathering)
    remark = Contribution(
        process_id=gathering.process_id,
        space_kind=space_kind,
        space_id=gathering.id,
        author_id=attendee.user_id if attendee else None,
        attendee_id=attendee.id if attendee else None,
        municipality_id=gathering.sheet_municipality_id,
        channel=Channel.IN_PERSON.value,
    )
    remark.set_body(text)
    db.session.add(remark)
    db.session.flush()
    return remark


# Remarks on the sheet: seen, corrected, removed -----------------------------------------

audit.register_actions(
    {
        "sheet.remark_corrected": _l("Remark on a sign-in sheet corrected"),
        "sheet.remark_removed": _l("Remark removed from a sign-in sheet"),
    }
)


def remarks_of(gathering: Gathering, space_kind: str) -> list[Contribution]:
    """The remarks written down at ``gathering``, in the order they were written."""
    return db.session.scalars(
        select(Contribution)
        .where(Contribution.space_kind == space_kind, Contribution.space_id == gathering.id)
        .order_by(Contribution.created_at, Contribution.id)
        .options(joinedload(Contribution.author))
    ).all()


def remark_of(gathering: Gathering, space_kind: str, remark_id: int) -> Contribution | None:
    """The remark ``remark_id`` written down at ``gathering``, or ``None``."""
    remark = db.session.get(Contribution, remark_id)
    if remark is None or remark.space_kind != space_kind or remark.space_id != gathering.id:
        return None
    return remark


def correct_remark(actor: User, gathering: Gathering, remark: Contribution, attendee_id: int | None, text: str) -> bool:
    """Correct what a remark says and who said it; the earlier text and speaker stay in
    the audit log. Returns whether anything changed. Raises :class:`ForumError` for an
    empty or too long text or someone not on the sheet."""
    text = checked_text(text, BODY_MAX, ForumError)
    attendee = attendee_on_sheet(gathering, attendee_id)
    new_attendee_id = attendee.id if attendee else None
    if text == remark.body_source and new_attendee_id == remark.attendee_id:
        return False
    audit.record(
        "sheet.remark_corrected",
        actor=actor,
        target_user_id=remark.author_id,
        contribution=remark.id,
        previous=remark.body_source,
        previous_attendee=remark.attendee_id,
        attendee=new_attendee_id,
    )
    if text != remark.body_source:
        remark.set_body(text)
    remark.attendee_id = new_attendee_id
    remark.author_id = attendee.user_id if attendee else None
    remark.updated_at = utcnow()
    db.session.flush()
    return True


def removal_refusal(remark: Contribution):
    """Why a remark cannot be removed (a translated message), or ``None``: one whose
    verdict is published, or that a record of a floor above keeps (the revision record
    cites it: :func:`core.models.kept_because`), is part of the public record; it can be
    corrected, or hidden by moderation, instead."""
    if remark.verdict_status:
        return _l("Its verdict is published: correct the remark instead, or hide it through moderation.")
    return kept_because(remark)


def remove_remark(actor: User, gathering: Gathering, remark: Contribution) -> None:
    """Take a remark off the sheet: the contribution is deleted (with its codings), so
    it no longer counts in summaries or exports, as a deleted card's does not; its text
    and speaker stay in the audit log. Raises :class:`ForumError` when
    :func:`removal_refusal` says why not."""
    refusal = removal_refusal(remark)
    if refusal:
        raise ForumError(refusal)
    audit.record(
        "sheet.remark_removed",
        actor=actor,
        target_user_id=remark.author_id,
        contribution=remark.id,
        previous=remark.body_source,
        previous_attendee=remark.attendee_id,
        **{gathering.SHEET_KEY: gathering.id},
    )
    db.session.delete(remark)
    db.session.flush()
