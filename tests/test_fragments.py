"""Cached post fragments (forums/discussions/fragments.py, core/cache.py): every change
that alters what a post shows gives a fresh page, for the public and for moderators; a
page drawn twice comes from the cache; the author of a hidden post still sees it."""

import re

import pytest
from sqlalchemy import select

from accounts.models import User
from core.cache import cache
from core.extensions import db
from core.models import Contribution
from forums.discussions.models import Post
from tests.conftest import login, without_csrf

EN = {"Accept-Language": "en"}


@pytest.fixture
def thread(factory, places, personas):
    """A thread of the home citizen forum: post 1 by the citizen, post 2 by the official
    replying to it."""
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    for who in ("citizen", "staff"):
        factory.member(forum, personas[who].id)
    thread_id = factory.thread(forum, personas["citizen"].id, posts=1, text="Primera idea")
    return thread_id


def _posts(app, thread_id):
    with app.app_context():
        return list(db.session.scalars(select(Post).where(Post.thread_id == thread_id).order_by(Post.number)))


def _reply(app, client, personas, thread_id, text="Respuesta del funcionario"):
    login(client, personas["staff"])
    first = _posts(app, thread_id)[0]
    response = client.post(
        f"/forums/threads/{thread_id}/reply", data={"body": text, "reply_to": str(first.id), "submit": "1"}
    )
    assert response.status_code == 302
    client.post("/logout")


def _page(client, thread_id) -> str:
    return client.get(f"/forums/threads/{thread_id}", headers=EN).get_data(as_text=True)


def _article(page: str, number: int) -> str:
    return re.search(rf'<article[^>]*id="post-{number}".*?</article>', page, re.S).group(0)


@pytest.fixture
def drawn(monkeypatch):
    """How many times each post's cached parts were drawn."""
    from forums.discussions import fragments

    counts = []
    original = fragments._draw

    def counting(post, manager, viewer):
        counts.append((post.number, manager, viewer is not None))
        return original(post, manager, viewer)

    monkeypatch.setattr(fragments, "_draw", counting)
    return counts


def test_a_second_page_comes_from_the_cache(app, client, thread, drawn):
    cache.clear()
    first = _page(client, thread)
    assert drawn == [(1, False, False)]
    assert without_csrf(_page(client, thread)) == without_csrf(first)
    assert drawn == [(1, False, False)], "drawn once"
    # Another language is another fragment.
    client.get(f"/forums/threads/{thread}", headers={"Accept-Language": "es"})
    assert len(drawn) == 2


def test_an_edit_is_shown_at_once(app, client, thread, personas):
    assert "Primera idea" in _page(client, thread)
    login(client, personas["citizen"])
    post = _posts(app, thread)[0]
    assert (
        client.post(f"/forums/posts/{post.id}/edit", data={"body": "Idea corregida", "submit": "1"}).status_code == 302
    )
    client.post("/logout")
    article = _article(_page(client, thread), 1)
    assert "Idea corregida" in article and "edited" in article and "Primera idea" not in article


def test_a_deletion_is_shown_at_once(app, client, thread, personas):
    _page(client, thread)
    post = _posts(app, thread)[0]
    login(client, personas["citizen"])
    assert client.post(f"/forums/posts/{post.id}/delete").status_code == 302
    client.post("/logout")
    article = _article(_page(client, thread), 1)
    assert "Primera idea" not in article and "Deleted by its author." in article


