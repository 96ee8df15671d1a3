"""The revision record and verdicts: which sections changed and must be explained, the
publish check (as a service and over HTTP), writing changes (validation, numbering, the
form), the public record page (what stood behind each change, quotes only for those who
may read them), the command line, verdicts derived from codings, citations and
decisions, batches with grouped notifications, badges on every kind of contribution,
"Mis aportes", and pages whose query count does not grow with data."""

import html
import json
import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from accounts.models import User
from consultations.coding import services as coding
from consultations.coding.models import Coding, Theme
from consultations.common import ConsultationError
from consultations.revisions import services as revisions
from consultations.revisions.models import Change, ChangeContribution, ChangeSection, ChangeTheme
from consultations.rounds import services as rounds
from consultations.rounds.models import CommentRound
from consultations.verdicts import services as verdicts
from consultations.verdicts.models import Batch, Decision, Verdict
from consultations.versions import diff as diffs
from consultations.versions import services as versions
from consultations.versions.models import Version, VersionStatus
from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import Notification
from core.spaces import SpaceKind
from core.verdicts import VerdictStatus, badge
from forums.discussions.models import Post
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board
from tests.conftest import login

EN = {"Accept-Language": "en"}
TAKEN, NOT_TAKEN = VerdictStatus.TAKEN.value, VerdictStatus.NOT_TAKEN.value
OUT_OF_SCOPE, CONSIDERING = VerdictStatus.OUT_OF_SCOPE.value, VerdictStatus.CONSIDERING.value
RECEIVED = VerdictStatus.RECEIVED.value
THEMES = ("ACTAS", "PLAZOS", "DATOS", "OTROS")


@pytest.fixture
def en(app):
    """An application context whose messages are in English."""
    with app.app_context(), force_locale("en"):
        yield
        db.session.remove()


