"""Choice lists for select fields, read from the database inside a request."""

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from accounts.models import Municipality, Organisation, OrganisationKind
from core.extensions import db


def municipality_choices(blank: bool = True) -> list[tuple]:
    """(id, name) for every municipality, alphabetical, after an optional blank choice."""
    rows = db.session.execute(select(Municipality.id, Municipality.name).order_by(Municipality.name)).all()
    choices = [SelectChoice(row.id, row.name) for row in rows]
    return ([SelectChoice("", _("— None or another —"))] + choices) if blank else choices


def organisation_choices(blank: bool = True) -> list[tuple]:
    """(id, name) for every organisation, alphabetical, after an optional blank choice."""
    rows = db.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    choices = [SelectChoice(row.id, row.name) for row in rows]
    return ([SelectChoice("", _("— None —"))] + choices) if blank else choices


def organisation_kind_choices() -> list[tuple]:
    """(value, translated label) for every organisation kind."""
    return [SelectChoice(kind.value, kind.label) for kind in OrganisationKind]
