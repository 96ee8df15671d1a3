"""The codebook and coding: themes (codes, names, two levels, model sections), codings on
every kind of contribution, merging, archiving, workshop clusters made themes, the coding
workbench and its filters, "save and next" and bulk coding over HTTP, the theme page and
what it shows each viewer, and pages whose query count does not grow with data."""

import html
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from consultations.coding import services as coding
from consultations.coding.models import Coding, Theme, ThemeSection
from consultations.common import ConsultationError
from consultations.rounds import services as rounds
from consultations.rounds.models import CommentRound
from consultations.versions.models import Version
from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution, utcnow
from core.spaces import SpaceKind
from forums.discussions import services as discussions
from forums.discussions.models import Post, Thread
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.sheets.models import Profile
from forums.workshops import services as workshops
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board, Card, Cluster
from tests.conftest import login

EN = {"Accept-Language": "en"}
OTHER_CODEBOOK = "Choose themes of this process's codebook."


@pytest.fixture
def en(app):
    """An application context whose messages are in English."""
    with app.app_context(), force_locale("en"):
        yield
        db.session.remove()


# Helpers ------------------------------------------------------------------------------


def _user(persona) -> User:
    return db.session.get(User, persona.id)


def _theme(process_id, code, name=None, **kwargs) -> Theme:
    return coding.create_theme(process_id, code, name or f"Tema {code}", **kwargs)


def _themes(app, process_id, *codes, **kwargs) -> list[int]:
    """Themes made through the service and committed; their ids."""
    with app.app_context():
        made = [_theme(process_id, code, **kwargs) for code in codes]
        db.session.commit()
        return [t.id for t in made]


def _codings(*where) -> set[tuple[int, int]]:
    """``{(contribution id, theme id)}`` of the codings matching ``where``."""
    return set(db.session.execute(select(Coding.contribution_id, Coding.theme_id).where(*where)).tuples().all())


def _coded(app, *where) -> set[tuple[int, int]]:
    with app.app_context():
        return _codings(*where)


def _sections(theme_id) -> list[str]:
    """The theme's section rows in the order they were written."""
    return list(
        db.session.scalars(
            select(ThemeSection.section_key).where(ThemeSection.theme_id == theme_id).order_by(ThemeSection.id)
        )
    )


def _first_post(app, thread_id) -> int:
    with app.app_context():
        return db.session.scalar(select(Post.contribution_id).where(Post.thread_id == thread_id, Post.number == 1))


def _refused(message, call, *args, **kwargs) -> None:
    with pytest.raises(ConsultationError) as raised:
        call(*args, **kwargs)
    assert str(raised.value) == message


