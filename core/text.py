"""Text in, safe HTML out: the one path by which user text becomes markup.

User text is markdown. It is rendered with markdown-it-py (raw HTML disabled) and then
cleaned with bleach against an allowlist; bare URLs are linked and every link gets
``rel="nofollow ugc noopener"``. This runs once, when the text is stored; templates
print the stored result. bleach is no longer maintained upstream, so it is used only
here, and the Content-Security-Policy stands behind it.
"""

import re
from functools import cache, partial

from flask_babel import lazy_gettext as _l
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


@cache
def _markdown():
    # Made (and markdown-it imported) by the first text stored: a worker that only serves
    # pages, which print stored HTML, never loads it.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _set_rel(attrs, new=False):
    """bleach linkify callback: every link, old or new, gets the same ``rel``."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


@cache
def _cleaner():
    # bleach and its copy of html5lib are some 3 MB a process: imported by the first text
    # stored, not by a worker that only serves pages.
    import bleach
    from bleach.linkifier import LinkifyFilter

    return bleach.Cleaner(
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
    html = _markdown().render(source or "")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return _cleaner().clean(html).strip()


def stored_html(html: str | None) -> Markup:
    """Mark HTML that :func:`render_markdown` produced and the database stored as safe.

    The one place stored user HTML becomes markup; call it only on values that came from
    :func:`render_markdown`.
    """
    return Markup(html or "")


def cached_html(html: str) -> Markup:
    """Mark HTML that one of the platform's templates rendered (escaping as templates do),
    kept by ``core.cache`` or passed along as a string, as safe again. Call it only on
    such values."""
    return Markup(html)


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


@cache
def _diff_cleaner():
    import bleach  # by the first diff drawn (see _cleaner)

    return bleach.Cleaner(
        tags=ALLOWED_TAGS | {"ins", "del", "span"},
        attributes={**ALLOWED_ATTRIBUTES, "span": ["class"]},
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )


def clean_diff(html: str) -> Markup:
    """A word-level diff of two stored renderings, cleaned again: what
    :func:`render_markdown` allows plus ``<ins>``, ``<del>`` and the ``<span>`` labels
    that name them for screen readers. Raises nothing."""
    return Markup(_diff_cleaner().clean(html))


def plain_text(html: str | None) -> str:
    """The text of stored HTML without its tags (for downloads). Raises nothing."""
    return Markup(html or "").striptags()


# SVG charts ------------------------------------------------------------------------------

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_SVG_TAGS = frozenset(
    {"svg", "g", "defs", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan"}
    | {"title", "desc", "clipPath", "pattern", "use"}
)
#: Presentation attributes: what a ``style`` declaration becomes, so no inline style is
#: left for the Content-Security-Policy (``style-src 'self'``) to refuse.
_SVG_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "clip-path",
        "clip-rule",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "text-anchor",
        "dominant-baseline",
    }
)
_SVG_ATTRIBUTES = _SVG_PRESENTATION | {
    "id",
    "d",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "width",
    "height",
    "points",
    "transform",
    "viewBox",
    "version",
    "patternUnits",
    "clipPathUnits",
    "preserveAspectRatio",
    "href",
}
_SVG_URL = re.compile(r"url\(\s*#([A-Za-z0-9_.-]+)\s*\)")
_SVG_UNSAFE_VALUE = re.compile(r"url\((?!\s*#)|expression|javascript:|[\\<>]", re.IGNORECASE)


def _svg_declarations(style: str):
    """``prop: value`` pairs of a ``style`` attribute; ``font: 10px 'X'`` is split."""
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "font":
            size = re.search(r"(\d+(?:\.\d+)?px)", value)
            if size:
                yield "font-size", size.group(1)
                yield "font-family", value[size.end() :].strip()
            if value.startswith("bold"):
                yield "font-weight", "bold"
            continue
        yield name, value


def clean_svg(svg: str, prefix: str, title: str, description: str = "") -> Markup:
    """A chart's SVG (as matplotlib writes it) made safe to put inline in a page, as
    markup: only drawing elements and attributes on an allowlist; ``style`` turned into
    presentation attributes (the CSP allows no inline style); no ``<style>``, scripts,
    metadata or references outside the drawing (every ``href`` and ``url()`` must point
    at an id inside it); ids prefixed with ``prefix`` so several charts share a page;
    ``role="img"`` with ``title`` and ``description`` as its ``<title>`` and ``<desc>``.
    Fonts fall back to the reader's sans-serif. Raises ``ValueError`` for text that is
    not an SVG document."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    root = etree.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg, parser=parser)
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise ValueError("not an SVG document")

    def local(reference: str) -> str | None:
        return f"#{prefix}-{reference[1:]}" if reference.startswith("#") and len(reference) > 1 else None

    def clean(element) -> None:
        for child in list(element):
            tag = etree.QName(child).localname if isinstance(child.tag, str) else None
            if child.tag != f"{{{_SVG_NS}}}{tag}" or tag not in _SVG_TAGS or tag in ("title", "desc"):
                element.remove(child)
                continue
            clean(child)
        attributes = dict(element.attrib)
        element.attrib.clear()
        for prop, prop_value in _svg_declarations(attributes.pop("style", "")):
            if prop in _SVG_PRESENTATION:
                attributes.setdefault(prop, prop_value)
        for name, value in attributes.items():
            if name == _XLINK_HREF:
                name = "href"
            if name not in _SVG_ATTRIBUTES:
                continue
            if name == "href":
                value = local(value)
                if value is None:
                    continue
                name = _XLINK_HREF
            elif name == "id":
                value = f"{prefix}-{value}"
            elif name == "font-family":
                value = f"{value}, sans-serif" if value else "sans-serif"
            else:
                value = _SVG_URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value)
                if _SVG_UNSAFE_VALUE.search(value):
                    continue
            element.set(name, value)

    clean(root)
    # matplotlib's own stylesheet (``*{stroke-linejoin: round; stroke-linecap: butt}``),
    # as inherited attributes of the drawing.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title {prefix}-desc" if description else f"{prefix}-title")
    heading = etree.Element(f"{{{_SVG_NS}}}title", id=f"{prefix}-title")
    heading.text = str(title)
    root.insert(0, heading)
    if description:
        desc = etree.Element(f"{{{_SVG_NS}}}desc", id=f"{prefix}-desc")
        desc.text = str(description)
        root.insert(1, desc)
    etree.cleanup_namespaces(root)
    return Markup(etree.tostring(root, encoding="unicode"))
