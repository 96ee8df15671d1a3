"""Moderation pages: flag a contribution; the queue where facilitators and administrators
hide, restore or dismiss, and block or unblock accounts."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from accounts.models import User
from core import spaces
from core.extensions import db
from core.flashes import flash_at
from core.forms import INVALID, ConfirmForm
from core.models import Contribution
from core.permissions import managers_only
from core.security import is_safe_redirect
from core.urls import page_arg
from forums import bp
from forums.common import ForumError
from forums.moderation import services as moderation
from forums.moderation.forms import ReasonForm
from forums.moderation.models import Flag


def _contribution_or_404(contribution_id: int):
    """A contribution in a space the current person may see, with its place; 404
    otherwise (unknown, unregistered kind, or a space hidden from them)."""
    contribution = db.get_or_404(Contribution, contribution_id, options=[joinedload(Contribution.author)])
    place = moderation.place_of(contribution)
    if place is None or not spaces.can_see(current_user, contribution):
        abort(404)
    return contribution, place


def _target(link: str) -> str:
    target = request.form.get("next")
    return target if is_safe_redirect(target) else link


def _back(link: str):
    return redirect(_target(link))


def _say(link: str, message: str, category: str) -> None:
    """Flash ``message`` next to the thing acted on when the way back names it
    (``...#post-3``), at the top of the page otherwise."""
    anchor = urlsplit(_target(link)).fragment
    if anchor:
        flash_at(message, category, anchor)
    else:
        flash(message, category)


@bp.route("/contributions/<int:contribution_id>/flag", methods=["GET", "POST"])
@login_required
def flag(contribution_id):
    """Ask moderators to look at a contribution: a page with its words and the reason,
    reached from "Report to the moderators" beside them (``?next=`` the way back). A
    reason refused is shown again as typed, with its error; a report refused (one's own
    words, reported already) goes back with the message beside them."""
    contribution, place = _contribution_or_404(contribution_id)
    link = place.link
    form = ReasonForm()
    form.reason.label.text = _("Why should moderators look at this?")
    if request.method == "GET":
        back = request.args.get("next")
        form.next.data = back if is_safe_redirect(back) else link
    elif form.validate_on_submit():
        try:
            moderation.flag(current_user, contribution, form.reason.data)
        except ForumError as error:
            _say(link, str(error), "error")
        else:
            _say(link, _("Thank you. Moderators will look at it."), "success")
        return _back(link)
    else:
        form.next.data = _target(link)
    status = INVALID if form.errors else 200
    return render_template("forums/flag.html", contribution=contribution, place=place, form=form), status


@bp.get("/moderation")
@managers_only
def moderation_queue():
    """Flagged contributions (paginated), hidden ones and blocked accounts."""
    open_flags = (
        select(Flag.contribution_id, func.count(Flag.id).label("flags"))
        .where(Flag.resolved_at.is_(None))
        .group_by(Flag.contribution_id)
        .subquery()
    )
    page = db.paginate(
        select(Contribution)
        .join(open_flags, open_flags.c.contribution_id == Contribution.id)
        .order_by(open_flags.c.flags.desc(), Contribution.id)
        .options(joinedload(Contribution.author)),
        page=page_arg(),
        per_page=current_app.config["SEARCH_PER_PAGE"],
        error_out=False,
    )
    flags = db.session.scalars(
        select(Flag)
        .where(Flag.resolved_at.is_(None), Flag.contribution_id.in_([c.id for c in page.items]))
        .order_by(Flag.created_at)
    ).all()
    reasons: dict[int, list] = {}
    for f in flags:
        reasons.setdefault(f.contribution_id, []).append(f)
    hidden = db.session.scalars(
        select(Contribution)
        .where(Contribution.hidden_at.is_not(None))
        .order_by(Contribution.hidden_at.desc())
        .limit(50)
        .options(joinedload(Contribution.author))
    ).all()
    blocked = db.session.scalars(
        select(User).where(User.blocked_at.is_not(None)).order_by(User.blocked_at.desc())
    ).all()
    return render_template(
        "forums/moderation.html",
        page=page,
        reasons=reasons,
        hidden=hidden,
        blocked=blocked,
        places=spaces.places_of(list(page.items) + hidden),
        form=ReasonForm(formdata=None),
        confirm=ConfirmForm(),
    )


@bp.post("/moderation/contributions/<int:contribution_id>/<any(hide, restore):action>")
@managers_only
def moderate(contribution_id, action):
    """Hide or restore a contribution, with a reason."""
    contribution, _place = _contribution_or_404(contribution_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why, in at most 500 characters."), "error")
        return _back(url_for("forums.moderation_queue"))
    try:
        if action == "hide":
            moderation.hide(current_user, contribution, form.reason.data)
            flash(_("Hidden. The author can see it, with your reason."), "success")
        else:
            moderation.restore(current_user, contribution, form.reason.data)
            flash(_("Restored."), "success")
    except ForumError as error:
        flash(str(error), "error")
    return _back(url_for("forums.moderation_queue"))


@bp.post("/moderation/contributions/<int:contribution_id>/dismiss")
@managers_only
def dismiss(contribution_id):
    """Close a contribution's flags without hiding it."""
    contribution, _place = _contribution_or_404(contribution_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moderation.dismiss(current_user, contribution)
    flash(_("Flags dismissed."), "info")
    return redirect(url_for("forums.moderation_queue"))


@bp.post("/moderation/users/<int:user_id>/<any(block, unblock):action>")
@managers_only
def block(user_id, action):
    """Block an account (with a reason) or lift the block."""
    user = db.get_or_404(User, user_id)
    if user.deleted_at is not None:
        abort(404)
    try:
        if action == "block":
            form = ReasonForm()
            if not form.validate_on_submit():
                raise ForumError(_("Say why, in at most 500 characters."))
            moderation.block(current_user, user, form.reason.data)
            flash(_("%(name)s is blocked.", name=user.public_name), "success")
        else:
            if not ConfirmForm().validate_on_submit():
                abort(400)
            moderation.unblock(current_user, user)
            flash(_("%(name)s is no longer blocked.", name=user.public_name), "success")
    except ForumError as error:
        flash(str(error), "error")
    return _back(url_for("forums.moderation_queue"))
