"""Look-ups that several features' pages share: a forum, thread or post the current
person may see (404 otherwise), a post's address, and the pagination of a thread's
numbered posts."""

from flask import abort, current_app, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import Contribution
from core.permissions import is_manager
from forums.discussions import services
from forums.discussions.models import Post


def forum_or_404(forum_id: int):
    """The forum and the current user's membership (one query); 404 if unknown or not
    visible."""
    found = services.forum_with_membership(current_user, forum_id)
    if found is None or not services.can_view(current_user, *found):
        abort(404)
    return found


def thread_or_404(thread_id: int):
    """The thread, its forum and the current user's membership (one query, which also
    fills the thread's ``read_up_to`` and ``title_hidden`` for the current user); 404 if
    not visible."""
    # The account itself rather than the proxy: each attribute read through
    # ``current_user`` looks the account up in the request's context again.
    user = current_user._get_current_object()
    found = services.thread_with_state(user, thread_id, is_manager(user))
    if found is None:
        abort(404)
    thread, member = found
    if not services.can_view(user, thread.forum, member):
        abort(404)
    return thread, thread.forum, member


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


class NumberedPagination(Pagination):
    """A page of rows numbered 1, 2, ... with no gap (a thread's posts): the page is the
    range of numbers it shows, read through the index however deep the page is (an offset
    would read and skip every earlier row), and the total is a count the caller knows.
    Made with ``select`` (the statement), ``number`` (the column) and ``total``."""

    def _query_items(self) -> list:
        first = (self.page - 1) * self.per_page
        number = self._query_args["number"]
        statement = self._query_args["select"].where(number > first, number <= first + self.per_page)
        return list(db.session.execute(statement).unique().scalars())

    def _query_count(self) -> int:
        return self._query_args["total"]