def _text(client, url, headers=EN, **kwargs) -> str:
    response = client.get(url, headers=headers, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _followed(client, response) -> str:
    """The page a redirect leads to (with its flashed messages), in English."""
    assert response.status_code in (302, 303), response.status_code
    return _text(client, response.location)


def _workbench(pid) -> str:
    return f"/consultations/processes/{pid}/coding"


def _queue_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="item" value="(\d+)"', page)]


def _theme_choices(page: str) -> list[int]:
    """The themes offered as checkboxes for the current contribution."""
    return [int(i) for i in re.findall(r'name="theme" value="(\d+)"', page)]


def _bulk_choices(page: str) -> list[int]:
    select_ = re.search(r'<select id="bulk-theme".*?</select>', page, re.S).group(0)
    return [int(i) for i in re.findall(r'<option value="(\d+)"', select_)]


def _next_buttons(page: str) -> list[str]:
    return re.findall(r'<button[^>]*name="next" value="([^"]*)"', page)


def _queue(pid, viewer, **filters) -> list[int]:
    return [c.id for c in db.session.scalars(coding.queue(pid, viewer, coding.Filters(**filters)))]


# A process with a contribution of every kind -------------------------------------------


@pytest.fixture
def world(app, factory, personas, places, snapshots):
    """Process A with eight contributions, oldest first:

    ====================  =======  ============  ==========  ========  =======  =============
    name                  kind     municipality  channel     profile   section  when (UTC)
    ====================  =======  ============  ==========  ========  =======  =============
    post                  thread   home          online      citizen   -        2017-01-10
    staff_post (staff f.) thread   home          online      official  -        2017-01-11
    expert_post           thread   other         online      expert    -        2017-01-12
    remark (CSO walk-in)  meeting  home          in_person   cso       -        2017-01-13
    remark_official       meeting  home          in_person   official  -        2017-01-14
    card                  board    home          online      citizen   T        2017-01-15
    comment (round 1)     round    home          online      citizen   T.3      03-01 01:30
    letter (round 2)      round    -             written     expert    P.1      03-01 04:00
    ====================  =======  ============  ==========  ========  =======  =============

    The comment was written on 28 February in Santiago (22:30), the letter on 1 March.
    Process B has one post (``foreign``) and a theme of its own (``foreign_theme``)."""
    return snapshots.layer("coding world", lambda: _build_world(app, factory, personas, places))


def _build_world(app, factory, personas, places):
    p = personas
    pid = factory.process("Proceso A")
    other_pid = factory.process("Proceso B")
    citizen_forum = factory.forum(process_id=pid, municipality_id=places["home"])
    factory.member(citizen_forum, p["citizen"].id)
    staff_forum = factory.forum("staff", municipality_id=places["home"], process_id=pid)
    far_forum = factory.forum(process_id=pid, municipality_id=places["other"])
    elsewhere = factory.forum(process_id=other_pid, municipality_id=places["home"])
    thread = factory.thread(citizen_forum, p["citizen"].id, text="post ciudadano")
    post = _first_post(app, thread)
    staff_post = _first_post(app, factory.thread(staff_forum, p["staff"].id, text="post funcionario"))
    expert_post = _first_post(app, factory.thread(far_forum, p["expert"].id, text="post experto"))
    foreign = _first_post(app, factory.thread(elsewhere, p["citizen"].id, text="post de otro proceso"))
    meeting = factory.meeting(citizen_forum)
    with app.app_context():
        m = db.session.get(Meeting, meeting)
        facilitator = _user(p["facilitator"])
        cso = sheets.add_walk_in(facilitator, m, "Junta de vecinos", Profile.CSO, None, True)
        official = sheets.add_walk_in(facilitator, m, "", Profile.OFFICIAL, None, False)
        remark = sheets.add_remark(facilitator, m, SpaceKind.MEETING, cso.id, "dicho por la junta").id
        remark_official = sheets.add_remark(facilitator, m, SpaceKind.MEETING, official.id, "dicho en sala").id
        db.session.commit()
    workshop = factory.workshop(pid, invite=[p["citizen"].id])
    board = factory.board(workshop)
    _card_id, card = factory.card(board, p["citizen"].id, text="tarjeta ciudadana")
    version = factory.version(pid)
    round1 = factory.round(version, title="Ronda uno")
    round2 = factory.round(version, title="Ronda dos")
    _c, comment = factory.comment(round1, p["citizen"].id, key="T.3", text="comentario ciudadano")
    _c, letter = factory.comment(round2, p["expert"].id, key="P.1", text="carta de experto", on_behalf=True)
    order = [post, staff_post, expert_post, remark, remark_official, card, comment, letter]
    times = [datetime(2017, 1, 10 + day, 15) for day in range(6)]
    times += [datetime(2017, 3, 1, 1, 30), datetime(2017, 3, 1, 4)]
    with app.app_context():
        for contribution_id, at in zip(order, times, strict=True):
            db.session.get(Contribution, contribution_id).created_at = at
        foreign_theme = _theme(other_pid, "T-FUERA").id
        db.session.commit()
    return SimpleNamespace(
        pid=pid,
        other_pid=other_pid,
        forum=citizen_forum,
        thread=thread,
        meeting=meeting,
        board=board,
        version=version,
        round1=round1,
        round2=round2,
        post=post,
        staff_post=staff_post,
        expert_post=expert_post,
        remark=remark,
        remark_official=remark_official,
        card=card,
        comment=comment,
        letter=letter,
        foreign=foreign,
        foreign_theme=foreign_theme,
        all=order,
    )


# 1. Themes: codes, names, parents, sections --------------------------------------------


def test_codes_are_short_well_formed_and_unique_in_a_process(app, en, factory):
    pid, other = factory.process(), factory.process()
    made = _theme(pid, " T-ACTAS ", "  Actas en plazo ", description="Sobre **actas**.")
    assert (made.code, made.name, made.process_id) == ("T-ACTAS", "Actas en plazo", pid)
    assert "<strong>actas</strong>" in made.description_html
    assert made.label == "T-ACTAS · Actas en plazo"
    assert _theme(pid, "a1._-Z" + "x" * 14).code == "a1._-Z" + "x" * 14  # 20 characters
    _refused("Give the theme a short code.", _theme, pid, "   ")
    bad = "A code has at most 20 letters, digits, dots, hyphens or underscores."
    for code in ("T ACTAS", "-ACTAS", ".x", "Ñandú", "T/1", "x" * 21, "T-1\u0663"):
        _refused(bad, _theme, pid, code)
    _refused("The codebook already has a theme T-ACTAS.", _theme, pid, "T-ACTAS")
    assert _theme(other, "T-ACTAS").process_id == other  # another codebook, the same code
    _refused("Give the theme a name.", coding.create_theme, pid, "T-2", "  \n ")
    _refused("The text is too long: at most 120 characters.", coding.create_theme, pid, "T-2", "n" * 121)
    _refused("The text is too long: at most 20000 characters.", coding.create_theme, pid, "T-2", "Nombre", "d" * 20_001)
    db.session.commit()
    assert db.session.scalars(select(Theme.code).where(Theme.process_id == pid).order_by(Theme.id)).all() == [
        "T-ACTAS",
        "a1._-Z" + "x" * 14,
    ]

    # Renaming keeps the rule, and a theme may keep its own code.
    second = _theme(pid, "T-2")
    _refused("The codebook already has a theme T-ACTAS.", coding.update_theme, second, "T-ACTAS", "N", "", None, [])
    _refused(bad, coding.update_theme, second, "T 2", "N", "", None, [])
    coding.update_theme(second, "T-2", "Otro nombre", "", None, [])
    assert (second.code, second.name) == ("T-2", "Otro nombre")


def test_a_parent_is_a_live_top_level_theme_of_the_same_codebook(app, en, factory):
    pid, other = factory.process(), factory.process()
    top = _theme(pid, "T")
    child = _theme(pid, "T-1", parent_id=top.id)
    assert child.parent_id == top.id
    elsewhere = _theme(other, "X")
    archived = _theme(pid, "OLD")
    coding.archive(archived, None)
    wrong = "Choose a parent theme of this codebook."
    _refused(wrong, _theme, pid, "A", parent_id=elsewhere.id)
    _refused(wrong, _theme, pid, "A", parent_id=archived.id)
    _refused(wrong, _theme, pid, "A", parent_id=999_999)
    _refused("Themes have two levels: the parent must be a top-level theme.", _theme, pid, "A", parent_id=child.id)

    # A theme with sub-themes stays at the top; none is its own parent.
    lone = _theme(pid, "L")
    stays = "A theme with sub-themes stays at the top level."
    _refused(stays, coding.update_theme, top, "T", "Tema T", "", lone.id, [])
    _refused(stays, coding.update_theme, lone, "L", "Tema L", "", lone.id, [])
    _refused(
        "Themes have two levels: the parent must be a top-level theme.",
        coding.update_theme,
        lone,
        "L",
        "Tema L",
        "",
        child.id,
        [],
    )
    assert top.parent_id is None and lone.parent_id is None

    # A sub-theme moves under another top-level theme, or up to the top.
    coding.update_theme(child, "T-1", "Tema T-1", "", lone.id, [])
    assert child.parent_id == lone.id
    coding.update_theme(top, "T", "Tema T", "", lone.id, [])  # no sub-themes left: it may go under L
    assert top.parent_id == lone.id
    coding.update_theme(child, "T-1", "Tema T-1", "", None, [])
    assert child.parent_id is None
    db.session.commit()
    assert [t.code for t in coding.codebook(pid)] == ["L", "T", "T-1"]
    assert [(t.code, t.parent_id) for t in coding.codebook(pid)][:2] == [("L", None), ("T", lone.id)]


def test_section_keys_follow_the_grammar_and_are_kept_sorted_once(app, en, factory):
    pid = factory.process()
    messages = {
        "T.9": '"T.9" is not a level of T (1 to 5).',
        "I.4": '"I.4" is not an aspect of I (1 to 3).',
        "I.1.a": '"I.1.a": the aspects of I have no indicators.',
        "T3": '"T3" is not a section key: use a dimension (T), a level (T.3), an indicator (T.3.a), '
        "the factor I and its aspects (I.2), or a lowercase name such as introduction.",
    }
    for key, message in messages.items():
        _refused(message, _theme, pid, "T-A", section_keys=["T.3", key])
    assert db.session.scalar(select(func.count(Theme.id))) == 0

    theme = _theme(pid, "T-A", section_keys=[" T.3 ", "introduccion", "T.2", "", "T.3", "I.1", "T.3.a", "T", "P.1"])
    expected = ["I.1", "P.1", "T", "T.2", "T.3", "T.3.a", "introduccion"]
    assert _sections(theme.id) == expected
    assert coding.sections_of([theme.id]) == {theme.id: expected}

    # Editing replaces the list; a bad key leaves it as it was.
    coding.update_theme(theme, "T-A", "Tema", "", None, ["P.1", "P.1", "R"])
    assert _sections(theme.id) == ["P.1", "R"]
    _refused(messages["T.9"], coding.update_theme, theme, "T-A", "Tema", "", None, ["T.9"])
    assert _sections(theme.id) == ["P.1", "R"]
    coding.update_theme(theme, "T-A", "Tema", "", None, [])
    assert _sections(theme.id) == []


def test_themes_are_added_and_edited_over_http(app, client, factory, personas):
    pid = factory.process()
    top = _themes(app, pid, "T")[0]
    url = f"/consultations/processes/{pid}/themes"
    login(client, personas["citizen"])
    assert client.post(url, data={"code": "X", "name": "X"}).status_code == 403
    client.post("/logout")

    login(client, personas["facilitator"])
    form = {"code": "T-1", "name": "Actas", "parent_id": str(top), "sections": "T.3, T.2,T.3", "description": "d"}
    response = client.post(url, data=form, headers=EN)
    with app.app_context():
        made = db.session.scalar(select(Theme).where(Theme.code == "T-1"))
        assert (made.name, made.parent_id, made.created_by_id) == ("Actas", top, personas["facilitator"].id)
        assert _sections(made.id) == ["T.2", "T.3"]
    assert response.status_code == 302 and response.location.endswith(f"/themes#theme-{made.id}")
    assert "Theme T-1 added." in _followed(client, response)

    taken = client.post(url, data={**form, "sections": ""}, headers=EN)
    assert taken.status_code == 422
    assert "The codebook already has a theme T-1." in html.unescape(taken.get_data(as_text=True))
    bad_key = client.post(url, data={**form, "code": "T-2", "sections": "T.9"}, headers=EN)
    assert bad_key.status_code == 422
    assert '"T.9" is not a level of T (1 to 5).' in html.unescape(bad_key.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count(Theme.id)).where(Theme.process_id == pid)) == 2

    edit = f"/consultations/themes/{made.id}/edit"
    page = _text(client, edit)
    assert 'value="T-1"' in page and 'value="T.2, T.3"' in page
    saved = client.post(edit, data={"code": "T-9", "name": "Actas a tiempo", "parent_id": "", "sections": "P.1"})
    assert saved.status_code == 302 and saved.location == f"/consultations/themes/{made.id}"
    refused = client.post(edit, data={"code": "T", "name": "Choca", "parent_id": "", "sections": ""}, headers=EN)
    assert refused.status_code == 422
    assert "The codebook already has a theme T." in html.unescape(refused.get_data(as_text=True))
    with app.app_context():
        again = db.session.get(Theme, made.id)
        assert (again.code, again.name, again.parent_id) == ("T-9", "Actas a tiempo", None)
        assert _sections(made.id) == ["P.1"]


