"""Permission helpers shared by every blueprint."""

from functools import wraps

from flask import abort
from flask_login import current_user

from core.extensions import login_manager
from core.roles import MANAGER_ROLES, Role


def has_role(role: Role, **scope) -> bool:
    """Whether the current user holds ``role`` (optionally scoped, e.g. municipality_id=3)."""
    if not current_user.is_authenticated:
        return False
    return current_user.has_role(role, **scope)


def role_required(*roles: Role):
    """Decorate a view so only signed-in holders of one of ``roles`` reach it.

    Anonymous visitors are sent to the login page; signed-in people without the role get
    403 (raised through ``abort``).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_manager(user) -> bool:
    """Whether ``user`` (signed in or not) holds one of the :data:`~core.roles.MANAGER_ROLES`."""
    return bool(user and user.is_authenticated) and any(user.has_role(role) for role in MANAGER_ROLES)


#: Facilitators and administrators only (the decorator twin of :func:`is_manager`).
managers_only = role_required(*MANAGER_ROLES)
