"""Notifications by e-mail: right away, in a daily summary, or never (the person chooses
on their profile; a daily summary by default).

- **Right away**: :func:`mail_now` is registered with :mod:`core.notifications`, so every
  new notification for someone who chose it queues one mail in the same transaction
  (delivered by :mod:`core.mail` after the commit; a failed send is retried and logged).
- **Daily summary**: ``flask mail digest`` (a cron job, once a day) queues, for each person
  who chose it, one mail with their notifications made since their last summary and still
  unread, grouped by heading; nothing when there are none. A person is summarised at most
  once per ``NOTIFICATION_DIGEST_HOURS`` (20 hours by default), so running the command
  twice a day sends nothing the second time.
- **Unsubscribe**: every notification mail carries a signed link (no expiry) to a page
  that sets the preference to never without signing in (a button: mail scanners open
  links), and ``List-Unsubscribe``/``List-Unsubscribe-Post`` headers so a mail program
  can do it in one click (RFC 8058).

Every address on file gets them, confirmed or not (people take part before confirming;
each mail can stop the rest in one click). Deleted accounts get nothing.
"""

from datetime import timedelta

import click
from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update

from accounts.models import NotificationMail, User
from core.extensions import db
from core.mail import cli as mail_cli
from core.mail import external_url, queue, site_url
from core.models import utcnow
from core.notifications import GROUPS, Notification, register_mailer

UNSUBSCRIBE_SALT = "cocrea.notifications-unsubscribe"
#: At most this many notifications are listed in one summary (then "and N more").
DIGEST_LISTED = 50
#: People summarised per transaction by ``flask mail digest``.
DIGEST_BATCH = 200
SUBJECT_MAX = 120


class UnsubscribeError(ValueError):
    """An unsubscribe link that cannot be used; the message is translated."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """The token of a person's unsubscribe link (it does not expire). Raises nothing."""
    return _serializer().dumps({"u": user_id})


def unsubscribe_url(user_id: int) -> str:
    """The absolute address of a person's unsubscribe page. Raises ``RuntimeError`` outside
    a request without ``BASE_URL``."""
    return external_url("accounts.unsubscribe", token=unsubscribe_token(user_id))


def user_for_unsubscribe(token: str) -> User:
    """The account an unsubscribe token is for. Raises :class:`UnsubscribeError` for a
    forged token or a deleted account."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise UnsubscribeError(_l("This link is not valid.")) from None
    user_id = data.get("u") if isinstance(data, dict) else None
    user = (
        db.session.scalar(select(User).where(User.id == user_id, User.deleted_at.is_(None)))
        if isinstance(user_id, int)
        else None
    )
    if user is None:
        raise UnsubscribeError(_l("This link is no longer valid."))
    return user


def set_preference(user: User, choice) -> None:
    """Set how notifications reach ``user`` by e-mail. Choosing the daily summary starts
    its window now, so what was already mailed right away is not sent again. Raises
    ``ValueError`` for an unknown choice."""
    choice = NotificationMail(choice).value
    if choice == NotificationMail.DAILY.value and user.notification_mail != choice:
        user.last_digest_at = utcnow()
    user.notification_mail = choice


def unsubscribe(token: str) -> User:
    """Stop every notification e-mail of the link's account. Raises
    :class:`UnsubscribeError` as :func:`user_for_unsubscribe`."""
    user = user_for_unsubscribe(token)
    set_preference(user, NotificationMail.NEVER)
    db.session.flush()
    return user


def _shorten(text: str, limit: int = SUBJECT_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _preferences_url() -> str:
    return external_url("accounts.profile") + "#notification_mail"


def _link(notification: Notification) -> str:
    return site_url(notification.link or "/notifications")


# Right away --------------------------------------------------------------------------------


def mail_now(notification: Notification) -> None:
    """Queue the mail of a new notification when its recipient chose to be told right away.
    When no link can be made (outside a request without ``BASE_URL``) the mail is skipped
    and a warning logged: the notification itself is there. Raises nothing else than
    database errors."""
    row = db.session.execute(
        select(User.email, User.locale, User.display_name).where(
            User.id == notification.user_id,
            User.deleted_at.is_(None),
            User.email.is_not(None),
            User.notification_mail == NotificationMail.IMMEDIATE.value,
        )
    ).first()
    if row is None:
        return
    try:
        link = _link(notification)
        stop = unsubscribe_url(notification.user_id)
    except RuntimeError as error:
        current_app.logger.warning(
            "Notification %s not mailed to user %s: %s", notification.kind, notification.user_id, error
        )
        return
    queue(
        row.email,
        "notification",
        LazyString(lambda: _shorten(notification.text)),
        row.locale,
        unsubscribe_url=stop,
        notification=notification,
        link=link,
        name=row.display_name,
        preferences_url=_preferences_url(),
    )


register_mailer(mail_now)


# The daily summary ---------------------------------------------------------------------------


def _grouped(notifications: list[Notification]) -> list[tuple[str, list[tuple[Notification, str]]]]:
    """``[(heading, [(notification, absolute link)])]``: headings in the order of their
    first notification, oldest first. Called inside the recipient's locale."""
    groups: dict[str, list] = {}
    for notification in notifications:
        heading = str(GROUPS.get(notification.kind) or _l("Other news"))
        groups.setdefault(heading, []).append((notification, _link(notification)))
    return list(groups.items())


