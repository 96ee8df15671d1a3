"""The one rule for what a viewer sees of a contribution.

Every template prints a contribution through the ``contribution_body`` macro
(``templates/macros/contributions.html``), which asks :func:`seen_by`. The outcomes:

- the text;
- the text with a notice: the author of a hidden contribution sees it with the
  moderator's reason, and facilitators see hidden contributions and those of blocked
  accounts with a note saying so;
- a placeholder: everyone else, for a hidden contribution, one whose author is blocked,
  or a post its author deleted.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_

from core.models import Contribution

DELETED = _l("Deleted by its author.")
HIDDEN = _l("Hidden by a moderator.")


@dataclass(frozen=True)
class Shown:
    """What one viewer sees of one contribution."""

    #: Whether the text is shown.
    text: bool
    #: A translated note shown above the text (hidden, blocked author), if any.
    notice: str | None = None
    #: The translated placeholder shown instead of the text, when it is not shown.
    placeholder: str | None = None


def author_blocked(contribution) -> bool:
    """Whether the contribution's account is blocked (``author`` must be loaded)."""
    author = contribution.author if contribution.author_id is not None else None
    return bool(author is not None and author.is_blocked)


def seen_by(contribution, viewer, manager: bool, deleted: bool = False) -> Shown:
    """What ``viewer`` (signed in or not) sees of ``contribution``; ``manager`` is
    whether the viewer moderates here, ``deleted`` whether its author deleted it (posts
    keep a placeholder). The contribution's ``author`` must be loaded."""
    if deleted:
        return Shown(text=False, placeholder=str(DELETED))
    own = bool(viewer is not None and viewer.is_authenticated and contribution.author_id == viewer.id)
    if contribution.hidden_at is not None:
        if own:
            notice = _l(
                "Hidden by a moderator: %(reason)s. Only you and the moderators see it.",
                reason=contribution.hidden_reason,
            )
            return Shown(text=True, notice=str(notice))
        if manager:
            return Shown(
                text=True, notice=str(_l("Hidden by a moderator: %(reason)s", reason=contribution.hidden_reason))
            )
        return Shown(text=False, placeholder=str(HIDDEN))
    if author_blocked(contribution):
        if manager:
            return Shown(text=True, notice=str(_l("The author's account is blocked; others do not see this.")))
        if not own:
            return Shown(text=False, placeholder=str(HIDDEN))
    return Shown(text=True)


def seen(contribution, manager: bool, deleted: bool = False, own: bool | None = None) -> Shown:
    """:func:`seen_by` for the person making the request (the templates' ``seen``), or,
    with ``own``, for its author (``True``) or anyone else who does not moderate."""
    if own is None:
        return seen_by(contribution, current_user, manager, deleted)
    return seen_by(contribution, contribution.author if own and contribution.author_id else None, manager, deleted)


def is_public(contribution) -> bool:
    """Whether anyone who may see the space sees the text (not hidden, author not
    blocked); the SQL twin is :func:`public_condition`."""
    return contribution.hidden_at is None and not author_blocked(contribution)


def public_condition():
    """A SQL condition on :class:`~core.models.Contribution`: not hidden, and its account
    (if any) not blocked. The account class is the one the ``author`` relationship names,
    so ``core`` needs no import from the accounts floor."""
    account = Contribution.author.property.mapper.class_
    return and_(Contribution.hidden_at.is_(None), ~Contribution.author.has(account.blocked_at.is_not(None)))