# 2. Codings ---------------------------------------------------------------------------


def test_set_codings_adds_removes_and_records_who_coded(app, en, world, personas):
    a, b, c = (_theme(world.pid, code) for code in ("A", "B", "C"))
    post = db.session.get(Contribution, world.post)
    facilitator, admin = _user(personas["facilitator"]), _user(personas["admin"])
    before = utcnow()
    assert coding.set_codings(post, [str(a.id), b.id], facilitator) == (2, 0)
    rows = db.session.scalars(select(Coding).where(Coding.contribution_id == post.id)).all()
    assert {(r.theme_id, r.coder_id, r.cluster_id) for r in rows} == {
        (a.id, facilitator.id, None),
        (b.id, facilitator.id, None),
    }
    assert all(before - timedelta(seconds=1) <= r.created_at <= utcnow() for r in rows)

    assert coding.set_codings(post, [b.id, c.id], admin) == (1, 1)
    coders = dict(db.session.execute(select(Coding.theme_id, Coding.coder_id)).tuples().all())
    assert coders == {b.id: facilitator.id, c.id: admin.id}  # B kept its first coder
    assert coding.set_codings(post, [b.id, c.id], admin) == (0, 0)
    assert coding.themes_of([post.id]) == {post.id: [b, c]}

    # Themes of another codebook, archived or unknown: refused, nothing changes.
    _refused(OTHER_CODEBOOK, coding.set_codings, post, [a.id, world.foreign_theme], admin)
    archived = _theme(world.pid, "D")
    coding.archive(archived, None)
    _refused(OTHER_CODEBOOK, coding.set_codings, post, [archived.id], admin)
    _refused(OTHER_CODEBOOK, coding.set_codings, post, [999_999], admin)
    assert _codings() == {(post.id, b.id), (post.id, c.id)}

    # An archived theme already on the contribution stays when the others are saved.
    coding.archive(b, None)
    assert coding.set_codings(post, [a.id], facilitator) == (1, 1)
    assert _codings() == {(post.id, a.id), (post.id, b.id)}
    assert coding.set_codings(post, [], facilitator) == (0, 1)
    assert _codings() == {(post.id, b.id)}


def test_bulk_coding_stays_in_the_process(app, en, world, personas):
    theme = _theme(world.pid, "A")
    facilitator = _user(personas["facilitator"])
    assert coding.apply_theme(world.pid, [world.post, world.card, world.foreign], theme, facilitator) == 2
    assert coding.apply_theme(world.pid, [world.post, world.comment], theme, facilitator) == 1
    assert _codings() == {(world.post, theme.id), (world.card, theme.id), (world.comment, theme.id)}
    assert set(db.session.scalars(select(Coding.coder_id))) == {facilitator.id}

    foreign = db.session.get(Theme, world.foreign_theme)
    _refused(OTHER_CODEBOOK, coding.apply_theme, world.pid, [world.post, world.remark], foreign, facilitator)
    _refused(OTHER_CODEBOOK, coding.apply_theme, world.other_pid, [world.foreign], theme, facilitator)
    archived = _theme(world.pid, "OLD")
    coding.archive(archived, None)
    _refused(OTHER_CODEBOOK, coding.apply_theme, world.pid, [world.post], archived, facilitator)
    assert len(_codings()) == 3

    # Taking it off: only a theme of the process, only contributions of the process.
    _refused(OTHER_CODEBOOK, coding.remove_theme, world.other_pid, [world.post, world.foreign], theme)
    assert len(_codings()) == 3
    assert coding.remove_theme(world.pid, [world.post, world.card, world.remark], theme) == 2
    assert _codings() == {(world.comment, theme.id)}


def test_a_contribution_carries_a_theme_once(app, world):
    with app.app_context():
        theme = _theme(world.pid, "A")
        db.session.add(Coding(contribution_id=world.post, theme_id=theme.id))
        db.session.commit()
        db.session.add(Coding(contribution_id=world.post, theme_id=theme.id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert _codings() == {(world.post, theme.id)}


# 3. Merging and archiving ---------------------------------------------------------------


def test_merge_moves_every_coding_unites_sections_and_archives_the_source(app, en, world, personas):
    facilitator, admin = _user(personas["facilitator"]), _user(personas["admin"])
    source = _theme(world.pid, "S", section_keys=["T.2", "T.3"])
    target = _theme(world.pid, "X", section_keys=["T.3", "P.1"])
    kids = [_theme(world.pid, code, parent_id=source.id) for code in ("S-1", "S-2")]
    coding.apply_theme(world.pid, [world.post, world.card], source, admin)
    coding.apply_theme(world.pid, [world.card, world.comment], target, facilitator)
    db.session.commit()
    source_id, target_id = source.id, target.id

    assert coding.merge(source, target, facilitator) == 2
    db.session.commit()
    assert _codings(Coding.theme_id == source_id) == set()
    assert _codings() == {(world.post, target_id), (world.card, target_id), (world.comment, target_id)}
    # The moved coding keeps who coded it; the card kept its own coding with the target.
    coders = dict(db.session.execute(select(Coding.contribution_id, Coding.coder_id)).tuples().all())
    assert coders == {world.post: admin.id, world.card: facilitator.id, world.comment: facilitator.id}
    assert coding.sections_of([target_id])[target_id] == ["P.1", "T.2", "T.3"]
    assert [db.session.get(Theme, k.id).parent_id for k in kids] == [target_id, target_id]
    merged = db.session.get(Theme, source_id)
    assert merged.merged_into_id == target_id and merged.is_archived
    assert not db.session.get(Theme, target_id).is_archived
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "theme.merged"))
    assert entry.actor_id == facilitator.id
    assert entry.detail == {
        "theme": source_id,
        "code": "S",
        "into": target_id,
        "into_code": "X",
        "moved": 1,
        "already_there": 1,
    }
    assert [t.code for t in coding.codebook(world.pid)] == ["X", "S-1", "S-2"]


def test_merge_keeps_two_levels(app, en, world):
    # Into a sub-theme of another theme: the source's sub-themes go under that theme.
    top = _theme(world.pid, "P")
    target = _theme(world.pid, "P-1", parent_id=top.id)
    source = _theme(world.pid, "S")
    kid = _theme(world.pid, "S-1", parent_id=source.id)
    coding.merge(source, db.session.get(Theme, target.id), None)
    assert (db.session.get(Theme, kid.id).parent_id, db.session.get(Theme, target.id).parent_id) == (top.id, top.id)

    # Into one of its own sub-themes: that one takes its place at the top, with its siblings.
    parent = _theme(world.pid, "Q")
    first, second = _theme(world.pid, "Q-1", parent_id=parent.id), _theme(world.pid, "Q-2", parent_id=parent.id)
    coding.merge(parent, first, None)
    db.session.commit()
    assert db.session.get(Theme, first.id).parent_id is None
    assert db.session.get(Theme, second.id).parent_id == first.id
    themes = db.session.scalars(select(Theme).where(Theme.archived_at.is_(None))).all()
    by_id = {t.id: t for t in db.session.scalars(select(Theme))}
    for theme in themes:  # nothing live sits under an archived theme or three deep
        if theme.parent_id is not None:
            assert not by_id[theme.parent_id].is_archived, theme.code
            assert by_id[theme.parent_id].parent_id is None, theme.code


