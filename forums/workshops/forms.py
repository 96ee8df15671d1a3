"""Forms for workshops: details, invitations, presentations."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Optional

from core.forms import Form, at_most, int_or_none, required
from forums.common import BODY_HINT, BODY_MAX, DATETIME_FORMATS
from forums.workshops.models import InvitationRole, WorkshopKind


class WorkshopForm(Form):
    process_id = SelectField(_l("Process"), coerce=int_or_none, validators=[required()])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, k.label) for k in WorkshopKind], validators=[required()]
    )
    title = StringField(_l("Title"), validators=[required(), at_most(200)])
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Enter a valid date and time."))],
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])
    place = StringField(_l("Place"), validators=[at_most(300)])
    description = TextAreaField(_l("Description"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))


class WorkshopInviteForm(Form):
    email = EmailField(
        _l("Email of the person to invite"),
        validators=[required(), at_most(254), Email(message=_l("Enter a valid email address."))],
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, r.label) for r in InvitationRole],
        default=InvitationRole.PARTICIPANT.value,
        validators=[required()],
    )
    submit = SubmitField(_l("Invite"))


class PresentationForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(200)])
    presenter = StringField(_l("Presenter"), validators=[required(), at_most(120)])
    organisation = StringField(_l("Organisation"), validators=[at_most(160)])
    notes = TextAreaField(_l("Notes or slides"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))
