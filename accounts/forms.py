"""Forms for accounts and administration. Labels use ``_l``: they are evaluated at import."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, StopValidation, ValidationError

from accounts.models import NotificationMail
from core.forms import Form, at_most, int_or_none, required
from core.i18n import LANGUAGE_NAMES
from core.roles import GRANTABLE_ROLES, Role

PASSWORD_MIN = 12
PASSWORD_MAX = 128


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            required(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("The password must have between %(min)d and %(max)d characters."),
            ),
        ],
    )


def _email_field():
    return EmailField(
        _l("Email"),
        validators=[
            required(),
            at_most(254),
            Email(message=_l("Enter a valid email address.")),
        ],
    )


class ExplicitlyChecked:
    """The checkbox was ticked: the browser sent exactly the checkbox's value (``y``), and
    nothing else counts as consent (WTForms' ``BooleanField`` alone reads any value but
    ``false`` as ticked)."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.raw_data != ["y"]:
            field.errors[:] = []
            raise StopValidation(self.message)


def _consent_field(label, message):
    return BooleanField(label, validators=[ExplicitlyChecked(message)])


def _language_choices():
    return [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()]


class RegisterForm(Form):
    email = _email_field()
    display_name = StringField(
        _l("Display name"),
        validators=[required(), Length(min=2, max=80, message=_l("Between %(min)d and %(max)d characters."))],
        description=_l("Shown beside what you write. It need not be your full name."),
    )
    password = _password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[required(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    municipality = SelectField(
        _l("Your municipality"), coerce=int_or_none, validators=[Optional()], validate_choice=True
    )
    consent = _consent_field(
        _l("I have read the privacy notice and agree that my participation is recorded as it describes."),
        _l("You must accept the privacy notice to register."),
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(Form):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[required(), at_most(PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class PasswordChangeForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[required(), at_most(PASSWORD_MAX)],
    )
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(Form):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(Form):
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Set the new password"))


class EmailChangeForm(Form):
    email = EmailField(
        _l("New email"),
        validators=[required(), at_most(254), Email(message=_l("Enter a valid email address."))],
    )
    password = PasswordField(_l("Your password"), validators=[required(), at_most(PASSWORD_MAX)])
    submit = SubmitField(_l("Send the confirmation link"))


class ProfileForm(Form):
    display_name = RegisterForm.display_name
    municipality = SelectField(_l("Your municipality"), coerce=int_or_none, validators=[Optional()])
    locale = SelectField(_l("Preferred language"), choices=_language_choices(), validators=[required()])
    notification_mail = SelectField(
        _l("Notifications by e-mail"),
        choices=[SelectChoice(choice.value, choice.label) for choice in NotificationMail],
        validators=[Optional()],
        description=_l("Replies, answers about your contributions, invitations and changes to your sessions."),
    )
    submit = SubmitField(_l("Save profile"))


class LanguageForm(Form):
    lang = SelectField(_l("Language"), choices=_language_choices(), validators=[required()])
    submit = SubmitField(_l("Change language"))


class StaffRequestForm(Form):
    municipality = SelectField(_l("Municipality"), coerce=int_or_none, validators=[required()])
    position = StringField(
        _l("Position or unit"),
        validators=[required(), at_most(120)],
        description=_l("For example: Transparency unit, Community development office."),
    )
    submit = SubmitField(_l("Request verification"))


class ConsentForm(Form):
    consent = _consent_field(
        _l("I have read the current privacy notice and agree that my participation is recorded as it describes."),
        _l("Please tick the box to consent to the current privacy notice."),
    )
    submit = SubmitField(_l("I consent"))


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password"),
        validators=[required(), at_most(PASSWORD_MAX)],
    )
    confirm = BooleanField(
        _l("I understand that my name and email are removed and cannot be recovered."),
        validators=[InputRequired(message=_l("Please confirm that you want to delete your account."))],
    )
    submit = SubmitField(_l("Delete my account"))


class MunicipalityForm(Form):
    name = StringField(_l("Name"), validators=[required(), at_most(120)])
    region = StringField(_l("Region"), validators=[at_most(120)])
    in_commission = BooleanField(_l("Member of the standing commission"))
    submit = SubmitField(_l("Save"))


class OrganisationForm(Form):
    name = StringField(_l("Name"), validators=[required(), at_most(160)])
    acronym = StringField(_l("Acronym"), validators=[at_most(30)])
    kind = SelectField(_l("Kind"), validators=[required()])
    submit = SubmitField(_l("Save"))


def _end_not_before_start(form, field):
    if form.starts_on.data and field.data and field.data < form.starts_on.data:
        raise ValidationError(_l("The end date cannot be before the start date."))


class ProcessForm(Form):
    title = StringField(_l("Title"), validators=[required(), at_most(200)])
    description = TextAreaField(_l("Description"), validators=[at_most(5000)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Enter a valid date."))])
    ends_on = DateField(
        _l("Ends on"), validators=[InputRequired(message=_l("Enter a valid date.")), _end_not_before_start]
    )
    coordinator = SelectField(_l("Coordinator"), coerce=int_or_none, validators=[Optional()])
    submit = SubmitField(_l("Save"))


class PhaseForm(Form):
    name = StringField(_l("Phase name"), validators=[required(), at_most(160)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Enter a valid date."))])
    ends_on = DateField(
        _l("Ends on"), validators=[InputRequired(message=_l("Enter a valid date.")), _end_not_before_start]
    )
    submit = SubmitField(_l("Add phase"))


class GrantRoleForm(Form):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, r.label) for r in GRANTABLE_ROLES], validators=[required()]
    )
    municipality = SelectField(_l("Municipality (for officials)"), coerce=int_or_none, validators=[Optional()])
    organisation = SelectField(_l("Organisation (for facilitators)"), coerce=int_or_none, validators=[Optional()])
    submit = SubmitField(_l("Grant role"))

    def validate(self, extra_validators=None):
        """The scope rules of ``services.grant_role``, checked here too so that the error
        sits on the field that needs a value (``Optional`` stops a field's own validators
        when it is empty)."""
        valid = super().validate(extra_validators)
        if self.role.data == Role.STAFF.value and not self.municipality.data:
            self.municipality.errors = [*self.municipality.errors, _l("A municipal official needs a municipality.")]
            valid = False
        if self.role.data == Role.FACILITATOR.value and not self.organisation.data:
            self.organisation.errors = [*self.organisation.errors, _l("A facilitator needs an organisation.")]
            valid = False
        return valid


class DecisionForm(Form):
    note = StringField(_l("Note (optional)"), validators=[at_most(500)])
