"""Forms for sessions (meetings) and their sign-in sheets."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, NumberRange, Optional

from core.forms import Form, at_most, int_or_none
from forums.forms import BODY_HINT
from forums.meetings import Profile
from forums.services import BODY_MAX

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


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


class CheckInForm(Form):
    consent = BooleanField(_l("Agrees to be recorded by name"))
    submit = SubmitField(_l("Check in"))


def profile_choices():
    return [SelectChoice(p.value, p.label) for p in Profile]


class WalkInForm(Form):
    name = StringField(_l("Name (optional)"), validators=[at_most(120)])
    profile = SelectField(
        _l("Profile"), choices=profile_choices(), validators=[DataRequired(message=_l("This field is required."))]
    )
    municipality = SelectField(_l("Municipality"), coerce=int_or_none, validators=[Optional()])
    consent = BooleanField(_l("Agrees to be recorded by name"))
    submit = SubmitField(_l("Add to the sign-in sheet"))


class HeadcountForm(Form):
    headcount = IntegerField(
        _l("People in the room"),
        validators=[Optional(), NumberRange(min=0, max=100_000, message=_l("Between %(min)s and %(max)s."))],
        description=_l("For when not everyone's name was taken."),
    )
    submit = SubmitField(_l("Save headcount"))


class RemarkForm(Form):
    attendee = SelectField(_l("Said by"), coerce=int_or_none, validators=[Optional()])
    body = TextAreaField(
        _l("What was said"),
        validators=[DataRequired(message=_l("This field is required.")), at_most(BODY_MAX)],
    )
    submit = SubmitField(_l("Write down"))


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes"), validators=[at_most(50_000)], description=BODY_HINT)
    published = BooleanField(_l("Published: everyone who can see the forum can read them"))
    submit = SubmitField(_l("Save minutes"))
