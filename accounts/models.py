"""People, roles, places and the co-creation process."""

import secrets
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.enums import LabelledEnum
from core.extensions import db
from core.models import utcnow
from core.roles import Role


class OrganisationKind(LabelledEnum):
    """What an organisation is in the process."""

    COORDINATOR = "coordinator", _l("Coordinator")
    CSO = "cso", _l("Civil-society organisation")
    OTHER = "other", _l("Other organisation")


class NotificationMail(LabelledEnum):
    """How often a person is sent their notifications by e-mail."""

    IMMEDIATE = "immediate", _l("Right away, one e-mail for each")
    DAILY = "daily", _l("Once a day, in one summary e-mail")
    NEVER = "never", _l("Never: I will look on the site")


class Municipality(db.Model):
    """A local government (comuna)."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str] = mapped_column(String(120), default="")
    in_commission: Mapped[bool] = mapped_column(default=False)


class Organisation(db.Model):
    """The coordinator (CPLT), a civil-society organisation, or another body."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    acronym: Mapped[str] = mapped_column(String(30), default="")
    kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.CSO.value)

    @property
    def kind_label(self):
        """The translated kind."""
        return OrganisationKind(self.kind).label


class Process(db.Model):
    """A co-creation process; forums, workshops and comment rounds belong to one."""

    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))

    coordinator = relationship(Organisation, lazy="joined")
    phases = relationship(
        "Phase",
        back_populates="process",
        order_by="(Phase.starts_on, Phase.id)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class Phase(db.Model):
    """A dated stage of a process (inputs, drafting, implementation, ...)."""

    __tablename__ = "process_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    process = relationship(Process, back_populates="phases")


class User(UserMixin, db.Model):
    """An account. Deleting it removes identity and keeps the row for attribution."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(5))
    #: Rotated on password change and deletion, so other sessions end.
    auth_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the person followed the link sent to ``email`` (empty: not confirmed yet;
    #: they can take part meanwhile and are reminded on their pages).
    email_confirmed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    #: Blocked by a moderator: the account's content is hidden and it can no longer post.
    blocked_at: Mapped[datetime | None]
    blocked_reason: Mapped[str] = mapped_column(String(500), default="")
    #: How notifications reach the person by e-mail (:class:`NotificationMail`).
    notification_mail: Mapped[str] = mapped_column(
        String(10), default=NotificationMail.DAILY.value, server_default=NotificationMail.DAILY.value
    )
    #: When the last daily summary was made for the person (sent or, with no news, not).
    last_digest_at: Mapped[datetime | None]

    municipality = relationship(Municipality, lazy="joined")
    role_assignments = relationship(
        "RoleAssignment",
        back_populates="user",
        foreign_keys="RoleAssignment.user_id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def get_id(self) -> str:
        """Flask-Login identity: the rotating token, not the primary key."""
        return self.auth_token

    @property
    def is_active(self) -> bool:
        """Deleted accounts cannot sign in."""
        return self.deleted_at is None

    @property
    def is_blocked(self) -> bool:
        """Blocked by a moderator."""
        return self.blocked_at is not None

    @property
    def public_name(self) -> str:
        """The name shown beside contributions."""
        if self.deleted_at is not None or not self.display_name:
            return _("deleted participant")
        return self.display_name

    def set_password(self, password: str, method: str | None = None) -> None:
        """Hash and store ``password``; rotates the session token."""
        self.password_hash = generate_password_hash(password, method=method or "scrypt")
        self.rotate_token()

    def rotate_token(self) -> None:
        """A new session token: every session and remember-me cookie issued with the old
        one stops signing anyone in."""
        self.auth_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def has_role(self, role: Role, municipality_id: int | None = None, organisation_id: int | None = None) -> bool:
        """Whether this account holds ``role``, within a municipality or organisation if given."""
        if not self.is_active:
            return False
        if role == Role.CITIZEN:
            return True
        for assignment in self.role_assignments:
            if assignment.role != role:
                continue
            if municipality_id is not None and assignment.municipality_id != municipality_id:
                continue
            if organisation_id is not None and assignment.organisation_id != organisation_id:
                continue
            return True
        return False

    @property
    def roles(self) -> list[Role]:
        """The distinct roles held, citizen first."""
        held = {Role(a.role) for a in self.role_assignments}
        return [Role.CITIZEN] + [r for r in Role if r in held and r != Role.CITIZEN]


class RoleAssignment(db.Model):
    """A granted role, scoped to a municipality (staff) or organisation (facilitator)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "municipality_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship(User, back_populates="role_assignments", foreign_keys=[user_id])
    municipality = relationship(Municipality, lazy="joined")
    organisation = relationship(Organisation, lazy="joined")

    @property
    def role_label(self):
        """The translated role name."""
        return Role(self.role).label

    @property
    def scope_name(self) -> str:
        """The municipality or organisation the role is held in, if any."""
        if self.municipality is not None:
            return self.municipality.name
        if self.organisation is not None:
            return self.organisation.name
        return ""


class Consent(db.Model):
    """A recorded consent: to which text, which version, when."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    document: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestStatus(LabelledEnum):
    """Where a staff verification request stands."""

    PENDING = "pending", _l("Pending")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")


class StaffRequest(db.Model):
    """A person asks to be verified as an official of one municipality."""

    __tablename__ = "staff_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    position: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING.value, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    user = relationship(User, foreign_keys=[user_id], lazy="joined")
    municipality = relationship(Municipality, lazy="joined")
    decided_by = relationship(User, foreign_keys=[decided_by_id], lazy="joined")

    @property
    def status_label(self):
        """The translated status."""
        return RequestStatus(self.status).label
