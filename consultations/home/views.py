"""Consultation pages."""

from flask import render_template

from consultations import bp


@bp.get("/")
def index():
    """The consultations landing page."""
    return render_template("consultations/index.html")
