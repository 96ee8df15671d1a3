"""Forms for sessions (meetings): details and minutes."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, NumberRange, Optional, ValidationError

from core.forms import Form, at_most
from forums.common import BODY_HINT, BODY_MAX, DATETIME_FORMATS


class MeetingForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("This field is required.")), at_most(200)])
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Enter a valid date and time."))],
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])
    place = StringField(_l("Place"), validators=[at_most(300)], description=_l("Address and room, if in person."))
    online_url = StringField(
        _l("Online link"),
        validators=[Optional(), at_most(500), URL(message=_l("Enter a full web address (https://…)."))],
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=_l("Between %(min)s and %(max)s."))],
        description=_l("Leave empty for no limit. When full, people join a waiting list."),
    )
    agenda = TextAreaField(_l("Agenda"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))

    def validate_ends_at(self, field):
        """An end before the start is the end field's error (the service checks it too)."""
        if field.data and self.starts_at.data and field.data < self.starts_at.data:
            raise ValidationError(_l("The end cannot be before the start."))


#: Who reads the minutes: the values of :class:`MinutesForm`'s ``visibility``.
DRAFT = "draft"
PUBLISHED = "published"


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes"), validators=[at_most(50_000)], description=BODY_HINT)
    #: Chosen before saving, with the current state checked; empty minutes stay unpublished.
    visibility = RadioField(
        _l("Who can read them"),
        choices=[
            SelectChoice(DRAFT, _l("Draft: only facilitators can read them")),
            SelectChoice(PUBLISHED, _l("Published: everyone who can see the forum can read them")),
        ],
        validators=[InputRequired(message=_l("Choose who can read the minutes."))],
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save minutes"))
