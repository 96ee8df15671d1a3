"""The vocabulary of roles. Every account is a citizen; the others are granted."""

from flask_babel import lazy_gettext as _l

from core.enums import LabelledEnum


class Role(LabelledEnum):
    """A role a person holds on the platform."""

    CITIZEN = "citizen", _l("Citizen")
    STAFF = "staff", _l("Municipal official")
    FACILITATOR = "facilitator", _l("Facilitator")
    EXPERT = "expert", _l("Advisory committee member / expert")
    ADMIN = "admin", _l("Administrator")


#: Roles that an administrator grants directly (staff is granted through the
#: verification queue or by an administrator, scoped to a municipality).
GRANTABLE_ROLES = (Role.STAFF, Role.FACILITATOR, Role.EXPERT, Role.ADMIN)

#: Roles that run the process: they manage forums, sessions, workshops and moderation.
MANAGER_ROLES = (Role.FACILITATOR, Role.ADMIN)
