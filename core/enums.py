"""Enumerations whose members carry their translated label."""

import enum


class LabelledEnum(enum.StrEnum):
    """A string enumeration declared as ``NAME = "value", _l("Label")``.

    Members compare equal to their value (they are stored as plain strings) and
    ``member.label`` is the lazily translated label.
    """

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self):
        """The translated label."""
        return self._label