def test_merge_refusals_change_nothing(app, en, world, factory):
    a, b = _theme(world.pid, "A"), _theme(world.pid, "B")
    coding.apply_theme(world.pid, [world.post], a, None)
    foreign = db.session.get(Theme, world.foreign_theme)
    _refused("Choose another theme to merge into.", coding.merge, a, a, None)
    other = "Merge into a theme of the same codebook that is not archived."
    _refused(other, coding.merge, a, foreign, None)
    archived = _theme(world.pid, "OLD")
    coding.archive(archived, None)
    _refused(other, coding.merge, a, archived, None)
    assert _codings() == {(world.post, a.id)} and not a.is_archived

    c = _theme(world.pid, "C")
    coding.merge(a, b, None)
    _refused(other, coding.merge, db.session.get(Theme, a.id), c, None)
    assert _codings() == {(world.post, b.id)}
    assert db.session.get(Theme, a.id).merged_into_id == b.id
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "theme.merged")) == 1

    # A merged theme cannot come back; an archived one can.
    _refused(
        "A merged theme cannot be restored: its codings moved to another theme.",
        coding.restore,
        db.session.get(Theme, a.id),
        None,
    )
    assert db.session.get(Theme, a.id).is_archived
    coding.restore(archived, None)
    assert not archived.is_archived


def test_merging_restoring_and_archiving_over_http(app, client, world, personas):
    a, b = _themes(app, world.pid, "A", "B")
    with app.app_context():
        coding.apply_theme(world.pid, [world.post, world.card], db.session.get(Theme, a), None)
        coding.apply_theme(world.pid, [world.card], db.session.get(Theme, b), None)
        db.session.commit()
    login(client, personas["facilitator"])
    # Only themes of the codebook that are live may be chosen.
    wrong = client.post(f"/consultations/themes/{a}/merge", data={"target_id": world.foreign_theme}, headers=EN)
    assert wrong.status_code == 303 and wrong.location == f"/consultations/themes/{a}/edit"
    assert "Choose the theme to merge into." in _followed(client, wrong)
    assert _coded(app, Coding.theme_id == a) == {(world.post, a), (world.card, a)}

    merged = client.post(f"/consultations/themes/{a}/merge", data={"target_id": b}, headers=EN)
    assert merged.status_code == 302 and merged.location == f"/consultations/themes/{b}"
    page = _followed(client, merged)
    assert "A merged into B: 2 codings moved." in page
    assert "2 contributions coded with this theme" in page
    assert _coded(app) == {(world.post, b), (world.card, b)}
    old = _text(client, f"/consultations/themes/{a}")
    assert "Merged into" in old and f'href="/consultations/themes/{b}"' in old
    assert "Merge into another theme" not in _text(client, f"/consultations/themes/{a}/edit")

    back = client.post(f"/consultations/themes/{a}/restore", headers=EN)
    assert back.status_code == 303 and back.location == f"/consultations/themes/{a}/edit"
    assert "A merged theme cannot be restored" in _followed(client, back)
    with app.app_context():
        assert db.session.get(Theme, a).is_archived
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "theme.restored")) == 0

    archived = client.post(f"/consultations/themes/{b}/archive", headers=EN)
    assert archived.status_code == 302 and archived.location == f"/consultations/processes/{world.pid}/themes"
    assert "Theme archived." in _followed(client, archived)
    restored = client.post(f"/consultations/themes/{b}/restore", headers=EN)
    assert "Theme restored." in _followed(client, restored)
    with app.app_context():
        assert not db.session.get(Theme, b).is_archived
        actions = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id).order_by(AuditEntry.id)).all()
        assert [tuple(a) for a in actions if a[0].startswith("theme.")] == [
            ("theme.merged", personas["facilitator"].id),
            ("theme.archived", personas["facilitator"].id),
            ("theme.restored", personas["facilitator"].id),
        ]


def test_archiving_hides_a_theme_from_coding_but_keeps_its_codings(app, client, world, personas):
    a, b = _themes(app, world.pid, "T-A", "T-B")
    with app.app_context():
        coding.apply_theme(world.pid, [world.post], db.session.get(Theme, a), None)
        db.session.commit()
    login(client, personas["facilitator"])
    url = f"{_workbench(world.pid)}?item={world.post}"
    page = _text(client, url)
    assert _theme_choices(page) == [a, b] and _bulk_choices(page) == [a, b]
    assert f'id="theme-{a}" name="theme" value="{a}" checked' in page

    assert client.post(f"/consultations/themes/{a}/archive").status_code == 302
    page = _text(client, url)
    assert _theme_choices(page) == [b] and _bulk_choices(page) == [b]
    assert '<span class="badge">T-A</span>' in page  # the queue still shows the coding
    assert _coded(app) == {(world.post, a)}

    # Saving the contribution's themes keeps the archived one.
    response = client.post(f"/consultations/coding/{world.post}", data={"theme": [str(b)], "next": url})
    assert response.status_code == 302
    assert _coded(app) == {(world.post, a), (world.post, b)}

    codebook = f"/consultations/processes/{world.pid}/themes"
    manager_view = _text(client, codebook)
    item = re.search(rf'<li id="theme-{a}".*?</li>', manager_view, re.S).group(0)
    assert "theme-archived" in item and "Archived" in item and "1 contribution" in item
    assert "theme-archived" not in re.search(rf'<li id="theme-{b}".*?</li>', manager_view, re.S).group(0)
    assert "2 themes" in manager_view
    client.post("/logout")
    for who in (None, personas["citizen"], personas["staff"]):
        if who is not None:
            login(client, who)
        public = _text(client, codebook)
        assert f'id="theme-{a}"' not in public and "T-A" not in public, who
        assert f'id="theme-{b}"' in public and "1 theme" in public
        assert "Archived" not in public
        client.post("/logout")


# 4. Workshop clusters made themes -------------------------------------------------------


@pytest.fixture
def cluster(app, world, personas):
    """A cluster "Actas a tiempo" on the world's board with two live cards and one deleted,
    a card outside it and a second cluster with one card."""
    with app.app_context():
        board = db.session.get(Board, world.board)
        citizen = _user(personas["citizen"])
        invitation = workshops.invitation_of(citizen, board.workshop)
        column = boards.columns(board)[0]
        made = boards.add_cluster(board, column, "Actas a tiempo")
        elsewhere = boards.add_cluster(board, boards.columns(board)[1], "Otro grupo")
        cards = [boards.add_card(citizen, board, invitation, column, f"en grupo {n}") for n in range(3)]
        outside = boards.add_card(citizen, board, invitation, column, "suelta")
        apart = boards.add_card(citizen, board, invitation, column, "en otro grupo")
        for card in cards:
            boards.move_card(board, card, column, made)
        boards.move_card(board, apart, column, elsewhere)
        db.session.flush()
        boards.delete_card(board, cards[2])
        db.session.commit()
        return SimpleNamespace(
            id=made.id,
            other=elsewhere.id,
            live=[cards[0].contribution_id, cards[1].contribution_id],
            deleted_card=cards[2].id,
            outside=outside.contribution_id,
            apart=apart.contribution_id,
        )


