"""Account rules: registration, sign-in, roles, verification, privacy. Services flush;
the request (or CLI command) commits."""

import functools
import json
import secrets

from flask import current_app, g, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import user_loaded_from_cookie
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import (
    Consent,
    Municipality,
    NotificationMail,
    Organisation,
    Process,
    RequestStatus,
    RoleAssignment,
    StaffRequest,
    User,
)
from core import audit, pagecache
from core.audit import ACTION_LABELS, AuditEntry
from core.extensions import db
from core.i18n import LANGUAGE_NAMES
from core.models import Channel, Contribution, utcnow
from core.notifications import Notification, notify, register_kinds, unread_expression
from core.privacy import collect_sections, erase_everything, register_labels, register_value_labels
from core.roles import Role
from core.security import delete_remember_cookie
from core.spaces import places_of

PRIVACY_NOTICE = "privacy_notice"

audit.register_actions(
    {
        "account.registered": _l("Account created"),
        "account.password_changed": _l("Password changed"),
        "account.deleted": _l("Account deleted"),
        "role.granted": _l("Role granted"),
        "role.revoked": _l("Role removed"),
        "staff_request.approved": _l("Official verified"),
        "staff_request.rejected": _l("Verification rejected"),
    }
)

register_kinds(
    {
        "staff_request.approved": lambda p: _("You are now a verified official of %(municipality)s.", **p),
        "staff_request.rejected": lambda p: (
            _(
                "Your request to be verified as an official of %(municipality)s was not accepted: %(note)s",
                **p,
            )
            if p.get("note")
            else _("Your request to be verified as an official of %(municipality)s was not accepted.", **p)
        ),
    },
    group=_l("Your account"),
)


#: The data download's sections and fields (see :mod:`core.privacy`).
register_labels(
    {
        "account": _l("Account"),
        "roles": _l("Roles"),
        "consents": _l("Consents"),
        "staff_requests": _l("Verification requests"),
        "contributions": _l("Contributions"),
        "account_history": _l("Account history"),
        "notifications": _l("Notifications"),
        "id": _l("Number"),
        "email": _l("Email"),
        "display_name": _l("Display name"),
        "municipality": _l("Municipality"),
        "organisation": _l("Organisation"),
        "preferred_language": _l("Preferred language"),
        "notification_mail": _l("Notifications by e-mail"),
        "created_at": _l("Created"),
        "last_login_at": _l("Last sign-in"),
        "blocked_at": _l("Blocked since"),
        "blocked_reason": _l("Reason for the block"),
        "role": _l("Role"),
        "scope": _l("Municipality or organisation"),
        "granted_at": _l("Granted"),
        "document": _l("Document"),
        "version": _l("Version"),
        "given_at": _l("Given"),
        "position": _l("Position or unit"),
        "status": _l("Status"),
        "decided_at": _l("Decided"),
        "decision_note": _l("Note from the reviewer"),
        "contribution": _l("Contribution"),
        "place": _l("Place"),
        "link": _l("Link"),
        "process": _l("Process"),
        "space_kind": _l("Kind of space"),
        "space_id": _l("Space number"),
        "section": _l("Model section"),
        "channel": _l("Channel"),
        "text": _l("Text"),
        "updated_at": _l("Edited"),
        "hidden": _l("Hidden by a moderator"),
        "hidden_reason": _l("Reason given by the moderator"),
        "action": _l("What"),
        "at": _l("When"),
        "detail": _l("Details"),
        "note": _l("Note"),
        "read_at": _l("Read on"),
    }
)
register_value_labels("role", {role.value: role.label for role in Role})
register_value_labels("staff_requests.status", {status.value: status.label for status in RequestStatus})
register_value_labels(
    "channel",
    {
        Channel.ONLINE.value: _l("Online"),
        Channel.IN_PERSON.value: _l("In person"),
        Channel.WRITTEN.value: _l("In writing"),
    },
)
register_value_labels("preferred_language", LANGUAGE_NAMES)
register_value_labels("notification_mail", {choice.value: choice.label for choice in NotificationMail})
register_value_labels("consents.document", {PRIVACY_NOTICE: _l("Privacy notice")})
register_value_labels("account_history.action", ACTION_LABELS)


class AccountError(ValueError):
    """A rule was broken; the message is translated and safe to show."""


def normalise_email(email: str) -> str:
    """Emails are compared case-insensitively and stored lowercased."""
    return (email or "").strip().lower()


