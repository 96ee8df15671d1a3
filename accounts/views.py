"""Sign-up, sign-in, profile, password, language, privacy, consent and verification
requests."""

import math
import time

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from accounts import bp, emails, notification_mails, services
from accounts.choices import municipality_choices
from accounts.forms import (
    ConsentForm,
    DeleteAccountForm,
    EmailChangeForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    StaffRequestForm,
)
from accounts.models import NotificationMail, StaffRequest
from core.extensions import account_key, csrf, db, limiter
from core.forms import INVALID, ConfirmForm
from core.i18n import LANGUAGE_COOKIE
from core.notifications import Notification, mark_read
from core.privacy import readable, to_json
from core.security import delete_remember_cookie, is_safe_redirect
from core.urls import page_arg
from core.welcome import welcome_url

#: Where a signed-in person who has not consented to the current privacy notice may still
#: go: the notice, the consent page, signing out, the language switch, and their data
#: (download it, delete the account). Everything else leads to the consent page.
CONSENT_EXEMPT = frozenset(
    {
        "static",
        "privacy_notice",
        "accounts.consent",
        "accounts.logout",
        "accounts.set_language",
        "accounts.privacy",
        "accounts.download_data",
        "accounts.data_page",
        "accounts.delete_account",
        "accounts.confirm_email",
        "accounts.confirm_email_change",
        "accounts.unsubscribe",
    }
)
#: The session remembers which notice version the signed-in account consented to, so
#: the check costs one query per session and notice version, not one per request.
CONSENT_SESSION_KEY = "_consented_notice"


def _limit(name):
    return lambda: current_app.config[name]


def _submitted_email():
    return "login:" + services.normalise_email(request.form.get("email", ""))[:254]


def _submitted_reset_email():
    return "reset:" + services.normalise_email(request.form.get("email", ""))[:254]


def _start_session(user, remember=False):
    """Renew the session (against fixation) and sign ``user`` in; note in the session
    whether they consented to the current privacy notice, so the pages that follow need
    not ask the database (see :func:`require_current_consent`)."""
    session.clear()
    login_user(user, remember=remember)
    required = current_app.config["PRIVACY_NOTICE_VERSION"]
    if services.accepted_notice_version(user.id) == required:
        session[CONSENT_SESSION_KEY] = required


def _end_session(response):
    """Forget the session and delete the remember-me cookie on ``response``.

    Flask-Login's ``logout_user`` only marks the cookie for deletion in the session, and
    clearing the session (which we do, against fixation) drops that mark; so the cookie is
    deleted here.
    """
    session.clear()
    return delete_remember_cookie(response)