def test_hiding_and_restoring_are_shown_at_once_to_each_kind_of_viewer(app, client, thread, personas):
    post = _posts(app, thread)[0]
    moderator = app.test_client()
    login(moderator, personas["facilitator"])
    author = app.test_client()
    login(author, personas["citizen"])
    for viewer in (client, moderator, author):
        assert "Primera idea" in _article(_page(viewer, thread), 1)
    url = f"/forums/moderation/contributions/{post.contribution_id}"
    assert moderator.post(f"{url}/hide", data={"reason": "Datos personales"}).status_code == 302
    assert "Primera idea" not in _article(_page(client, thread), 1)
    assert "Hidden by a moderator." in _article(_page(client, thread), 1)
    seen_by_moderator = _article(_page(moderator, thread), 1)
    assert "Primera idea" in seen_by_moderator and "Hidden by a moderator: Datos personales" in seen_by_moderator
    seen_by_author = _article(_page(author, thread), 1)
    assert "Primera idea" in seen_by_author and "Only you and the moderators see it." in seen_by_author
    assert moderator.post(f"{url}/restore", data={"reason": "Revisado"}).status_code == 302
    for viewer in (client, moderator, author):
        article = _article(_page(viewer, thread), 1)
        assert "Primera idea" in article and "Hidden by a moderator" not in article


def test_blocking_and_unblocking_the_author_are_shown_at_once(app, client, thread, personas):
    assert "Primera idea" in _article(_page(client, thread), 1)
    moderator = app.test_client()
    login(moderator, personas["facilitator"])
    url = f"/forums/moderation/users/{personas['citizen'].id}"
    assert moderator.post(f"{url}/block", data={"reason": "Insultos"}).status_code == 302
    assert "Primera idea" not in _article(_page(client, thread), 1)
    assert "account is blocked; others do not see this." in _article(_page(moderator, thread), 1)
    assert moderator.post(f"{url}/unblock", data={"reason": "Fin del bloqueo"}).status_code == 302
    assert "Primera idea" in _article(_page(client, thread), 1)


def test_a_new_display_name_is_shown_at_once_also_in_replies(app, client, thread, personas):
    _reply(app, client, personas, thread)
    page = _page(client, thread)
    old_name = personas["citizen"].name
    assert old_name in _article(page, 1) and f"In reply to {old_name}" in _article(page, 2)
    with app.app_context():
        user = db.session.get(User, personas["citizen"].id)
        user.display_name = "Vecina renombrada"
        db.session.commit()
    page = _page(client, thread)
    assert "Vecina renombrada" in _article(page, 1) and old_name not in _article(page, 1)
    assert "In reply to Vecina renombrada" in _article(page, 2)


def test_a_published_verdict_is_shown_at_once(app, client, thread):
    assert "verdict-badge" not in _page(client, thread)
    post = _posts(app, thread)[0]
    with app.app_context():
        contribution = db.session.get(Contribution, post.contribution_id)
        # What consultations.verdicts.publish_batch copies onto the contribution.
        contribution.verdict_status = "out_of_scope"
        db.session.commit()
    assert '<span class="badge verdict-badge">Out of scope</span>' in _article(_page(client, thread), 1)


def test_the_cache_is_shared_by_viewers_of_one_kind_only(app, client, thread, personas, drawn):
    cache.clear()
    _page(client, thread)
    member = app.test_client()
    login(member, personas["staff"])
    _page(member, thread)
    assert drawn == [(1, False, False)], "the public's parts serve a signed-in member"
    moderator = app.test_client()
    login(moderator, personas["facilitator"])
    _page(moderator, thread)
    assert drawn == [(1, False, False), (1, True, False)], "moderators get their own"


def test_while_templates_reload_a_changed_template_gives_new_keys(app, monkeypatch):
    """In development (templates reloaded), editing _post.html must not serve old parts."""
    from core import cache as core_cache

    with app.test_request_context():
        first = core_cache.fingerprint("forums/_post.html", "public", 1)
        assert core_cache.fingerprint("forums/_post.html", "public", 1) == first
        loader = app.jinja_env.loader
        original = loader.get_source
        monkeypatch.setattr(app.jinja_env, "auto_reload", True)
        monkeypatch.setattr(
            loader, "get_source", lambda env, name: ("<!-- edited -->" + original(env, name)[0], "", None)
        )
        assert core_cache.fingerprint("forums/_post.html", "public", 1) != first