def _queue_digest(user: User, notifications: list[Notification], total: int) -> None:
    listed = notifications[:DIGEST_LISTED]
    queue(
        user.email,
        "notification_digest",
        LazyString(
            lambda: ngettext(
                "You have %(num)d new notification on Cocrea", "You have %(num)d new notifications on Cocrea", total
            )
        ),
        user.locale,
        unsubscribe_url=unsubscribe_url(user.id),
        groups=lambda: _grouped(listed),
        listed=listed,
        total=total,
        more=total - len(listed),
        name=user.display_name,
        notifications_url=external_url("accounts.notifications"),
        preferences_url=_preferences_url(),
    )


def _due(now, after_id: int, limit: int) -> list[User]:
    """People due for a summary: they chose it, have an address, and had none for
    ``NOTIFICATION_DIGEST_HOURS``."""
    cutoff = now - timedelta(hours=current_app.config["NOTIFICATION_DIGEST_HOURS"])
    return db.session.scalars(
        select(User)
        .where(
            User.id > after_id,
            User.notification_mail == NotificationMail.DAILY.value,
            User.deleted_at.is_(None),
            User.email.is_not(None),
            or_(User.last_digest_at.is_(None), User.last_digest_at <= cutoff),
        )
        .order_by(User.id)
        .limit(limit)
    ).all()


def send_digests(now=None) -> tuple[int, int]:
    """Queue the daily summaries that are due; commits after every ``DIGEST_BATCH``
    people. Returns ``(people summarised, mails queued)``. A person never summarised
    before gets what came in the last day. Raises ``RuntimeError`` without ``BASE_URL``
    outside a request."""
    now = now or utcnow()
    people = mails = 0
    after_id = 0
    while batch := _due(now, after_id, DIGEST_BATCH):
        after_id = batch[-1].id
        since = {user.id: user.last_digest_at or now - timedelta(days=1) for user in batch}
        news: dict[int, list[Notification]] = {user.id: [] for user in batch}
        rows = db.session.scalars(
            select(Notification)
            .where(
                Notification.user_id.in_(list(news)),
                Notification.read_at.is_(None),
                Notification.created_at <= now,
            )
            .where(Notification.created_at > min(since.values()))
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        )
        for notification in rows:
            if notification.created_at > since[notification.user_id]:
                news[notification.user_id].append(notification)
        for user in batch:
            # Claim the person (a concurrent run that got here first wins).
            previous = (
                User.last_digest_at.is_(None)
                if user.last_digest_at is None
                else User.last_digest_at == user.last_digest_at
            )
            claimed = db.session.execute(
                update(User)
                .where(User.id == user.id, previous)
                .values(last_digest_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            people += 1
            if claimed and news[user.id]:
                _queue_digest(user, news[user.id], len(news[user.id]))
                mails += 1
        db.session.commit()
    return people, mails


@mail_cli.command("digest")
def digest_command():
    """Queue the daily summary of notifications for those who chose it; for a cron job,
    once a day (before ``flask mail send``)."""
    if not current_app.config.get("BASE_URL"):
        raise click.UsageError("Set COCREA_BASE_URL: the summaries link to the site.")
    people, mails = send_digests()
    click.echo(f"Summaries: {mails} queued for {people} people due.")
