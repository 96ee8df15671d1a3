"""Forum forms. Labels use ``_l``: they are evaluated at import."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from core.forms import Form
from forums.models import ForumKind, ForumStatus
from forums.services import BODY_MAX, TITLE_MAX


def _required():
    return DataRequired(message=_l("This field is required."))


def _at_most(limit):
    return Length(max=limit, message=_l("At most %(max)d characters."))


def _int_or_none(value):
    """An int, or ``None`` for an empty value; raises ``ValueError`` for anything else."""
    if value in (None, "", "None"):
        return None
    return int(value)


BODY_HINT = _l("You can use Markdown: **bold**, *italics*, lists with -, links as [text](https://…).")


class ForumForm(Form):
    process_id = SelectField(_l("Process"), coerce=_int_or_none, validators=[_required()])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, k.label) for k in ForumKind], validators=[_required()]
    )
    municipality = SelectField(_l("Municipality"), coerce=_int_or_none, validators=[Optional()])
    title = StringField(_l("Title"), validators=[_required(), _at_most(TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[_at_most(5000)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))


class ForumEditForm(Form):
    title = ForumForm.title
    description = ForumForm.description
    submit = SubmitField(_l("Save"))


class StatusForm(Form):
    status = SelectField(
        _l("Status"), choices=[SelectChoice(s.value, s.label) for s in ForumStatus], validators=[_required()]
    )
    submit = SubmitField(_l("Change status"))


class InviteForm(Form):
    email = EmailField(
        _l("Email of the person to add"),
        validators=[_required(), _at_most(254), Email(message=_l("Enter a valid email address."))],
    )
    submit = SubmitField(_l("Add member"))


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[_required(), _at_most(TITLE_MAX)])
    body = TextAreaField(_l("Message"), validators=[_required(), _at_most(BODY_MAX)], description=BODY_HINT)
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Publish"))


class PostForm(Form):
    body = TextAreaField(_l("Message"), validators=[_required(), _at_most(BODY_MAX)], description=BODY_HINT)
    reply_to = HiddenField()
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Publish"))


class ConfirmForm(Form):
    """An empty form: a CSRF-protected button."""


class ReasonForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[_required(), _at_most(500)],
    )
    next = HiddenField()