def test_a_cluster_becomes_a_theme_coding_its_live_cards(app, en, world, cluster, personas):
    facilitator = _user(personas["facilitator"])
    assert [(c.title, board, n) for c, board, n in coding.clusters_of(world.pid)] == [
        ("Actas a tiempo", "Muro", 2),
        ("Otro grupo", "Muro", 1),
    ]
    assert coding.clusters_of(world.other_pid) == []
    theme, coded = coding.cluster_to_theme(db.session.get(Cluster, cluster.id), facilitator, code="T-ACTAS")
    db.session.commit()
    assert coded == 2
    assert (theme.code, theme.name, theme.cluster_id, theme.process_id) == (
        "T-ACTAS",
        "Actas a tiempo",
        cluster.id,
        world.pid,
    )
    rows = db.session.execute(select(Coding.contribution_id, Coding.cluster_id, Coding.coder_id)).tuples().all()
    assert sorted(rows) == sorted((c, cluster.id, facilitator.id) for c in cluster.live)
    assert db.session.get(Card, cluster.deleted_card).contribution_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "theme.from_cluster"))
    assert entry.detail == {"theme": theme.id, "cluster": cluster.id, "coded": 2}

    # Again, into the same theme: nothing new.
    assert coding.cluster_to_theme(db.session.get(Cluster, cluster.id), facilitator, theme=theme)[1] == 0
    # A name given wins over the title.
    named, _n = coding.cluster_to_theme(db.session.get(Cluster, cluster.other), facilitator, code="T-O", name="Otro")
    assert (named.name, _codings(Coding.theme_id == named.id)) == ("Otro", {(cluster.apart, named.id)})


def test_a_cluster_may_code_with_an_existing_theme_of_its_process_only(app, en, world, cluster, personas):
    facilitator = _user(personas["facilitator"])
    existing = _theme(world.pid, "T-E")
    coding.apply_theme(world.pid, [cluster.live[0], cluster.outside], existing, None)
    made = db.session.get(Cluster, cluster.id)
    theme, coded = coding.cluster_to_theme(made, facilitator, theme=existing)
    assert (theme.id, coded) == (existing.id, 1)
    links = dict(db.session.execute(select(Coding.contribution_id, Coding.cluster_id)).tuples().all())
    assert links == {cluster.live[0]: None, cluster.outside: None, cluster.live[1]: cluster.id}

    foreign = db.session.get(Theme, world.foreign_theme)
    _refused(OTHER_CODEBOOK, coding.cluster_to_theme, made, facilitator, theme=foreign)
    archived = _theme(world.pid, "OLD")
    coding.archive(archived, None)
    _refused(OTHER_CODEBOOK, coding.cluster_to_theme, made, facilitator, theme=archived)
    _refused("Give the theme a short code.", coding.cluster_to_theme, made, facilitator)
    _refused("The codebook already has a theme T-E.", coding.cluster_to_theme, made, facilitator, code="T-E")
    assert len(_codings()) == 3


def test_clusters_become_themes_over_http(app, client, world, cluster, personas):
    codebook = f"/consultations/processes/{world.pid}/themes"
    assert "Actas a tiempo" not in _text(client, codebook)  # clusters are for facilitators
    login(client, personas["facilitator"])
    page = _text(client, codebook)
    assert "Actas a tiempo" in page and "Muro · 2 cards" in page and "Muro · 1 card" in page
    assert f'action="/consultations/clusters/{cluster.id}/theme"' in page

    url = f"/consultations/clusters/{cluster.id}/theme"
    refused = client.post(url, data={"theme_id": str(world.foreign_theme)}, headers=EN)
    assert refused.status_code == 303 and refused.location == f"{codebook}#clusters"
    assert "Choose a theme, or give a new theme's code." in _followed(client, refused)
    empty = client.post(url, data={"theme_id": "", "code": "", "name": ""}, headers=EN)
    assert empty.status_code == 303 and "Give the theme a short code." in _followed(client, empty)
    assert _coded(app) == set()

    made = client.post(url, data={"theme_id": "", "code": "T-ACTAS", "name": ""}, headers=EN)
    with app.app_context():
        theme = db.session.scalar(select(Theme).where(Theme.code == "T-ACTAS"))
        assert (theme.name, theme.cluster_id, theme.created_by_id) == (
            "Actas a tiempo",
            cluster.id,
            personas["facilitator"].id,
        )
    assert made.status_code == 302 and made.location == f"/consultations/themes/{theme.id}"
    page = _followed(client, made)
    assert "The cluster “Actas a tiempo” is coded T-ACTAS: 2 cards." in page
    assert "en grupo 0" in page and "en grupo 1" in page and "suelta" not in page
    assert _coded(app) == {(c, theme.id) for c in cluster.live}

    chosen = _themes(app, world.pid, "T-B")[0]
    again = client.post(f"/consultations/clusters/{cluster.other}/theme", data={"theme_id": str(chosen)})
    assert again.status_code == 302 and again.location == f"/consultations/themes/{chosen}"
    with app.app_context():
        assert _codings(Coding.theme_id == chosen, Coding.cluster_id == cluster.other) == {(cluster.apart, chosen)}


# 5. The workbench -----------------------------------------------------------------------


def test_the_workbench_queues_every_kind_of_contribution_of_the_process(app, client, world, personas):
    login(client, personas["facilitator"])
    page = _text(client, _workbench(world.pid))
    assert _queue_ids(page) == world.all
    assert world.foreign not in _queue_ids(page)
    assert "8 contributions in the queue" in page
    for text in ("post ciudadano", "post funcionario", "dicho por la junta", "tarjeta ciudadana", "carta de experto"):
        assert text in page
    assert "post de otro proceso" not in page
    # Each item shows where it was said.
    assert "Ronda uno › v0.1 T.3" in page and "Muro" in page and "Sesión" in page
    other = _text(client, _workbench(world.other_pid))
    assert _queue_ids(other) == [world.foreign]
    assert client.get(_workbench(999_999)).status_code == 404


def test_each_workbench_filter_narrows_the_queue(app, client, world, personas, places):
    w = world
    with app.app_context():
        theme = _theme(w.pid, "T-A")
        coding.set_codings(db.session.get(Contribution, w.post), [theme.id], _user(personas["facilitator"]))
        coding.set_codings(db.session.get(Contribution, w.card), [theme.id], _user(personas["admin"]))
        db.session.commit()
    cases = [
        ({"kind": "thread"}, [w.post, w.staff_post, w.expert_post]),
        ({"kind": "meeting"}, [w.remark, w.remark_official]),
        ({"kind": "board"}, [w.card]),
        ({"kind": "round"}, [w.comment, w.letter]),
        ({"municipality": places["other"]}, [w.expert_post]),
        ({"municipality": places["home"]}, [w.post, w.staff_post, w.remark, w.remark_official, w.card, w.comment]),
        ({"channel": "in_person"}, [w.remark, w.remark_official]),
        ({"channel": "written"}, [w.letter]),
        ({"channel": "online"}, [w.post, w.staff_post, w.expert_post, w.card, w.comment]),
        ({"profile": "official"}, [w.staff_post, w.remark_official]),
        ({"profile": "expert"}, [w.expert_post, w.letter]),
        ({"profile": "cso"}, [w.remark]),
        ({"profile": "citizen"}, [w.post, w.card, w.comment]),
        ({"section": "T.3"}, [w.comment]),
        ({"section": "T"}, [w.card]),
        ({"round": w.round1}, [w.comment]),
        ({"round": w.round2}, [w.letter]),
        # Days are Santiago's: the comment was written at 22:30 on 28 February there.
        ({"since": "2017-03-01"}, [w.letter]),
        ({"until": "2017-02-28"}, w.all[:-1]),
        ({"since": "2017-01-12", "until": "2017-01-14"}, [w.expert_post, w.remark, w.remark_official]),
        ({"state": "coded"}, [w.post, w.card]),
        ({"state": "uncoded"}, [w.staff_post, w.expert_post, w.remark, w.remark_official, w.comment, w.letter]),
        ({"state": "mine"}, [w.post]),
        ({"kind": "thread", "municipality": places["home"], "state": "uncoded"}, [w.staff_post]),
        # Values it does not know are ignored.
        ({"kind": "forum", "channel": "fax", "profile": "alien", "since": "ayer", "state": "all"}, w.all),
    ]
    login(client, personas["facilitator"])
    for args, expected in cases:
        assert _queue_ids(_text(client, _workbench(w.pid), query_string=args)) == expected, args
    client.post("/logout")
    login(client, personas["admin"])
    assert _queue_ids(_text(client, _workbench(w.pid), query_string={"state": "mine"})) == [w.card]


