"""Forums: where people speak (forums, sessions, threads, posts, workshop boards)."""

from flask import Blueprint

bp = Blueprint("forums", __name__, url_prefix="/forums")

from forums import board_views, meeting_views, moderation_views, privacy, views, workshop_views  # noqa: E402,F401  (register on import)
