"""Consultations: the model under revision, comment rounds, themes, the revision record."""

from flask import Blueprint

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

from consultations import views  # noqa: E402,F401  (routes register on import)
