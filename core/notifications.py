"""In-app notifications. A notification stores its kind and parameters; the text is
translated when it is shown, in the reader's language.

Each floor registers how its kinds are worded (and under which heading they are grouped
in the daily summary e-mail). Whoever sends notifications by e-mail (the accounts floor,
which knows each person's preference) registers a mailer, called with every new
notification in the transaction that creates it."""

import json
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import ForeignKey, Index, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow

#: kind -> a function of the stored parameters returning the translated text; each floor
#: registers its own (``lambda p: _("%(name)s replied", **p)``, so the text is extracted).
KINDS: dict = {}
#: kind -> the heading (a lazy string) it is listed under in the daily summary.
GROUPS: dict = {}
#: Functions called with each new :class:`Notification` (added, not yet flushed).
MAILERS: list = []


def register_kinds(kinds: dict, group=None) -> None:
    """Register how each notification kind is worded, and the heading (``_l(...)``) the
    kinds are grouped under in the daily summary e-mail."""
    KINDS.update(kinds)
    if group is not None:
        GROUPS.update(dict.fromkeys(kinds, group))


def register_mailer(mailer) -> None:
    """Call ``mailer(notification)`` for every new notification, in its transaction."""
    MAILERS.append(mailer)


class Notification(db.Model):
    """Something that happened that one person should know about."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    #: A path on this site.
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def text(self) -> str:
        """The notification in the current language."""
        wording = KINDS.get(self.kind)
        return wording(json.loads(self.params_json or "{}")) if wording else self.kind


def notify(user_id: int | None, kind: str, link: str = "", **params) -> None:
    """Queue a notification for ``user_id`` (nothing for ``None``) in the current transaction."""
    if user_id is None:
        return
    notification = Notification(user_id=user_id, kind=kind, link=link, params_json=json.dumps(params))
    db.session.add(notification)
    for mailer in MAILERS:
        mailer(notification)


def unread_expression(user_id):
    """How many unread notifications ``user_id`` (a column or a value) has, as a SQL
    expression (the sign-in loader reads it with the account, :data:`UNREAD`)."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


#: Where a request keeps the count read with the signed-in account (``flask.g``).
UNREAD = "unread_notifications"


def unread_count(user_id: int) -> int:
    """How many unread notifications ``user_id`` has (the count read with the signed-in
    account, when it is theirs and nothing was marked read since)."""
    if has_request_context() and g.get(UNREAD) is not None and g.get("unread_user_id") == user_id:
        return g.get(UNREAD)
    return db.session.scalar(select(unread_expression(user_id)))


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) notification of ``user_id`` read; returns how many."""
    if has_request_context():
        g.pop(UNREAD, None)
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement.values(read_at=utcnow())).rowcount
