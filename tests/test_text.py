"""Text in, safe HTML out: the one sanitizing path and the templates' discipline."""

import re
from pathlib import Path

import pytest

from core.text import render_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_markdown_is_rendered():
    html = render_markdown("**Transparencia** activa\n\n- actas\n- presupuestos")
    assert "<strong>Transparencia</strong>" in html
    assert "<ul>" in html and "<li>actas</li>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(x)">x</p>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_dangerous_input_is_neutralised(attack):
    html = render_markdown(attack)
    assert "<script" not in html
    assert "<img" not in html

    assert "<iframe" not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "<p style" not in html


def test_raw_html_is_escaped_not_rendered():
    html = render_markdown("<b>negrita</b> y <em>énfasis</em>")
    assert "<b>" not in html
    assert "&lt;b&gt;" in html


def test_links_get_rel_and_bare_urls_are_linked():
    html = render_markdown("Ver [el portal](https://www.portaltransparencia.cl) o https://www.cplt.cl")
    links = re.findall(r"<a [^>]+>", html)
    assert len(links) == 2
    for link in links:
        assert 'rel="nofollow ugc noopener"' in link
    assert 'href="https://www.cplt.cl"' in html


def test_code_is_not_linkified():
    html = render_markdown("`https://example.org`")
    assert "<a " not in html


def test_headings_are_demoted():
    html = render_markdown("# Título\n\n## Subtítulo")
    assert "<h1>" not in html and "<h2>" not in html
    assert "<h3>Título</h3>" in html


def test_empty_and_huge_input():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
    assert len(render_markdown("palabra " * 20000)) > 0


def test_templates_never_mark_text_safe():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        source = template.read_text()
        if re.search(r"\|\s*safe\b", source) or "autoescape false" in source or "Markup(" in source:
            offenders.append(str(template.relative_to(ROOT)))
    assert not offenders, offenders


def test_only_the_core_builds_markup_from_stored_text():
    """``Markup(...)`` over stored HTML appears only in ``core.text.stored_html``."""
    allowed = {"core/text.py"}
    offenders = []
    for package in ("app.py", "core", "accounts", "forums", "consultations"):
        for path in [ROOT / package] if package.endswith(".py") else (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative not in allowed and re.search(r"\bMarkup\(|\|safe|mark_safe", path.read_text()):
                offenders.append(relative)
    assert not offenders, offenders


def test_contribution_stores_sanitized_html(app):
    from core.models import Contribution

    contribution = Contribution(space_kind="forum_post", space_id=1)
    contribution.set_body("Hola <script>x</script> **mundo**")
    assert "<script>" not in contribution.body_html
    assert "<strong>mundo</strong>" in str(contribution.html)
    assert contribution.body_source.startswith("Hola <script>")


def test_forms_strip_control_characters(app, client, personas):
    from accounts.models import User
    from core.extensions import db
    from tests.conftest import login

    login(client, personas["citizen"])
    client.post("/account", data={"display_name": "Ana\x00 María\x1b", "municipality": "", "locale": "es"})
    with app.app_context():
        assert db.session.get(User, personas["citizen"].id).display_name == "Ana María"
