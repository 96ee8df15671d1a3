"""Sign-up, sign-in, profile, password, language, privacy and verification requests."""

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from accounts import bp, services
from accounts.choices import municipality_choices
from accounts.forms import (
    DeleteAccountForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    StaffRequestForm,
)
from accounts.models import StaffRequest
from core.extensions import db, limiter
from core.i18n import LANGUAGE_COOKIE
from core.notifications import Notification, mark_read
from core.security import is_safe_redirect
from core.urls import page_arg

INVALID = 422


def _limit(name):
    return lambda: current_app.config[name]


def _submitted_email():
    return "login:" + services.normalise_email(request.form.get("email", ""))[:254]


def _account_key():
    return f"account:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


def _start_session(user, remember=False):
    """Renew the session (against fixation) and sign ``user`` in."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_REGISTER"), methods=["POST"])
def register():
    """Create an account; records consent to the privacy notice."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegisterForm()
    form.municipality.choices = municipality_choices()
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
            _start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect(url_for("accounts.profile"))
    status = INVALID if form.errors else 200
    return render_template("accounts/register.html", form=form), status


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
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("index"))


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
        refresh()  # the confirmation speaks the newly chosen language
        flash(_("Your profile is saved."), "success")
        response = redirect(url_for("accounts.profile"))
        response.set_cookie(LANGUAGE_COOKIE, form.locale.data, max_age=365 * 24 * 3600, samesite="Lax")
        return response
    requests = db.session.scalars(
        select(StaffRequest).where(StaffRequest.user_id == current_user.id).order_by(StaffRequest.id.desc())
    ).all()
    status = INVALID if form.errors else 200
    return render_template("accounts/profile.html", form=form, staff_requests=requests), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("RATELIMIT_PASSWORD_ADDRESS"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_PASSWORD_ACCOUNT"), key_func=_account_key, methods=["POST"])
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
    payload = json.dumps(services.export_personal_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        payload,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"', "Cache-Control": "no-store"},
    )


@bp.post("/account/delete")
@login_required
def delete_account():
    """Delete one's account after confirming the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            services.delete_account(current_user._get_current_object())
            logout_user()
            session.clear()
            flash(_("Your account has been deleted. What you contributed remains, without your name."), "info")
            return redirect(url_for("index"))
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
        response.set_cookie(LANGUAGE_COOKIE, form.lang.data, max_age=365 * 24 * 3600, samesite="Lax")
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
