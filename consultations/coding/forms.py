"""Forms for the codebook and coding."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from consultations.coding.services import CODE_MAX, NAME_MAX
from consultations.common import BODY_MAX
from core.forms import Form, at_most, int_or_none, required
from forums.common import BODY_HINT


class ThemeForm(Form):
    code = StringField(
        _l("Code"), validators=[required(), at_most(CODE_MAX)], description=_l("Short and unique, such as T-ACTAS.")
    )
    name = StringField(_l("Name"), validators=[required(), at_most(NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    parent_id = SelectField(_l("Parent theme"), coerce=int_or_none, validate_choice=True)
    sections = StringField(
        _l("Model sections"),
        validators=[at_most(500)],
        description=_l("Keys of the sections it is about, separated by commas: T.2, T.3."),
    )
    submit = SubmitField(_l("Save theme"))


class MergeForm(Form):
    target_id = SelectField(_l("Merge into"), coerce=int_or_none, validate_choice=True, validators=[required()])
    submit = SubmitField(_l("Merge"))


class ClusterForm(Form):
    theme_id = SelectField(_l("Existing theme"), coerce=int_or_none, validate_choice=True)
    code = StringField(_l("Or a new theme's code"), validators=[at_most(CODE_MAX)])
    name = StringField(_l("and name (the cluster's title if empty)"), validators=[at_most(NAME_MAX)])
    submit = SubmitField(_l("Code the cluster's cards"))


class NextForm(Form):
    next = HiddenField()


class SampleForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(120)])
    coders = SelectMultipleField(
        _l("Coders"), coerce=int, description=_l("Two or more facilitators; each codes without seeing the others.")
    )
    size = IntegerField(
        _l("How many contributions"),
        validators=[
            InputRequired(message=_l("Enter a number.")),
            NumberRange(min=1, max=200, message=_l("Between %(min)s and %(max)s.")),
        ],
        default=20,
    )
    kind = SelectField(
        _l("From"), validate_choice=True, description=_l("Drawn at random from the process's contributions.")
    )
    submit = SubmitField(_l("Draw the sample"))
