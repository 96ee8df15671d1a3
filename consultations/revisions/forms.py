"""The form for a change of the revision record."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField

from consultations.common import BODY_MAX
from consultations.revisions.services import SUMMARY_MAX
from core.forms import Form, at_most, required
from forums.common import BODY_HINT


class ChangeForm(Form):
    summary = StringField(_l("What changed"), validators=[required(), at_most(SUMMARY_MAX)])
    reason = TextAreaField(_l("Why"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    editorial = BooleanField(
        _l("Editorial change (wording, a typo): no reason or themes needed"),
    )
    contributions = StringField(
        _l("Contributions it answers (optional)"),
        validators=[at_most(500)],
        description=_l("Their numbers, separated by commas, as the coding workbench shows them."),
    )
    submit = SubmitField(_l("Save change"))
