"""The base of every form: Flask-WTF (CSRF) plus one input rule for all text.

Control characters (NUL above all, which PostgreSQL refuses in text) are removed from
every submitted value before validation; tabs and line breaks stay.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length

#: The status of a page drawn again because its form did not validate.
INVALID = 422

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(value):
    """``value`` without control characters, when it is a string."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def clean_text(value: str | None) -> str:
    """A query-string text without control characters (``""`` for ``None``)."""
    return strip_control(value or "")


#: The button of a form that edits something that exists (creating says "Save").
SAVE_CHANGES = _l("Save changes")


class Form(FlaskForm):
    """Every form of the platform derives from this."""

    def for_changes(self, editing: bool = True):
        """Label the submit button "Save changes" when ``editing`` something that exists;
        returns the form."""
        if editing and "submit" in self._fields:
            self.submit.label.text = SAVE_CHANGES
        return self

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), strip_control]
            return unbound_field.bind(form=form, filters=filters, **options)


class ConfirmForm(Form):
    """An empty form: a CSRF-protected button."""


def required():
    """The one "this field is required" validator, translated."""
    return DataRequired(message=_l("This field is required."))


def at_most(limit: int):
    """A maximum length, with a translated message."""
    return Length(max=limit, message=_l("At most %(max)d characters."))


def int_or_none(value):
    """Coerce a select value to an int, or an empty one to ``None``.

    Raises ``ValueError`` for anything else, which WTForms reports as an invalid choice.
    """
    if value in (None, "", "None"):
        return None
    return int(value)