def test_the_queue_holds_only_what_the_viewer_may_see(app, world, personas):
    with app.app_context():
        everything = world.all
        for viewer in (None, AnonymousUserMixin(), _user(personas["citizen"]), _user(personas["staff_other"])):
            assert _queue(world.pid, viewer) == [c for c in everything if c != world.staff_post], viewer
        assert _queue(world.pid, _user(personas["staff"])) == everything
        assert _queue(world.pid, _user(personas["facilitator"])) == everything
        assert _queue(world.pid, _user(personas["citizen"]), space_kind="thread") == [world.post, world.expert_post]
        assert _queue(world.other_pid, _user(personas["citizen"])) == [world.foreign]


def test_the_current_item_and_where_save_and_next_goes(app, client, world, personas):
    login(client, personas["facilitator"])
    page = _text(client, _workbench(world.pid))
    assert re.search(
        rf'class="current" aria-current="true">\s*<input type="checkbox" name="item" value="{world.post}"', page
    )
    assert f'action="/consultations/coding/{world.post}"' in page
    save_next, save = _next_buttons(page)[:2]
    assert save_next == f"{_workbench(world.pid)}?page=1&item={world.staff_post}"
    assert save == f"{_workbench(world.pid)}?page=1&item={world.post}"

    # Filters travel with the links; the last item goes back to the page.
    page = _text(client, _workbench(world.pid), query_string={"kind": "thread", "item": world.staff_post})
    assert f'action="/consultations/coding/{world.staff_post}"' in page
    assert _next_buttons(page)[0] == f"{_workbench(world.pid)}?page=1&item={world.expert_post}&kind=thread"
    page = _text(client, _workbench(world.pid), query_string={"kind": "thread", "item": world.expert_post})
    assert _next_buttons(page)[0] == f"{_workbench(world.pid)}?page=1&kind=thread"
    # An item outside the filters is not shown as current.
    page = _text(client, _workbench(world.pid), query_string={"kind": "round", "item": world.post})
    assert f'action="/consultations/coding/{world.comment}"' in page
    assert f'action="/consultations/coding/{world.post}"' not in page


def test_save_and_next_follows_only_local_paths(app, client, world, personas):
    a, b = _themes(app, world.pid, "T-A", "T-B")
    login(client, personas["facilitator"])
    url = f"/consultations/coding/{world.post}"
    default = f"{_workbench(world.pid)}?item={world.post}"
    following = f"{_workbench(world.pid)}?page=1&item={world.staff_post}&kind=thread"
    response = client.post(url, data={"theme": [str(a), str(b)], "next": following}, headers=EN)
    assert response.status_code == 302 and response.location == following
    assert "Themes saved (added: 2; removed: 0)." in _followed(client, response)
    with app.app_context():
        assert _codings() == {(world.post, a), (world.post, b)}
        assert set(db.session.scalars(select(Coding.coder_id))) == {personas["facilitator"].id}

    for unsafe in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "", "/\\evil.example"):
        response = client.post(url, data={"theme": [str(b)], "next": unsafe})
        assert response.status_code == 302 and response.location == default, unsafe
    assert _coded(app) == {(world.post, b)}

    refused = client.post(url, data={"theme": [str(a), str(world.foreign_theme)], "next": following}, headers=EN)
    assert refused.status_code == 303 and refused.location == default
    assert OTHER_CODEBOOK in _followed(client, refused)
    assert _coded(app) == {(world.post, b)}
    assert client.post(f"/consultations/coding/{world.foreign + 10_000}", data={"theme": [str(a)]}).status_code == 404


def test_bulk_coding_over_http(app, client, world, personas):
    a, archived = _themes(app, world.pid, "T-A", "T-OLD")
    with app.app_context():
        coding.archive(db.session.get(Theme, archived), None)
        db.session.commit()
    login(client, personas["facilitator"])
    url = f"{_workbench(world.pid)}/bulk"
    back = f"{_workbench(world.pid)}?kind=thread"
    items = [str(world.post), str(world.card), str(world.comment), str(world.foreign)]
    done = client.post(url, data={"item": items, "theme_id": str(a), "action": "apply", "next": back}, headers=EN)
    assert done.status_code == 302 and done.location == back
    assert "T-A added to 3 contributions." in _followed(client, done)
    assert _coded(app) == {(world.post, a), (world.card, a), (world.comment, a)}
    again = client.post(
        url, data={"item": [str(world.post), str(world.remark)], "theme_id": str(a), "action": "apply"}, headers=EN
    )
    assert again.location == _workbench(world.pid)
    assert "T-A added to 1 contribution." in _followed(client, again)

    off = client.post(url, data={"item": items, "theme_id": str(a), "action": "remove"}, headers=EN)
    assert "T-A taken off 3 contributions." in _followed(client, off)
    assert _coded(app) == {(world.remark, a)}

    for theme in (world.foreign_theme, archived):
        refused = client.post(
            url, data={"item": items, "theme_id": str(theme), "action": "apply", "next": back}, headers=EN
        )
        assert refused.status_code == 303 and refused.location == back
        assert OTHER_CODEBOOK in _followed(client, refused)
    foreign_off = client.post(
        url, data={"item": items, "theme_id": str(world.foreign_theme), "action": "remove"}, headers=EN
    )
    assert foreign_off.status_code == 303
    assert OTHER_CODEBOOK in _followed(client, foreign_off)
    assert _coded(app) == {(world.remark, a)}

    for data in (
        {"item": items, "theme_id": "", "action": "apply"},
        {"item": [], "theme_id": str(a), "action": "apply"},
        {"item": items, "theme_id": str(a), "action": "erase"},
        {"item": items, "theme_id": "99999999999", "action": "apply"},
    ):
        response = client.post(url, data={**data, "next": "https://evil.example/"}, headers=EN)
        assert response.status_code == 303 and response.location == _workbench(world.pid), data
        assert "Select contributions and a theme first." in _followed(client, response)
    assert _coded(app) == {(world.remark, a)}


# 6. The theme page ----------------------------------------------------------------------


