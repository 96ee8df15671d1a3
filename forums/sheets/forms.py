"""Forms of the sign-in sheet: check-in, walk-in, headcount, remarks."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from core.forms import Form, at_most, int_or_none
from forums.common import BODY_MAX
from forums.sheets.models import Profile


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


class RemarkEditForm(RemarkForm):
    submit = SubmitField(_l("Save changes"))
