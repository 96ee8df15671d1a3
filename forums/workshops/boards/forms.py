"""Forms for workshop boards: the board, columns and clusters, cards, moves, dot votes."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from core.forms import SAVE_CHANGES, Form, at_most, int_or_none, required
from forums.workshops.boards.services import CARD_MAX, DOTS_MAX


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
    submit = SubmitField(SAVE_CHANGES)


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
