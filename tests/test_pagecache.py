"""Whole pages cached for visitors who are not signed in (core/pagecache.py): a second
visit costs one query; every visitor gets their own CSRF token; every write a visitor
could see gives a fresh page at once; bookkeeping writes keep the cache; signed-in people
and visitors with a message waiting are never given a cached page."""

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from accounts.models import User
from core import pagecache
from core.extensions import db
from core.models import Contribution
from forums.discussions import services as discussions
from forums.discussions.models import Forum, Post, Thread
from forums.moderation import services as moderation
from tests.conftest import csrf_enabled, login

EN = {"Accept-Language": "en"}


@pytest.fixture
def thread(factory, places, personas):
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    for who in ("citizen", "staff"):
        factory.member(forum, personas[who].id)
    return factory.thread(forum, personas["citizen"].id, posts=2, text="Idea número {n}")


def _url(thread_id):
    return f"/forums/threads/{thread_id}"


def _token(app):
    with app.app_context():
        return db.session.scalar(select(pagecache.SiteState.token))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_second_visit_is_one_query_and_the_same_page(app, client, thread, count_queries):
    first = client.get(_url(thread), headers=EN).get_data(as_text=True)
    with count_queries:
        again = client.get(_url(thread), headers=EN)
    assert again.status_code == 200 and again.mimetype == "text/html"
    assert again.get_data(as_text=True) == first
    assert count_queries.count == 1, count_queries.statements


def test_each_visitor_gets_their_own_csrf_token(app, thread):
    one, two = app.test_client(), app.test_client()
    first = one.get(_url(thread)).get_data(as_text=True)
    second = two.get(_url(thread)).get_data(as_text=True)
    assert pagecache.PLACEHOLDER not in first + second
    assert _csrf(first) != _csrf(second)
    # The token served from the cache is the visitor's own: it is accepted.
    with csrf_enabled(app):
        answer = two.post("/language", data={"csrf_token": _csrf(second), "lang": "en", "next": _url(thread)})
        assert answer.status_code in (302, 303)
        refused = two.post("/language", data={"csrf_token": _csrf(first), "lang": "en", "next": _url(thread)})
        assert refused.status_code == 400


def _changes(app, personas, thread_id):
    """Writes a visitor could see, each with a text that shows it happened."""

    def reply():
        user = db.session.get(User, personas["staff"].id)
        discussions.reply(user, db.session.get(Thread, thread_id), "Una respuesta nueva")
        return "Una respuesta nueva"

    def edit():
        post = db.session.scalar(
            select(Post)
            .where(Post.thread_id == thread_id, Post.number == 1)
            .options(joinedload(Post.contribution), joinedload(Post.thread))
        )
        user = db.session.get(User, personas["citizen"].id)
        forum = db.session.get(Forum, db.session.get(Thread, thread_id).forum_id)
        discussions.edit_post(user, post, forum, "Idea corregida")
        return "Idea corregida"

    def rename():
        db.session.get(User, personas["citizen"].id).display_name = "Vecina Renombrada"
        return "Vecina Renombrada"

    def retitle():
        db.session.get(Thread, thread_id).title = "Un título distinto"
        return "Un título distinto"

    def forum_title():
        db.session.get(Forum, db.session.get(Thread, thread_id).forum_id).title = "Foro renombrado"
        return "Foro renombrado"

    def hide():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == 2))
        moderator = db.session.get(User, personas["admin"].id)
        moderation.hide(moderator, db.session.get(Contribution, post.contribution_id), "Fuera de tema")
        return None

    return [reply, edit, rename, retitle, forum_title, hide]


@pytest.mark.parametrize("index", range(6))
def test_a_write_a_visitor_could_see_gives_a_fresh_page(app, client, thread, personas, index):
    before = client.get(_url(thread), headers=EN).get_data(as_text=True)
    with app.app_context():
        change = _changes(app, personas, thread)[index]
        shown = change()
        db.session.commit()
    after = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert after != before
    if shown:
        assert shown in after and shown not in before


def test_a_write_through_text_sql_gives_a_fresh_page(app, client, thread):
    before = client.get(_url(thread)).get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE threads SET title = 'Título por SQL'"))
        db.session.commit()
    after = client.get(_url(thread)).get_data(as_text=True)
    assert "Título por SQL" in after and after != before


def test_bookkeeping_writes_keep_the_cache(app, client, thread, personas):
    client.get(_url(thread))
    token = _token(app)
    reader = app.test_client()
    login(reader, personas["staff"])  # last_login_at
    reader.get(_url(thread))  # the reading position
    assert _token(app) == token


def test_signed_in_people_never_get_a_cached_page(app, client, thread, personas):
    client.get(_url(thread), headers=EN)
    login(client, personas["citizen"])
    page = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Sign out" in page or "Cerrar sesión" in page
    assert f"/forums/threads/{thread}/reply" in page


def test_a_visitor_with_a_message_waiting_is_drawn_afresh(app, client, thread):
    client.get(_url(thread), headers=EN)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Un aviso para esta visita")]
    page = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Un aviso para esta visita" in page
    assert "Un aviso para esta visita" not in client.get(_url(thread), headers=EN).get_data(as_text=True)


def test_the_cache_can_be_turned_off(app, client, thread, count_queries):
    app.config["PAGE_CACHE"] = False
    try:
        client.get(_url(thread))
        with count_queries:
            client.get(_url(thread))
        assert count_queries.count > 1
    finally:
        app.config["PAGE_CACHE"] = True
