"""Forms for comment rounds and comments."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from consultations.common import BODY_MAX, COMMENT_MAX, TITLE_MAX
from consultations.rounds.models import Audience, Stance
from consultations.rounds.services import SAID_BY_MAX
from core.forms import SAVE_CHANGES, Form, at_most, required
from core.models import Channel
from forums.common import BODY_HINT, DATETIME_FORMATS


def _when(label):
    return DateTimeLocalField(
        label, format=DATETIME_FORMATS, validators=[InputRequired(message=_l("Enter a valid date and time."))]
    )


class RoundForm(Form):
    audience = SelectField(
        _l("Who may comment"), choices=[SelectChoice(a.value, a.label) for a in Audience], validators=[required()]
    )
    municipalities = SelectMultipleField(
        _l("Municipalities"),
        coerce=int,
        description=_l("For municipal staff only: leave empty for the officials of every municipality."),
    )
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    question = TextAreaField(
        _l("Guiding question"),
        validators=[at_most(BODY_MAX)],
        description=_l("What you ask people. You can format the text: **bold**, *italics*, lists with -."),
    )
    opens_at = _when(_l("Opens"))
    closes_at = _when(_l("Closes"))
    submit = SubmitField(_l("Save"))


class RoundEditForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    question = TextAreaField(_l("Guiding question"), validators=[at_most(BODY_MAX)])
    opens_at = _when(_l("Opens"))
    closes_at = _when(_l("Closes"))
    submit = SubmitField(SAVE_CHANGES)


class ExtendForm(Form):
    closes_at = _when(_l("New closing time"))
    submit = SubmitField(_l("Extend"))


def _stance():
    return RadioField(
        _l("Your position (optional)"),
        choices=[SelectChoice("", _l("No position"))] + [SelectChoice(s.value, s.label) for s in Stance],
        default="",
        validators=[Optional()],
        validate_choice=True,
    )


class CommentForm(Form):
    section_key = HiddenField()
    stance = _stance()
    body = TextAreaField(_l("Comment"), validators=[required(), at_most(COMMENT_MAX)], description=BODY_HINT)
    wording = TextAreaField(
        _l("Proposed wording (optional)"),
        validators=[at_most(BODY_MAX)],
        description=_l("If you propose a change, the text you would put instead."),
    )
    submit = SubmitField(_l("Send comment"))


class ReplyForm(Form):
    body = TextAreaField(_l("Reply"), validators=[required(), at_most(COMMENT_MAX)])
    submit = SubmitField(_l("Send reply"))


class OnBehalfForm(Form):
    email = EmailField(
        _l("Account (e-mail)"),
        validators=[Optional(), at_most(254)],
        description=_l("The person's account, if they have one here."),
    )
    said_by = StringField(
        _l("Or their name"), validators=[at_most(SAID_BY_MAX)], description=_l("For someone without an account.")
    )
    channel = SelectField(
        _l("How it reached us"),
        choices=[
            SelectChoice(Channel.WRITTEN.value, _l("In writing")),
            SelectChoice(Channel.IN_PERSON.value, _l("In person")),
        ],
        validators=[required()],
    )
    section_key = SelectField(_l("About"), choices=[], validate_choice=True)
    stance = _stance()
    body = TextAreaField(_l("Comment"), validators=[required(), at_most(COMMENT_MAX)], description=BODY_HINT)
    wording = TextAreaField(_l("Proposed wording (optional)"), validators=[at_most(BODY_MAX)])
    submit = SubmitField(_l("Enter comment"))


class MemberForm(Form):
    email = EmailField(_l("E-mail of the account"), validators=[required(), at_most(254)])
    submit = SubmitField(_l("Invite"))
