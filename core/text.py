"""Text in, safe HTML out: the one path by which user text becomes markup.

User text is markdown. It is rendered with markdown-it-py (raw HTML disabled) and then
cleaned with bleach against an allowlist; bare URLs are linked and every link gets
``rel="nofollow ugc noopener"``. This runs once, when the text is stored; templates
print the stored result. bleach is no longer maintained upstream, so it is used only
here, and the Content-Security-Policy stands behind it.
"""

from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _set_rel(attrs, new=False):
    """bleach linkify callback: every link, old or new, gets the same ``rel``."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags=["pre", "code"])],
)


def render_markdown(source: str) -> str:
    """Render user markdown ``source`` to sanitized HTML (a plain ``str``).

    Raises nothing for any input string; headings 1 and 2 are demoted to 3 so user text
    never competes with the page's own headings.
    """
    html = _markdown.render(source or "")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return _cleaner.clean(html).strip()


def stored_html(html: str | None) -> Markup:
    """Mark HTML that :func:`render_markdown` produced and the database stored as safe.

    The one place stored user HTML becomes markup; call it only on values that came from
    :func:`render_markdown`.
    """
    return Markup(html or "")


def checked_text(text: str | None, limit: int, error: type[Exception] = ValueError, empty=None, too_long=None) -> str:
    """``text`` stripped, once it is not empty and at most ``limit`` characters.

    Raises ``error`` (any exception class taking one message) with a translated message:
    ``empty`` (default "Write something first.") or ``too_long``, a message with a
    ``%(max)d`` placeholder (default "The text is too long: at most … characters.").
    """
    text = (text or "").strip()
    if not text:
        raise error(empty or _l("Write something first."))
    if len(text) > limit:
        raise error((too_long or _l("The text is too long: at most %(max)d characters.")) % {"max": limit})
    return text


_diff_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS | {"ins", "del", "span"},
    attributes={**ALLOWED_ATTRIBUTES, "span": ["class"]},
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
)


def clean_diff(html: str) -> Markup:
    """A word-level diff of two stored renderings, cleaned again: what
    :func:`render_markdown` allows plus ``<ins>``, ``<del>`` and the ``<span>`` labels
    that name them for screen readers. Raises nothing."""
    return Markup(_diff_cleaner.clean(html))


def plain_text(html: str | None) -> str:
    """The text of stored HTML without its tags (for downloads). Raises nothing."""
    return Markup(html or "").striptags()
