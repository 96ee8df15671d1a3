"""Moderation: flags on contributions, hiding and restoring them, blocking accounts.
Every action is in the audit log and tells the author. Any registered kind of space can
be moderated (posts, remarks, cards, ...): the place and link come from
:mod:`core.spaces`. Services flush; the request commits."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from accounts.models import User
from core import audit
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import notify, register_kinds
from core.roles import Role
from core.spaces import Place, changed, live_kinds, places_of
from core.text import checked_text
from forums.common import ForumError
from forums.moderation.models import REASON_MAX, Flag

audit.register_actions(
    {
        "moderation.hidden": _l("Contribution hidden"),
        "moderation.restored": _l("Contribution restored"),
        "moderation.dismissed": _l("Flags dismissed"),
        "moderation.blocked": _l("Account blocked"),
        "moderation.unblocked": _l("Account unblocked"),
    }
)
register_kinds(
    {
        "moderation.hidden": lambda p: _("A moderator hid your contribution in “%(place)s”: %(reason)s", **p),
        "moderation.restored": lambda p: _("A moderator restored your contribution in “%(place)s”.", **p),
    },
    group=_l("Moderation"),
)


def _reason(reason: str) -> str:
    return checked_text(
        reason, REASON_MAX, ForumError, empty=_l("Say why."), too_long=_l("At most %(max)d characters.")
    )


def place_of(contribution: Contribution) -> Place | None:
    """Where ``contribution`` was said (``None`` for a kind no floor registered)."""
    return places_of([contribution]).get(contribution.id)


def flag(user: User, contribution: Contribution, reason: str) -> Flag:
    """Flag a contribution. Raises :class:`ForumError` for one's own, a repeated flag, no
    reason, or a blocked account."""
    if user.is_blocked:
        raise ForumError(_l("Your account is blocked: you can read but not post."))
    reason = _reason(reason)
    if contribution.author_id == user.id:
        raise ForumError(_l("You cannot flag your own contribution."))
    existing = db.session.scalar(select(Flag).where(Flag.contribution_id == contribution.id, Flag.user_id == user.id))
    if existing is not None and existing.resolved_at is None:
        raise ForumError(_l("You have already flagged this; moderators will look at it."))
    if existing is not None:
        existing.reason, existing.created_at, existing.resolved_at = reason, utcnow(), None
        db.session.flush()
        return existing
    new = Flag(contribution_id=contribution.id, user_id=user.id, reason=reason)
    db.session.add(new)
    db.session.flush()
    return new


def flagged_by(user_id, contribution_id):
    """A SQL condition: the account ``user_id`` (a value or a bound parameter) has
    flagged the contribution ``contribution_id`` (a column) and moderators have not yet
    dealt with it, for a page that loads it with its rows (the thread page's "You
    reported this")."""
    return exists().where(Flag.contribution_id == contribution_id, Flag.user_id == user_id, Flag.resolved_at.is_(None))


def _resolve_flags(actor: User, contribution: Contribution) -> None:
    db.session.execute(
        update(Flag)
        .where(Flag.contribution_id == contribution.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id)
    )


def _tell_author(contribution: Contribution, kind: str, **params) -> None:
    place = place_of(contribution)
    notify(
        contribution.author_id,
        kind,
        link=place.link if place else "",
        place=place.title if place else "",
        **params,
    )


def hide(actor: User, contribution: Contribution, reason: str) -> None:
    """Hide a contribution; its author sees it and why, others a placeholder. Raises
    :class:`ForumError` without a reason."""
    reason = _reason(reason)
    contribution.hidden_at = utcnow()
    contribution.hidden_reason = reason
    contribution.hidden_by_id = actor.id
    changed(contribution)
    _resolve_flags(actor, contribution)
    audit.record(
        "moderation.hidden",
        actor=actor,
        target_user_id=contribution.author_id,
        contribution=contribution.id,
        note=reason,
    )
    _tell_author(contribution, "moderation.hidden", reason=reason)
    db.session.flush()


def restore(actor: User, contribution: Contribution, reason: str) -> None:
    """Show a hidden contribution again. Raises :class:`ForumError` if it is not hidden
    or without a reason."""
    if not contribution.is_hidden:
        raise ForumError(_l("This contribution is not hidden."))
    reason = _reason(reason)
    contribution.hidden_at = None
    contribution.hidden_reason = ""
    contribution.hidden_by_id = None
    changed(contribution)
    _resolve_flags(actor, contribution)
    audit.record(
        "moderation.restored",
        actor=actor,
        target_user_id=contribution.author_id,
        contribution=contribution.id,
        note=reason,
    )
    _tell_author(contribution, "moderation.restored")
    db.session.flush()


def dismiss(actor: User, contribution: Contribution) -> None:
    """Close the open flags of a contribution without hiding it."""
    _resolve_flags(actor, contribution)
    audit.record(
        "moderation.dismissed", actor=actor, target_user_id=contribution.author_id, contribution=contribution.id
    )
    db.session.flush()


def _tell_live_spaces(user: User) -> None:
    """Blocking or unblocking changes what viewers see of everything the account said:
    live spaces (boards) draw it again."""
    statement = select(Contribution).where(Contribution.author_id == user.id, Contribution.space_kind.in_(live_kinds()))
    for contribution in db.session.scalars(statement).all():
        changed(contribution)


def block(actor: User, user: User, reason: str) -> None:
    """Block an account: its content is hidden and it can no longer post. Raises
    :class:`ForumError` for oneself, facilitators and administrators."""
    reason = _reason(reason)
    if user.id == actor.id or user.has_role(Role.ADMIN) or user.has_role(Role.FACILITATOR):
        raise ForumError(_l("Facilitators and administrators cannot be blocked here."))
    if user.is_blocked:
        raise ForumError(_l("This account is already blocked."))
    user.blocked_at = utcnow()
    user.blocked_reason = reason
    _tell_live_spaces(user)
    audit.record("moderation.blocked", actor=actor, target_user=user, note=reason)
    db.session.flush()


def unblock(actor: User, user: User) -> None:
    """Lift a block. Raises :class:`ForumError` if the account is not blocked."""
    if not user.is_blocked:
        raise ForumError(_l("This account is not blocked."))
    user.blocked_at = None
    user.blocked_reason = ""
    _tell_live_spaces(user)
    audit.record("moderation.unblocked", actor=actor, target_user=user)
    db.session.flush()