@pytest.fixture
def cli_en(app, monkeypatch):
    """CLI commands speak English (they use the default locale, outside any request)."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


# Helpers ------------------------------------------------------------------------------


def _user(persona_or_id) -> User:
    return db.session.get(User, getattr(persona_or_id, "id", persona_or_id))


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _counted(app, model, *where) -> int:
    with app.app_context():
        return _count(model, *where)


def _refused(message, call, *args, **kwargs) -> None:
    with pytest.raises(ConsultationError) as raised:
        call(*args, **kwargs)
    assert str(raised.value) == message


def _text(client, url, headers=EN) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _followed(client, response) -> str:
    """The page a redirect leads to (with its flashed messages), in English."""
    assert response.status_code in (302, 303), response.status_code
    return _text(client, response.location)


def _article(page: str, number: int) -> str:
    """The ``<article>`` of change ``number`` on a record page."""
    found = re.search(rf'<article class="change" id="change-{number}".*?</article>', page, re.S)
    assert found, number
    return found.group(0)


def _backing(article: str) -> list[str]:
    """The breakdown of what stood behind a change, as its list reads."""
    found = re.search(r'<ul class="backing">(.*?)</ul>', article, re.S)
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def _change(
    version,
    summary="Un cambio",
    reason="Porque lo pidieron.",
    sections=("T.3",),
    themes=(),
    cited=(),
    editorial=False,
    change=None,
    actor=None,
):
    """A change saved through the service (``themes`` and ``cited``: ids)."""
    return revisions.save_change(
        version, change, summary, reason, list(sections), list(themes), list(cited), editorial, actor
    )


def _draft_in_session(based_on: Version, label="v0.2", edits=None, titles=None, add=(), remove=(), move=None):
    """A draft of ``based_on`` with new texts ``edits`` and titles ``titles`` ({key: ...}),
    sections added ((key, title, text)) and removed, and one section moved ((key, step))."""
    draft = versions.new_version(based_on.model, label, "Versión revisada", "", None, based_on)
    for key, body in (edits or {}).items():
        section = versions.section_of(draft, key)
        versions.save_section(section, section.title, body)
    for key, title in (titles or {}).items():
        section = versions.section_of(draft, key)
        versions.save_section(section, title, section.body_source)
    for key, title, body in add:
        versions.add_section(draft, key, title, body)
    for key in remove:
        versions.delete_section(draft, versions.section_of(draft, key))
    if move:
        key, step = move
        assert versions.move_section(draft, versions.section_of(draft, key), step)
    return draft


def _draft(app, based_on_id, label="v0.2", **edits) -> int:
    with app.app_context():
        draft = _draft_in_session(db.session.get(Version, based_on_id), label, **edits)
        db.session.commit()
        return draft.id


def _revision(app, based_on_id, *changes, label="v0.2", edits=None, publish=True, actor=None) -> int:
    """A version drafted from ``based_on_id`` with ``edits`` and the ``changes`` of its
    record (dicts of :func:`_change`'s arguments), published unless told otherwise (by
    the account ``actor``); its id."""
    with app.app_context():
        draft = _draft_in_session(db.session.get(Version, based_on_id), label, edits=edits)
        for change in changes:
            _change(draft, **change)
        if publish:
            versions.publish(draft, _user(actor) if actor else None)
        db.session.commit()
        return draft.id


def _code(app, pairs, coder=None) -> None:
    """Code contributions: ``pairs`` of (contribution id, theme id)."""
    with app.app_context():
        db.session.add_all(Coding(contribution_id=c, theme_id=t, coder_id=coder) for c, t in pairs)
        db.session.commit()


def _columns(app, contribution_id) -> tuple:
    """The verdict columns a contribution carries for its badge."""
    with app.app_context():
        c = db.session.get(Contribution, contribution_id)
        return (c.verdict_status, c.verdict_version_id, c.verdict_version_label, c.verdict_change_number)


def _verdict_notes(app, user_id=None) -> list[tuple[str, dict, str]]:
    """``(kind, params, link)`` of the verdict notifications (of one person)."""
    with app.app_context():
        where = [Notification.kind.like("verdicts.%")]
        if user_id is not None:
            where.append(Notification.user_id == user_id)
        return [
            (n.kind, json.loads(n.params_json), n.link)
            for n in db.session.scalars(select(Notification).where(*where).order_by(Notification.id))
        ]


def _badge_link(version_id, number) -> str:
    return f"/consultations/versions/{version_id}/revisions#change-{number}"


# A process with a contribution of every kind -------------------------------------------


@pytest.fixture
def world(app, factory, personas, places, snapshots):
    """Process A, with a published v0.1 (the factory's sections) and, oldest first:

    ===============  =======  ============  =========  =====================================
    name             kind     municipality  channel    who
    ===============  =======  ============  =========  =====================================
    post, post2      thread   home          online     the citizen (a citizen forum)
    staff_post       thread   home          online     the official (a staff forum)
    expert_post      thread   other         online     the expert (a citizen forum)
    remark           meeting  home          in_person  the citizen, checked in with an account
    card             board    home          online     the citizen, invited
    spoken           board    home          in_person  the citizen, checked in, written down
    comment          round    home          online     the citizen, on T.3 of v0.1
    ===============  =======  ============  =========  =====================================

    Themes ACTAS, PLAZOS, DATOS, OTROS. Process B has the citizen's ``foreign`` post and a
    theme ``FUERA``."""
    return snapshots.layer("revisions world", lambda: _build_world(app, factory, personas, places))


def _build_world(app, factory, personas, places):
    p = personas
    pid = factory.process("Proceso A")
    other_pid = factory.process("Proceso B")
    forum = factory.forum(process_id=pid, municipality_id=places["home"], title="Foro de Talagante")
    staff_forum = factory.forum("staff", municipality_id=places["home"], process_id=pid)
    far_forum = factory.forum(process_id=pid, municipality_id=places["other"])
    elsewhere = factory.forum(process_id=other_pid, municipality_id=places["home"])
    thread = factory.thread(forum, p["citizen"].id, posts=2, title="Actas a tiempo", text="post ciudadano {n}")
    staff_thread = factory.thread(staff_forum, p["staff"].id, text="post funcionario")
    expert_thread = factory.thread(far_forum, p["expert"].id, text="post experto")
    foreign_thread = factory.thread(elsewhere, p["citizen"].id, text="post de otro proceso")
    meeting = factory.meeting(forum, title="Sesión de marzo")
    workshop = factory.workshop(pid, invite=[p["citizen"].id], title="Taller de actas")
    board = factory.board(workshop, title="Muro")
    _card_id, card = factory.card(board, p["citizen"].id, text="tarjeta ciudadana")
    v1 = factory.version(pid)
    round_ = factory.round(v1, title="Ronda uno")
    _comment_id, comment = factory.comment(round_, p["citizen"].id, key="T.3", text="comentario ciudadano")
    with app.app_context():
        facilitator, citizen = _user(p["facilitator"]), _user(p["citizen"])
        m = db.session.get(Meeting, meeting)
        in_room = sheets.check_in(facilitator, m, citizen, True)
        remark = sheets.add_remark(facilitator, m, SpaceKind.MEETING, in_room.id, "dicho en la sala").id
        b = db.session.get(Board, board)
        at_workshop = sheets.check_in(facilitator, b.workshop, citizen, True)
        spoken = boards.add_card(facilitator, b, None, boards.columns(b)[0], "tarjeta dictada", at_workshop)
        themes = {code: coding.create_theme(pid, code, f"Tema {code.lower()}").id for code in THEMES}
        foreign_theme = coding.create_theme(other_pid, "FUERA", "Tema ajeno").id

        def first(thread_id):
            return db.session.scalars(
                select(Post.contribution_id).where(Post.thread_id == thread_id).order_by(Post.number)
            ).all()

        post, post2 = first(thread)
        world = SimpleNamespace(
            pid=pid,
            other_pid=other_pid,
            v1=v1,
            round=round_,
            thread=thread,
            staff_thread=staff_thread,
            meeting=meeting,
            workshop=workshop,
            board=board,
            post=post,
            post2=post2,
            staff_post=first(staff_thread)[0],
            expert_post=first(expert_thread)[0],
            foreign=first(foreign_thread)[0],
            remark=remark,
            card=card,
            spoken=spoken.contribution_id,
            comment=comment,
            themes=themes,
            foreign_theme=foreign_theme,
        )
        db.session.commit()
    return world


# 1. Which sections changed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "edits, changed",
    [
        ({"edits": {"T.3": "Actas en diez días."}}, ["T.3"]),
        ({"titles": {"P.1": "Nivel uno"}}, ["P.1"]),
        ({"add": [("T.4", "Nivel 4", "Nuevo nivel.")]}, ["T.4"]),
        ({"remove": ["I.1"]}, ["I.1"]),
        ({"move": ("introduccion", 1)}, []),
        (
            {
                "edits": {"T.3": "Actas en diez días."},
                "titles": {"P.1": "Nivel uno"},
                "add": [("T.4", "Nivel 4", "Nuevo nivel.")],
                "remove": ["I.1"],
                "move": ("introduccion", 1),
            },
            ["T.3", "T.4", "P.1", "I.1"],
        ),
    ],
    ids=["text", "renamed", "added", "removed", "moved", "all"],
)
def test_changed_keys_count_added_removed_text_and_title_but_not_a_move(app, factory, edits, changed):
    v1 = factory.version()
    draft_id = _draft(app, v1, **edits)
    with app.app_context():
        draft = db.session.get(Version, draft_id)
        assert revisions.changed_keys(draft) == changed
        assert revisions.unexplained(draft) == changed
        assert revisions.explained_keys(draft) == set()
        if "move" in edits:
            # The move is real: the comparison sees it, the revision record asks nothing for it.
            comparison = diffs.compare(versions.sections_of(db.session.get(Version, v1)), versions.sections_of(draft))
            assert comparison.moved >= 1


def test_a_first_version_has_nothing_to_explain(app, factory):
    published = factory.version()
    draft = factory.version(label="v0.1", published=False)
    with app.app_context():
        for version_id in (published, draft):
            version = db.session.get(Version, version_id)
            assert revisions.changed_keys(version) == []
            assert revisions.unexplained(version) == []
        first = db.session.get(Version, draft)
        assert versions.publish_problems(first) == []
        versions.publish(first, None)
        db.session.commit()
        assert db.session.get(Version, draft).status == VersionStatus.PUBLISHED.value


def test_unexplained_shrinks_as_changes_name_the_keys(app, en, factory):
    v1 = factory.version()
    draft_id = _draft(
        app, v1, edits={"T.3": "Otro texto."}, titles={"P.1": "Nivel uno"}, add=[("T.4", "Nivel 4", "Nuevo.")]
    )
    draft = db.session.get(Version, draft_id)
    _change(draft, sections=["P.1", "T.3"])
    assert revisions.explained_keys(draft) == {"T.3", "P.1"}
    assert revisions.unexplained(draft) == ["T.4"]
    # A change may also name a section that did not change; it explains nothing more.
    _change(draft, sections=["T.1"], editorial=True, reason="")
    assert revisions.unexplained(draft) == ["T.4"]
    _change(draft, sections=["T.4"], editorial=True, reason="")
    assert revisions.unexplained(draft) == []


# 2. The publish check ----------------------------------------------------------------------

REFUSAL = "Explain every changed section in the revision record first (a change, or an editorial change): {keys}."


def test_publishing_an_unexplained_draft_is_refused_naming_the_keys(app, en, factory):
    v1 = factory.version()
    draft_id = _draft(
        app,
        v1,
        edits={"T.3": "Actas en diez días."},
        titles={"P.1": "Nivel uno"},
        add=[("T.4", "Nivel 4", "Nuevo.")],
        remove=["I.1"],
    )
    draft = db.session.get(Version, draft_id)
    _refused(REFUSAL.format(keys="T.3, T.4, P.1, I.1"), versions.publish, draft, None)
    assert draft.is_draft and draft.published_at is None
    assert db.session.get(Version, v1).status == VersionStatus.PUBLISHED.value
    _change(draft, sections=["T.3", "T.4", "P.1"])
    assert versions.publish_problems(draft) == [REFUSAL.format(keys="I.1")]
    _refused(REFUSAL.format(keys="I.1"), versions.publish, draft, None)
    _change(draft, summary="Se quita un aspecto repetido", sections=["I.1"], reason="", editorial=True)
    assert versions.publish_problems(draft) == []
    versions.publish(draft, None)
    assert draft.status == VersionStatus.PUBLISHED.value
    assert db.session.get(Version, v1).status == VersionStatus.SUPERSEDED.value


def test_publish_over_http_refuses_then_publishes_once_explained(app, client, world, personas):
    draft_id = _draft(app, world.v1, edits={"T.3": "Actas en diez días."}, titles={"P.1": "Nivel uno"})

    def state():
        with app.app_context():
            return {
                "draft": db.session.get(Version, draft_id).status,
                "published_at": db.session.get(Version, draft_id).published_at,
                "v1": db.session.get(Version, world.v1).status,
                "audit": _count(AuditEntry, AuditEntry.action == "version.published"),
                "notifications": _count(Notification),
                "batches": _count(Batch),
            }

    before = state()
    assert before["draft"] == "draft" and before["v1"] == "published"
    login(client, personas["facilitator"])
    url = f"/consultations/versions/{draft_id}/publish"
    response = client.post(url, headers=EN)
    assert response.status_code == 303
    assert response.location.endswith(url)
    page = _followed(client, response)
    assert page.count(REFUSAL.format(keys="T.3, P.1")) == 2  # the flash and the list of problems
    assert f'href="/consultations/versions/{draft_id}/revisions"' in page
    assert state() == before

    with app.app_context():
        draft = db.session.get(Version, draft_id)
        _change(draft, summary="Actas en diez días", sections=["T.3"], reason="Lo pidió la ronda.")
        _change(draft, summary="Título", sections=["P.1"], reason="", editorial=True)
        db.session.commit()
    response = client.post(url, headers=EN)
    assert response.status_code == 302
    assert response.location.endswith(f"/consultations/versions/{draft_id}")
    after = state()
    assert (after["draft"], after["v1"]) == ("published", "superseded")
    assert after["published_at"] is not None
    assert after["audit"] == before["audit"] + 1
    assert after["batches"] == before["batches"] + 1
    # The citizen who commented on v0.1 is told it was replaced: the refusal above really sent nothing.
    assert after["notifications"] > before["notifications"]


# 3. Writing changes ------------------------------------------------------------------------


def test_save_change_checks_everything_and_writes_nothing_when_refused(app, en, world, factory):
    draft = db.session.get(
        Version, _draft(app, world.v1, edits={"T.3": "Otro."}, add=[("T.4", "Nivel 4", "Nuevo.")], remove=["I.1"])
    )
    other_version = factory.version(label="v0.1")
    never = "A published version is never edited again: start a new draft from it."
    refusals = [
        ("Say in a line what changed.", dict(summary="   ")),
        ("Say why it changed (or mark it as an editorial change).", dict(reason="  ")),
        ("Choose the sections this change touched.", dict(sections=[])),
        ("Choose the sections this change touched.", dict(sections=["  ", ""])),
        ("Neither version has the sections Z, anexo.", dict(sections=["T.3", "anexo", "Z"])),
        ("Choose themes of this process's codebook.", dict(themes=[world.foreign_theme])),
        ("Choose themes of this process's codebook.", dict(themes=[world.themes["ACTAS"], 999_999])),
        (f"This process has no contributions {world.foreign}.", dict(cited=[world.post, world.foreign])),
        ("This process has no contributions 999999.", dict(cited=[999_999])),
    ]
    for message, kwargs in refusals:
        _refused(message, _change, draft, **kwargs)
    with pytest.raises(ConsultationError, match="at most 300"):
        _change(draft, summary="x" * 301)
    _refused(never, _change, db.session.get(Version, world.v1))
    _refused(never, _change, db.session.get(Version, other_version))
    assert _count(Change) == _count(ChangeSection) == _count(ChangeTheme) == _count(ChangeContribution) == 0

    # A key only the earlier version has (removed) and one only the draft has (added) are fine.
    author = db.session.scalar(select(User).limit(1))
    change = _change(
        draft,
        sections=["I.1", "T.4", "T.3", "T.3"],
        themes=[world.themes["ACTAS"]],
        cited=[world.post, world.card],
        actor=author,
    )
    assert (change.number, change.created_by_id) == (1, author.id)
    entry = revisions.record(draft)[0]
    assert (entry.sections, [t.code for t in entry.themes], entry.cited) == (
        ["I.1", "T.3", "T.4"],
        ["ACTAS"],
        sorted([world.post, world.card]),
    )
    # An editorial change needs no reason; its text is rendered once.
    editorial = _change(draft, summary="Erratas", reason="", sections=["T.3"], editorial=True)
    assert (editorial.editorial, editorial.reason_html) == (True, "")
    explained = _change(draft, reason="Lo pidió **la ronda**.")
    assert explained.reason_html == "<p>Lo pidió <strong>la ronda</strong>.</p>"


def test_changes_are_numbered_rewritten_and_renumbered_after_a_removal(app, en, world):
    draft = db.session.get(Version, _draft(app, world.v1, edits={"T.3": "Otro."}))
    made = [_change(draft, summary=f"Cambio {n}", themes=[world.themes["ACTAS"]]) for n in (1, 2, 3)]
    assert [c.number for c in made] == [1, 2, 3]
    # Rewriting keeps the number and replaces sections, themes and citations.
    rewritten = _change(
        draft,
        change=made[1],
        summary="Cambio dos",
        sections=["P.1"],
        themes=[world.themes["PLAZOS"]],
        cited=[world.remark],
    )
    assert rewritten.id == made[1].id and rewritten.number == 2
    entry = next(e for e in revisions.record(draft) if e.change.id == made[1].id)
    assert (entry.change.summary, entry.sections, [t.code for t in entry.themes], entry.cited) == (
        "Cambio dos",
        ["P.1"],
        ["PLAZOS"],
        [world.remark],
    )
    revisions.delete_change(made[0])
    assert [(e.change.number, e.change.summary) for e in revisions.record(draft)] == [
        (1, "Cambio dos"),
        (2, "Cambio 3"),
    ]
    assert _count(ChangeSection) == 2 and _count(ChangeTheme) == 2 and _count(ChangeContribution) == 1
    assert _change(draft, summary="Cambio nuevo").number == 3
    versions.publish(draft, None)
    _refused(
        "A published version is never edited again: start a new draft from it.",
        revisions.delete_change,
        db.session.scalar(select(Change).where(Change.number == 1)),
    )


def test_changes_are_written_over_http(app, client, world, personas):
    draft_id = _draft(app, world.v1, edits={"T.3": "Otro."}, titles={"P.1": "Nivel uno"})
    login(client, personas["facilitator"])
    url = f"/consultations/versions/{draft_id}/revisions/new"
    form = _text(client, url + "?section=T.3")
    assert 'id="section-T.3" name="section" value="T.3" checked' in form
    assert f'name="theme" value="{world.themes["ACTAS"]}"' in form
    assert f'name="theme" value="{world.foreign_theme}"' not in form
    data = {
        "summary": "Actas en diez días",
        "reason": "Lo pidió la ronda.",
        "section": ["T.3", "P.1"],
        "theme": [str(world.themes["ACTAS"]), str(world.themes["PLAZOS"])],
        "contributions": f"{world.post}, #{world.card}",
    }
    response = client.post(url, data=data, headers=EN)
    assert response.status_code == 302
    assert response.location.endswith(f"/consultations/versions/{draft_id}/revisions#change-1")
    assert "Change 1 saved." in _followed(client, response)
    with app.app_context():
        change = db.session.scalar(select(Change))
        assert (change.number, change.summary, change.editorial, change.created_by_id) == (
            1,
            "Actas en diez días",
            False,
            personas["facilitator"].id,
        )
        entry = revisions.record(db.session.get(Version, draft_id))[0]
        assert set(entry.sections) == {"T.3", "P.1"}
        assert {t.id for t in entry.themes} == {world.themes["ACTAS"], world.themes["PLAZOS"]}
        assert entry.cited == sorted([world.post, world.card])
        change_id = change.id

    def rows():
        with app.app_context():
            return [_count(m) for m in (Change, ChangeSection, ChangeTheme, ChangeContribution)]

    before = rows()
    bad = [
        ({"contributions": "12, abc"}, "Contribution numbers are whole numbers separated by commas."),
        ({"contributions": "1.5"}, "Contribution numbers are whole numbers separated by commas."),
        ({"contributions": "\u00b3"}, "Contribution numbers are whole numbers separated by commas."),
        ({"contributions": "1234567890"}, "Contribution numbers are whole numbers separated by commas."),
        ({"contributions": str(world.foreign)}, f"This process has no contributions {world.foreign}."),
        ({"summary": ""}, "This field is required."),
        ({"reason": ""}, "Say why it changed (or mark it as an editorial change)."),
        ({"section": []}, "Choose the sections this change touched."),
        ({"section": ["anexo"]}, "Neither version has the sections anexo."),
        ({"theme": [str(world.foreign_theme)]}, "Choose themes of this process's codebook."),
    ]
    for change, message in bad:
        response = client.post(url, data={**data, **change}, headers=EN)
        assert response.status_code == 422, change
        page = html.unescape(response.get_data(as_text=True))
        assert message in page, change
        # What was chosen stays chosen (a key neither version has is not offered at all).
        for key in change.get("section", data["section"]):
            assert (f'value="{key}" checked' in page) is (key != "anexo"), change
        assert rows() == before, change
    # A theme number that is not one is ignored, never a crash.
    response = client.post(url, data={**data, "theme": ["\u00b2", "x"]}, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        assert _count(ChangeTheme, ChangeTheme.change_id != change_id) == 0

    # Editing and removing over HTTP.
    edit = f"/consultations/changes/{change_id}/edit"
    page = _text(client, edit)
    assert f'value="{world.post}, {world.card}"' in page and 'value="T.3" checked' in page
    response = client.post(edit, data={**data, "summary": "Actas en diez días hábiles", "contributions": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Change, change_id).summary == "Actas en diez días hábiles"
        assert _count(ChangeContribution, ChangeContribution.change_id == change_id) == 0
    response = client.post(f"/consultations/changes/{change_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert [c.number for c in db.session.scalars(select(Change).order_by(Change.number))] == [1]


def test_changes_of_a_published_version_and_by_others_are_refused(app, client, world, personas):
    published = _revision(app, world.v1, {"summary": "Publicado"})
    with app.app_context():
        change_id = db.session.scalar(select(Change.id))
    data = {"summary": "Tarde", "reason": "x", "section": ["T.3"]}
    login(client, personas["facilitator"])
    for url in (f"/consultations/versions/{published}/revisions/new", f"/consultations/changes/{change_id}/edit"):
        response = client.post(url, data=data, headers=EN)
        assert response.status_code == 303
        assert "never edited again" in _followed(client, response)
    response = client.post(f"/consultations/changes/{change_id}/delete", headers=EN)
    assert response.status_code == 303 and "never edited again" in _followed(client, response)
    with app.app_context():
        assert [(c.number, c.summary) for c in db.session.scalars(select(Change))] == [(1, "Publicado")]
    draft = _draft(app, published, label="v0.3")
    citizen = client.application.test_client()
    login(citizen, personas["citizen"])
    assert citizen.post(f"/consultations/versions/{draft}/revisions/new", data=data).status_code == 403
    assert citizen.post(f"/consultations/changes/{change_id}/delete").status_code == 403
    assert _counted(app, Change) == 1


# 4. The public record page -----------------------------------------------------------------


@pytest.fixture
def recorded(app, world, personas):
    """v0.2, published, with two changes:

    1. T.3, theme ACTAS, citing the post and the staff post; ACTAS codes the post (so it
       counts once), the remark and the expert's post: four contributions behind it;
    2. editorial, P.1, theme PLAZOS, citing the card and the comment; PLAZOS codes the card.
    """
    actas, plazos = world.themes["ACTAS"], world.themes["PLAZOS"]
    _code(app, [(world.post, actas), (world.remark, actas), (world.expert_post, actas), (world.card, plazos)])
    v2 = _revision(
        app,
        world.v1,
        {
            "summary": "Actas en diez días",
            "reason": "Muchos pidieron **plazos claros**.",
            "sections": ["T.3"],
            "themes": [actas],
            "cited": [world.post, world.staff_post],
        },
        {
            "summary": "Título más claro",
            "reason": "",
            "editorial": True,
            "sections": ["P.1"],
            "themes": [plazos],
            "cited": [world.card, world.comment],
        },
        edits={"T.3": "Actas en diez días.", "P.1": "Informa a la comunidad cada mes."},
    )
    return SimpleNamespace(v2=v2, actas=actas, plazos=plazos)


def test_the_record_page_shows_each_change_and_what_stood_behind_it(app, client, world, recorded):
    page = _text(client, f"/consultations/versions/{recorded.v2}/revisions")
    assert "2 changes" in page
    assert f'href="/consultations/versions/{world.v1}/diff/{recorded.v2}"' in page
    first = _article(page, 1)
    assert "Change 1: Actas en diez días" in first
    assert "Muchos pidieron <strong>plazos claros</strong>." in first
    assert f'href="/consultations/versions/{world.v1}/diff/{recorded.v2}#diff-T.3">T.3</a>' in first
    assert f'href="/consultations/themes/{recorded.actas}">ACTAS · Tema actas</a>' in first
    assert "4 contributions stood behind it" in first
    assert _backing(first) == [
        "Forum thread: 3",
        "Session: 1",
        "Online: 3",
        "In person: 1",
        "Talagante: 3",
        "Vitacura: 1",
    ]
    assert "Editorial" not in first
    second = _article(page, 2)
    assert "Change 2: Título más claro" in second and '<span class="badge">Editorial</span>' in second
    assert '<div class="post-body">' not in second.split("<h4>")[0]  # no reason written
    assert '#diff-P.1">P.1</a>' in second
    assert "2 contributions stood behind it" in second
    assert sorted(_backing(second)) == sorted(["Workshop board: 1", "Comment round: 1", "Online: 2", "Talagante: 2"])
    # The anchors the sections link to exist on the diff page.
    diff = _text(client, f"/consultations/versions/{world.v1}/diff/{recorded.v2}")
    assert 'id="diff-T.3"' in diff and 'id="diff-P.1"' in diff


def test_a_contribution_both_cited_and_coded_counts_once(app, en, world, recorded):
    entries = revisions.record(db.session.get(Version, recorded.v2))
    assert [e.total for e in entries] == [4, 2]
    assert entries[0].by_kind == {"thread": 3, "meeting": 1}
    assert entries[0].by_channel == {"online": 3, "in_person": 1}
    assert entries[0].cited == sorted([world.post, world.staff_post])


@pytest.mark.parametrize(
    "viewer, sees_staff_post",
    [(None, False), ("citizen", False), ("staff_other", False), ("staff", True), ("facilitator", True)],
)
def test_quotes_only_what_the_viewer_may_read(app, client, world, personas, recorded, viewer, sees_staff_post):
    if viewer:
        login(client, personas[viewer])
    page = _text(client, f"/consultations/versions/{recorded.v2}/revisions")
    first, second = _article(page, 1), _article(page, 2)
    assert "post ciudadano 1" in first
    assert ("post funcionario" in first) is sees_staff_post
    assert ("post funcionario" in page) is sees_staff_post
    assert 'href="/forums/posts/' in first and "Actas a tiempo" in first  # the place of the post
    assert "tarjeta ciudadana" in second and "comentario ciudadano" in second
    # Coded but not cited: counted, never quoted.
    assert "dicho en la sala" not in page and "post experto" not in page
    # Whatever the viewer, the counts are the same.
    assert "4 contributions stood behind it" in first


def test_hidden_or_deleted_contributions_are_not_quoted(app, world, personas, recorded):
    """A card a moderator hid shows its placeholder (its text, with the notice, to a
    facilitator); a post its author deleted is quoted to nobody."""
    with app.app_context():
        card = db.session.get(Contribution, world.card)
        card.hidden_at, card.hidden_reason = utcnow(), "Datos personales"
        db.session.scalar(select(Post).where(Post.contribution_id == world.post)).deleted_at = utcnow()
        db.session.commit()
    url = f"/consultations/versions/{recorded.v2}/revisions"
    anonymous = _text(app.test_client(), url)
    assert "tarjeta ciudadana" not in anonymous and '<p class="placeholder">' in _article(anonymous, 2)
    assert "comentario ciudadano" in anonymous
    facilitator = app.test_client()
    login(facilitator, personas["facilitator"])
    managed = _text(facilitator, url)
    assert "tarjeta ciudadana" in managed and "Hidden by a moderator: Datos personales" in managed
    for page in (anonymous, managed):
        assert "post ciudadano 1" not in page
        # Still counted: it stood behind the change.
        assert "4 contributions stood behind it" in _article(page, 1)


@pytest.mark.parametrize(
    "role, status",
    [(None, 404), ("citizen", 404), ("staff", 404), ("expert", 404), ("facilitator", 200), ("admin", 200)],
)
def test_a_drafts_record_is_for_facilitators(app, client, world, personas, role, status):
    draft = _draft(app, world.v1, edits={"T.3": "Otro."}, titles={"P.1": "Nivel uno"})
    with app.app_context():
        _change(db.session.get(Version, draft), summary="Actas", sections=["T.3"], cited=[world.post])
        db.session.commit()
    if role:
        login(client, personas[role])
    response = client.get(f"/consultations/versions/{draft}/revisions", headers=EN)
    assert response.status_code == status
    if status == 200:
        page = html.unescape(response.get_data(as_text=True))
        assert "Still unexplained: P.1." in page
        assert f'href="/consultations/versions/{draft}/revisions/new?section=P.1"' in page
        assert "Edit change 1" in page and "Remove change 1" in page


def test_a_first_versions_record_says_so(app, client, world):
    page = _text(client, f"/consultations/versions/{world.v1}/revisions")
    assert "This is a first version: it has no earlier version to change." in page
    assert "No change recorded." in page
    assert client.get("/consultations/versions/999999/revisions").status_code == 404


# 5. Deriving verdicts ----------------------------------------------------------------------


@pytest.fixture
def derivation(app, factory, world, personas):
    """Thirteen posts a…m by the citizen and themes TX, TY, TZ, TW, TV, TQ:

    - v0.2 (published): change 1 cites theme Y; 2 cites c; 3 cites e and theme Z;
    - v0.3 (published): change 1 cites f;
    - v0.4 (a draft): change 1 cites j and theme Q;
    - codings: b X; d, e, i Y; f Z; g W; h W and Y; k Q; l V and W;
    - decisions: theme W not taken, theme V out of scope, i out of scope, m considering.
    """
    thread = factory.thread(factory.forum(process_id=world.pid), personas["citizen"].id, posts=13, text="aporte {n}")
    with app.app_context():
        ids = db.session.scalars(select(Post.contribution_id).where(Post.thread_id == thread).order_by(Post.number))
        c = SimpleNamespace(**dict(zip("abcdefghijklm", ids, strict=True)))
        t = SimpleNamespace(
            **{code: coding.create_theme(world.pid, f"T{code}", f"Tema {code}").id for code in "XYZWVQ"}
        )
        pairs = [(c.b, t.X), (c.d, t.Y), (c.e, t.Y), (c.f, t.Z), (c.g, t.W), (c.h, t.W), (c.h, t.Y)]
        pairs += [(c.i, t.Y), (c.k, t.Q), (c.l, t.V), (c.l, t.W)]
        db.session.add_all(Coding(contribution_id=cid, theme_id=tid) for cid, tid in pairs)
        facilitator = _user(personas["facilitator"])
        verdicts.decide(world.pid, NOT_TAKEN, "No cabe en el modelo.", facilitator, theme=db.session.get(Theme, t.W))
        verdicts.decide(world.pid, OUT_OF_SCOPE, "Es tarea de otra ley.", facilitator, theme=db.session.get(Theme, t.V))
        for cid, status, reason in ((c.i, OUT_OF_SCOPE, "Habla de otra comuna."), (c.m, CONSIDERING, "Lo vemos.")):
            verdicts.decide(world.pid, status, reason, facilitator, contribution=db.session.get(Contribution, cid))
        db.session.commit()
    v2 = _revision(
        app,
        world.v1,
        {"summary": "Por tema", "themes": [t.Y]},
        {"summary": "Cita c", "cited": [c.c]},
        {"summary": "Cita e y el tema Z", "cited": [c.e], "themes": [t.Z]},
    )
    v3 = _revision(app, v2, {"summary": "Cita f", "cited": [c.f]}, label="v0.3")
    v4 = _revision(app, v3, {"summary": "Borrador", "cited": [c.j], "themes": [t.Q]}, label="v0.4", publish=False)
    return SimpleNamespace(c=c, t=t, v2=v2, v3=v3, v4=v4)


def _derived(process_id, names) -> dict:
    """``{name: (status, version id, change number, reason html, theme id)}`` of what
    :func:`verdicts.derive` says about the named contributions (absent: received)."""
    derived = verdicts.derive(process_id)
    found = {}
    for name, contribution_id in vars(names).items():
        if contribution_id in derived:
            d = derived[contribution_id]
            found[name] = (d.status, d.version_id, d.change_number, d.reason_html, d.theme_id)
    return found


def test_derive_follows_codings_citations_themes_and_decisions(app, en, world, derivation):
    c, t, v2 = derivation.c, derivation.t, derivation.v2
    assert _derived(world.pid, c) == {
        # a: nothing happened (received); j: only a draft cites it.
        "b": (CONSIDERING, None, None, "", None),
        "c": (TAKEN, v2, 2, "", None),
        "d": (TAKEN, v2, 1, "", None),
        # Cited by change 3 and coded with Y (change 1): the direct citation wins.
        "e": (TAKEN, v2, 3, "", None),
        # Through Z in v0.2, cited directly in v0.3: the earliest version wins.
        "f": (TAKEN, v2, 3, "", None),
        "g": (NOT_TAKEN, None, None, "<p>No cabe en el modelo.</p>", t.W),
        # W's decision is for what no change took; Y took h.
        "h": (TAKEN, v2, 1, "", None),
        # A decision on the contribution overrides being taken.
        "i": (OUT_OF_SCOPE, None, None, "<p>Habla de otra comuna.</p>", None),
        # Q is cited only by a draft: still under consideration.
        "k": (CONSIDERING, None, None, "", None),
        # Two decided themes: the first by code.
        "l": (OUT_OF_SCOPE, None, None, "<p>Es tarea de otra ley.</p>", t.V),
        "m": (CONSIDERING, None, None, "<p>Lo vemos.</p>", None),
    }
    labels = {d.version_label for d in verdicts.derive(world.pid).values() if d.status == TAKEN}
    assert labels == {"v0.2"}
    # Once the draft is published, its change takes j, and Q's contributions.
    versions.publish(db.session.get(Version, derivation.v4), None)
    after = _derived(world.pid, c)
    assert after["j"] == (TAKEN, derivation.v4, 1, "", None)
    assert after["k"] == (TAKEN, derivation.v4, 1, "", None)
    assert "a" not in after


def test_derive_stays_inside_the_process(app, en, world, derivation, factory, personas):
    other_thread = factory.thread(factory.forum(process_id=world.other_pid), personas["citizen"].id)
    with app.app_context():
        other = db.session.scalar(select(Post.contribution_id).where(Post.thread_id == other_thread))
    _code(app, [(other, world.foreign_theme)])
    assert other not in verdicts.derive(world.pid)
    assert set(verdicts.derive(world.other_pid)) == {other}


def test_decide_refuses_what_cannot_be_written(app, en, world, personas):
    facilitator = _user(personas["facilitator"])
    post = db.session.get(Contribution, world.post)
    theme = db.session.get(Theme, world.themes["ACTAS"])
    choose, elsewhere = "Choose what became of it.", "Choose a contribution or a theme of this process."
    refusals = [
        ("Give the reason: people will read it.", (NOT_TAKEN, "   "), {"contribution": post}),
        ("At most 1000 characters.", (NOT_TAKEN, "x" * 1001), {"contribution": post}),
        (choose, (TAKEN, "Se tomó."), {"contribution": post}),
        (choose, (RECEIVED, "Recibido."), {"contribution": post}),
        (choose, ("maybe", "Quizás."), {"contribution": post}),
        (choose, (CONSIDERING, "Lo vemos."), {"theme": theme}),
        (choose, (TAKEN, "Se tomó."), {"theme": theme}),
        (elsewhere, (NOT_TAKEN, "No."), {"contribution": db.session.get(Contribution, world.foreign)}),
        (elsewhere, (NOT_TAKEN, "No."), {"theme": db.session.get(Theme, world.foreign_theme)}),
        (elsewhere, (NOT_TAKEN, "No."), {}),
    ]
    for message, (status, reason), target in refusals:
        _refused(message, verdicts.decide, world.pid, status, reason, facilitator, **target)
    assert _count(Decision) == 0
    first = verdicts.decide(world.pid, NOT_TAKEN, "Uno.", facilitator, contribution=post)
    again = verdicts.decide(world.pid, CONSIDERING, "Lo **vemos**.", facilitator, contribution=post)
    assert first.id == again.id and _count(Decision) == 1
    assert (again.status, again.reason_source, again.reason_html, again.decided_by_id) == (
        CONSIDERING,
        "Lo **vemos**.",
        "<p>Lo <strong>vemos</strong>.</p>",
        facilitator.id,
    )
    on_theme = verdicts.decide(world.pid, OUT_OF_SCOPE, "Otra ley.", facilitator, theme=theme)
    assert (on_theme.theme_id, on_theme.contribution_id, on_theme.status) == (theme.id, None, OUT_OF_SCOPE)
    assert [d.id for d in verdicts.decisions(world.pid)] == [on_theme.id, first.id]


# 6. Publishing verdicts --------------------------------------------------------------------


# One id per query proves that people are found across several IN lists (a large process
# publishes more verdicts at once than SQLite takes in one statement).
@pytest.mark.parametrize("ids_per_query", [10_000, 1])
def test_publishing_a_version_publishes_a_batch_and_tells_each_person_once(
    app, world, personas, monkeypatch, ids_per_query
):
    monkeypatch.setattr(verdicts, "IDS_PER_QUERY", ids_per_query)
    actas, plazos, datos = (world.themes[code] for code in ("ACTAS", "PLAZOS", "DATOS"))
    _code(
        app,
        [
            (world.post, actas),
            (world.remark, actas),
            (world.post2, plazos),
            (world.expert_post, plazos),
            (world.staff_post, datos),
        ],
    )
    with app.app_context():
        facilitator = _user(personas["facilitator"])
        verdicts.decide(
            world.pid, NOT_TAKEN, "Ya está en el nivel 2.", facilitator, theme=db.session.get(Theme, plazos)
        )
        db.session.commit()
    assert _counted(app, Verdict) == 0 and _columns(app, world.post) == (None, None, None, None)
    v2 = _revision(
        app,
        world.v1,
        {"summary": "Actas en diez días", "themes": [actas]},
        {"summary": "Tableros", "cited": [world.card]},
        actor=personas["facilitator"],
    )
    with app.app_context():
        batch = db.session.scalar(select(Batch).where(Batch.version_id == v2))
        assert (batch.process_id, batch.version_id, batch.changed, batch.published_by_id) == (
            world.pid,
            v2,
            6,
            personas["facilitator"].id,
        )
        published = {
            v.contribution_id: (v.status, v.version_id, v.reason_html, v.theme_id, v.batch_id)
            for v in db.session.scalars(select(Verdict))
        }
        change_ids = dict(db.session.execute(select(Change.number, Change.id)).tuples().all())
        assert published == {
            world.post: (TAKEN, v2, "", None, batch.id),
            world.remark: (TAKEN, v2, "", None, batch.id),
            world.card: (TAKEN, v2, "", None, batch.id),
            world.post2: (NOT_TAKEN, None, "<p>Ya está en el nivel 2.</p>", plazos, batch.id),
            world.expert_post: (NOT_TAKEN, None, "<p>Ya está en el nivel 2.</p>", plazos, batch.id),
            world.staff_post: (CONSIDERING, None, "", None, batch.id),
        }
        card_change = db.session.scalar(select(Verdict.change_id).where(Verdict.contribution_id == world.card))
        assert card_change == change_ids[2]
        audited = [
            (e.actor_id, json.loads(e.detail_json))
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verdicts.published"))
        ]
        assert (personas["facilitator"].id, {"process": world.pid, "batch": batch.id, "changed": 6}) in audited
    assert _columns(app, world.post) == (TAKEN, v2, "v0.2", 1)
    assert _columns(app, world.remark) == (TAKEN, v2, "v0.2", 1)
    assert _columns(app, world.card) == (TAKEN, v2, "v0.2", 2)
    assert _columns(app, world.expert_post) == (NOT_TAKEN, None, None, None)
    assert _columns(app, world.staff_post) == (CONSIDERING, None, None, None)
    assert _columns(app, world.comment) == (None, None, None, None)
    # One notification each: the citizen's three taken (post, remark said in the room,
    # card) and one not taken come together.
    mine = "/consultations/mine"
    assert _verdict_notes(app, personas["citizen"].id) == [
        ("verdicts.taken", {"num": 4, "taken": 3, "version": "v0.2"}, mine)
    ]
    assert _verdict_notes(app, personas["expert"].id) == [("verdicts.published", {"num": 1}, mine)]
    assert _verdict_notes(app, personas["staff"].id) == [("verdicts.published", {"num": 1}, mine)]
    assert len(_verdict_notes(app)) == 3
    with app.app_context(), force_locale("en"):
        texts = {
            n.user_id: n.text
            for n in db.session.scalars(select(Notification).where(Notification.kind.like("verdicts.%")))
        }
        assert texts[personas["citizen"].id] == "3 of your contributions were taken into v0.2."
        assert (
            texts[personas["expert"].id] == "There is an answer about 1 of your contributions: see what became of it."
        )

    # A second batch with nothing new changes nothing and tells nobody.
    with app.app_context():
        again = verdicts.publish_batch(world.pid, None, _user(personas["facilitator"]))
        db.session.commit()
        assert again.changed == 0
        assert {v.contribution_id: v.batch_id for v in db.session.scalars(select(Verdict))} == {
            cid: batch.id for cid in published
        }
    assert len(_verdict_notes(app)) == 3

    # Codings removed: back to received, quietly; a new coding with a cited theme: taken.
    with app.app_context():
        coding.remove_theme(world.pid, [world.expert_post], db.session.get(Theme, plazos))
        coding.remove_theme(world.pid, [world.staff_post], db.session.get(Theme, datos))
        db.session.add(Coding(contribution_id=world.comment, theme_id=actas))
        third = verdicts.publish_batch(world.pid, None, None)
        db.session.commit()
        assert third.changed == 3
        statuses = dict(db.session.execute(select(Verdict.contribution_id, Verdict.status)).tuples().all())
        assert (statuses[world.expert_post], statuses[world.staff_post], statuses[world.comment]) == (
            RECEIVED,
            RECEIVED,
            TAKEN,
        )
        assert badge(db.session.get(Contribution, world.expert_post)) is None
    assert _columns(app, world.expert_post) == (RECEIVED, None, None, None)
    assert _columns(app, world.comment) == (TAKEN, v2, "v0.2", 1)
    assert _verdict_notes(app, personas["expert"].id) == [("verdicts.published", {"num": 1}, mine)]
    assert _verdict_notes(app, personas["staff"].id) == [("verdicts.published", {"num": 1}, mine)]
    assert _verdict_notes(app, personas["citizen"].id)[-1] == (
        "verdicts.taken",
        {"num": 1, "taken": 1, "version": "v0.2"},
        mine,
    )


def test_a_contribution_coded_late_is_announced_with_the_version_it_went_into(app, world, personas):
    """Coded with a theme v0.2 took after v0.2 was published, a post is taken into v0.2
    when a later version goes out: the notification names v0.2, like the badge."""
    actas, plazos = world.themes["ACTAS"], world.themes["PLAZOS"]
    mine = "/consultations/mine"
    _code(app, [(world.post, actas)])
    v2 = _revision(app, world.v1, {"summary": "Actas", "themes": [actas]})
    assert _verdict_notes(app, personas["citizen"].id) == [
        ("verdicts.taken", {"num": 1, "taken": 1, "version": "v0.2"}, mine)
    ]
    # v0.3 takes nothing of the citizen's: post2 (coded late) went into v0.2.
    _code(app, [(world.post2, actas), (world.remark, plazos)])
    v3 = _revision(app, v2, {"summary": "Otra cosa", "cited": [world.expert_post]}, label="v0.3")
    assert _verdict_notes(app, personas["citizen"].id)[1:] == [
        ("verdicts.taken", {"num": 2, "taken": 1, "version": "v0.2"}, mine)
    ]
    assert _columns(app, world.post2) == (TAKEN, v2, "v0.2", 1)
    # v0.4 takes the card, and the comment coded late goes into v0.2: v0.4 is named, with its count.
    _code(app, [(world.comment, actas)])
    v4 = _revision(app, v3, {"summary": "Tableros", "cited": [world.card]}, label="v0.4")
    assert _verdict_notes(app, personas["citizen"].id)[2:] == [
        ("verdicts.taken", {"num": 2, "taken": 1, "version": "v0.4"}, mine)
    ]
    assert _columns(app, world.card) == (TAKEN, v4, "v0.4", 1)
    # With no version of its own, a batch names the version the contributions went into.
    _code(app, [(world.spoken, actas)])
    with app.app_context():
        verdicts.publish_batch(world.pid, None, None)
        db.session.commit()
    assert _verdict_notes(app, personas["citizen"].id)[3:] == [
        ("verdicts.taken", {"num": 1, "taken": 1, "version": "v0.2"}, mine)
    ]


def test_a_remark_written_down_for_an_attendee_reaches_their_account(app, world, personas, factory):
    """Someone checked in with their account is told about what they said in the room,
    and finds it on their page, even though a facilitator wrote it down."""
    neighbour = factory.user(name="Vecina")
    with app.app_context():
        facilitator = _user(personas["facilitator"])
        meeting = db.session.get(Meeting, world.meeting)
        attendee = sheets.check_in(facilitator, meeting, _user(neighbour), True)
        said = sheets.add_remark(facilitator, meeting, SpaceKind.MEETING, attendee.id, "lo dijo la vecina").id
        db.session.add(Coding(contribution_id=said, theme_id=world.themes["ACTAS"]))
        db.session.commit()
    v2 = _revision(app, world.v1, {"summary": "Actas", "themes": [world.themes["ACTAS"]]})
    assert _verdict_notes(app, neighbour.id) == [
        ("verdicts.taken", {"num": 1, "taken": 1, "version": "v0.2"}, "/consultations/mine")
    ]
    client = app.test_client()
    login(client, neighbour)
    page = _text(client, "/consultations/mine")
    assert f'id="contribution-{said}"' in page and "lo dijo la vecina" in page
    assert _badge_link(v2, 1) in page


def test_decisions_stay_private_until_verdicts_are_published(app, client, world, personas):
    with app.app_context():
        verdicts.decide(
            world.pid,
            OUT_OF_SCOPE,
            "No trata del modelo.",
            _user(personas["facilitator"]),
            contribution=db.session.get(Contribution, world.post2),
        )
        db.session.commit()
    login(client, personas["citizen"])
    thread = f"/forums/threads/{world.thread}"

    def item():
        page = _text(client, "/consultations/mine")
        found = re.search(rf'<li id="contribution-{world.post2}">.*?</li>', page, re.S)
        return found.group(0)

    before = item()
    assert "What became of it:</strong>" in before and "Received" in before
    assert "Out of scope" not in before and "No trata del modelo." not in before
    assert "verdict-badge" not in _text(client, thread)
    facilitator = app.test_client()
    login(facilitator, personas["facilitator"])
    manage = _text(facilitator, f"/consultations/processes/{world.pid}/verdicts")
    assert '<th scope="row">Out of scope</th><td>1</td><td>0</td>' in manage
    response = facilitator.post(f"/consultations/processes/{world.pid}/verdicts/publish", headers=EN)
    assert response.status_code == 302
    assert "1 verdict published." in _followed(facilitator, response)
    manage = _text(facilitator, f"/consultations/processes/{world.pid}/verdicts")
    assert '<th scope="row">Out of scope</th><td>1</td><td>1</td>' in manage
    after = item()
    assert "Out of scope" in after and "No trata del modelo." in after
    page = _text(client, thread)
    assert page.count("verdict-badge") == 1
    assert '<span class="badge verdict-badge">Out of scope</span>' in page
    assert _verdict_notes(app, personas["citizen"].id) == [("verdicts.published", {"num": 1}, "/consultations/mine")]


def test_decisions_are_written_and_removed_over_http(app, client, world, personas):
    url = f"/consultations/processes/{world.pid}/verdicts"
    login(client, personas["facilitator"])
    page = _text(client, url)
    assert "0 decisions" in page
    actas = world.themes["ACTAS"]
    good = {"contribution_id": str(world.post), "theme_id": "", "status": NOT_TAKEN, "reason": "Ya está."}
    bad = [
        ({"contribution_id": ""}, "Give a contribution number or choose a theme (one of them)."),
        ({"theme_id": str(actas)}, "Give a contribution number or choose a theme (one of them)."),
        ({"contribution_id": "999999"}, "Give a contribution number or choose a theme (one of them)."),
        ({"contribution_id": str(world.foreign)}, "Choose a contribution or a theme of this process."),
        ({"reason": ""}, "This field is required."),
        ({"status": TAKEN}, "Not a valid choice."),
        ({"contribution_id": "", "theme_id": str(actas), "status": CONSIDERING}, "Choose what became of it."),
        ({"contribution_id": "", "theme_id": str(world.foreign_theme)}, "Not a valid choice."),
    ]
    for change, message in bad:
        response = client.post(url, data={**good, **change}, headers=EN)
        assert response.status_code == 422, change
        assert message in html.unescape(response.get_data(as_text=True)), change
        assert _counted(app, Decision) == 0, change
    response = client.post(url, data=good, headers=EN)
    assert response.status_code == 302
    assert "Decision saved. It is published with the next batch of verdicts." in _followed(client, response)
    response = client.post(url, data={**good, "contribution_id": "", "theme_id": str(actas)}, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        decisions = {(d.contribution_id, d.theme_id, d.status) for d in db.session.scalars(select(Decision))}
        assert decisions == {(world.post, None, NOT_TAKEN), (None, actas, NOT_TAKEN)}
        first = db.session.scalar(select(Decision.id).where(Decision.contribution_id == world.post))
    page = _text(client, url)
    assert "2 decisions" in page and f"Contribution {world.post}" in page and "Theme ACTAS · Tema actas" in page
    assert client.post(f"/consultations/decisions/{first}/delete").status_code == 302
    assert _counted(app, Decision) == 1
    assert client.post("/consultations/decisions/999999/delete").status_code == 404


@pytest.mark.parametrize("role, status", [("citizen", 403), ("staff", 403), ("expert", 403), ("admin", 200)])
def test_the_verdicts_page_is_for_facilitators(app, client, world, personas, role, status):
    url = f"/consultations/processes/{world.pid}/verdicts"
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    login(client, personas[role])
    assert client.get(url).status_code == status
    batches = _counted(app, Batch, Batch.version_id.is_(None))
    publish = client.post(f"{url}/publish")
    assert publish.status_code == (302 if status == 200 else 403)
    assert _counted(app, Batch, Batch.version_id.is_(None)) == batches + (1 if status == 200 else 0)


# 7. Badges -----------------------------------------------------------------------------------


def test_badges_show_on_posts_comments_and_cards_once_published(app, client, world):
    pages = {
        "post ciudadano 1": f"/forums/threads/{world.thread}",
        "comentario ciudadano": f"/consultations/versions/{world.v1}/sections/T.3",
        "tarjeta ciudadana": f"/forums/boards/{world.board}",
    }

    def badges():
        found = {}
        for text, url in pages.items():
            page = _text(client, url)
            assert text in page, url
            found[text] = re.findall(r'<a class="badge verdict-badge" href="([^"]*)">([^<]*)</a>', page)
        return found

    assert badges() == {text: [] for text in pages}
    # Cited by a draft's change: nothing yet, even after a batch.
    draft = _revision(
        app,
        world.v1,
        {"summary": "Actas en diez días", "cited": [world.post, world.comment, world.card]},
        publish=False,
    )
    with app.app_context():
        verdicts.publish_batch(world.pid, None, None)
        db.session.commit()
    assert badges() == {text: [] for text in pages}
    with app.app_context():
        versions.publish(db.session.get(Version, draft), None)
        db.session.commit()
    taken = [(_badge_link(draft, 1), "Taken into v0.2 · change 1")]
    assert badges() == {text: taken for text in pages}
    # The link leads to the change on the record page.
    record = _text(client, f"/consultations/versions/{draft}/revisions")
    assert 'id="change-1"' in record
    with app.test_request_context(), force_locale("en"):
        assert badge(SimpleNamespace(verdict_status=None)) is None
        assert badge(SimpleNamespace(verdict_status=RECEIVED)) is None
        assert badge(SimpleNamespace(verdict_status=NOT_TAKEN)) == ("Not taken", None)
        assert badge(SimpleNamespace(verdict_status=CONSIDERING)) == ("Under consideration", None)


# 8. Mis aportes --------------------------------------------------------------------------------


def test_mis_aportes_lists_what_the_person_said_and_what_became_of_it(app, client, world, personas):
    actas, plazos = world.themes["ACTAS"], world.themes["PLAZOS"]
    _code(app, [(world.post, actas), (world.spoken, actas), (world.remark, plazos), (world.expert_post, actas)])
    with app.app_context():
        decided = _user(personas["facilitator"])
        verdicts.decide(world.pid, NOT_TAKEN, "Ya lo cubre el nivel 2.", decided, theme=db.session.get(Theme, plazos))
        db.session.commit()
        post_id = db.session.scalar(select(Post.id).where(Post.contribution_id == world.post))
    v2 = _revision(
        app,
        world.v1,
        {"summary": "Actas en diez días", "themes": [actas], "sections": ["T.3"]},
        edits={"T.3": "Actas en diez días."},
    )
    assert client.get("/consultations/mine").status_code == 302
    assert "/login" in client.get("/consultations/mine").location
    login(client, personas["citizen"])
    page = _text(client, "/consultations/mine")
    shown = [int(i) for i in re.findall(r'<li id="contribution-(\d+)">', page)]
    own = [world.post, world.post2, world.remark, world.card, world.spoken, world.comment, world.foreign]
    assert sorted(shown) == sorted(own)
    assert "7 contributions" in page
    assert "post funcionario" not in page and "post experto" not in page

    def item(contribution_id):
        return re.search(rf'<li id="contribution-{contribution_id}">.*?</li>', page, re.S).group(0)

    post = item(world.post)
    assert f'href="/forums/posts/{post_id}">Actas a tiempo</a>' in post
    assert f'href="/consultations/themes/{actas}">ACTAS · Tema actas</a>' in post
    assert "taken into v0.2 by" in post
    assert f'href="{_badge_link(v2, 1)}">change 1: Actas en diez días</a>' in post
    assert f'href="/consultations/versions/{world.v1}/diff/{v2}">what changed in the text</a>' in post
    remark = item(world.remark)
    assert f'href="/forums/sessions/{world.meeting}">Sesión de marzo</a>' in remark
    assert "dicho en la sala" in remark and "Not taken" in remark and "Ya lo cubre el nivel 2." in remark
    assert "PLAZOS · Tema plazos" in remark
    spoken = item(world.spoken)
    assert "tarjeta dictada" in spoken and "Taller de actas › Muro" in spoken and _badge_link(v2, 1) in spoken
    for received in (world.card, world.post2, world.comment, world.foreign):
        assert "Received" in item(received) and "Themes:" not in item(received)
    assert "Ronda uno" in item(world.comment) and "post de otro proceso" in item(world.foreign)

    # Another person sees only their own.
    expert = app.test_client()
    login(expert, personas["expert"])
    theirs = _text(expert, "/consultations/mine")
    assert [int(i) for i in re.findall(r'<li id="contribution-(\d+)">', theirs)] == [world.expert_post]
    assert "1 contribution" in theirs and "post ciudadano" not in theirs
    nobody = app.test_client()
    login(nobody, personas["admin"])
    assert "You have not contributed yet." in _text(nobody, "/consultations/mine")


# 9. The command line ---------------------------------------------------------------------------


def test_revision_record_command_prints_the_record_as_json(app, runner, world, cli_en):
    actas, plazos = world.themes["ACTAS"], world.themes["PLAZOS"]
    _code(app, [(world.post, actas), (world.remark, actas), (world.card, plazos)])
    draft = _revision(
        app,
        world.v1,
        {
            "summary": "Actas en diez días",
            "reason": "Lo pidió la ronda.",
            "themes": [plazos, actas],
            "cited": [world.staff_post, world.post],
        },
        edits={"T.3": "Actas en diez días.", "P.1": "Cada mes."},
        publish=False,
    )
    with app.app_context():
        model = db.session.get(Version, draft).model.title

    def record(version_id, *extra):
        result = runner.invoke(args=["consultations", "revision-record", str(version_id), *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    first = {
        "number": 1,
        "summary": "Actas en diez días",
        "reason": "Lo pidió la ronda.",
        "editorial": False,
        "sections": ["T.3"],
        "themes": ["ACTAS", "PLAZOS"],
        "contributions": sorted([world.post, world.staff_post]),
        # post (cited and coded), staff post, remark, card.
        "contributions_behind": 4,
    }
    assert record(draft, "--format", "json") == {
        "model": model,
        "version": "v0.2",
        "based_on": "v0.1",
        "status": "draft",
        "unexplained": ["P.1"],
        "changes": [first],
    }
    with app.app_context():
        version = db.session.get(Version, draft)
        _change(version, summary="Mensual", reason="", sections=["P.1"], editorial=True)
        versions.publish(version, None)
        db.session.commit()
    published = record(draft)
    assert (published["status"], published["unexplained"]) == ("published", [])
    assert published["changes"][1] == {
        "number": 2,
        "summary": "Mensual",
        "reason": "",
        "editorial": True,
        "sections": ["P.1"],
        "themes": [],
        "contributions": [],
        "contributions_behind": 0,
    }
    assert record(world.v1) == {
        "model": model,
        "version": "v0.1",
        "based_on": None,
        "status": "superseded",
        "unexplained": [],
        "changes": [],
    }
    unknown = runner.invoke(args=["consultations", "revision-record", "999999", "--format", "json"])
    assert unknown.exit_code != 0 and "No version has the id 999999." in unknown.output
    wrong = runner.invoke(args=["consultations", "revision-record", str(draft), "--format", "xml"])
    assert wrong.exit_code != 0


# 10. Query counts ------------------------------------------------------------------------------


def _queries(client, count_queries, url) -> int:
    """SQL statements of a second GET of ``url`` (the first warms the session up)."""
    assert client.get(url).status_code == 200, url
    with count_queries:
        assert client.get(url).status_code == 200, url
    return count_queries.count


def _clients(app, personas):
    """An anonymous client, a citizen's and a facilitator's."""
    made = {"anonymous": app.test_client()}
    for role in ("citizen", "facilitator"):
        made[role] = app.test_client()
        login(made[role], personas[role])
    return made


def _posts(app, thread_id) -> list[int]:
    with app.app_context():
        return db.session.scalars(
            select(Post.contribution_id).where(Post.thread_id == thread_id).order_by(Post.number)
        ).all()


def test_the_record_page_runs_fixed_queries(app, factory, world, personas, count_queries):
    posts = _posts(app, factory.thread(factory.forum(process_id=world.pid), personas["expert"].id, posts=30))
    kinds = [world.staff_post, world.remark, world.card, world.comment]

    def build(label, n):
        with app.app_context():
            draft = _draft_in_session(db.session.get(Version, world.v1), label, edits={"T.3": f"Texto {label}."})
            for i in range(n):
                themes = [coding.create_theme(world.pid, f"{label}-{i}-{j}", f"Tema {i} {j}").id for j in (1, 2)]
                db.session.add_all(
                    Coding(contribution_id=posts[(i + j) % len(posts)], theme_id=theme)
                    for j, theme in enumerate(themes)
                )
                _change(draft, summary=f"Cambio {i}", sections=["T.3"], themes=themes, cited=[posts[i], *kinds])
            versions.publish(draft, None)
            db.session.commit()
            return draft.id

    small, large = build("v0.2", 2), build("v0.3", 12)
    for role, client in _clients(app, personas).items():
        counts = [_queries(client, count_queries, f"/consultations/versions/{v}/revisions") for v in (small, large)]
        assert counts[0] == counts[1], (role, counts)
    page = _text(app.test_client(), f"/consultations/versions/{large}/revisions")
    assert "12 changes" in page and page.count("comentario ciudadano") == 12
    assert page.count("stood behind it") == 12


def test_mis_aportes_runs_fixed_queries(app, factory, world, personas, count_queries):
    """Four contributions (one of each kind), then twenty-five, with verdicts taken and
    not taken: the same queries."""
    few, many = factory.user(name="Pocas"), factory.user(name="Muchas")
    actas, plazos = world.themes["ACTAS"], world.themes["PLAZOS"]
    made = {}
    forum_id = factory.forum(process_id=world.pid)
    threads = {few.id: factory.thread(forum_id, few.id, posts=1), many.id: factory.thread(forum_id, many.id, posts=10)}
    with app.app_context():
        facilitator = _user(personas["facilitator"])
        meeting = db.session.get(Meeting, world.meeting)
        board = db.session.get(Board, world.board)
        column = boards.columns(board)[0]
        round_ = db.session.get(CommentRound, world.round)
        for person, n in ((few, 1), (many, 5)):
            user = _user(person)
            said = sheets.check_in(facilitator, meeting, user, True)
            there = sheets.check_in(facilitator, board.workshop, user, True)
            ids = db.session.scalars(select(Post.contribution_id).where(Post.thread_id == threads[person.id])).all()
            for i in range(n):
                ids.append(sheets.add_remark(facilitator, meeting, SpaceKind.MEETING, said.id, f"dicho {i}").id)
                ids.append(boards.add_card(facilitator, board, None, column, f"tarjeta {i}", there).contribution_id)
                ids.append(rounds.add_comment(round_, user, "T.3", f"comentario {i}", None).contribution_id)
            made[person.id] = ids
            db.session.add_all(
                Coding(contribution_id=cid, theme_id=actas if i % 2 else plazos) for i, cid in enumerate(ids)
            )
        verdicts.decide(world.pid, NOT_TAKEN, "Ya está.", facilitator, theme=db.session.get(Theme, plazos))
        db.session.commit()
    assert (len(made[few.id]), len(made[many.id])) == (4, 25)
    _revision(app, world.v1, {"summary": "Actas", "themes": [actas]})
    counts = {}
    for person in (few, many):
        client = app.test_client()
        login(client, person)
        counts[person.id] = _queries(client, count_queries, "/consultations/mine")
        page = _text(client, "/consultations/mine")
        assert f"{len(made[person.id])} contributions" in page
        assert "taken into v0.2 by" in page and "Ya está." in page
    assert counts[few.id] == counts[many.id] <= 8, counts


def test_mis_aportes_makes_at_most_eight_queries(app, factory, world, personas, count_queries):
    """Issue 13: forum posts and comment rounds (two kinds of space, as a page mostly
    holds), 3 then 30, coded, some with a published verdict: the same queries, at most 8.
    Each further kind of space on a page costs one more: the spaces' registry resolves
    places kind by kind (``core.spaces.places_of``)."""
    few, many = factory.user(name="Pocas"), factory.user(name="Muchas")
    actas = world.themes["ACTAS"]
    forum_id = factory.forum(process_id=world.pid)
    threads = {person.id: factory.thread(forum_id, person.id, posts=2 * n) for person, n in ((few, 1), (many, 10))}
    made = {}
    with app.app_context():
        round_ = db.session.get(CommentRound, world.round)
        for person, n in ((few, 1), (many, 10)):
            ids = db.session.scalars(select(Post.contribution_id).where(Post.thread_id == threads[person.id])).all()
            user = _user(person)
            ids += [rounds.add_comment(round_, user, "T.3", f"comentario {i}", None).contribution_id for i in range(n)]
            made[person.id] = ids
            db.session.add_all(Coding(contribution_id=cid, theme_id=actas) for cid in ids[::2])
        db.session.commit()
    assert (len(made[few.id]), len(made[many.id])) == (3, 30)
    _revision(app, world.v1, {"summary": "Actas", "themes": [actas]})
    counts = {}
    for person in (few, many):
        client = app.test_client()
        login(client, person)
        counts[person.id] = _queries(client, count_queries, "/consultations/mine")
        page = _text(client, "/consultations/mine")
        assert f"{len(made[person.id])} contributions" in page and "taken into v0.2 by" in page
    assert counts[few.id] == counts[many.id] <= 8, counts
    # The second page of thirty: the ten oldest (forum posts only: one kind of place less).
    client = app.test_client()
    login(client, many)
    second = _text(client, "/consultations/mine?page=2")
    assert "Page 2 of 2" in second and second.count('class="verdict-box"') == 10
    assert _queries(client, count_queries, "/consultations/mine?page=2") == counts[many.id] - 1


def test_the_verdicts_page_runs_fixed_queries(app, factory, world, personas, count_queries):
    client = app.test_client()
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{world.pid}/verdicts"
    posts = _posts(app, factory.thread(factory.forum(process_id=world.pid), personas["citizen"].id, posts=40))

    def add(first, last, themes):
        with app.app_context():
            facilitator = _user(personas["facilitator"])
            made = [coding.create_theme(world.pid, f"Q{first}-{n}", f"Tema {n}") for n in range(themes)]
            for i, cid in enumerate(posts[first:last]):
                db.session.add(Coding(contribution_id=cid, theme_id=made[i % themes].id))
                if i % 2:
                    db.session.add(Coding(contribution_id=cid, theme_id=made[(i + 1) % themes].id))
                if i % 3 == 0:
                    contribution = db.session.get(Contribution, cid)
                    verdicts.decide(world.pid, OUT_OF_SCOPE, f"Razón {i}.", facilitator, contribution=contribution)
            for theme in made[:-1]:
                verdicts.decide(world.pid, NOT_TAKEN, f"Tema {theme.code}.", facilitator, theme=theme)
            verdicts.publish_batch(world.pid, None, facilitator)
            db.session.commit()

    add(0, 3, 2)
    few = _queries(client, count_queries, url)
    assert "2 decisions" in _text(client, url)
    add(3, 40, 8)
    many = _queries(client, count_queries, url)
    assert "22 decisions" in _text(client, url)
    assert few == many, (few, many)
