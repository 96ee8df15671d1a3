"""Moderation pages: flag a contribution; the queue where facilitators and administrators
hide, restore or dismiss, and block or unblock accounts."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from accounts.models import User
from core.extensions import db
from core.forms import ConfirmForm
from core.models import Contribution
from core.security import is_safe_redirect
from core.urls import page_arg
from forums import bp, moderation
from forums.forms import ReasonForm
from forums.meeting_services import meeting_path
from forums.meetings import REMARK_SPACE, Meeting
from forums.models import POST_SPACE, Post, Thread
from forums.services import ForumError, post_path
from forums.views import forum_or_404, managers_only


def contexts(contributions) -> dict[int, tuple]:
    """``{contribution id: (forum id, place title, link)}`` in two queries, whatever the number."""
    by_kind: dict[str, list] = {}
    for c in contributions:
        by_kind.setdefault(c.space_kind, []).append(c)
    found = {}
    if by_kind.get(POST_SPACE):
        rows = db.session.execute(
            select(Post.contribution_id, Post.id, Thread.forum_id, Thread.title)
            .join(Thread, Post.thread_id == Thread.id)
            .where(Post.contribution_id.in_([c.id for c in by_kind[POST_SPACE]]))
        )
        for contribution_id, post_id, forum_id, title in rows:
            found[contribution_id] = (forum_id, title, post_path(post_id))
    if by_kind.get(REMARK_SPACE):
        meetings = {
            m.id: m
            for m in db.session.scalars(
                select(Meeting).where(Meeting.id.in_([c.space_id for c in by_kind[REMARK_SPACE]]))
            )
        }
        for c in by_kind[REMARK_SPACE]:
            meeting = meetings.get(c.space_id)
            if meeting is not None:
                found[c.id] = (meeting.forum_id, meeting.title, meeting_path(meeting.id))
    return found


def _contribution_or_404(contribution_id: int):
    """A forum contribution the current person may see, with its forum, place and link."""
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None:
        abort(404)
    context = contexts([contribution]).get(contribution.id)
    if context is None:
        abort(404)
    forum_id, place, link = context
    forum_or_404(forum_id)
    return contribution, place, link


def _back(link: str):
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else link)


@bp.post("/contributions/<int:contribution_id>/flag")
@login_required
def flag(contribution_id):
    """Ask moderators to look at a contribution."""
    contribution, _place, link = _contribution_or_404(contribution_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why, in at most 500 characters."), "error")
        return _back(link)
    try:
        moderation.flag(current_user, contribution, form.reason.data)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("Thank you. Moderators will look at it."), "success")
    return _back(link)


@bp.get("/moderation")
@managers_only
def moderation_queue():
    """Flagged contributions (paginated), hidden ones and blocked accounts."""
    open_flags = (
        select(moderation.Flag.contribution_id, func.count(moderation.Flag.id).label("flags"))
        .where(moderation.Flag.resolved_at.is_(None))
        .group_by(moderation.Flag.contribution_id)
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
        select(moderation.Flag)
        .where(moderation.Flag.resolved_at.is_(None), moderation.Flag.contribution_id.in_([c.id for c in page.items]))
        .order_by(moderation.Flag.created_at)
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
        context=contexts(list(page.items) + hidden),
        form=ReasonForm(formdata=None),
        confirm=ConfirmForm(),
    )


@bp.post("/moderation/contributions/<int:contribution_id>/<any(hide, restore):action>")
@managers_only
def moderate(contribution_id, action):
    """Hide or restore a contribution, with a reason."""
    contribution, place, link = _contribution_or_404(contribution_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why, in at most 500 characters."), "error")
        return _back(url_for("forums.moderation_queue"))
    try:
        if action == "hide":
            moderation.hide(current_user, contribution, form.reason.data, place, link)
            flash(_("Hidden. The author can see it, with your reason."), "success")
        else:
            moderation.restore(current_user, contribution, form.reason.data, place, link)
            flash(_("Restored."), "success")
    except ForumError as error:
        flash(str(error), "error")
    return _back(url_for("forums.moderation_queue"))


@bp.post("/moderation/contributions/<int:contribution_id>/dismiss")
@managers_only
def dismiss(contribution_id):
    """Close a contribution's flags without hiding it."""
    contribution, _place, _link = _contribution_or_404(contribution_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moderation.dismiss(current_user, contribution)
    flash(_("Flags dismissed."), "info")
    return redirect(url_for("forums.moderation_queue"))


@bp.post("/moderation/users/<int:user_id>/<any(block, unblock):action>")
@managers_only
def block(user_id, action):
    """Block an account (with a reason) or lift the block."""
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
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