def test_the_theme_page_counts_what_the_viewer_cannot_see(app, client, world, personas):
    with app.app_context():
        theme = _theme(world.pid, "T-ACTAS", "Actas en plazo", description="Las *actas* a tiempo.")
        child = _theme(world.pid, "T-ACTAS-1", "Actas de concejo", parent_id=theme.id)
        coding.apply_theme(world.pid, [world.post, world.staff_post, world.comment], theme, None)
        coding.apply_theme(world.pid, [world.card], child, None)
        theme_id, child_id = theme.id, child.id
        db.session.commit()
    url = f"/consultations/themes/{theme_id}"
    for who in (None, personas["citizen"], personas["staff_other"]):
        if who is not None:
            login(client, who)
        page = _text(client, url)
        assert "3 contributions coded with this theme" in page, who
        assert "1 of them is in a space you cannot see." in page, who
        assert "post ciudadano" in page and "comentario ciudadano" in page
        assert "post funcionario" not in page and "tarjeta ciudadana" not in page
        assert "<em>actas</em>" in page
        assert f'<a href="/consultations/themes/{child_id}">T-ACTAS-1 · Actas de concejo</a>' in page
        assert "Edit, merge or archive" not in page
        client.post("/logout")
    for who in (personas["staff"], personas["facilitator"]):
        login(client, who)
        page = _text(client, url)
        assert "3 contributions coded with this theme" in page and "post funcionario" in page
        assert "cannot see" not in page
        client.post("/logout")

    # A sub-theme archived (here merged away) is listed, marked, to facilitators only.
    with app.app_context():
        gone = _theme(world.pid, "T-ACTAS-2", "Actas viejas", parent_id=theme_id)
        coding.merge(gone, db.session.get(Theme, child_id), None)
        db.session.commit()
        gone_id = gone.id
    link = f'<a href="/consultations/themes/{gone_id}">T-ACTAS-2 · Actas viejas</a>'
    assert link not in _text(client, url) and "Archived" not in _text(client, url)
    login(client, personas["facilitator"])
    assert f'{link} <span class="badge">Archived</span>' in _text(client, url)
    client.post("/logout")

    child_page = _text(client, f"/consultations/themes/{child_id}")
    assert "1 contribution coded with this theme" in child_page and "tarjeta ciudadana" in child_page
    assert f'href="/consultations/themes/{theme_id}">T-ACTAS · Actas en plazo</a>' in child_page  # breadcrumbs
    assert client.get("/consultations/themes/999999").status_code == 404


def test_two_hidden_contributions_are_counted_in_the_plural(app, client, factory, world, personas, places):
    second = _first_post(
        app, factory.thread(factory.forum("staff", places["home"], world.pid), personas["staff"].id, text="otro")
    )
    with app.app_context():
        theme = _theme(world.pid, "T-A")
        coding.apply_theme(world.pid, [world.staff_post, second], theme, None)
        db.session.commit()
        theme_id = theme.id
    page = _text(client, f"/consultations/themes/{theme_id}")
    assert "2 contributions coded with this theme" in page
    assert "2 of them are in spaces you cannot see." in page


def test_theme_sections_link_to_the_current_published_version(app, client, factory, world):
    with app.app_context():
        model_id = db.session.get(Version, world.version).model_id
    draft = factory.version(model_id=model_id, label="v0.2", based_on_id=world.version, published=False)
    with app.app_context():
        theme_id = _theme(world.pid, "T-A", section_keys=["T.3", "P.1"]).id
        db.session.commit()
    url = f"/consultations/themes/{theme_id}"
    page = _text(client, url)
    assert f'<a href="/consultations/versions/{world.version}/sections/P.1">P.1</a>' in page
    assert f'<a href="/consultations/versions/{world.version}/sections/T.3">T.3</a>' in page
    assert f"/consultations/versions/{draft}/" not in page

    newer = factory.version(model_id=model_id, label="v0.3", based_on_id=world.version)
    page = _text(client, url)
    assert f'<a href="/consultations/versions/{newer}/sections/T.3">T.3</a>' in page
    assert f"/consultations/versions/{world.version}/sections" not in page
    assert client.get(f"/consultations/versions/{newer}/sections/T.3").status_code == 200

    # A process without a model: the keys, without links.
    lonely = factory.process()
    with app.app_context():
        plain = _theme(lonely, "T-B", section_keys=["T.3"]).id
        db.session.commit()
    page = _text(client, f"/consultations/themes/{plain}")
    assert "<li>T.3</li>" in page and "/sections/" not in page


# 7. Query counts ------------------------------------------------------------------------


@pytest.fixture
def stage(app, factory, personas, places, snapshots):
    """A process with one space of each kind, empty, and two themes."""
    return snapshots.layer("coding stage", lambda: _build_stage(app, factory, personas, places))


def _build_stage(app, factory, personas, places):
    pid = factory.process()
    forum = factory.forum(process_id=pid, municipality_id=places["home"])
    factory.member(forum, personas["citizen"].id)
    thread = factory.thread(forum, personas["citizen"].id, posts=0)
    meeting = factory.meeting(forum)
    board = factory.board(factory.workshop(pid, invite=[personas["citizen"].id]))
    round_ = factory.round(factory.version(pid))
    a, b = _themes(app, pid, "T-A", "T-B", section_keys=["T.3"])
    return SimpleNamespace(pid=pid, thread=thread, meeting=meeting, board=board, round=round_, themes=[a, b])


def _mixed(app, stage, personas, n, start=0) -> list[int]:
    """``n`` contributions, the four kinds in turn, each coded with both themes (the
    second by another coder); one commit."""
    with app.app_context():
        citizen, facilitator = _user(personas["citizen"]), _user(personas["facilitator"])
        thread = db.session.get(Thread, stage.thread)
        meeting = db.session.get(Meeting, stage.meeting)
        board = db.session.get(Board, stage.board)
        round_ = db.session.get(CommentRound, stage.round)
        invitation = workshops.invitation_of(citizen, board.workshop)
        column = boards.columns(board)[0]
        made = []
        for i in range(start, start + n):
            text = f"dicho {i}"
            match i % 4:
                case 0:
                    made.append(discussions.reply(citizen, thread, text).contribution_id)
                case 1:
                    made.append(sheets.add_remark(facilitator, meeting, SpaceKind.MEETING, None, text).id)
                case 2:
                    made.append(boards.add_card(citizen, board, invitation, column, text).contribution_id)
                case 3:
                    made.append(rounds.add_comment(round_, citizen, "T.3", text).contribution_id)
        first, second = (db.session.get(Theme, t) for t in stage.themes)
        coding.apply_theme(stage.pid, made, first, facilitator)
        coding.apply_theme(stage.pid, made, second, _user(personas["admin"]))
        db.session.commit()
        return made


def _cost(client, count_queries, url, expect=None) -> int:
    with count_queries:
        response = client.get(url, headers=EN)
        assert response.status_code == 200, url
    if expect is not None:
        assert expect in html.unescape(response.get_data(as_text=True)), expect
    return count_queries.count


def test_workbench_queries_do_not_grow(app, client, stage, personas, count_queries):
    made = _mixed(app, stage, personas, 5)
    login(client, personas["facilitator"])
    url = _workbench(stage.pid)
    few = _cost(client, count_queries, url, "5 contributions in the queue")
    filtered = _cost(client, count_queries, f"{url}?state=coded&profile=citizen&since=2000-01-01")
    made += _mixed(app, stage, personas, 35, start=5)
    many = _cost(client, count_queries, url, "40 contributions in the queue")
    assert few == many <= 8, (few, many)
    assert _cost(client, count_queries, f"{url}?state=coded&profile=citizen&since=2000-01-01") == filtered
    assert _cost(client, count_queries, f"{url}?page=2") == many

    # Twenty a page; "save and next" on a page's last item goes to the next page.
    assert _queue_ids(_text(client, url)) == made[:20]
    assert _queue_ids(_text(client, url, query_string={"page": 2})) == made[20:]
    last = _text(client, url, query_string={"item": made[19]})
    assert _next_buttons(last)[0] == f"{url}?page=2"


