"""A post's header and text, rendered once per kind of viewer and cached (``core.cache``).

A thread page of 50 posts spent most of its time drawing each post through its macros.
The parts that are the same for every viewer of one kind, the public or moderators
(``templates/forums/_post.html``), are cached under a key made from everything they show
(:func:`post_inputs`), so an edit, a deletion, hiding or restoring, blocking the author,
a new display name or a published verdict changes the key and the next page draws the
post afresh. A post whose author is the viewer and that others do not see (hidden, or
its author blocked) is drawn for that viewer alone, never cached.
"""

import hashlib

from flask import current_app
from flask_login import current_user
from markupsafe import Markup

from core.cache import fingerprint, fragment
from core.text import cached_html
from core.visibility import author_blocked, seen_by

TEMPLATE = "forums/_post.html"


def _person(user) -> tuple:
    return (user.id, user.display_name, user.deleted_at, user.blocked_at) if user is not None else (None,)


def post_inputs(post) -> tuple:
    """Every value the cached parts of ``post`` are drawn from (its contribution, author
    and reply target must be loaded, as the thread page's query does)."""
    c = post.contribution
    target = post.reply_to
    return (
        post.id,
        post.number,
        post.created_at,
        post.edited_at,
        post.deleted_at,
        post.reply_to_id,
        c.id,
        c.updated_at,
        c.hidden_at,
        c.hidden_reason,
        hashlib.blake2b(c.body_html.encode(), digest_size=8).hexdigest(),
        c.verdict_status,
        c.verdict_version_id,
        c.verdict_version_label,
        c.verdict_change_number,
        _person(c.author if c.author_id is not None else None),
        (target.id, target.deleted_at, _person(target.contribution.author if target.contribution.author_id else None))
        if target is not None
        else None,
    )


def _draw(post, manager: bool, viewer) -> tuple[str, str]:
    macros = current_app.jinja_env.get_template(TEMPLATE).module
    shown = seen_by(post.contribution, viewer, manager, post.is_deleted)
    return str(macros.post_head(post)), str(macros.post_text(post, manager, shown))


def post_parts(post, manager: bool, own: bool | None = None) -> tuple[Markup, Markup]:
    """``(header, text)`` of ``post`` for the person making the request, where ``manager``
    says whether they moderate here; ``own``, whether they wrote it (by default, whether
    the person signed in did: a page drawn for a kind of viewer draws it both ways)."""
    c = post.contribution
    if own is None:
        own = current_user.is_authenticated and c.author_id == current_user.id
    if own and c.author_id is not None and (c.hidden_at is not None or author_blocked(c)):
        return tuple(cached_html(part) for part in _draw(post, manager, c.author))
    key = fingerprint(TEMPLATE, "manager" if manager else "public", *post_inputs(post))
    return fragment(key, lambda: _draw(post, manager, None))
