"""Whole pages cached for visitors who are not signed in (core/pagecache.py): a second
visit costs one query; every visitor gets their own CSRF token; every write a visitor
could see gives a fresh page at once; bookkeeping writes keep the cache; visitors with a
message waiting are never given a cached page.

Signed-in people who do not moderate share one drawing of a thread page per kind of
viewer: each is served their own posts' links, their own reports, their own hidden posts,
their own CSRF token, their own notifications and notices, never another's; moderators
always get a fresh page."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from accounts.models import User
from core import pagecache
from core.cache import size_of
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from forums.discussions import services as discussions
from forums.discussions.models import Forum, Post, Thread
from forums.moderation import services as moderation
from tests.conftest import csrf_enabled, login, without_csrf

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
    assert without_csrf(again.get_data(as_text=True)) == without_csrf(first)
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

    def verdict():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread_id, Post.number == 1))
        db.session.get(Contribution, post.contribution_id).verdict_status = "out_of_scope"
        return "Out of scope"

    return [reply, edit, rename, retitle, forum_title, hide, verdict]


CHANGES = range(7)


@pytest.mark.parametrize("index", CHANGES)
def test_a_write_a_visitor_could_see_gives_a_fresh_page(app, client, thread, personas, index):
    before = client.get(_url(thread), headers=EN).get_data(as_text=True)
    with app.app_context():
        change = _changes(app, personas, thread)[index]
        shown = change()
        db.session.commit()
    after = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert without_csrf(after) != without_csrf(before)
    if shown:
        assert shown in after and shown not in before


def test_a_write_through_text_sql_gives_a_fresh_page(app, client, thread):
    before = client.get(_url(thread)).get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE threads SET title = 'Título por SQL'"))
        db.session.commit()
    after = client.get(_url(thread)).get_data(as_text=True)
    assert "Título por SQL" in after and without_csrf(after) != without_csrf(before)


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


# Signed in: one drawing per kind of viewer ------------------------------------------------


@pytest.fixture
def readers(app, factory, places, personas, thread):
    """Two more citizens with confirmed e-mail addresses, members of the thread's forum
    (the same kind of viewer); the second wrote the thread's third post."""
    with app.app_context():
        forum_id = db.session.get(Thread, thread).forum_id
    one = factory.user(Role.CITIZEN, municipality_id=places["home"])
    two = factory.user(Role.CITIZEN, municipality_id=places["home"])
    for who in (one, two):
        factory.member(forum_id, who.id)
    with app.app_context():
        for who in (one, two):
            db.session.get(User, who.id).email_confirmed_at = datetime.now(UTC).replace(tzinfo=None)
        writer = db.session.get(User, two.id)
        discussions.reply(writer, db.session.get(Thread, thread), "Respuesta de la segunda vecina")
        db.session.commit()
    return one, two


def _signed_in(app, persona):
    client = app.test_client()
    login(client, persona)
    client.get("/")  # the welcome message, shown
    return client


def _post_ids(app, thread_id) -> dict[int, int]:
    with app.app_context():
        return dict(db.session.execute(select(Post.number, Post.id).where(Post.thread_id == thread_id)).all())


def _edit_links(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'/forums/posts/(\d+)/edit"', page)}


def test_people_of_one_kind_share_a_drawing_each_with_their_own_posts(app, thread, personas, readers, count_queries):
    posts = _post_ids(app, thread)
    reader, replier = readers
    first = _signed_in(app, reader).get(_url(thread), headers=EN).get_data(as_text=True)
    assert _edit_links(first) == set()
    client = _signed_in(app, replier)
    with count_queries:
        page = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert not any(s.startswith("SELECT posts.id") for s in count_queries.statements), "served from the drawing"
    assert _edit_links(page) == {posts[3]}
    assert "Respuesta de la segunda vecina" in page and "Idea número 1" in page
    author = _signed_in(app, personas["citizen"]).get(_url(thread), headers=EN).get_data(as_text=True)
    assert _edit_links(author) == {posts[1], posts[2]}
    # The reading position moves forward from a page served from the drawing.
    with app.app_context():
        from forums.discussions.models import ThreadRead

        read = db.session.scalar(select(ThreadRead.last_number).where(ThreadRead.user_id == replier.id))
    assert read == 3


def test_what_one_reported_is_theirs_alone(app, thread, personas, readers):
    from forums.moderation.models import Flag

    reader, _replier = readers
    with app.app_context():
        first = db.session.scalar(select(Post).where(Post.thread_id == thread, Post.number == 1))
        db.session.add(Flag(contribution_id=first.contribution_id, user_id=reader.id, reason="Ofensivo"))
        db.session.commit()
    author = _signed_in(app, personas["citizen"])
    author.get(_url(thread), headers=EN)
    page = _signed_in(app, reader).get(_url(thread), headers=EN).get_data(as_text=True)
    assert page.count("You reported this to the moderators.") == 1
    assert page.count("Report to the moderators") == 2  # the other two posts
    again = author.get(_url(thread), headers=EN).get_data(as_text=True)
    assert "You reported this" not in again


def test_a_hidden_post_is_shown_to_its_author_alone(app, thread, personas, readers):
    reader, _replier = readers
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread, Post.number == 2))
        moderator = db.session.get(User, personas["admin"].id)
        moderation.hide(moderator, db.session.get(Contribution, post.contribution_id), "Fuera de tema")
        db.session.commit()
    other = _signed_in(app, reader).get(_url(thread), headers=EN).get_data(as_text=True)
    own = _signed_in(app, personas["citizen"]).get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Idea número 2" not in other and "Only you and the moderators see it" not in other
    assert "Idea número 2" in own and "Only you and the moderators see it" in own