def _set_language_cookie(response, code: str):
    """Remember the interface language ``code`` in the ``lang`` cookie on ``response``:
    HttpOnly always (no script reads it), Secure in production."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("LANGUAGE_COOKIE_SECURE", False),
    )
    return response


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_app_request
def require_current_consent():
    """Send a signed-in person who has not consented to the current privacy notice to the
    consent page (see :data:`CONSENT_EXEMPT` for where they may still go).

    Anonymous visitors cost no query (there is no account to load); a signed-in person
    costs one indexed query per session and notice version: the consented version is then
    kept in the session.
    """
    if request.endpoint is None or request.endpoint in CONSENT_EXEMPT:
        return None
    if not current_user.is_authenticated:
        return None
    required = current_app.config["PRIVACY_NOTICE_VERSION"]
    if session.get(CONSENT_SESSION_KEY) == required:
        return None
    if services.accepted_notice_version(current_user.id) == required:
        session[CONSENT_SESSION_KEY] = required
        return None
    target = request.full_path if request.method == "GET" and request.query_string else request.path
    next_page = target if request.method == "GET" and is_safe_redirect(target) else None
    return redirect(url_for("accounts.consent", next=next_page), 303)


def _register_form() -> RegisterForm:
    form = RegisterForm()
    form.municipality.choices = municipality_choices()
    return form


def _created_an_account(response) -> bool:
    """Whether this request created an account: only those count against
    ``RATELIMIT_REGISTER``, so that a room sharing one address (a session's Wi-Fi) is not
    refused because some people mistyped."""
    return g.get("account_created", False)


def _register_refused(limit) -> Response:
    """The registration form again, keeping what was typed (but the passwords), with why
    it was refused and when to try again: the answer when an address reached one of the
    registration limits, instead of the bare "too many attempts" page."""
    # reset_at is whole seconds: clamp, so a second's rounding never asks for more than the window.
    seconds = max(1, min(limit.reset_at - int(time.time()), limit.limit.get_expiry()))
    minutes = math.ceil(seconds / 60)
    refused = ngettext(
        "What you typed is kept below: enter the password again and send the form in %(num)s minute.",
        "What you typed is kept below: enter the password again and send the form in %(num)s minutes.",
        minutes,
    )
    page = render_template("accounts/register.html", form=_register_form(), refused=refused, next=_register_next())
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _register_next() -> str | None:
    """Where to go after registering, when the page that sent the person here said so
    (a session page): only a path on this site."""
    target = request.args.get("next")
    return target if is_safe_redirect(target) else None


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    _limit("RATELIMIT_REGISTER"),
    methods=["POST"],
    scope="accounts",
    deduct_when=_created_an_account,
    on_breach=_register_refused,
)
@limiter.limit(_limit("RATELIMIT_REGISTER_ATTEMPTS"), methods=["POST"], scope="attempts", on_breach=_register_refused)
def register():
    """Create an account; records consent to the privacy notice.

    From one address, ``RATELIMIT_REGISTER`` accounts may be created (failed attempts do
    not count) and ``RATELIMIT_REGISTER_ATTEMPTS`` forms sent; beyond either, the form
    comes back with what was typed and a 429 (:func:`_register_refused`).
    """
    target = _register_next()
    if current_user.is_authenticated:
        return redirect(target or url_for("accounts.profile"))
    form = _register_form()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data,
                form.display_name.data,
                form.password.data,
                municipality_id=form.municipality.data,
                locale=str(get_locale()),
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            g.account_created = True
            emails.send_confirmation(user)
            _start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            # Back to the page that sent them here (a session), else led to their
            # municipality's citizen forum, if it has one, else the home page.
            return redirect(target or welcome_url(user) or url_for("index"))
    status = INVALID if form.errors else 200
    return render_template("accounts/register.html", form=form, next=target), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_LOGIN_ADDRESS"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_LOGIN_ACCOUNT"), key_func=_submitted_email, methods=["POST"])
def login():
    """Sign in with email and password; ``next`` is followed only within this site."""
    target = request.args.get("next")
    if not is_safe_redirect(target):
        target = None
    if current_user.is_authenticated:
        return redirect(target or url_for("index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(target or url_for("index"))
        error = _("The email or password is not correct.")
    status = INVALID if (form.errors or error) else 200
    return render_template("accounts/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out: forget the session, delete the remember-me cookie, and rotate the
    account's login token so that a copied session or remember-me cookie no longer signs
    anyone in (on any device)."""
    services.end_sessions(current_user._get_current_object())
    logout_user()
    response = _end_session(redirect(url_for("index")))
    flash(_("You are signed out."), "info")
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    """One's own profile: name, municipality, preferred language; roles and requests."""
    form = ProfileForm(obj=current_user)
    form.municipality.choices = municipality_choices()
    if request.method == "GET":
        form.municipality.data = current_user.municipality_id
        form.locale.data = current_user.locale or str(get_locale())
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.municipality_id = form.municipality.data
        current_user.locale = form.locale.data
        if form.notification_mail.data:
            notification_mails.set_preference(current_user, form.notification_mail.data)
        refresh()  # the confirmation speaks the newly chosen language
        flash(_("Your profile is saved."), "success")
        return _set_language_cookie(redirect(url_for("accounts.profile")), form.locale.data)
    requests = db.session.scalars(
        select(StaffRequest).where(StaffRequest.user_id == current_user.id).order_by(StaffRequest.id.desc())
    ).all()
    status = INVALID if form.errors else 200
    return render_template("accounts/profile.html", form=form, staff_requests=requests), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("RATELIMIT_PASSWORD_ADDRESS"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_ACCOUNT"), key_func=account_key, methods=["POST"])
def change_password():
    """Change one's password; the current one is asked for. Other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except services.AccountError as error:
            form.current.errors.append(str(error))
        else:
            _start_session(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    status = INVALID if form.errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/verification", methods=["GET", "POST"])
@login_required
def staff_request():
    """Ask to be verified as an official of a municipality."""
    form = StaffRequestForm()
    form.municipality.choices = municipality_choices(blank=False)
    if request.method == "GET" and current_user.municipality_id:
        form.municipality.data = current_user.municipality_id
    if form.validate_on_submit():
        try:
            services.request_staff_verification(current_user, form.municipality.data, form.position.data)
        except services.AccountError as error:
            form.municipality.errors.append(str(error))
        else:
            flash(_("Your request was sent. A facilitator or administrator will review it."), "success")
            return redirect(url_for("accounts.profile"))
    status = INVALID if form.errors else 200
    return render_template("accounts/verification.html", form=form), status


@bp.get("/account/privacy")
@login_required
def privacy():
    """Download one's data, or delete the account."""
    return render_template("accounts/privacy.html", form=DeleteAccountForm())


@bp.get("/account/data.json")
@login_required
def download_data():
    """All personal data held about the signed-in person, as a JSON download."""
    payload = to_json(services.export_personal_data(current_user))
    return Response(
        payload,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"', "Cache-Control": "no-store"},
    )


@bp.get("/account/data")
@login_required
def data_page():
    """All personal data held about the signed-in person, as a page to read: translated
    labels, local times."""
    sections = readable(services.export_personal_data(current_user))
    return _no_store(Response(render_template("accounts/data.html", sections=sections)))


@bp.route("/account/consent", methods=["GET", "POST"])
@login_required
def consent():
    """Consent again when the privacy notice has changed since the last consent.

    Without consent, a person can still read the notice, download their data, delete the
    account or sign out; everything else leads back here.
    """
    required = current_app.config["PRIVACY_NOTICE_VERSION"]
    target = request.args.get("next")
    if not is_safe_redirect(target):
        target = None
    accepted = services.accepted_notice_version(current_user.id)
    if accepted == required:
        session[CONSENT_SESSION_KEY] = required
        return redirect(target or url_for("accounts.profile"))
    form = ConsentForm()
    if form.validate_on_submit():
        services.record_consent(current_user._get_current_object())
        session[CONSENT_SESSION_KEY] = required
        flash(_("Thank you. Your consent to the privacy notice is recorded."), "success")
        return redirect(target or url_for("index"))
    status = INVALID if form.errors else 200
    page = render_template("accounts/consent.html", form=form, accepted=accepted, version=required)
    return _no_store(Response(page, status=status))


@bp.post("/account/delete")
@login_required
def delete_account():
    """Delete one's account after confirming the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            services.delete_account(current_user._get_current_object())
            logout_user()
            response = _end_session(redirect(url_for("index")))
            flash(_("Your account has been deleted. What you contributed remains, without your name."), "info")
            return response
        form.password.errors.append(_("The password is not correct."))
    return render_template("accounts/privacy.html", form=form), INVALID


@bp.post("/language")
def set_language():
    """Switch the interface language (stored in a cookie, and in the profile if signed in)."""
    form = LanguageForm()
    target = request.form.get("next")
    if not is_safe_redirect(target):
        target = url_for("index")
    response = redirect(target)
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
        _set_language_cookie(response, form.lang.data)
    return response


@bp.get("/notifications")
@login_required
def notifications():
    """One's notifications, newest first, paginated."""
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page_arg(),
        per_page=current_app.config["NOTIFICATIONS_PER_PAGE"],
        error_out=False,
    )
    return render_template("accounts/notifications.html", page=page)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id):
    """Mark one notification read and go where it points."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    mark_read(current_user.id, notification.id)
    return redirect(notification.link if is_safe_redirect(notification.link) else url_for("accounts.notifications"))


@bp.post("/notifications/read")
@login_required
def read_all_notifications():
    """Mark every notification read."""
    mark_read(current_user.id)
    flash(_("All notifications are marked as read."), "info")
    return redirect(url_for("accounts.notifications"))


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; mail programs POST here (RFC 8058)
def unsubscribe(token):
    """Stop notification e-mails through the link in every one of them, signed in or not:
    the page asks (a mail scanner that opens the link changes nothing); a POST, from its
    button or a mail program's one-click unsubscribe, sets the preference to never."""
    try:
        user = notification_mails.user_for_unsubscribe(token)
    except notification_mails.UnsubscribeError as error:
        again = (url_for("accounts.profile"), _("Go to my account"))
        return _link_refused(error, *again)
    if request.method == "POST":
        notification_mails.unsubscribe(token)
        flash(_("You will no longer receive notifications by e-mail."), "success")
        return redirect(url_for("accounts.unsubscribe", token=token))
    page = render_template(
        "accounts/unsubscribe.html", email=user.email, done=user.notification_mail == NotificationMail.NEVER
    )
    return _no_store(Response(page))


