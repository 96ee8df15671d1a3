"""Forum pages."""

from flask import render_template

from forums import bp


@bp.get("/")
def index():
    """The forums landing page."""
    return render_template("forums/index.html")
