"""Account rules: registration, sign-in, roles, verification, privacy. Services flush;
the request (or CLI command) commits."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from accounts.models import (
    Consent,
    Municipality,
    Organisation,
    RequestStatus,
    RoleAssignment,
    StaffRequest,
    User,
)
from core import audit
from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import Notification
from core.privacy import collect_sections, iso
from core.roles import Role

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


class AccountError(ValueError):
    """A rule was broken; the message is translated and safe to show."""


def normalise_email(email: str) -> str:
    """Emails are compared case-insensitively and stored lowercased."""
    return (email or "").strip().lower()


def _hash_method():
    return current_app.config.get("PASSWORD_HASH_METHOD")


def configure_login(login_manager) -> None:
    """Wire Flask-Login to accounts: loader, login view and its translated message."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(token: str):
        return db.session.scalar(select(User).where(User.auth_token == token, User.deleted_at.is_(None)))


def find_by_email(email: str) -> User | None:
    """The active account with ``email``, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None)))


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
    db.session.add(
        Consent(user_id=user.id, document=PRIVACY_NOTICE, version=current_app.config["PRIVACY_NOTICE_VERSION"])
    )
    audit.record("account.registered", actor=user, target_user=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account if ``email`` and ``password`` match an active account, else ``None``."""
    user = find_by_email(email)
    if user is None or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


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


def delete_account(user: User) -> None:
    """Remove identity (name, email, password, roles) and keep contributions, which are
    then attributed to "deleted participant"."""
    audit.record("account.deleted", actor=user, target_user=user)
    user.email = None
    user.display_name = None
    user.password_hash = None
    user.municipality_id = None
    user.locale = None
    user.auth_token = f"deleted-{user.id}-{utcnow().timestamp()}"
    user.deleted_at = utcnow()
    user.role_assignments.clear()
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    for staff_request in db.session.scalars(
        select(StaffRequest).where(StaffRequest.user_id == user.id, StaffRequest.status == RequestStatus.PENDING.value)
    ):
        db.session.delete(staff_request)
    db.session.flush()


def export_personal_data(user: User) -> dict:
    """Everything the platform holds about ``user``, as JSON-ready data."""
    consents = db.session.scalars(select(Consent).where(Consent.user_id == user.id).order_by(Consent.id))
    requests = db.session.scalars(select(StaffRequest).where(StaffRequest.user_id == user.id).order_by(StaffRequest.id))
    contributions = db.session.scalars(
        select(Contribution).where(Contribution.author_id == user.id).order_by(Contribution.id)
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
            "created_at": iso(user.created_at),
            "last_login_at": iso(user.last_login_at),
        },
        "roles": [
            {"role": a.role, "scope": a.scope_name or None, "granted_at": iso(a.granted_at)}
            for a in user.role_assignments
        ],
        "consents": [{"document": c.document, "version": c.version, "given_at": iso(c.given_at)} for c in consents],
        "staff_requests": [
            {
                "municipality": r.municipality.name,
                "position": r.position,
                "status": r.status,
                "created_at": iso(r.created_at),
                "decided_at": iso(r.decided_at),
            }
            for r in requests
        ],
        "contributions": [
            {
                "id": c.id,
                "space_kind": c.space_kind,
                "space_id": c.space_id,
                "section": c.section_key,
                "channel": c.channel,
                "text": c.body_source,
                "created_at": iso(c.created_at),
            }
            for c in contributions
        ],
        "account_history": [{"action": e.action, "at": iso(e.created_at), "detail": e.detail} for e in history],
        "notifications": [{"text": n.text, "at": iso(n.created_at), "read_at": iso(n.read_at)} for n in notifications],
    }
    data.update(collect_sections(user))
    return data
