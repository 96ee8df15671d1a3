"""Mails about an account: password reset, address confirmation, change of address.

Links carry a signed, time-limited token (``itsdangerous.URLSafeTimedSerializer``, one
salt per purpose). Each token also carries a fingerprint of what it may change, so it
dies once used: the password-reset token names the current password hash and address
(setting a new password changes the hash), the confirmation and change tokens name the
address they were sent for. Services flush; the request commits, and ``core.mail``
delivers after the commit.
"""

import hashlib

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from accounts.models import User
from core import audit
from core.extensions import db
from core.mail import external_url, queue, render
from core.models import utcnow

RESET_SALT = "cocrea.password-reset"
CONFIRM_SALT = "cocrea.email-confirm"
CHANGE_SALT = "cocrea.email-change"

audit.register_actions(
    {
        "account.password_reset": _l("Password reset by e-mail"),
        "account.email_confirmed": _l("E-mail address confirmed"),
        "account.email_changed": _l("E-mail address changed"),
    }
)


class LinkError(ValueError):
    """A link from a mail cannot be used; the message is translated and safe to show."""

    def __init__(self, message, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(*parts: str | None) -> str:
    digest = hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()
    return digest[:24]


def _load(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(_l("This link has expired."), expired=True) from None
    except BadSignature:
        raise LinkError(_l("This link is not valid.")) from None
    if not isinstance(data, dict):
        raise LinkError(_l("This link is not valid."))
    return data


def _active_user(user_id) -> User | None:
    if not isinstance(user_id, int):
        return None
    return db.session.scalar(select(User).where(User.id == user_id, User.deleted_at.is_(None)))


# Password reset ------------------------------------------------------------------------


def reset_token(user: User) -> str:
    """A password-reset token for ``user``: it dies when the password or the address
    changes, or after ``PASSWORD_RESET_MAX_AGE`` seconds. Raises nothing."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": _fingerprint(user.password_hash, user.email)})


def _reset_mail(email: str, token: str, locale: str | None) -> dict:
    hours = max(1, current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600)
    return {
        "template": "password_reset",
        "subject": _l("Reset your password"),
        "locale": locale,
        "link": external_url("accounts.reset_password", token=token),
        "hours": hours,
        "email": email,
    }


def request_password_reset(email: str, find_by_email) -> None:
    """Queue a reset link for the account with ``email``, if there is one. When there is
    none, the same mail is rendered (and dropped), so the answer costs about the same
    either way. Raises nothing."""
    user = find_by_email(email)
    if user is None or not user.email:
        mail = _reset_mail(email, reset_token(User(id=0, email=email)), None)
        render(mail.pop("template"), mail.pop("subject"), mail.pop("locale"), **mail)
        return
    mail = _reset_mail(user.email, reset_token(user), user.locale)
    queue(user.email, mail.pop("template"), mail.pop("subject"), mail.pop("locale"), **mail)


def user_for_reset(token: str) -> User:
    """The account a reset token is for. Raises :class:`LinkError` when the token is
    forged, expired, or already used (the password or address changed since)."""
    data = _load(RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = _active_user(data.get("u"))
    if user is None or data.get("f") != _fingerprint(user.password_hash, user.email):
        raise LinkError(_l("This link has already been used or is no longer valid."))
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset token: every session of the account ends (the
    login token rotates), and the address counts as confirmed (the link reached it).
    Raises :class:`LinkError` as :func:`user_for_reset`."""
    user = user_for_reset(token)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record("account.password_reset", actor=user, target_user=user)
    db.session.flush()
    return user


# Confirmation of the address -------------------------------------------------------------


def confirmation_token(user: User, email: str | None = None) -> str:
    """A token confirming that ``email`` (the account's address by default) belongs to
    ``user``. Raises nothing."""
    return _serializer(CONFIRM_SALT).dumps({"u": user.id, "e": email or user.email})


def send_confirmation(user: User) -> None:
    """Queue the link that confirms the account's address, in its language. Raises
    nothing."""
    queue(
        user.email,
        "confirm_email",
        _l("Confirm your e-mail address"),
        user.locale,
        link=external_url("accounts.confirm_email", token=confirmation_token(user)),
        name=user.display_name,
        days=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 86400,
    )


def user_for_confirmation(token: str) -> User:
    """The account whose address a confirmation token is for. Raises :class:`LinkError`
    when the token is forged, expired, or names an address the account no longer has."""
    data = _load(CONFIRM_SALT, token, current_app.config["EMAIL_CONFIRMATION_MAX_AGE"])
    user = _active_user(data.get("u"))
    if user is None or not user.email or data.get("e") != user.email:
        raise LinkError(_l("This link is no longer valid."))
    return user


def confirm_email(token: str) -> User:
    """Mark the account's address confirmed (again: harmless). Raises :class:`LinkError`
    as :func:`user_for_confirmation`."""
    user = user_for_confirmation(token)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("account.email_confirmed", actor=user, target_user=user)
        db.session.flush()
    return user


# Change of address ------------------------------------------------------------------------


def change_token(user: User, new_email: str) -> str:
    """A token that moves ``user`` from the current address to ``new_email``; it dies
    when the address changes. Raises nothing."""
    return _serializer(CHANGE_SALT).dumps({"u": user.id, "old": user.email, "new": new_email})


def request_email_change(user: User, new_email: str) -> None:
    """Send the confirmation link to ``new_email`` and tell the current address; nothing
    changes until the link is followed. ``new_email`` is normalised and free (the caller
    checks). Raises nothing."""
    queue(
        new_email,
        "email_change_confirm",
        _l("Confirm your new e-mail address"),
        user.locale,
        link=external_url("accounts.confirm_email_change", token=change_token(user, new_email)),
        name=user.display_name,
        new_email=new_email,
        days=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 86400,
    )
    queue(
        user.email,
        "email_change_requested",
        _l("A change of your e-mail address was requested"),
        user.locale,
        name=user.display_name,
        new_email=new_email,
        password_link=external_url("accounts.forgot_password"),
    )


def pending_change(token: str) -> tuple[User, str]:
    """``(account, new address)`` of a change token. Raises :class:`LinkError` when the
    token is forged, expired, already used (the address changed since), or the new
    address has meanwhile been taken."""
    data = _load(CHANGE_SALT, token, current_app.config["EMAIL_CONFIRMATION_MAX_AGE"])
    user = _active_user(data.get("u"))
    new_email = data.get("new")
    if user is None or not user.email or data.get("old") != user.email or not isinstance(new_email, str):
        raise LinkError(_l("This link has already been used or is no longer valid."))
    if db.session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise LinkError(_l("An account with this email already exists."))
    return user, new_email


def change_email(token: str) -> User:
    """Move the account to the new address (confirmed, since the link reached it) and
    tell the old one. Raises :class:`LinkError` as :func:`pending_change`."""
    user, new_email = pending_change(token)
    old_email = user.email
    user.email = new_email
    user.email_confirmed_at = utcnow()
    audit.record("account.email_changed", actor=user, target_user=user)
    db.session.flush()
    queue(
        old_email,
        "email_changed",
        _l("Your e-mail address was changed"),
        user.locale,
        name=user.display_name,
        new_email=new_email,
    )
    return user
