"""Forms for models, versions and sections."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField

from consultations.common import BODY_MAX, TITLE_MAX
from consultations.versions.keys import KEY_MAX
from consultations.versions.services import LABEL_MAX
from core.forms import SAVE_CHANGES, Form, at_most, required
from forums.common import BODY_HINT


class ModelForm(Form):
    process_id = SelectField(_l("Process"), coerce=int, validators=[required()])
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))


class VersionForm(Form):
    label = StringField(
        _l("Label"), validators=[required(), at_most(LABEL_MAX)], description=_l("A short name such as v0.2.")
    )
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[at_most(BODY_MAX)],
        description=_l("What this version is. You can format the text: **bold**, *italics*, lists with -."),
    )
    submit = SubmitField(_l("Save"))


class SectionForm(Form):
    key = StringField(
        _l("Key"),
        validators=[required(), at_most(KEY_MAX)],
        description=_l(
            "A dimension (T), a level (T.3), an indicator (T.3.a), the factor I or one of its aspects (I.2), "
            "or a lowercase name such as glossary. A key keeps its meaning in every version."
        ),
    )
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    body = TextAreaField(_l("Text"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(_l("Save"))


class SectionEditForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(TITLE_MAX)])
    body = TextAreaField(_l("Text"), validators=[at_most(BODY_MAX)], description=BODY_HINT)
    submit = SubmitField(SAVE_CHANGES)


class MoveForm(Form):
    direction = HiddenField(validators=[required()])
