"""The moderation form: a reason (flag, hide, restore, block)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField

from core.forms import Form, at_most, required
from forums.moderation.models import REASON_MAX


class ReasonForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[required(), at_most(REASON_MAX)],
    )
    next = HiddenField()
