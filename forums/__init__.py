"""Forums: where people speak. One blueprint; a subpackage per feature:

- ``discussions``: forums, members, threads, posts, reading position, search;
- ``meetings``: a forum's sessions, registration, remarks, minutes;
- ``sheets``: the sign-in sheet of any gathering (sessions and workshops);
- ``workshops`` (with ``workshops.boards``): co-design and expert workshops, live boards;
- ``moderation``: flags, hiding, restoring, blocking.

Each feature's views register on :data:`bp` when imported below.
"""

from flask import Blueprint

bp = Blueprint("forums", __name__, url_prefix="/forums")


@bp.app_template_global()
def post_parts(post, manager: bool, own: bool | None = None):
    """A post's cached header and text (``forums.discussions.fragments``)."""
    from forums.discussions.fragments import post_parts as parts

    return parts(post, manager, own)


from forums import privacy, spaces, welcome  # noqa: E402,F401  (register on import)
from forums.discussions import views as _discussions  # noqa: E402,F401
from forums.meetings import views as _meetings  # noqa: E402,F401
from forums.moderation import views as _moderation  # noqa: E402,F401
from forums.sheets import views as _sheets  # noqa: E402,F401
from forums.workshops import views as _workshops  # noqa: E402,F401
from forums.workshops.boards import views as _boards  # noqa: E402,F401
