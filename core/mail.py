"""Outgoing e-mail: an outbox written in the request's transaction, delivered once it commits.

A floor calls :func:`queue` (a recipient, a subject, a template name under
``templates/mail/`` and the recipient's locale): the mail is rendered there, in that
language, as plain text and HTML, and stored as an :class:`OutgoingMail` row in the
request's transaction. When the request commits (``core.transactions``), delivery runs
after the response has been sent: the rows queued by the request, and any earlier ones
whose retry is due, go out through SMTP with Flask-Mail (``MAIL_SERVER`` set), or, with no
server configured, are written to ``MAIL_FILE_DIR`` (``instance/mail/``) as ``.eml`` files
a developer can open. A failed send is logged, keeps the row queued with its error and is
retried with exponential backoff (``MAIL_RETRY_SECONDS`` × 2ⁿ) up to ``MAIL_MAX_ATTEMPTS``,
by the next delivery pass or by ``flask mail send`` (for a cron). Nothing here raises into
a request. A mail the person may stop (a notification) carries an ``unsubscribe_url``,
sent as ``List-Unsubscribe`` headers (RFC 8058); ``accounts.notification_mails`` adds
``flask mail digest`` to this command group.
"""

import secrets
import smtplib
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app, has_request_context, render_template, request
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_mail import Connection, Message
from sqlalchemy import Index, String, Text, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core import transactions
from core.extensions import db, mail
from core.models import utcnow
from core.privacy import register_eraser


class MailStatus:
    """Where an outgoing mail stands."""

    QUEUED = "queued"
    #: Claimed by a delivery pass (so two passes never send it twice).
    SENDING = "sending"
    SENT = "sent"
    #: Gave up after ``MAIL_MAX_ATTEMPTS``.
    FAILED = "failed"


class OutgoingMail(db.Model):
    """One mail to one recipient, rendered in the recipient's language."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (Index("ix_outgoing_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    #: The language it is written in (``Content-Language``).
    locale: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the next attempt is due (now, for a new mail).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When a delivery pass claimed it (a pass that died leaves it; it is reclaimed later).
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: A one-click unsubscribe address (RFC 8058) for mails a person may stop, such as
    #: notifications; empty for mails about the account itself.
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="", server_default="")


_QUEUED_KEY = "_cocrea_mail_queued"


def site_url(path: str) -> str:
    """An absolute address for ``path`` (a path on this site) in a mail: ``BASE_URL``
    (``COCREA_BASE_URL``) if configured, else the address the request came to. Raises
    ``RuntimeError`` with neither (outside a request without ``BASE_URL``)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + path
    if not has_request_context():
        raise RuntimeError("BASE_URL (COCREA_BASE_URL) is needed to make links outside a request.")
    return request.host_url.rstrip("/") + path


def external_url(endpoint: str, **values) -> str:
    """An absolute address of ``endpoint`` for a link in a mail (see :func:`site_url`);
    outside a request too (a cron command), with ``BASE_URL``. Raises ``RuntimeError`` as
    :func:`site_url`."""
    from flask import url_for

    if has_request_context():
        return site_url(url_for(endpoint, **values))
    return site_url(current_app.url_map.bind("localhost").build(endpoint, values))


def render(template: str, subject, locale: str | None, **context) -> tuple[str, str, str]:
    """``(subject, text, html)`` of ``templates/mail/<template>.txt`` and ``.html``,
    rendered in ``locale`` (the default locale when ``None``); ``subject`` is a lazy
    string, translated here. Raises what rendering raises."""
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        context = {**context, "mail_locale": locale}
        return (
            str(subject),
            render_template(f"mail/{template}.txt", **context),
            render_template(f"mail/{template}.html", **context),
        )


def queue(
    recipient: str, template: str, subject, locale: str | None, unsubscribe_url: str = "", **context
) -> OutgoingMail:
    """Render a mail for ``recipient`` in ``locale`` and store it in the current
    transaction (flushes). In a request it is delivered once the request commits; outside
    one, by the next delivery pass or ``flask mail send``. With ``unsubscribe_url`` (also
    passed to the templates), the mail carries ``List-Unsubscribe`` headers for a
    one-click unsubscribe (RFC 8058) by POST to it. Raises what rendering raises."""
    subject_text, text, html = render(template, subject, locale, unsubscribe_url=unsubscribe_url, **context)
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    outgoing = OutgoingMail(
        recipient=recipient,
        locale=locale,
        subject=" ".join(subject_text.split())[:300],
        text=text,
        html=html,
        unsubscribe_url=unsubscribe_url[:500],
    )
    db.session.add(outgoing)
    db.session.flush()
    if has_request_context():
        from flask import g

        queued = g.setdefault(_QUEUED_KEY, [])
        if not queued:
            transactions.after_commit(deliver_due)
        queued.append(outgoing.id)
    return outgoing


def message_of(outgoing: OutgoingMail) -> Message:
    """The Flask-Mail message of an outbox row. Raises nothing."""
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": outgoing.locale}
    if outgoing.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Message(
        subject=outgoing.subject,
        recipients=[outgoing.recipient],
        body=outgoing.text,
        html=outgoing.html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=headers,
    )


