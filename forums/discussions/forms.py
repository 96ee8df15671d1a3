"""Forum forms. Labels use ``_l``: they are evaluated at import."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, Optional

from core.forms import SAVE_CHANGES, Form, at_most, int_or_none, required
from forums.common import BODY_HINT, BODY_MAX, TITLE_MAX
from forums.discussions.models import ForumKind, ForumStatus


class ForumForm(Form):
    process_id = SelectField(_l("Process"), coerce=int_or_none, validators=[required()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in ForumKind], validators=[required()])
    municipality = SelectField(_l("Municipality"), coerce=int_or_none, validators=[Optional()])
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[at_most(5000)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))


class ForumEditForm(Form):
    title = ForumForm.title
    description = ForumForm.description
    submit = SubmitField(SAVE_CHANGES)


class StatusForm(Form):
    status = SelectField(
        _l("Status"), choices=[SelectChoice(s.value, s.label) for s in ForumStatus], validators=[required()]
    )
    submit = SubmitField(_l("Change status"))


class InviteForm(Form):
    email = EmailField(
        _l("Email of the person to add"),
        validators=[required(), at_most(254), Email(message=_l("Enter a valid email address."))],
    )
    submit = SubmitField(_l("Add member"))


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    body = TextAreaField(_l("Message"), validators=[required(), at_most(BODY_MAX)], description=BODY_HINT)
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Publish"))


class PostForm(Form):
    body = TextAreaField(_l("Message"), validators=[required(), at_most(BODY_MAX)], description=BODY_HINT)
    reply_to = HiddenField()
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Publish"))
