"""The vocabulary of roles. Every account is a citizen; the others are granted."""

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    """A role a person holds on the platform."""

    CITIZEN = "citizen"
    STAFF = "staff"
    FACILITATOR = "facilitator"
    EXPERT = "expert"
    ADMIN = "admin"

    @property
    def label(self):
        """The translated name of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CITIZEN: _l("Citizen"),
    Role.STAFF: _l("Municipal official"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.EXPERT: _l("Advisory committee member / expert"),
    Role.ADMIN: _l("Administrator"),
}

#: Roles that an administrator grants directly (staff is granted through the
#: verification queue or by an administrator, scoped to a municipality).
GRANTABLE_ROLES = (Role.STAFF, Role.FACILITATOR, Role.EXPERT, Role.ADMIN)
