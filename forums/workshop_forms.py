"""Forms for workshops and their boards."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, NumberRange, Optional

from core.forms import Form, at_most, int_or_none, required
from forums.board_services import CARD_MAX, DOTS_MAX
from forums.forms import BODY_HINT
from forums.meeting_forms import DATETIME_FORMATS
from forums.services import BODY_MAX
from forums.workshops import InvitationRole, WorkshopKind


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


class BoardForm(Form):
    title = StringField(_l("Board title"), validators=[required(), at_most(200)])
    submit = SubmitField(_l("Create board"))


class TitleForm(Form):
    """The one field of a column or cluster (add or rename)."""

    title = StringField(_l("Name"), validators=[required(), at_most(120)])


class CardForm(Form):
    body = TextAreaField(_l("Card"), validators=[required(), at_most(CARD_MAX)])
    #: Facilitators only: the attendee who said it, for a card written down in the room.
    attendee = SelectField(_l("Said by"), coerce=int_or_none, validators=[Optional()])
    submit = SubmitField(_l("Add card"))


class CardEditForm(Form):
    body = CardForm.body
    submit = SubmitField(_l("Save"))


class MoveForm(Form):
    #: ``c<id>`` for a column, ``g<id>`` for a cluster.
    target = SelectField(_l("Move to"), validators=[required()])


class RoundForm(Form):
    dots = IntegerField(
        _l("Dots per participant"),
        default=3,
        validators=[
            InputRequired(message=_l("This field is required.")),
            NumberRange(min=1, max=DOTS_MAX, message=_l("Between %(min)s and %(max)s.")),
        ],
    )
    max_per_card = IntegerField(
        _l("Dots one participant may put on one card"),
        default=1,
        validators=[
            InputRequired(message=_l("This field is required.")),
            NumberRange(min=1, max=DOTS_MAX, message=_l("Between %(min)s and %(max)s.")),
        ],
    )
    submit = SubmitField(_l("Open the vote"))
