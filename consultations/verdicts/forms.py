"""Forms for verdict decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from consultations.verdicts.services import REASON_MAX
from core.forms import Form, at_most, int_or_none, required


class DecisionForm(Form):
    contribution_id = IntegerField(
        _l("Contribution number"),
        validators=[Optional(), NumberRange(min=1, max=2_000_000_000, message=_l("Enter a contribution number."))],
        description=_l("As the coding workbench shows it. Leave empty to decide for a theme."),
    )
    theme_id = SelectField(
        _l("Or every contribution of a theme that no change took"), coerce=int_or_none, validate_choice=True
    )
    status = SelectField(_l("What became of it"), validators=[required()], validate_choice=True)
    reason = TextAreaField(
        _l("Reason"), validators=[required(), at_most(REASON_MAX)], description=_l("The people concerned will read it.")
    )
    submit = SubmitField(_l("Save decision"))