class _TimedConnection(Connection):
    """Flask-Mail's connection with a timeout, so a silent server cannot hold a worker."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class _FileConnection:
    """Development without a mail server: each message becomes ``MAIL_FILE_DIR/<name>.eml``."""

    def __init__(self, directory: Path):
        self.directory = directory

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: Message) -> None:
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
        path.write_bytes(message.as_bytes())


def _connection():
    """A connection to the configured server (settings read now, so a change of
    configuration applies to the next pass), or to the ``.eml`` folder. Raises
    ``OSError``/``smtplib.SMTPException`` when the server cannot be reached (on enter)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _FileConnection(Path(config["MAIL_FILE_DIR"]))
    state = mail.init_mail(config, current_app.debug, False)
    return _TimedConnection(state)


def _backoff(attempts: int) -> timedelta:
    base = current_app.config["MAIL_RETRY_SECONDS"]
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 24 * 3600))


def _claim(limit: int) -> list[OutgoingMail]:
    """Take up to ``limit`` due mails (status queued, retry due; or claimed by a pass that
    died more than ``MAIL_CLAIM_SECONDS`` ago), marking them ``sending`` and committing,
    so a concurrent pass skips them."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    candidates = db.session.scalars(
        select(OutgoingMail.id)
        .where(
            or_(
                (OutgoingMail.status == MailStatus.QUEUED) & (OutgoingMail.next_attempt_at <= now),
                (OutgoingMail.status == MailStatus.SENDING) & (OutgoingMail.claimed_at < stale),
            )
        )
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    ).all()
    claimed = []
    for mail_id in candidates:
        taken = db.session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.id == mail_id,
                or_(
                    OutgoingMail.status == MailStatus.QUEUED,
                    (OutgoingMail.status == MailStatus.SENDING) & (OutgoingMail.claimed_at < stale),
                ),
            )
            .values(status=MailStatus.SENDING, claimed_at=now)
        ).rowcount
        if taken:
            claimed.append(mail_id)
    db.session.commit()
    if not claimed:
        return []
    return db.session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(claimed)).order_by(OutgoingMail.id)).all()


def _failed(outgoing: OutgoingMail, error: BaseException) -> None:
    outgoing.attempts += 1
    outgoing.last_error = f"{type(error).__name__}: {error}"[:500]
    outgoing.claimed_at = None
    if outgoing.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        outgoing.status = MailStatus.FAILED
        current_app.logger.error(
            "Mail %s to %s failed for good after %s attempts: %s",
            outgoing.id,
            outgoing.recipient,
            outgoing.attempts,
            outgoing.last_error,
        )
    else:
        outgoing.status = MailStatus.QUEUED
        outgoing.next_attempt_at = utcnow() + _backoff(outgoing.attempts)
        current_app.logger.warning(
            "Mail %s to %s not sent (attempt %s), retrying after %s: %s",
            outgoing.id,
            outgoing.recipient,
            outgoing.attempts,
            outgoing.next_attempt_at,
            outgoing.last_error,
        )


def deliver_due(limit: int | None = None) -> tuple[int, int]:
    """Send every due mail (up to ``limit``, ``MAIL_BATCH`` by default) over one
    connection; commits after each. Returns ``(sent, failed)``. Never raises for a
    delivery error: each is logged and recorded on its row."""
    outgoing_mails = _claim(limit or current_app.config["MAIL_BATCH"])
    if not outgoing_mails:
        return 0, 0
    sent = failed = 0
    try:
        with _connection() as connection:
            for outgoing in outgoing_mails:
                try:
                    connection.send(message_of(outgoing))
                except (OSError, smtplib.SMTPException, ValueError, AssertionError) as error:
                    _failed(outgoing, error)
                    failed += 1
                else:
                    outgoing.status = MailStatus.SENT
                    outgoing.attempts += 1
                    outgoing.sent_at = utcnow()
                    outgoing.claimed_at = None
                    outgoing.last_error = ""
                    sent += 1
                db.session.commit()
    except (OSError, smtplib.SMTPException) as error:
        # The server could not be reached (or hung up): every mail not yet done waits.
        for outgoing in outgoing_mails:
            if outgoing.status == MailStatus.SENDING:
                _failed(outgoing, error)
                failed += 1
        db.session.commit()
    return sent, failed


def purge_sent(days: int) -> int:
    """Delete sent and failed mails older than ``days`` days (their links and words need
    not be kept); returns how many. Flushes."""
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(
        delete(OutgoingMail).where(
            OutgoingMail.status.in_((MailStatus.SENT, MailStatus.FAILED)), OutgoingMail.created_at < cutoff
        )
    ).rowcount


def erase_for(user) -> None:
    """Account deletion: the person's mails (by address) are removed, sent or not."""
    if user.email:
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.recipient == user.email))


register_eraser("outgoing_mail", erase_for)

cli = AppGroup("mail", help="Outgoing e-mail.")


@cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many mails in this run.")
@click.option("--purge-days", default=30, show_default=True, help="Delete sent and failed mails older than this.")
def send_command(limit, purge_days):
    """Send queued mails whose (re)try is due; for a cron job, every few minutes."""
    sent, failed = deliver_due(limit)
    purged = purge_sent(purge_days)
    db.session.commit()
    waiting = db.session.scalar(select(db.func.count(OutgoingMail.id)).where(OutgoingMail.status == MailStatus.QUEUED))
    click.echo(f"Sent {sent}, failed {failed}, still queued {waiting}, purged {purged}.")
