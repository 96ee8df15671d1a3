"""Accounts: people, roles, municipalities, organisations, the process, login and privacy."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

from accounts import admin, views  # noqa: E402,F401  (routes register on import)