def _hash_method():
    return current_app.config.get("PASSWORD_HASH_METHOD")


@functools.cache
def _dummy_hash(method: str | None) -> str:
    """A hash of a random password made with ``method``: checked when an email has no
    account, so that a sign-in costs the same whether or not the account exists."""
    return generate_password_hash(secrets.token_urlsafe(24), method=method or "scrypt")


def _mark_restored_session(app, user=None, **extra) -> None:
    """A session restored from the remember-me cookie gets the identifier that "strong"
    session protection checks. Flask-Login sets it only in ``login_user``; without it, the
    next request fails the check, signs the person out and deletes the cookie, so "keep me
    signed in" lasted a single page."""
    session["_id"] = current_app.login_manager._session_identifier_generator()


def configure_login(login_manager) -> None:
    """Wire Flask-Login to accounts: loader, login view and its translated message, the
    remember-me cookie's deletion and restored sessions. Raises nothing."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    # Flask-Login deletes the remember-me cookie (after a failed session check, say)
    # without its Secure, HttpOnly and SameSite attributes; delete it as it was set.
    login_manager._clear_cookie = delete_remember_cookie

    user_loaded_from_cookie.connect(_mark_restored_session)

    @login_manager.user_loader
    def load_user(token: str):
        # One query: the account, its roles and its unread notifications (every page
        # shows the count; core.notifications.unread_count takes it from g).
        row = db.session.execute(_signed_in_statement(), {"token": token}).unique().first()
        if row is None:
            return None
        user, unread, token = row
        g.unread_user_id, g.unread_notifications = user.id, unread
        pagecache.remember_token(token)
        return user


@functools.cache
def _signed_in_statement():
    """The sign-in loader's statement, built once (it runs on every request of someone
    signed in; building it cost more than running it), with the unread count every page
    shows and the site's token that pages drawn for a kind of viewer are kept under."""
    return (
        select(User, unread_expression(User.id), pagecache.token_column())
        .where(User.auth_token == bindparam("token"), User.deleted_at.is_(None))
        # What every request reads of the account: its roles and their scopes' ids, not
        # the municipality and organisation rows they name (a page that prints one
        # loads it).
        .options(
            lazyload(User.municipality),
            joinedload(User.role_assignments).options(
                lazyload(RoleAssignment.municipality), lazyload(RoleAssignment.organisation)
            ),
        )
    )


def find_by_email(email: str) -> User | None:
    """The active account with ``email``, if any. Raises nothing."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None)))


def email_taken(email: str) -> bool:
    """Whether any account (deleted ones keep no address) has ``email``. Raises nothing."""
    return db.session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


def register_user(email, display_name, password, municipality_id=None, locale=None) -> User:
    """Create an account and record consent to the current privacy notice.

    Raises :class:`AccountError` if the email is taken.
    """
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(_l("An account with this email already exists."))
    user = User(email=email, display_name=display_name.strip(), municipality_id=municipality_id, locale=locale)
    user.set_password(password, _hash_method())
    db.session.add(user)
    db.session.flush()
    record_consent(user)
    audit.record("account.registered", actor=user, target_user=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account if ``email`` and ``password`` match an active account, else ``None``.

    When no account has ``email``, a password check against a dummy hash made with the
    same method still runs, so the answer takes as long either way (no account
    enumeration by timing). Raises nothing.
    """
    user = find_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Rotate the account's login token: every session and remember-me cookie issued so
    far (copied ones included) stops signing anyone in. Used at sign-out. Raises nothing."""
    user.rotate_token()
    db.session.flush()


def accepted_notice_version(user_id: int) -> str | None:
    """The version of the privacy notice the account last consented to (one indexed
    query), or ``None`` if it never did. Raises nothing."""
    return db.session.scalar(
        select(Consent.version)
        .where(Consent.user_id == user_id, Consent.document == PRIVACY_NOTICE)
        .order_by(Consent.given_at.desc(), Consent.id.desc())
        .limit(1)
    )


def record_consent(user: User) -> Consent:
    """Record that ``user`` consents to the current version of the privacy notice. Raises
    nothing."""
    consent = Consent(user_id=user.id, document=PRIVACY_NOTICE, version=current_app.config["PRIVACY_NOTICE_VERSION"])
    db.session.add(consent)
    db.session.flush()
    return consent


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password; raises :class:`AccountError` if ``current`` is wrong."""
    if not user.check_password(current):
        raise AccountError(_l("The current password is not correct."))
    user.set_password(new, _hash_method())
    audit.record("account.password_changed", actor=user, target_user=user)


