"""Forum pages: forums, members, threads, posts and search."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.choices import municipality_choices
from accounts.models import Process
from core import pagecache
from core.confirm import confirm_page
from core.extensions import account_key, db, limiter
from core.flashes import flash_at, take_flashes_at
from core.forms import INVALID, ConfirmForm, clean_text
from core.models import Contribution
from core.permissions import is_manager, managers_only
from core.security import is_safe_redirect
from core.text import render_markdown, stored_html
from core.urls import id_arg, page_arg
from forums import bp
from forums.common import ForumError
from forums.discussions import services
from forums.discussions.forms import ForumEditForm, ForumForm, InviteForm, PostForm, StatusForm, ThreadForm
from forums.discussions.helpers import NumberedPagination, forum_or_404, post_or_404, post_url, thread_or_404
from forums.discussions.models import Forum, ForumKind, ForumMember, ForumStatus, Post, PostRevision
from forums.meetings import services as meetings


def _post_limit():
    return current_app.config["RATELIMIT_POST"]


# Forums -------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The forums the current person may see, by kind; archived ones apart."""
    forums = db.session.scalars(
        select(Forum).where(services.visible_filter(current_user)).order_by(Forum.kind, Forum.title)
    ).all()
    active = [f for f in forums if f.status != ForumStatus.ARCHIVED.value]
    groups = [(kind, [f for f in active if f.kind == kind.value]) for kind in ForumKind]
    archived = [f for f in forums if f.status == ForumStatus.ARCHIVED.value]
    return render_template(
        "forums/index.html",
        groups=[(kind, items) for kind, items in groups if items],
        archived=archived,
        can_manage=is_manager(current_user),
    )


def _forum_form():
    form = ForumForm()
    processes = db.session.execute(select(Process.id, Process.title).order_by(Process.starts_on.desc())).all()
    form.process_id.choices = [(p.id, p.title) for p in processes]
    form.municipality.choices = municipality_choices()
    return form


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def new_forum():
    """Open a new forum (facilitators and administrators)."""
    form = _forum_form()
    if form.validate_on_submit():
        try:
            forum = services.create_forum(
                current_user,
                form.process_id.data,
                form.kind.data,
                form.municipality.data,
                form.title.data,
                form.description.data,
            )
        except ForumError as error:
            form.municipality.errors.append(str(error))
        else:
            flash(_("Forum created."), "success")
            return redirect(url_for("forums.forum", forum_id=forum.id))
    return render_template("forums/forum_form.html", form=form, forum=None), INVALID if form.errors else 200


@bp.get("/<int:forum_id>")
@pagecache.for_visitors
def forum(forum_id):
    """A forum: its threads (newest activity first, paginated) and what one can do; a
    fixed number of queries (the reader's position and withheld titles come with the
    threads, the number of threads from the forum's counter)."""
    forum, member = forum_or_404(forum_id)
    manager = is_manager(current_user)
    page = db.paginate(
        services.threads_page_query(forum, current_user, manager),
        page=page_arg(),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
        count=False,
    )
    page.total = forum.thread_count
    return render_template(
        "forums/forum.html",
        sessions=meetings.sessions_of(forum),
        remarks=meetings.recent_remarks(forum),
        hidden_titles={t.id for t in page.items if t.title_hidden},
        forum=forum,
        member=member,
        page=page,
        read={t.id: t.read_up_to or 0 for t in page.items},
        can_post=services.can_post(current_user, forum, member),
        can_join=services.can_join(current_user, forum, member),
        can_manage=manager,
        can_see_members=bool(member) or manager,
        status_form=StatusForm(status=forum.status),
        confirm=ConfirmForm(),
    )