def _posts_and_comments(app, stage, personas, n, start=0) -> list[int]:
    """``n`` contributions, forum posts and round comments in turn, each coded."""
    with app.app_context():
        citizen = _user(personas["citizen"])
        thread = db.session.get(Thread, stage.thread)
        round_ = db.session.get(CommentRound, stage.round)
        made = []
        for i in range(start, start + n):
            if i % 2:
                made.append(rounds.add_comment(round_, citizen, "T.3", f"dicho {i}").contribution_id)
            else:
                made.append(discussions.reply(citizen, thread, f"dicho {i}").contribution_id)
        coding.apply_theme(stage.pid, made, db.session.get(Theme, stage.themes[0]), citizen)
        db.session.commit()
        return made


def test_workbench_makes_at_most_eight_queries(app, client, stage, personas, count_queries):
    """Issue 13: a queue of forum posts and round comments (two kinds of space, as most
    pages of it hold), 4 then 44: the same queries, at most 8. Each further kind of space
    on a page costs one more (``core.spaces.places_of`` resolves places kind by kind)."""
    _posts_and_comments(app, stage, personas, 4)
    login(client, personas["facilitator"])
    url = _workbench(stage.pid)
    few = _cost(client, count_queries, url, "4 contributions in the queue")
    _posts_and_comments(app, stage, personas, 40, start=4)
    many = _cost(client, count_queries, url, "44 contributions in the queue")
    assert few == many <= 8, (few, many)
    assert _cost(client, count_queries, f"{url}?page=2&state=coded") == many


def test_a_long_queue_is_counted_up_to_a_point(app, client, stage, personas, count_queries, monkeypatch):
    """The queue is counted no further than ``QUEUE_COUNTED`` rows (or the end of the page
    shown): beyond, the page says "more than" and offers the next page."""
    from consultations.coding import views

    monkeypatch.setattr(views, "QUEUE_COUNTED", 30)
    made = _posts_and_comments(app, stage, personas, 44)
    login(client, personas["facilitator"])
    url = _workbench(stage.pid)
    first = _text(client, url)
    assert "More than 30 contributions in the queue" in first and "Page 1</span>" in first
    assert f"{url}?page=2" in first and 'rel="prev"' not in first
    assert _queue_ids(first) == made[:20]
    # Page 2 counts to its end and one more: still more than that.
    second = _text(client, url, query_string={"page": 2})
    assert "More than 40 contributions in the queue" in second and "Page 2</span>" in second
    assert _queue_ids(second) == made[20:40]
    # Page 3 holds the end: the count is exact again, with the usual pagination.
    third = _text(client, url, query_string={"page": 3})
    assert "44 contributions in the queue" in third and "Page 3 of 3" in third and 'rel="next"' not in third
    assert _queue_ids(third) == made[40:]
    # An item asked for off the page is shown and coded from the page it was asked on.
    page = _text(client, url, query_string={"item": made[43]})
    assert _queue_ids(page) == made[:20] and f'action="/consultations/coding/{made[43]}"' in page


def test_theme_page_queries_do_not_grow(app, client, stage, personas, count_queries):
    # Four: one of each kind (places cost one query per kind of space on the page).
    _mixed(app, stage, personas, 4)
    url = f"/consultations/themes/{stage.themes[0]}"
    few = _cost(client, count_queries, url, "4 contributions coded with this theme")
    _mixed(app, stage, personas, 26, start=4)
    many = _cost(client, count_queries, url, "30 contributions coded with this theme")
    assert few == many, (few, many)
    login(client, personas["facilitator"])
    signed_in = _cost(client, count_queries, url)
    assert _cost(client, count_queries, f"{url}?page=2") == signed_in


def _codebook_of(app, stage, n, start=0) -> None:
    """``n`` more themes (every third one a sub-theme of T-A), with sections and a coding."""
    with app.app_context():
        contribution = db.session.scalar(select(Contribution.id).where(Contribution.process_id == stage.pid))
        for i in range(start, start + n):
            parent = stage.themes[0] if i % 3 == 0 else None
            theme = _theme(stage.pid, f"N-{i:02d}", section_keys=["T.3", "P.1"], parent_id=parent)
            coding.apply_theme(stage.pid, [contribution], theme, None)
        db.session.commit()


def test_codebook_queries_do_not_grow(app, client, stage, personas, count_queries):
    _mixed(app, stage, personas, 4)
    with app.app_context():
        board = db.session.get(Board, stage.board)
        boards.add_cluster(board, boards.columns(board)[0], "Grupo")
        db.session.commit()
    _codebook_of(app, stage, 1)
    url = f"/consultations/processes/{stage.pid}/themes"
    anonymous = _cost(client, count_queries, url, "3 themes")
    login(client, personas["facilitator"])
    manager = _cost(client, count_queries, url, "3 themes")
    _codebook_of(app, stage, 22, start=1)
    assert _cost(client, count_queries, url, "25 themes") == manager
    client.post("/logout")
    assert _cost(client, count_queries, url, "25 themes") == anonymous


def test_a_deleted_post_shows_its_placeholder_on_the_theme_page_the_workbench_and_in_mis_aportes(
    app, client, factory, personas, places
):
    from sqlalchemy.orm import joinedload

    from forums.discussions.models import Forum

    process = factory.process()
    forum_id = factory.forum("citizen", places["home"], process)
    thread = factory.thread(forum_id, personas["citizen"].id, text="Texto que su autora borró {n}")
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.thread_id == thread).options(joinedload(Post.contribution)))
        theme = coding.create_theme(process, "T-X", "Tema")
        coding.set_codings(db.session.get(Contribution, post.contribution_id), [theme.id], None)
        author = db.session.get(User, personas["citizen"].id)
        discussions.delete_post(author, post, db.session.get(Forum, forum_id))
        db.session.commit()
        theme_id = theme.id
    for viewer in ("citizen", "facilitator"):
        login(client, personas[viewer])
        page = client.get(f"/consultations/themes/{theme_id}", headers=EN).get_data(as_text=True)
        assert "Texto que su autora borró" not in page and "Deleted by its author." in page, viewer
        if viewer == "facilitator":
            page = _text(client, _workbench(process))
            assert "Texto que su autora borró" not in page and page.count("Deleted by its author.") == 2
            assert '<span class="badge">T-X</span>' in page
        client.post("/logout")
    login(client, personas["citizen"])
    mine = client.get("/consultations/mine", headers=EN).get_data(as_text=True)
    assert "Texto que su autora borró" not in mine and "Deleted by its author." in mine


def test_numbers_that_only_look_like_numbers_are_ignored(app, client, factory, personas, places):
    """ "²" passes ``str.isdigit`` but is no id: it is dropped, never a server error."""
    from core.urls import as_id

    assert [as_id(v) for v in ("12", "²", "٣", "0", "-1", "99999999999", "", None)] == [12] + [None] * 7
    process = factory.process()
    forum_id = factory.forum("citizen", places["home"], process)
    factory.thread(forum_id, personas["citizen"].id)
    with app.app_context():
        contribution = db.session.scalar(select(Contribution.id).where(Contribution.process_id == process))
    login(client, personas["facilitator"])
    saved = client.post(f"/consultations/coding/{contribution}", data={"theme": ["²"], "next": "/"})
    assert saved.status_code == 302
    bulk = client.post(
        f"/consultations/processes/{process}/coding/bulk", data={"item": ["²"], "theme_id": "²", "action": "apply"}
    )
    assert bulk.status_code == 303
    listed = client.get(f"/consultations/processes/{process}/coding?municipality=²&since=2024-13-01")
    assert listed.status_code == 200