def grant_role(actor: User, user: User, role: Role, municipality_id=None, organisation_id=None) -> RoleAssignment:
    """Give ``user`` the ``role`` (staff needs a municipality, facilitator an organisation).

    Raises :class:`AccountError` for a missing scope or a role already held.
    """
    role = Role(role)
    if role == Role.CITIZEN:
        raise AccountError(_l("Every account is a citizen already."))
    if role == Role.STAFF and not municipality_id:
        raise AccountError(_l("A municipal official needs a municipality."))
    if role == Role.FACILITATOR and not organisation_id:
        raise AccountError(_l("A facilitator needs an organisation."))
    if role not in (Role.STAFF,):
        municipality_id = None
    if role != Role.FACILITATOR:
        organisation_id = None
    if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
        raise AccountError(_l("Unknown municipality."))
    if organisation_id is not None and db.session.get(Organisation, organisation_id) is None:
        raise AccountError(_l("Unknown organisation."))
    for existing in user.role_assignments:
        if (existing.role, existing.municipality_id, existing.organisation_id) == (
            role.value,
            municipality_id,
            organisation_id,
        ):
            raise AccountError(_l("This person already holds that role."))
    assignment = RoleAssignment(
        role=role.value,
        municipality_id=municipality_id,
        organisation_id=organisation_id,
        granted_by_id=actor.id,
    )
    user.role_assignments.append(assignment)
    db.session.flush()
    audit.record(
        "role.granted",
        actor=actor,
        target_user=user,
        role=role.value,
        municipality=assignment.municipality.name if assignment.municipality else None,
        organisation=assignment.organisation.name if assignment.organisation else None,
    )
    return assignment


def revoke_role(actor: User, assignment: RoleAssignment) -> None:
    """Take a granted role away. Raises :class:`AccountError` for one's own admin role."""
    if assignment.user_id == actor.id and assignment.role == Role.ADMIN.value:
        raise AccountError(_l("You cannot remove your own administrator role."))
    audit.record(
        "role.revoked",
        actor=actor,
        target_user=assignment.user,
        role=assignment.role,
        municipality=assignment.municipality.name if assignment.municipality else None,
        organisation=assignment.organisation.name if assignment.organisation else None,
    )
    assignment.user.role_assignments.remove(assignment)
    db.session.flush()


def request_staff_verification(user: User, municipality_id: int, position: str) -> StaffRequest:
    """Queue a request to be verified as an official of a municipality.

    Raises :class:`AccountError` if one is already pending or the role is already held.
    """
    if user.has_role(Role.STAFF, municipality_id=municipality_id):
        raise AccountError(_l("You are already a verified official of this municipality."))
    pending = db.session.scalar(
        select(StaffRequest.id).where(
            StaffRequest.user_id == user.id,
            StaffRequest.municipality_id == municipality_id,
            StaffRequest.status == RequestStatus.PENDING.value,
        )
    )
    if pending is not None:
        raise AccountError(_l("You already have a pending request for this municipality."))
    staff_request = StaffRequest(user_id=user.id, municipality_id=municipality_id, position=position.strip())
    db.session.add(staff_request)
    db.session.flush()
    return staff_request


def decide_staff_request(actor: User, staff_request: StaffRequest, approve: bool, note: str = "") -> None:
    """Approve (granting the staff role) or reject a pending request.

    Raises :class:`AccountError` if the request was already decided.
    """
    if staff_request.status != RequestStatus.PENDING.value:
        raise AccountError(_l("This request has already been decided."))
    staff_request.status = (RequestStatus.APPROVED if approve else RequestStatus.REJECTED).value
    staff_request.decided_by_id = actor.id
    staff_request.decided_at = utcnow()
    staff_request.decision_note = note.strip()
    if approve and not staff_request.user.has_role(Role.STAFF, municipality_id=staff_request.municipality_id):
        grant_role(actor, staff_request.user, Role.STAFF, municipality_id=staff_request.municipality_id)
    audit.record(
        "staff_request.approved" if approve else "staff_request.rejected",
        actor=actor,
        target_user=staff_request.user,
        municipality=staff_request.municipality.name,
        note=staff_request.decision_note,
    )
    notify(
        staff_request.user_id,
        "staff_request.approved" if approve else "staff_request.rejected",
        link="/account",
        municipality=staff_request.municipality.name,
        note=staff_request.decision_note,
    )