def _link_refused(error: emails.LinkError, again_url: str, again_label: str):
    """The page for a link from a mail that cannot be used (404), with the way to get a
    new one."""
    page = render_template(
        "accounts/link_refused.html", message=str(error), again_url=again_url, again_label=again_label
    )
    return _no_store(Response(page, status=404))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_RESET_ADDRESS"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_RESET_EMAIL"), key_func=_submitted_reset_email, methods=["POST"])
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same whether or not
    the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        emails.request_password_reset(form.email.data, services.find_by_email)
        hours = max(1, current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600)
        sent = _(
            "If an account uses %(email)s, we have sent a link to it to choose a new password.",
            email=form.email.data,
        )
        flash(
            sent + " " + ngettext("The link works for %(num)d hour.", "The link works for %(num)d hours.", hours),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = INVALID if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_ADDRESS"), methods=["POST"])
def reset_password(token):
    """Choose a new password through the link sent by mail; it works once. Every session
    of the account ends."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    again = (url_for("accounts.forgot_password"), _("Ask for a new link"))
    try:
        emails.user_for_reset(token)
    except emails.LinkError as error:
        return _link_refused(error, *again)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        emails.reset_password(token, form.password.data)
        flash(_("Your password has been changed. You can sign in with it now."), "success")
        return redirect(url_for("accounts.login"))
    status = INVALID if form.errors else 200
    return _no_store(Response(render_template("accounts/reset_password.html", form=form), status=status))


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """Confirm one's address through the link sent by mail (a button: following a link
    changes nothing, so a mail scanner that opens it does not confirm)."""
    again = (url_for("accounts.profile"), _("Go to my account"))
    try:
        user = emails.user_for_confirmation(token)
    except emails.LinkError as error:
        return _link_refused(error, *again)
    form = ConfirmForm()
    if user.email_confirmed_at is None and form.validate_on_submit():
        emails.confirm_email(token)
        flash(_("Thank you: your e-mail address %(email)s is confirmed.", email=user.email), "success")
        return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))
    page = render_template("accounts/confirm_email.html", form=form, email=user.email, done=user.email_confirmed_at)
    return _no_store(Response(page))


@bp.post("/account/confirm/resend")
@login_required
@limiter.limit(_limit("RATELIMIT_CONFIRMATION"), key_func=account_key)
def resend_confirmation():
    """Send the confirmation link again; back to the page the person was on."""
    target = request.form.get("next")
    if not is_safe_redirect(target):
        target = url_for("accounts.profile")
    if current_user.email_confirmed_at is not None:
        flash(_("Your e-mail address is already confirmed."), "info")
    else:
        emails.send_confirmation(current_user._get_current_object())
        flash(_("We have sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(target)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("RATELIMIT_EMAIL_CHANGE"), key_func=account_key, methods=["POST"])
def change_email():
    """Ask to change one's address: a link goes to the new one (the change takes effect
    when it is followed) and the current one is told."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        new_email = services.normalise_email(form.email.data)
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("The password is not correct."))
        elif new_email == current_user.email:
            form.email.errors.append(_("This is already your address."))
        elif services.email_taken(new_email):
            form.email.errors.append(_("An account with this email already exists."))
        else:
            emails.request_email_change(current_user._get_current_object(), new_email)
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you follow it.",
                    email=new_email,
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    status = INVALID if form.errors else 200
    return render_template("accounts/change_email.html", form=form), status


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    """Follow the link sent to the new address: a button makes the change."""
    again = (url_for("accounts.change_email"), _("Change my e-mail address"))
    try:
        user, new_email = emails.pending_change(token)
    except emails.LinkError as error:
        return _link_refused(error, *again)
    form = ConfirmForm()
    if form.validate_on_submit():
        emails.change_email(token)
        flash(_("Your e-mail address is now %(email)s.", email=new_email), "success")
        return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))
    page = render_template("accounts/confirm_email_change.html", form=form, email=new_email, old_email=user.email)
    return _no_store(Response(page))
