"""Forums, threads and posts: visibility, membership, writing, editing, reading
position, search, limits, and pages whose query count does not grow with data."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Contribution
from forums.discussions.models import Forum, ForumMember, Post, PostRevision, Thread, ThreadRead
from tests.conftest import login


@pytest.fixture
def forums(factory, places, personas, snapshots):
    """A citizen, a staff and an expert forum of the home municipality; the citizen and
    the official are members of the first two, the expert of the third."""
    return snapshots.layer("forums", lambda: _build_forums(factory, places, personas))


def _build_forums(factory, places, personas):
    process = factory.process()
    ids = {
        "citizen": factory.forum("citizen", places["home"], process),
        "staff": factory.forum("staff", places["home"], process),
        "expert": factory.forum("expert", None, process),
        "closed": factory.forum("citizen", places["home"], process, status="closed"),
    }
    factory.member(ids["citizen"], personas["citizen"].id)
    factory.member(ids["staff"], personas["staff"].id)
    factory.member(ids["expert"], personas["expert"].id)
    factory.member(ids["closed"], personas["citizen"].id)
    return ids


VISIBILITY = {
    # forum kind: roles that see it (everyone else gets 404)
    "citizen": {"anonymous", "citizen", "staff", "staff_other", "facilitator", "expert", "admin"},
    "staff": {"staff", "facilitator", "admin"},
    "expert": {"expert", "facilitator", "admin"},
}


@pytest.mark.parametrize("kind", sorted(VISIBILITY))
@pytest.mark.parametrize("role", ["anonymous", "citizen", "staff", "staff_other", "facilitator", "expert", "admin"])
def test_forum_visibility(client, factory, forums, personas, kind, role):
    thread_id = factory.thread(forums[kind], personas["staff"].id, title="Un hilo secreto")
    if role != "anonymous":
        login(client, personas[role])
    expected = 200 if role in VISIBILITY[kind] else 404
    assert client.get(f"/forums/{forums[kind]}").status_code == expected
    assert client.get(f"/forums/threads/{thread_id}").status_code == expected
    members = client.get(f"/forums/{forums[kind]}/members").status_code
    if role == "anonymous":
        assert members == 302
    else:
        assert members == 404 if expected == 404 else members in (200, 403)
    listing = client.get("/forums/").get_data(as_text=True)
    assert (f'href="/forums/{forums[kind]}"' in listing) == (expected == 200)
    results = client.get("/forums/search?q=secreto").get_data(as_text=True)
    assert ("Un hilo secreto" in results) == (expected == 200)


def test_member_list_only_for_members_and_managers(client, factory, personas):
    forum_id = factory.forum(municipality_id=None)
    factory.member(forum_id, personas["citizen"].id)
    url = f"/forums/{forum_id}/members"
    assert client.get(url).status_code == 302
    for role, status in [("citizen", 200), ("staff", 403), ("expert", 403), ("facilitator", 200), ("admin", 200)]:
        login(client, personas[role])
        assert client.get(url).status_code == status, role
        page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
        assert (f'href="{url}"' in page) == (status == 200), role
        client.post("/logout")


def test_join_post_reply_and_leave(app, client, factory, forums, personas):
    outsider = factory.user()
    login(client, outsider)
    forum_id = forums["citizen"]
    refused = client.post(f"/forums/{forum_id}/threads/new", data={"title": "Hola", "body": "x", "submit": "1"})
    assert refused.status_code == 303, "not a member yet"
    assert client.post(f"/forums/{forum_id}/join").status_code == 302
    created = client.post(
        f"/forums/{forum_id}/threads/new",
        data={"title": "Presupuesto participativo", "body": "¿Cuándo se **publica**?", "submit": "1"},
    )
    assert created.status_code == 302
    thread_id = int(created.location.rsplit("/", 1)[1])
    with app.app_context():
        first = db.session.scalar(select(Post).where(Post.thread_id == thread_id))
    reply = client.post(
        f"/forums/threads/{thread_id}/reply", data={"body": "Respondo aquí", "reply_to": str(first.id), "submit": "1"}
    )
    assert reply.status_code == 302 and reply.location.endswith("#post-2")
    page = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<strong>publica</strong>" in page
    assert "In reply to" in page and f'href="/forums/posts/{first.id}"' in page
    with app.app_context():
        contribution = db.session.scalar(select(Contribution).order_by(Contribution.id.desc()))
        assert contribution.author_id == outsider.id and contribution.space_id == thread_id
        assert contribution.municipality_id is not None
        forum = db.session.get(Forum, forum_id)
        assert (forum.thread_count, forum.member_count) == (1, 2)
    assert client.post(f"/forums/{forum_id}/leave").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ForumMember.id)).where(ForumMember.forum_id == forum_id)) == 1
        assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread_id)) == 2, "posts stay"


def test_expert_forum_cannot_be_joined_only_invited(app, client, forums, personas):
    login(client, personas["citizen"])
    assert client.post(f"/forums/{forums['expert']}/join").status_code == 404
    client.post("/logout")
    login(client, personas["facilitator"])
    assert client.post(f"/forums/{forums['expert']}/members", data={"email": "nadie@example.org"}).status_code == 422
    assert (
        client.post(f"/forums/{forums['expert']}/members", data={"email": personas["citizen"].email}).status_code == 302
    )
    again = client.post(f"/forums/{forums['expert']}/members", data={"email": personas["citizen"].email})
    assert again.status_code == 422
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.get(f"/forums/{forums['expert']}").status_code == 200


def test_staff_forum_members_must_be_officials_of_its_municipality(client, forums, personas):
    login(client, personas["admin"])
    refused = client.post(f"/forums/{forums['staff']}/members", data={"email": personas["staff_other"].email})
    assert refused.status_code == 422
    assert "Only verified officials" in client.post(
        f"/forums/{forums['staff']}/members",
        data={"email": personas["citizen"].email},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)


def test_closed_forum_is_read_only(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["closed"], personas["citizen"].id)
    login(client, personas["citizen"])
    page = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This forum is closed" in page
    response = client.post(
        f"/forums/threads/{thread_id}/reply", data={"body": "x", "submit": "1"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 303
    follow = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert follow.count("This forum is closed") == 2, "the flashed refusal and the notice"
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread_id)) == 1
    assert client.post(f"/forums/{forums['closed']}/join").status_code == 302  # refused with a message
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(ForumMember.id)).where(ForumMember.forum_id == forums["closed"])) == 1
        )


def test_facilitator_opens_closes_and_archives(app, client, forums, personas, places):
    login(client, personas["facilitator"])
    with app.app_context():
        process_id = db.session.get(Forum, forums["citizen"]).process_id
    created = client.post(
        "/forums/new",
        data={
            "process_id": str(process_id),
            "kind": "citizen",
            "municipality": str(places["other"]),
            "title": "Vitacura",
        },
    )
    assert created.status_code == 302
    no_place = client.post("/forums/new", data={"process_id": str(process_id), "kind": "staff", "title": "Sin comuna"})
    assert no_place.status_code == 422
    forum_id = forums["citizen"]
    assert client.post(f"/forums/{forum_id}/status", data={"status": "archived"}).status_code == 302
    listing = client.get("/forums/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Archived forums" in listing
    assert client.post(f"/forums/{forum_id}/status", data={"status": "deleted"}).status_code == 400
    assert (
        client.post(f"/forums/{forum_id}/edit", data={"title": "Nuevo título", "description": "*hola*"}).status_code
        == 302
    )
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        assert (forum.status, forum.title, forum.description_html) == (
            "archived",
            "Nuevo título",
            "<p><em>hola</em></p>",
        )


def test_edit_keeps_history_visible_to_moderators(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id, text="Primera versión")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
    login(client, personas["citizen"])
    assert (
        client.post(f"/forums/posts/{post_id}/edit", data={"body": "Segunda versión", "submit": "1"}).status_code == 302
    )
    page = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Segunda versión" in page and "edited" in page and "Primera versión" not in page
    assert client.get(f"/forums/posts/{post_id}/history").status_code == 403, "authors do not see the history"
    client.post("/logout")
    login(client, personas["staff"])
    assert client.get(f"/forums/posts/{post_id}/edit").status_code == 403, "only the author edits"
    client.post("/logout")
    login(client, personas["facilitator"])
    history = client.get(f"/forums/posts/{post_id}/history").get_data(as_text=True)
    assert "Primera versión" in history and "Segunda versión" in history
    with app.app_context():
        assert db.session.scalar(select(PostRevision.body_source)) == "Primera versión"


def test_soft_delete_leaves_a_placeholder(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id, posts=2, text="Texto {n}")
    with app.app_context():
        first = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.number == 1))
    login(client, personas["staff"])
    assert client.post(f"/forums/posts/{first}/delete").status_code == 403
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/forums/posts/{first}/delete").status_code == 302
    page = client.get(f"/forums/threads/{thread_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Deleted by its author." in page and "Texto 1" not in page and "Texto 2" in page
    assert client.post(f"/forums/posts/{first}/edit", data={"body": "revive"}).status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "", "submit": "1"}, "This field is required."),
        ({"body": "   ", "submit": "1"}, "This field is required."),
        ({"body": "x" * 20_001, "submit": "1"}, "At most 20000 characters."),
        ({"body": "x" * 100_000, "submit": "1"}, "At most 20000 characters."),
    ],
)
def test_reply_limits(app, client, factory, forums, personas, data, message):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id)
    login(client, personas["citizen"])
    response = client.post(f"/forums/threads/{thread_id}/reply", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 1


def test_reply_to_a_post_of_another_thread_or_no_post_is_404(app, client, factory, forums, personas):
    here = factory.thread(forums["citizen"], personas["citizen"].id)
    elsewhere = factory.thread(forums["citizen"], personas["citizen"].id)
    with app.app_context():
        foreign = db.session.scalar(select(Post.id).where(Post.thread_id == elsewhere))
    login(client, personas["citizen"])
    for target in (str(foreign), "999999", "abc", "1.5"):
        response = client.post(f"/forums/threads/{here}/reply", data={"body": "x", "reply_to": target, "submit": "1"})
        assert response.status_code == 404, target
    assert client.get(f"/forums/threads/{here}/reply?to={foreign}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 2


def test_thread_title_limits(client, forums, personas):
    login(client, personas["citizen"])
    url = f"/forums/{forums['citizen']}/threads/new"
    assert client.post(url, data={"title": "", "body": "x", "submit": "1"}).status_code == 422
    assert client.post(url, data={"title": "t" * 201, "body": "x", "submit": "1"}).status_code == 422


def test_preview_does_not_publish(app, client, forums, personas):
    login(client, personas["citizen"])
    response = client.post(
        f"/forums/{forums['citizen']}/threads/new",
        data={"title": "Borrador", "body": "**negrita** <script>x</script>", "preview": "1"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>negrita</strong>" in page and "<script>x" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_posting_too_fast_is_rate_limited(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id)
    login(client, personas["citizen"])
    statuses = [
        client.post(f"/forums/threads/{thread_id}/reply", data={"body": f"mensaje {i}", "submit": "1"}).status_code
        for i in range(7)
    ]
    assert statuses == [302] * 6 + [429]


def test_ones_own_posts_never_count_as_unread(app, client, factory, forums, personas):
    """Starting a thread or replying marks it read up to one's post: the forum shows no
    "unread" for what one wrote, and shows others' later posts as unread."""
    login(client, personas["citizen"])
    forum_url = f"/forums/{forums['citizen']}"
    started = client.post(f"{forum_url}/threads/new", data={"title": "Mi tema", "body": "Primero", "submit": "1"})
    assert started.status_code == 302
    with app.app_context():
        thread_id = db.session.scalar(select(Thread.id).where(Thread.title == "Mi tema"))
    assert client.post(f"/forums/threads/{thread_id}/reply", data={"body": "Segundo", "submit": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(ThreadRead, (personas["citizen"].id, thread_id)).last_number == 2
    page = client.get(forum_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/forums/threads/{thread_id}/unread" not in page
    factory.member(forums["citizen"], personas["staff"].id)
    with app.app_context():
        from accounts.models import User
        from forums.discussions import services

        services.reply(db.session.get(User, personas["staff"].id), db.session.get(Thread, thread_id), "Tercero")
        db.session.commit()
    page = client.get(forum_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/forums/threads/{thread_id}/unread" in page and "1 unread" in page


def test_pagination_and_first_unread(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["staff"].id, posts=45)
    login(client, personas["citizen"])
    unread = client.get(f"/forums/threads/{thread_id}/unread")
    assert unread.location.endswith(f"/forums/threads/{thread_id}?page=1#post-1")
    assert client.get(f"/forums/threads/{thread_id}?page=2").status_code == 200
    with app.app_context():
        assert db.session.get(ThreadRead, (personas["citizen"].id, thread_id)).last_number == 40
    unread = client.get(f"/forums/threads/{thread_id}/unread")
    assert unread.location.endswith(f"/forums/threads/{thread_id}?page=3#post-41")
    client.get(f"/forums/threads/{thread_id}?page=1")
    with app.app_context():
        assert db.session.get(ThreadRead, (personas["citizen"].id, thread_id)).last_number == 40, "never backwards"
    forum_page = client.get(f"/forums/{forums['citizen']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "5 unread" in forum_page
    assert client.get(f"/forums/threads/{thread_id}?page=abc").status_code == 200
    assert client.get(f"/forums/threads/{thread_id}?page=999").status_code == 200


def test_search_words_accents_and_scope(app, client, factory, forums, personas):
    factory.thread(forums["citizen"], personas["citizen"].id, title="Cuentas públicas", text="La rendición de cuentas")
    factory.thread(forums["staff"], personas["staff"].id, title="Interno", text="Rendición interna del municipio")
    login(client, personas["staff"])
    everywhere = client.get("/forums/search?q=rendicion").get_data(as_text=True)
    assert "Cuentas públicas" in everywhere and "Interno" in everywhere
    in_forum = client.get(f"/forums/search?q=rendición&forum={forums['citizen']}").get_data(as_text=True)
    assert "Cuentas públicas" in in_forum and "Interno" not in in_forum
    assert "Cuentas públicas" in client.get("/forums/search?q=rend").get_data(as_text=True), "prefixes match"
    for odd in ['"', "AND OR NOT", "*", "a" * 500, "(", "NEAR(", "'; DROP TABLE posts; --"]:
        assert client.get("/forums/search", query_string={"q": odd}).status_code == 200
    client.post("/logout")
    login(client, personas["citizen"])
    assert "Interno" not in client.get("/forums/search?q=rendicion").get_data(as_text=True)
    assert client.get(f"/forums/search?q=x&forum={forums['staff']}").status_code == 404


def test_deleted_posts_are_not_found(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id, text="Palabra irrepetible")
    with app.app_context():
        db.session.scalar(select(Post).where(Post.thread_id == thread_id)).deleted_at = db.func.now()
        db.session.commit()
    page = client.get("/forums/search?q=irrepetible").get_data(as_text=True)
    assert "/forums/posts/" not in page
    factory.thread(forums["citizen"], personas["citizen"].id, text="Palabra irrepetible otra vez")
    assert "/forums/posts/" in client.get("/forums/search?q=irrepetible").get_data(as_text=True)


def test_edited_text_is_searchable(app, client, factory, forums, personas):
    thread_id = factory.thread(forums["citizen"], personas["citizen"].id, text="antes")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
    login(client, personas["citizen"])
    client.post(f"/forums/posts/{post_id}/edit", data={"body": "después ornitorrinco", "submit": "1"})
    assert f"/forums/posts/{post_id}" in client.get("/forums/search?q=ornitorrinco").get_data(as_text=True)


# Fixed query counts -------------------------------------------------------------------


def _queries(client, counter, url):
    with counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


#: The most queries a main page may make (issue 13).
PAGE_QUERIES = 8
WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(counter) -> list[str]:
    return [s for s in counter.statements if s.lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("viewer", [None, "citizen", "facilitator"])
def test_thread_page_queries_are_few_and_do_not_grow(app, client, factory, forums, personas, count_queries, viewer):
    """The same few queries for 10 posts as for 1,000, first page or last, anonymous,
    signed in (membership, reading position, one's reports) or moderating; a page read
    again writes nothing."""
    from forums.moderation.models import Flag

    small = factory.thread(forums["citizen"], personas["staff"].id, posts=10)
    large = factory.thread(forums["citizen"], personas["staff"].id, posts=1000)
    with app.app_context():
        # Both threads have the same shape: every third post answers the one before, and
        # the citizen reported the second post.
        posts = db.session.scalars(select(Post).where(Post.thread_id.in_([small, large]), Post.number > 1)).all()
        for post in posts:
            if post.number % 3 == 0:
                post.reply_to_id = post.id - 1
            if post.number == 2:
                db.session.add(Flag(contribution_id=post.contribution_id, user_id=personas["citizen"].id, reason="x"))
        db.session.commit()
    if viewer:
        login(client, personas[viewer])
        client.get("/")  # the welcome message, shown (a page with one waiting is drawn afresh)
    urls = [f"/forums/threads/{small}", f"/forums/threads/{large}", f"/forums/threads/{large}?page=50"]
    first = []
    for url in urls:
        first.append(_queries(client, count_queries, url))
        # Signed in, each of these pages moves the reading position forward: one statement.
        assert len(_writes(count_queries)) == (1 if viewer else 0), count_queries.statements
    again = []
    for url in urls:
        again.append(_queries(client, count_queries, url))
        assert _writes(count_queries) == [], "a page read again writes nothing"
    assert len(set(first)) == 1 and len(set(again)) == 1, count_queries.statements
    assert first[0] <= PAGE_QUERIES, count_queries.statements
    page = client.get(f"/forums/threads/{small}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ("You reported this to the moderators." in page) == (viewer == "citizen")
    assert "Mensaje número 10" in page and "In reply to" in page


def test_reading_position_is_written_only_when_it_moves_forward(app, client, factory, forums, personas, count_queries):
    thread_id = factory.thread(forums["citizen"], personas["staff"].id, posts=45)
    login(client, personas["citizen"])

    def read(page):
        with count_queries:
            assert client.get(f"/forums/threads/{thread_id}?page={page}").status_code == 200
        with app.app_context():
            marker = db.session.get(ThreadRead, (personas["citizen"].id, thread_id))
            return len(_writes(count_queries)), marker.last_number if marker else None

    assert read(2) == (1, 40)
    assert read(2) == (0, 40)
    assert read(1) == (0, 40), "never backwards, and no write"
    assert read(3) == (1, 45)
    assert read(3) == (0, 45)


def test_reading_position_upsert_never_goes_backwards(app, factory, forums, personas):
    """Two requests of one reader may both find no position and both write it: the
    statement inserts or moves forward, never fails or moves back."""
    from accounts.models import User
    from forums.discussions import services

    thread_id = factory.thread(forums["citizen"], personas["staff"].id, posts=3)
    with app.app_context():
        user, thread = db.session.get(User, personas["citizen"].id), db.session.get(Thread, thread_id)
        for number in (2, 2, 3, 1):
            services.mark_read(user, thread, number)
        db.session.commit()
        assert db.session.get(ThreadRead, (user.id, thread_id)).last_number == 3


def _forum_world(app, factory, forum_id, personas, threads, sessions, tag):
    """``threads`` threads (the first post of the newest hidden, so its title is withheld
    from people who do not moderate) that
    the citizen has read part of, and ``sessions`` sessions with remarks by an account,
    a walk-in and nobody named."""
    from forums.meetings.models import Meeting
    from forums.sheets.models import Attendee

    ids = [factory.thread(forum_id, personas["staff"].id, posts=3, title=f"Hilo {tag}{n}") for n in range(threads)]
    meetings = [factory.meeting(forum_id, title=f"Sesión {tag}{n}") for n in range(sessions)]
    people = [factory.user().id for _ in meetings]
    with app.app_context():
        first = db.session.scalar(select(Post).where(Post.thread_id == ids[-1], Post.number == 1))
        db.session.get(Contribution, first.contribution_id).hidden_at = db.func.now()
        db.session.add_all(ThreadRead(user_id=personas["citizen"].id, thread_id=t, last_number=2) for t in ids)
        for meeting_id, user_id in zip(meetings, people, strict=True):
            meeting = db.session.get(Meeting, meeting_id)
            person = Attendee(meeting_id=meeting_id, user_id=user_id, consent=True)
            walk_in = Attendee(meeting_id=meeting_id, name=f"Visita {tag}", consent=False)
            db.session.add_all([person, walk_in])
            db.session.flush()
            for attendee_id in (person.id, walk_in.id, None):
                remark = Contribution(
                    process_id=meeting.forum.process_id,
                    space_kind="meeting",
                    space_id=meeting_id,
                    attendee_id=attendee_id,
                    author_id=None if attendee_id else personas["staff"].id,
                )
                remark.set_body(f"Dicho en {tag}")
                db.session.add(remark)
        db.session.commit()


@pytest.mark.parametrize("viewer", [None, "citizen", "facilitator"])
def test_forum_page_queries_are_few_and_do_not_grow(app, client, factory, forums, personas, count_queries, viewer):
    """The forum page: threads with what the viewer read of each and withheld titles,
    sessions and remarks said in the room, in the same few queries for 2 threads and 1
    session as for 45 threads and 12 sessions."""
    forum_id = forums["citizen"]
    url = f"/forums/{forum_id}"
    if viewer:
        login(client, personas[viewer])
    _forum_world(app, factory, forum_id, personas, threads=2, sessions=1, tag="a")
    few = _queries(client, count_queries, url)
    _forum_world(app, factory, forum_id, personas, threads=43, sessions=11, tag="b")
    many = _queries(client, count_queries, url)
    assert few == many <= PAGE_QUERIES, count_queries.statements
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Said in the room" in page and "Sesión b10" in page and "Dicho en b" in page
    assert ("Hidden thread" in page) == (viewer != "facilitator")
    assert ("1 unread" in page) == (viewer == "citizen")
    assert "Page 1 of 3" in page


def test_forum_members_and_search_pages_queries_do_not_grow(app, client, factory, forums, personas, count_queries):
    login(client, personas["citizen"])
    urls = [
        f"/forums/{forums['citizen']}",
        f"/forums/{forums['citizen']}/members",
        "/forums/search?q=mensaje",
        "/forums/",
    ]
    factory.thread(forums["citizen"], personas["staff"].id, posts=2)
    few = [_queries(client, count_queries, url) for url in urls]
    for _ in range(30):
        factory.thread(forums["citizen"], personas["staff"].id, posts=3)
    for _ in range(60):
        factory.member(forums["citizen"], factory.user().id)
    for _ in range(5):
        factory.forum("citizen", None)
    many = [_queries(client, count_queries, url) for url in urls]
    assert few == many
