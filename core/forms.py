"""The base of every form: Flask-WTF (CSRF) plus one input rule for all text.

Control characters (NUL above all, which PostgreSQL refuses in text) are removed from
every submitted value before validation; tabs and line breaks stay.
"""

import re

from flask_wtf import FlaskForm

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(value):
    """``value`` without control characters, when it is a string."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def clean_text(value: str | None) -> str:
    """A query-string text without control characters (``""`` for ``None``)."""
    return strip_control(value or "")


class Form(FlaskForm):
    """Every form of the platform derives from this."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), strip_control]
            return unbound_field.bind(form=form, filters=filters, **options)