def delete_account(user: User) -> None:
    """Delete an account: remove or anonymise everything that ties the person to opinions
    and keep their contributions, then attributed to "deleted participant".

    Every floor's eraser runs first (:func:`core.privacy.erase_everything`: memberships,
    registrations, sign-in sheet entries, votes, invitations, reports, earlier versions of
    posts). Here: name, email, password, municipality, language, roles, the reason of a
    block, notifications and verification requests (any status) go; the contributions lose
    their municipality; the notes written about the person in the audit log are blanked.
    Kept, as the privacy notice says: the contributions, the consent records (proof of what
    was agreed to) and the audit log (who did what, and when). Raises whatever an eraser
    raises; the request then rolls back and nothing is half-deleted.
    """
    erase_everything(user)
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.target_user_id == user.id)):
        detail = entry.detail
        if detail.get("note"):
            detail["note"] = ""
            entry.detail_json = json.dumps(detail, sort_keys=True, default=str)
    audit.record("account.deleted", actor=user, target_user=user)
    user.email = None
    user.display_name = None
    user.password_hash = None
    user.municipality_id = None
    user.locale = None
    user.blocked_reason = ""
    user.auth_token = f"deleted-{user.id}-{secrets.token_hex(8)}"
    user.deleted_at = utcnow()
    user.role_assignments.clear()
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(StaffRequest).where(StaffRequest.user_id == user.id))
    db.session.execute(
        update(Contribution).where(Contribution.author_id == user.id).values(municipality_id=None),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()


def _places(contributions: list[Contribution]) -> dict:
    """``{contribution id: core.spaces.Place}``: where each contribution was said, as the
    floors registered it (the one call site of the space registry here)."""
    return places_of(contributions)


def export_personal_data(user: User) -> dict:
    """Everything the platform holds about ``user``, as plain values (see
    :mod:`core.privacy`): the JSON download and the readable page are made from it.
    Raises nothing (whatever a registered collector raises propagates)."""
    consents = db.session.scalars(select(Consent).where(Consent.user_id == user.id).order_by(Consent.id))
    requests = db.session.scalars(select(StaffRequest).where(StaffRequest.user_id == user.id).order_by(StaffRequest.id))
    contributions = db.session.scalars(
        select(Contribution).where(Contribution.author_id == user.id).order_by(Contribution.id)
    ).all()
    places = _places(contributions)
    process_ids = {c.process_id for c in contributions}
    processes = (
        dict(db.session.execute(select(Process.id, Process.title).where(Process.id.in_(process_ids))).tuples().all())
        if process_ids
        else {}
    )
    history = db.session.scalars(select(AuditEntry).where(AuditEntry.target_user_id == user.id).order_by(AuditEntry.id))
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    data = {
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "municipality": user.municipality.name if user.municipality else None,
            "preferred_language": user.locale,
            "notification_mail": user.notification_mail,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
            "blocked_at": user.blocked_at,
            "blocked_reason": user.blocked_reason or None,
        },
        "roles": [
            {"role": a.role, "scope": a.scope_name or None, "granted_at": a.granted_at} for a in user.role_assignments
        ],
        "consents": [{"document": c.document, "version": c.version, "given_at": c.given_at} for c in consents],
        "staff_requests": [
            {
                "municipality": r.municipality.name,
                "position": r.position,
                "status": r.status,
                "created_at": r.created_at,
                "decided_at": r.decided_at,
                "decision_note": r.decision_note or None,
            }
            for r in requests
        ],
        "contributions": [_contribution_data(c, places.get(c.id), processes.get(c.process_id)) for c in contributions],
        "account_history": [{"action": e.action, "at": e.created_at, "detail": e.detail} for e in history],
        "notifications": [
            {"text": n.text, "link": n.link or None, "at": n.created_at, "read_at": n.read_at} for n in notifications
        ],
    }
    data.update(collect_sections(user))
    return data


def _contribution_data(contribution: Contribution, place, process_title) -> dict:
    return {
        "id": contribution.id,
        "process": process_title,
        "place": place.title if place else None,
        "link": place.link if place else None,
        "space_kind": contribution.space_kind,
        "space_id": contribution.space_id,
        "section": contribution.section_key,
        "channel": contribution.channel,
        "text": contribution.body_source,
        "created_at": contribution.created_at,
        "updated_at": contribution.updated_at,
        "hidden": contribution.is_hidden,
        "hidden_reason": contribution.hidden_reason or None,
    }
