"""Rules for workshops: scheduling, invitations, presentations. Boards are in
:mod:`forums.workshops.boards.services`. Services flush; the request commits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import User
from accounts.services import find_by_email
from core.extensions import db
from core.notifications import notify, register_kinds
from core.permissions import is_manager
from core.text import render_markdown
from forums.common import ForumError
from forums.workshops.models import InvitationRole, Presentation, Workshop, WorkshopInvitation, WorkshopKind

register_kinds(
    {
        "workshop.invited": lambda p: _("You are invited to the workshop “%(title)s”.", **p),
    },
    group=_l("Workshops"),
)


def workshop_path(workshop_id: int) -> str:
    """The path of a workshop's page (stored in notifications)."""
    return f"/forums/workshops/{workshop_id}"


def _apply(workshop: Workshop, process_id, kind, title, starts_at, ends_at, place, description) -> None:
    if ends_at is not None and ends_at < starts_at:
        raise ForumError(_l("The end cannot be before the start."))
    workshop.process_id = process_id
    workshop.kind = WorkshopKind(kind).value
    workshop.title = title.strip()
    workshop.starts_at = starts_at
    workshop.ends_at = ends_at
    workshop.place = (place or "").strip()
    workshop.description_source = description or ""
    workshop.description_html = render_markdown(description or "")


def create(actor: User, **fields) -> Workshop:
    """Schedule a workshop (process_id, kind, title, starts_at, ends_at, place,
    description). Raises :class:`ForumError` for bad times."""
    workshop = Workshop(created_by_id=actor.id)
    _apply(workshop, **fields)
    db.session.add(workshop)
    db.session.flush()
    return workshop


def update(workshop: Workshop, **fields) -> None:
    """Change a workshop's details. Raises :class:`ForumError` for bad times."""
    _apply(workshop, **fields)
    db.session.flush()


# Invitations --------------------------------------------------------------------------


def invitation_of(user, workshop: Workshop) -> WorkshopInvitation | None:
    """The user's invitation to ``workshop``, if any."""
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(
        select(WorkshopInvitation).where(
            WorkshopInvitation.workshop_id == workshop.id, WorkshopInvitation.user_id == user.id
        )
    )


def invitations(workshop: Workshop) -> list[WorkshopInvitation]:
    """Everyone invited, facilitators first, then in the order they were invited."""
    return db.session.scalars(
        select(WorkshopInvitation)
        .where(WorkshopInvitation.workshop_id == workshop.id)
        .order_by(WorkshopInvitation.role, WorkshopInvitation.invited_at, WorkshopInvitation.id)
    ).all()


def _add_invitation(actor: User, workshop: Workshop, user: User, role: InvitationRole) -> WorkshopInvitation:
    invitation = WorkshopInvitation(workshop_id=workshop.id, user_id=user.id, role=role.value, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    if user.id != actor.id:
        notify(user.id, "workshop.invited", link=workshop_path(workshop.id), title=workshop.title)
    return invitation


def invite(actor: User, workshop: Workshop, email: str, role) -> WorkshopInvitation:
    """Invite the account with ``email``. Raises :class:`ForumError` for an unknown email,
    someone already invited, or a facilitator invitation to someone who is not one."""
    role = InvitationRole(role)
    user = find_by_email(email)
    if user is None:
        raise ForumError(_l("There is no account with this email."))
    if invitation_of(user, workshop) is not None:
        raise ForumError(_l("This person is already invited."))
    if role == InvitationRole.FACILITATOR and not is_manager(user):
        raise ForumError(_l("Only facilitators and administrators can facilitate a workshop."))
    return _add_invitation(actor, workshop, user, role)


def ensure_invited(actor: User, workshop: Workshop, user: User) -> None:
    """Invite someone checked in at the door who was not invited (they are in the room)."""
    if invitation_of(user, workshop) is None:
        _add_invitation(actor, workshop, user, InvitationRole.PARTICIPANT)


def remove_invitation(invitation: WorkshopInvitation) -> None:
    """Withdraw an invitation (the person's cards stay)."""
    db.session.delete(invitation)
    db.session.flush()


# Presentations ------------------------------------------------------------------------


def save_presentation(workshop: Workshop, presentation: Presentation | None, title, presenter, organisation, notes):
    """Record (or change) a presentation of an expert workshop. Raises
    :class:`ForumError` for a co-design workshop."""
    if not workshop.is_expert:
        raise ForumError(_l("Only expert workshops record presentations."))
    if presentation is None:
        presentation = Presentation(workshop_id=workshop.id)
        db.session.add(presentation)
    presentation.title = title.strip()
    presentation.presenter = presenter.strip()
    presentation.organisation = (organisation or "").strip()
    presentation.notes_source = notes or ""
    presentation.notes_html = render_markdown(notes or "")
    db.session.flush()
    return presentation


def presentations(workshop: Workshop) -> list[Presentation]:
    """A workshop's presentations in the order they were recorded."""
    return db.session.scalars(
        select(Presentation)
        .where(Presentation.workshop_id == workshop.id)
        .order_by(Presentation.created_at, Presentation.id)
    ).all()