def test_notifications_and_notices_are_the_persons_own(app, thread, personas, readers):
    from core.notifications import Notification

    reader, replier = readers
    with app.app_context():
        db.session.add(Notification(user_id=reader.id, kind="test", link="/"))
        account = db.session.get(User, replier.id)
        account.email_confirmed_at = None
        email = account.email
        db.session.commit()
    plain = _signed_in(app, personas["citizen"]).get(_url(thread), headers=EN).get_data(as_text=True)
    told = _signed_in(app, reader).get(_url(thread), headers=EN).get_data(as_text=True)
    unconfirmed = _signed_in(app, replier).get(_url(thread), headers=EN).get_data(as_text=True)
    assert "unread" in told and "unread" not in unconfirmed
    assert email in unconfirmed and email not in plain + told
    assert "Please confirm your e-mail address" not in told


def test_a_blocked_reader_is_another_kind(app, thread, personas, readers):
    reader, _replier = readers
    _signed_in(app, personas["citizen"]).get(_url(thread), headers=EN)
    with app.app_context():
        db.session.get(User, reader.id).blocked_at = datetime.now(UTC).replace(tzinfo=None)
        db.session.commit()
    page = _signed_in(app, reader).get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Your account is blocked" in page
    assert "Report to the moderators" not in page and f"/forums/threads/{thread}/reply" not in page


def test_each_signed_in_person_gets_their_own_csrf_token(app, thread, personas, readers):
    reader, _replier = readers
    one, two = _signed_in(app, personas["citizen"]), _signed_in(app, reader)
    first, second = one.get(_url(thread)).get_data(as_text=True), two.get(_url(thread)).get_data(as_text=True)
    assert pagecache.PLACEHOLDER not in first + second
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', second))
    assert len(tokens) == 1 and _csrf(first) not in tokens
    with csrf_enabled(app):
        answer = two.post("/language", data={"csrf_token": _csrf(second), "lang": "en", "next": _url(thread)})
        assert answer.status_code in (302, 303)


def test_a_change_gives_signed_in_people_a_fresh_page(app, thread, personas, readers):
    reader, _replier = readers
    client = _signed_in(app, reader)
    before = client.get(_url(thread), headers=EN).get_data(as_text=True)
    with app.app_context():
        writer = db.session.get(User, personas["staff"].id)
        discussions.reply(writer, db.session.get(Thread, thread), "Otra respuesta más")
        db.session.commit()
    after = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Otra respuesta más" in after and "Otra respuesta más" not in before


def test_a_signed_in_person_with_a_message_waiting_sees_it(app, thread, personas, readers):
    reader, _replier = readers
    client = _signed_in(app, reader)
    client.get(_url(thread), headers=EN)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Un aviso para esta persona")]
    assert "Un aviso para esta persona" in client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert "Un aviso para esta persona" not in client.get(_url(thread), headers=EN).get_data(as_text=True)


def test_moderators_always_get_a_fresh_page(app, thread, personas, count_queries):
    client = _signed_in(app, personas["facilitator"])
    client.get(_url(thread), headers=EN)
    with count_queries:
        page = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert any(s.startswith("SELECT posts.id") for s in count_queries.statements)
    assert "Moderate" in page


@pytest.mark.parametrize("index", CHANGES)
def test_a_write_a_signed_in_person_could_see_gives_them_a_fresh_page(app, thread, personas, readers, index):
    reader, _replier = readers
    client = _signed_in(app, reader)
    before = client.get(_url(thread), headers=EN).get_data(as_text=True)
    again = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert without_csrf(again) == without_csrf(before)  # from the drawing
    with app.app_context():
        shown = _changes(app, personas, thread)[index]()
        db.session.commit()
    after = client.get(_url(thread), headers=EN).get_data(as_text=True)
    assert without_csrf(after) != without_csrf(before)
    if shown:
        assert shown in after and shown not in before


# This worker's own cache, without Redis (bounds: tests/test_local_cache.py) -----------------


def test_a_drawing_counts_its_pieces_and_variants():
    drawn = pagecache.Drawn((b"12345", b"678"), ("key",), ((b"ab", b"cdef"),))
    assert drawn.nbytes == size_of((b"12345", b"678")) + size_of(((b"ab", b"cdef"),))
    kept = pagecache.LocalPages(threshold=10, max_bytes=drawn.nbytes * 3 // 2)
    kept.set("one", drawn)
    kept.set("two", drawn)
    assert kept.get("one") is None and kept.get("two") is drawn and kept.bytes == drawn.nbytes


def test_a_new_site_token_drops_every_local_page_an_older_one_none():
    kept = pagecache.LocalPages()
    kept.see_token("one")
    kept.set("a", b"a")
    kept.see_token("two")
    assert kept.get("a") is None and kept.bytes == 0
    kept.set("b", b"b")
    # A request still reading under the older token keeps what is there.
    kept.see_token("one")
    kept.see_token("two")
    assert kept.get("b") == b"b"


def test_a_write_empties_the_workers_own_cache(app, client, thread, personas):
    with app.app_context():
        backend = pagecache.pages.cache
    assert isinstance(backend, pagecache.LocalPages)
    client.get(_url(thread))
    client.get(_url(thread), headers=EN)
    assert len(backend) == 2
    with app.app_context():
        staff = db.session.get(User, personas["staff"].id)
        discussions.reply(staff, db.session.get(Thread, thread), "Una respuesta más")
        db.session.commit()
    client.get(_url(thread))
    assert len(backend) == 1
