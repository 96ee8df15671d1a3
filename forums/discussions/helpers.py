"""Look-ups that several features' pages share: a forum, thread or post the current
person may see (404 otherwise), and a post's address."""

from flask import abort, current_app, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import Contribution
from forums.discussions import services
from forums.discussions.models import Forum, Post, Thread


def forum_or_404(forum_id: int):
    """The forum and the current user's membership; 404 if unknown or not visible."""
    forum = db.get_or_404(Forum, forum_id)
    member = services.membership(current_user, forum)
    if not services.can_view(current_user, forum, member):
        abort(404)
    return forum, member


def thread_or_404(thread_id: int):
    """The thread, its forum and the current user's membership; 404 if not visible."""
    thread = db.get_or_404(Thread, thread_id)
    forum, member = forum_or_404(thread.forum_id)
    return thread, forum, member


def post_or_404(post_id: int):
    """The post (with its words and their account), thread, forum and membership; 404 if not visible."""
    post = db.get_or_404(Post, post_id, options=[joinedload(Post.contribution).joinedload(Contribution.author)])
    thread, forum, member = thread_or_404(post.thread_id)
    return post, thread, forum, member


def post_url(post: Post) -> str:
    """The thread page a post is on, anchored at the post."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    page = (post.number - 1) // per_page + 1
    return url_for("forums.thread", thread_id=post.thread_id, page=page, _anchor=f"post-{post.number}")