@bp.route("/<int:forum_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_forum(forum_id):
    """Change a forum's title and description."""
    forum, _member = forum_or_404(forum_id)
    form = ForumEditForm(obj=forum, description=forum.description_source)
    if form.validate_on_submit():
        services.update_forum(forum, form.title.data, form.description.data)
        flash(_("Forum saved."), "success")
        return redirect(url_for("forums.forum", forum_id=forum.id))
    return render_template("forums/forum_form.html", form=form, forum=forum), INVALID if form.errors else 200


@bp.post("/<int:forum_id>/status")
@managers_only
def set_status(forum_id):
    """Open, close or archive a forum."""
    forum, _member = forum_or_404(forum_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_status(forum, form.status.data)
    flash(_("The forum is now: %(status)s.", status=forum.status_label), "success")
    return redirect(url_for("forums.forum", forum_id=forum.id))


@bp.post("/<int:forum_id>/join")
@login_required
def join(forum_id):
    """Join an open forum; back to the forum, or to the page that offered the button
    (``next``, a path on this site: a session of the forum)."""
    forum, _member = forum_or_404(forum_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.join(current_user, forum)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("You joined %(forum)s.", forum=forum.title), "success")
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("forums.forum", forum_id=forum.id))


@bp.route("/<int:forum_id>/leave", methods=["GET", "POST"])
@login_required
def leave(forum_id):
    """Leave a forum, after a confirmation step (GET)."""
    forum, member = forum_or_404(forum_id)
    form = ConfirmForm()
    if not form.is_submitted():
        if member is None:
            flash(_("You are not a member of this forum."), "error")
            return redirect(url_for("forums.forum", forum_id=forum.id))
        return confirm_page(
            question=_("Leave %(forum)s?", forum=forum.title),
            explanation=_(
                "What you wrote stays in the forum. You will no longer be able to post or register "
                "for its sessions until you join again."
            ),
            button=_("Leave the forum"),
            action=url_for("forums.leave", forum_id=forum.id),
            back=url_for("forums.forum", forum_id=forum.id),
            back_label=_("Back to the forum"),
            form=form,
            crumbs="forums/_crumbs.html",
            forum=forum,
            thread=None,
        )
    if not form.validate():
        abort(400)
    try:
        services.leave(current_user, forum)
    except ForumError as error:
        flash(str(error), "error")
    else:
        flash(_("You left %(forum)s.", forum=forum.title), "info")
    return redirect(url_for("forums.forum", forum_id=forum.id))


@bp.route("/<int:forum_id>/members", methods=["GET", "POST"])
@login_required
def members(forum_id):
    """A forum's members (paginated), shown to its members and to facilitators, who add
    people by email here."""
    forum, member = forum_or_404(forum_id)
    manager = is_manager(current_user)
    if member is None and not manager:
        abort(403)
    form = InviteForm()
    if request.method == "POST":
        if not manager:
            abort(403)
        if form.validate_on_submit():
            try:
                services.invite(current_user, forum, form.email.data)
            except ForumError as error:
                form.email.errors.append(str(error))
            else:
                flash(_("Member added."), "success")
                return redirect(url_for("forums.members", forum_id=forum.id))
    page = db.paginate(
        select(ForumMember).where(ForumMember.forum_id == forum.id).order_by(ForumMember.joined_at, ForumMember.id),
        page=page_arg(),
        per_page=current_app.config["MEMBERS_PER_PAGE"],
        error_out=False,
    )
    status = INVALID if form.errors else 200
    return (
        render_template(
            "forums/members.html", forum=forum, page=page, form=form, can_manage=manager, confirm=ConfirmForm()
        ),
        status,
    )


@bp.post("/<int:forum_id>/members/<int:member_id>/remove")
@managers_only
def remove_member(forum_id, member_id):
    """Take someone out of a forum."""
    forum, _member = forum_or_404(forum_id)
    member = db.get_or_404(ForumMember, member_id)
    if member.forum_id != forum.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.remove_member(forum, member)
    flash(_("Member removed."), "info")
    return redirect(url_for("forums.members", forum_id=forum.id))


# Threads and posts --------------------------------------------------------------------


@bp.route("/<int:forum_id>/threads/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_limit, key_func=account_key, methods=["POST"], deduct_when=lambda r: r.status_code == 302)
def new_thread(forum_id):
    """Start a thread (members of an open forum)."""
    forum, member = forum_or_404(forum_id)
    refusal = services.post_error(current_user, forum, member)
    if refusal:
        flash(str(refusal), "error")
        return redirect(url_for("forums.forum", forum_id=forum.id)), 303
    form = ThreadForm()
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = stored_html(render_markdown(form.body.data))
        else:
            try:
                thread = services.start_thread(current_user, forum, form.title.data, form.body.data)
            except ForumError as error:
                form.body.errors.append(str(error))
            else:
                flash(_("Thread published."), "success")
                return redirect(url_for("forums.thread", thread_id=thread.id))
    status = INVALID if form.errors else 200
    return render_template("forums/thread_form.html", forum=forum, form=form, preview=preview), status


@bp.get("/threads/<int:thread_id>")
@pagecache.for_visitors
def thread(thread_id):
    """A thread's posts, paginated, in a fixed number of queries; the reader's position is
    remembered, written only when it moves forward. Signed-in people who do not moderate
    share one drawing of the page per kind of viewer (``core.pagecache.for_kind``): the
    posts they wrote and those they reported are chosen in it for each of them."""
    thread, forum, member = thread_or_404(thread_id)
    user = current_user._get_current_object()  # read many times below: not through the proxy
    manager = is_manager(user)
    can_post = services.can_post(user, forum, member)

    def draw(holes: pagecache.Holes | None, extra: dict) -> str:
        # Posts are numbered 1, 2, ... and never removed (a deleted one leaves a
        # placeholder), as post_url assumes: a page is a range of numbers.
        reader = None if manager or holes is not None else user
        page = NumberedPagination(
            page=page_arg(),
            per_page=current_app.config["POSTS_PER_PAGE"],
            error_out=False,
            select=services.posts_page_query(thread, reader=reader),
            number=Post.number,
            total=thread.post_count,
        )
        extra["first"], extra["last"] = (page.items[0].number, page.items[-1].number) if page.items else (0, 0)
        return render_template(
            "forums/thread.html",
            placed=take_flashes_at(f"post-{post.number}" for post in page.items),
            reported={p.contribution_id for p in page.items if p.reported},
            holes=holes,
            thread=thread,
            forum=forum,
            page=page,
            can_post=can_post,
            can_manage=manager,
            hidden_titles={thread.id} if thread.title_hidden else set(),
            form=PostForm(formdata=None) if can_post else None,
            confirm=ConfirmForm(),
            refusal=(services.post_error(user, forum, member) if user.is_authenticated and not can_post else None),
        )

    def choose(keys, extra) -> list[int]:
        # The variants post_item draws: anyone's (0), reported by the viewer (1), own (2).
        me = user.id
        waiting = keys and thread.reports_waiting
        flagged = services.flagged_on_page(user, thread, extra["first"], extra["last"]) if waiting else set()
        return [2 if author == me else 1 if c in flagged else 0 for author, c in keys]

    if user.is_authenticated and not manager:
        # The refusal shown follows from these and the viewer's kind (blocked or not): it
        # is worked out only when the page is drawn.
        kind = (thread.title_hidden, member is not None, can_post, forum.is_open)
        html, extra = pagecache.for_kind(kind, lambda holes: draw(holes, holes.extra), choose)
    else:
        extra = {}
        html = draw(None, extra)
    if extra["last"] > (thread.read_up_to or 0):
        # Bookkeeping of the reader's own progress, not a change anyone else sees.
        services.mark_read(user, thread, extra["last"])
    return html


@bp.get("/threads/<int:thread_id>/unread")
def first_unread(thread_id):
    """Jump to the first post the reader has not seen."""
    thread, _forum, _member = thread_or_404(thread_id)
    number = min((thread.read_up_to or 0) + 1, max(thread.post_count, 1))
    per_page = current_app.config["POSTS_PER_PAGE"]
    page = (number - 1) // per_page + 1
    return redirect(url_for("forums.thread", thread_id=thread.id, page=page, _anchor=f"post-{number}"))


@bp.route("/threads/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_limit, key_func=account_key, methods=["POST"], deduct_when=lambda r: r.status_code == 302)
def reply(thread_id):
    """Reply in a thread, optionally to one post (``?to=`` its id)."""
    thread, forum, member = thread_or_404(thread_id)
    refusal = services.post_error(current_user, forum, member)
    if refusal:
        flash(str(refusal), "error")
        return redirect(url_for("forums.thread", thread_id=thread.id)), 303
    form = PostForm()
    target_id = id_arg("to") if request.method == "GET" else None
    if target_id is None and form.reply_to.data:
        target_id = int(form.reply_to.data) if form.reply_to.data.isdigit() and len(form.reply_to.data) < 10 else -1
    target = None
    if target_id is not None:
        target = db.session.get(
            Post, target_id, options=[joinedload(Post.contribution).joinedload(Contribution.author)]
        )
        if target is None or target.thread_id != thread.id:
            abort(404)
        form.reply_to.data = str(target.id)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = stored_html(render_markdown(form.body.data))
        else:
            try:
                post = services.reply(current_user, thread, form.body.data, target.id if target else None)
            except ForumError as error:
                form.body.errors.append(str(error))
            else:
                flash_at(_("Reply published."), "success", f"post-{post.number}")
                return redirect(post_url(post))
    status = INVALID if form.errors else 200
    return (
        render_template(
            "forums/reply.html",
            thread=thread,
            forum=forum,
            form=form,
            target=target,
            preview=preview,
            can_manage=is_manager(current_user),
        ),
        status,
    )


@bp.get("/posts/<int:post_id>")
def post(post_id):
    """A post's permanent address: the thread page it is on."""
    post, _thread, _forum, _member = post_or_404(post_id)
    return redirect(post_url(post))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id):
    """Edit one's own post; the earlier text is kept."""
    post, thread, forum, _member = post_or_404(post_id)
    if not services.can_edit(current_user, post, forum):
        abort(403)
    form = PostForm(body=post.contribution.body_source)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = stored_html(render_markdown(form.body.data))
        else:
            try:
                services.edit_post(current_user, post, forum, form.body.data)
            except ForumError as error:
                form.body.errors.append(str(error))
            else:
                flash_at(_("Post saved."), "success", f"post-{post.number}")
                return redirect(post_url(post))
    status = INVALID if form.errors else 200
    return (
        render_template("forums/post_edit.html", post=post, thread=thread, forum=forum, form=form, preview=preview),
        status,
    )


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id):
    """Delete one's own post, after a confirmation step (GET); a placeholder stays in the
    thread."""
    post, thread, forum, _member = post_or_404(post_id)
    if not services.can_edit(current_user, post, forum):
        abort(403)
    form = ConfirmForm()
    if not form.is_submitted():
        return confirm_page(
            question=_("Delete this post?"),
            explanation=_("Its text is removed; the thread shows that a post was deleted. This cannot be undone."),
            button=_("Delete the post"),
            action=url_for("forums.delete_post", post_id=post.id),
            back=post_url(post),
            back_label=_("Back to the thread"),
            form=form,
            crumbs="forums/_crumbs.html",
            concerns="forums/_confirm_post.html",
            forum=forum,
            thread=thread,
            thread_title=_("Hidden thread") if thread.title_hidden else thread.title,
            post=post,
        )
    if not form.validate():
        abort(400)
    services.delete_post(current_user, post, forum)
    flash_at(_("Post deleted."), "info", f"post-{post.number}")
    return redirect(post_url(post))


@bp.get("/posts/<int:post_id>/history")
@managers_only
def post_history(post_id):
    """Earlier versions of an edited post (facilitators and administrators)."""
    post, thread, forum, _member = post_or_404(post_id)
    revisions = db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
    ).all()
    return render_template("forums/history.html", post=post, thread=thread, forum=forum, revisions=revisions)


# Search -------------------------------------------------------------------------------


@bp.get("/search")
def search():
    """Search posts in the forums one may see, or in one forum (``?forum=``)."""
    query = clean_text(request.args.get("q")).strip()[:200]
    forum = None
    forum_id = id_arg("forum")
    if forum_id is None and request.args.get("forum"):
        abort(404)
    if forum_id is not None:
        forum, _member = forum_or_404(forum_id)
    statement = services.search_posts(current_user, query, forum.id if forum else None)
    page = None
    if statement is not None:
        page = db.paginate(statement, page=page_arg(), per_page=current_app.config["SEARCH_PER_PAGE"], error_out=False)
    hidden = set()
    if page is not None and not is_manager(current_user):
        hidden = services.hidden_titles(list({post.thread_id for post in page.items}))
    return render_template("forums/search.html", q=query, forum=forum, page=page, hidden_titles=hidden)
