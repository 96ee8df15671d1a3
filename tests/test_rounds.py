"""Comment rounds: status from the dates, closing early and extending, who may comment,
comments and replies over HTTP, comments entered on someone's behalf, visibility through
the spaces registry, moderation, notifications, the facilitators' list and its exports,
the data download and deletion, and pages whose query count does not grow with data."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from accounts.models import User
from consultations.common import ConsultationError
from consultations.rounds import services as rounds
from consultations.rounds.models import Comment, CommentRound, RoundMember, RoundStatus
from consultations.versions.models import Version
from core import spaces
from core.audit import AuditEntry
from core.exports import pseudonym
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import Notification
from forums.moderation.models import Flag
from tests.conftest import PASSWORD, login

EN = {"Accept-Language": "en"}
SANTIAGO = ZoneInfo("America/Santiago")


# Helpers ------------------------------------------------------------------------------


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _counted(app, model, *where) -> int:
    with app.app_context():
        return _count(model, *where)


def _say(app, round_id, *entries) -> list[tuple[int, int]]:
    """Comments written through the service in one transaction. Each entry is a dict of
    :func:`rounds.add_comment`'s arguments, with ``author`` and ``entered_by`` as account
    ids and ``parent`` as the index of an earlier entry. Returns ``(comment id,
    contribution id)`` of each."""
    with app.app_context():
        round_ = db.session.get(CommentRound, round_id)
        made = []
        for entry in entries:
            entry = dict(entry)
            author = entry.pop("author", None)
            parent = entry.pop("parent", None)
            entered_by = entry.pop("entered_by", None)
            made.append(
                rounds.add_comment(
                    round_,
                    db.session.get(User, author) if author else None,
                    entry.pop("key", "T.3"),
                    entry.pop("body", "Un comentario"),
                    parent=made[parent] if parent is not None else None,
                    entered_by=db.session.get(User, entered_by) if entered_by else None,
                    **entry,
                )
            )
        db.session.commit()
        return [(c.id, c.contribution_id) for c in made]


def _form(round_id, key="T.3", body="Un comentario", stance="", wording=""):
    """The comment form of a round as the section page posts it (fields prefixed)."""
    prefix = f"r{round_id}-"
    return {
        prefix + "section_key": key,
        prefix + "body": body,
        prefix + "stance": stance,
        prefix + "wording": wording,
    }


def _text(client, url, headers=EN) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _section_url(version_id, key="T.3") -> str:
    return f"/consultations/versions/{version_id}/sections/{key}"


def _set_dates(app, round_id, opens_at, closes_at) -> None:
    with app.app_context():
        round_ = db.session.get(CommentRound, round_id)
        round_.opens_at, round_.closes_at = opens_at, closes_at
        db.session.commit()


def _local(value: datetime) -> str:
    """A UTC time as the platform's datetime-local field reads it."""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(SANTIAGO).strftime("%Y-%m-%dT%H:%M")


def _process_of(app, version_id) -> int:
    with app.app_context():
        return db.session.get(Version, version_id).model.process_id


@pytest.fixture
def version(factory):
    """A published version of a new model (sections introduccion, T, T.1–T.3, T.3.a, P,
    P.1, I, I.1)."""
    return factory.version()


@pytest.fixture
def public_round(factory, version):
    """A public round on ``version``, open since yesterday for 30 days."""
    return factory.round(version, "public", title="Ronda pública")


# 1. Status, closing early, extending --------------------------------------------------


def test_status_follows_the_dates(app, factory, version):
    opens, closes = datetime(2030, 3, 1, 12), datetime(2030, 3, 31, 12)
    round_ = CommentRound(opens_at=opens, closes_at=closes)
    assert round_.status_at(opens - timedelta(seconds=1)) == RoundStatus.SCHEDULED
    assert round_.status_at(opens) == RoundStatus.OPEN
    assert round_.status_at(closes - timedelta(seconds=1)) == RoundStatus.OPEN
    assert round_.status_at(closes) == RoundStatus.CLOSED
    assert round_.status_at(closes + timedelta(days=400)) == RoundStatus.CLOSED

    scheduled = factory.round(version, opens_in_days=2, closes_in_days=9)
    open_ = factory.round(version)
    closed = factory.round(version, opens_in_days=-10, closes_in_days=-1)
    with app.app_context():
        statuses = {rid: db.session.get(CommentRound, rid).status for rid in (scheduled, open_, closed)}
        assert statuses == {scheduled: RoundStatus.SCHEDULED, open_: RoundStatus.OPEN, closed: RoundStatus.CLOSED}
        assert db.session.get(CommentRound, open_).is_open
        assert not db.session.get(CommentRound, closed).is_open


def test_round_dates_are_checked(app, version):
    with app.app_context():
        v = db.session.get(Version, version)
        now = utcnow()
        with pytest.raises(ConsultationError):
            rounds.create_round(v, "public", "Ronda", "", now, now, None)
        with pytest.raises(ConsultationError):
            rounds.create_round(v, "public", "Ronda", "", now, now - timedelta(days=1), None)
        with pytest.raises(ConsultationError):
            rounds.create_round(v, "everyone", "Ronda", "", now, now + timedelta(days=1), None)
        db.session.rollback()
        assert _count(CommentRound) == 0


def test_only_an_open_round_closes_early_and_it_is_audited(app, client, factory, version, personas):
    open_ = factory.round(version)
    scheduled = factory.round(version, opens_in_days=2, closes_in_days=9)
    login(client, personas["citizen"])
    assert client.post(f"/consultations/rounds/{open_}/close").status_code == 403
    client.post("/logout")

    login(client, personas["facilitator"])
    assert client.post(f"/consultations/rounds/{open_}/close").status_code == 302
    with app.app_context():
        round_ = db.session.get(CommentRound, open_)
        assert round_.status == RoundStatus.CLOSED
        assert round_.closed_early_at is not None and round_.closes_at == round_.closed_early_at
        assert utcnow() - round_.closes_at < timedelta(minutes=1)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "round.closed_early")).all()
        assert [(e.actor_id, e.detail["round"]) for e in entries] == [(personas["facilitator"].id, open_)]
    page = _text(client, f"/consultations/rounds/{open_}")
    assert "closed early" in page and "Close now" not in page

    again = client.post(f"/consultations/rounds/{open_}/close", headers=EN)
    assert again.status_code == 303
    assert "Only an open round can be closed early." in _text(client, again.location)
    not_yet = client.post(f"/consultations/rounds/{scheduled}/close")
    assert not_yet.status_code == 303
    with app.app_context():
        assert db.session.get(CommentRound, scheduled).status == RoundStatus.SCHEDULED
        assert db.session.get(CommentRound, scheduled).closed_early_at is None
        assert _count(AuditEntry, AuditEntry.action == "round.closed_early") == 1


def test_extend_moves_the_closing_later_and_reopens_a_closed_round(app, client, factory, version, personas):
    closed = factory.round(version, opens_in_days=-10, closes_in_days=-1)
    open_ = factory.round(version, closes_in_days=30)
    with app.app_context():
        round_ = db.session.get(CommentRound, open_)
        rounds.close_early(round_, None)
        db.session.commit()
        assert round_.status == RoundStatus.CLOSED
    login(client, personas["facilitator"])

    past = client.post(
        f"/consultations/rounds/{closed}/extend", data={"closes_at": _local(utcnow() - timedelta(hours=2))}, headers=EN
    )
    assert past.status_code == 303
    assert "The new closing time must be in the future." in _text(client, past.location)
    garbage = client.post(f"/consultations/rounds/{closed}/extend", data={"closes_at": "mañana"}, headers=EN)
    assert garbage.status_code == 303
    assert "Enter a valid date and time." in _text(client, garbage.location)

    new_close = utcnow() + timedelta(days=5)
    reopened = client.post(f"/consultations/rounds/{closed}/extend", data={"closes_at": _local(new_close)})
    assert reopened.status_code == 302
    with app.app_context():
        round_ = db.session.get(CommentRound, closed)
        assert round_.status == RoundStatus.OPEN
        assert abs(round_.closes_at - new_close) < timedelta(minutes=2)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.extended"))
        assert entry.actor_id == personas["facilitator"].id and entry.detail["round"] == closed

    # The round closed early opens again and forgets it was closed early.
    assert client.post(f"/consultations/rounds/{open_}/extend", data={"closes_at": _local(new_close)}).status_code == (
        302
    )
    with app.app_context():
        round_ = db.session.get(CommentRound, open_)
        assert round_.status == RoundStatus.OPEN and round_.closed_early_at is None

    # Not earlier than the current closing, even if in the future.
    with app.app_context():
        round_ = db.session.get(CommentRound, open_)
        later = round_.closes_at
        with pytest.raises(ConsultationError, match="posterior a su cierre actual"):
            rounds.extend(round_, later - timedelta(days=1), None)
        with pytest.raises(ConsultationError, match="posterior a su cierre actual"):
            rounds.extend(round_, later, None)
        with pytest.raises(ConsultationError, match="en el futuro"):
            rounds.extend(round_, None, None)
        db.session.rollback()
    sooner = client.post(
        f"/consultations/rounds/{open_}/extend", data={"closes_at": _local(new_close - timedelta(days=1))}, headers=EN
    )
    assert sooner.status_code == 303
    assert "choose a time after its current closing" in _text(client, sooner.location)
    with app.app_context():
        assert abs(db.session.get(CommentRound, open_).closes_at - new_close) < timedelta(minutes=2)
        assert _count(AuditEntry, AuditEntry.action == "round.extended") == 2


# 2. Who may comment ------------------------------------------------------------------


def test_who_may_comment_in_each_audience(app, factory, places, personas, version):
    invited = factory.user(name="Integrante del consejo")
    blocked = factory.user()
    public = factory.round(version, "public")
    committee = factory.round(version, "committee", members=[invited.id])
    experts = factory.round(version, "experts", members=[invited.id])
    staff_all = factory.round(version, "staff")
    staff_home = factory.round(version, "staff", municipality_ids=[places["home"]])
    allowed = {
        public: {"citizen", "staff", "staff_other", "facilitator", "expert", "admin", "invited"},
        committee: {"facilitator", "admin", "invited"},
        experts: {"expert", "facilitator", "admin", "invited"},
        staff_all: {"staff", "staff_other", "facilitator", "admin"},
        staff_home: {"staff", "facilitator", "admin"},
    }
    with app.test_request_context(headers=EN):
        db.session.get(User, blocked.id).blocked_at = utcnow()
        people = {name: db.session.get(User, p.id) for name, p in {**personas, "invited": invited}.items()}
        by_id = {rid: db.session.get(CommentRound, rid) for rid in allowed}
        for rid, audience in allowed.items():
            round_ = by_id[rid]
            assert rounds.refusal(AnonymousUserMixin(), round_) == "Sign in to comment."
            assert rounds.refusal(None, round_) == "Sign in to comment."
            assert rounds.refusal(db.session.get(User, blocked.id), round_) == "Your account cannot comment."
            for name, user in people.items():
                reason = rounds.refusal(user, round_)
                assert (reason is None) == (name in audience), (round_.audience, name, reason)
        citizen = people["citizen"]
        assert rounds.refusal(citizen, by_id[committee]) == (
            "This round is for the members of the advisory committee invited to it."
        )
        assert rounds.refusal(citizen, by_id[experts]) == (
            "This round is for the experts of the advisory committee and those invited."
        )
        assert rounds.refusal(citizen, by_id[staff_all]) == "This round is for verified municipal officials."
        assert rounds.refusal(people["staff_other"], by_id[staff_home]) == (
            "This round is for verified municipal officials of Talagante."
        )
        # The service applies the same rule.
        with pytest.raises(ConsultationError, match="Talagante"):
            rounds.add_comment(by_id[staff_home], people["staff_other"], "T.3", "Desde Vitacura")
        assert _count(Comment) == 0


def test_a_closed_or_scheduled_round_refuses_everyone_with_its_date(app, factory, personas, version):
    scheduled = factory.round(version, opens_in_days=2)
    closed = factory.round(version)
    _set_dates(app, scheduled, datetime(2999, 3, 15, 15), datetime(2999, 4, 15, 15))
    _set_dates(app, closed, datetime(2020, 3, 1, 15), datetime(2020, 3, 15, 15))
    with app.test_request_context(headers=EN):
        before, after = db.session.get(CommentRound, scheduled), db.session.get(CommentRound, closed)
        for persona in personas.values():
            user = db.session.get(User, persona.id)
            assert rounds.refusal(user, before) == "This round opens on Friday, 15 March 2999, 12:00."
            assert rounds.refusal(user, after) == "This round closed on Sunday, 15 March 2020, 12:00."
        assert rounds.refusal(None, before) == "This round opens on Friday, 15 March 2999, 12:00."
        # The time is the platform's: 02:00 UTC on 15 March is 23:00 on the 14th in Santiago.
        after.closes_at = datetime(2020, 3, 15, 2)
        assert rounds.refusal(None, after) == "This round closed on Saturday, 14 March 2020, 23:00."
        after.closes_at = datetime(2020, 3, 15, 15)
        # At a given time: the closed round was open then.
        citizen = db.session.get(User, personas["citizen"].id)
        assert rounds.refusal(citizen, after, at=datetime(2020, 3, 10)) is None
        assert (
            rounds.refusal(citizen, after, at=datetime(2020, 2, 10))
            == "This round opens on Sunday, 1 March 2020, 12:00."
        )


def test_section_page_shows_the_form_inside_the_audience_and_the_reason_outside(
    app, client, factory, places, personas, version
):
    rid = factory.round(version, "staff", municipality_ids=[places["home"]])
    action = f'action="/consultations/rounds/{rid}/comments"'
    url = _section_url(version)
    reason = "This round is for verified municipal officials of Talagante."
    anonymous = _text(client, url)
    assert action not in anonymous and "Sign in to comment." in anonymous
    assert f'href="/login?next={url}"' in anonymous.replace("%2F", "/")
    for name, inside in [("staff", True), ("facilitator", True), ("admin", True), ("staff_other", False)]:
        login(client, personas[name])
        page = _text(client, url)
        assert (action in page) == inside, name
        assert (reason in page) == (not inside), name
        client.post("/logout")

    login(client, personas["staff_other"])
    refused = client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid, body="Desde Vitacura"), headers=EN)
    assert refused.status_code == 303 and refused.location.endswith(url)
    assert _text(client, refused.location).count(reason) == 2, "the flashed refusal and the notice"
    assert _counted(app, Comment) == 0
    client.post("/logout")
    login(client, personas["citizen"])
    page = _text(client, url)
    assert action not in page and reason in page
    round_page = _text(client, f"/consultations/rounds/{rid}")
    assert reason in round_page and "Municipal staff (Talagante)" in round_page


def test_scheduled_round_shows_its_opening_date_and_refuses_comments(app, client, factory, personas, version):
    rid = factory.round(version, opens_in_days=2)
    _set_dates(app, rid, datetime(2999, 3, 15, 15), datetime(2999, 4, 15, 15))
    login(client, personas["citizen"])
    page = _text(client, _section_url(version))
    assert "This round opens on Friday, 15 March 2999, 12:00." in page
    assert f'action="/consultations/rounds/{rid}/comments"' not in page
    refused = client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid))
    assert refused.status_code == 303
    assert _counted(app, Comment) == 0


# 3. Comments over HTTP ----------------------------------------------------------------


def test_citizen_comments_on_a_section(app, client, factory, places, personas):
    process_id = factory.process()
    version = factory.version(process_id)
    rid = factory.round(version)
    login(client, personas["citizen"])
    response = client.post(
        f"/consultations/rounds/{rid}/comments",
        data=_form(
            rid,
            "T.3",
            "Las actas deberían publicarse en **48 horas**.",
            stance="change",
            wording="Publica las actas dentro de 48 horas.",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(select(Comment))
        c = db.session.get(Contribution, comment.contribution_id)
        assert (c.space_kind, c.space_id, c.section_key, c.process_id, c.channel) == (
            "round",
            rid,
            "T.3",
            process_id,
            "online",
        )
        assert (c.author_id, c.municipality_id) == (personas["citizen"].id, places["home"])
        assert c.body_source == "Las actas deberían publicarse en **48 horas**."
        assert (comment.round_id, comment.parent_id, comment.stance, comment.entered_by_id) == (
            rid,
            None,
            "change",
            None,
        )
        assert comment.wording_source == "Publica las actas dentro de 48 horas."
        comment_id = comment.id
    assert response.location.endswith(f"{_section_url(version)}#comment-{comment_id}")
    page = _text(client, _section_url(version))
    assert f'id="comment-{comment_id}"' in page
    assert "<strong>48 horas</strong>" in page
    assert "Publica las actas dentro de 48 horas." in page and "Proposes a change" in page
    assert "48 horas" not in _text(client, _section_url(version, "T.2"))
    round_page = _text(client, f"/consultations/rounds/{rid}")
    assert "1 comment in this round." in round_page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stance": "agree", "wording": "Otra redacción"}, "A proposed wording goes with “Proposes a change”."),
        ({"stance": "", "wording": "Otra redacción"}, "A proposed wording goes with “Proposes a change”."),
        ({"body": ""}, "This field is required."),
        ({"body": "   "}, "This field is required."),
        ({"stance": "maybe"}, "Not a valid choice."),
    ],
)
def test_a_refused_comment_answers_422_and_writes_nothing(
    app, client, personas, version, public_round, fields, message
):
    login(client, personas["citizen"])
    data = _form(public_round, **{"body": "Texto válido", **fields})
    response = client.post(f"/consultations/rounds/{public_round}/comments", data=data, headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _count(Comment) == 0 and _count(Contribution) == 0


def test_comment_length_limit_keeps_the_text_in_the_form(app, client, personas, version, public_round):
    login(client, personas["citizen"])
    url = f"/consultations/rounds/{public_round}/comments"
    too_long = ("Un comentario muy extenso. " * 200)[:5001]
    response = client.post(url, data=_form(public_round, body=too_long), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert too_long in page and "At most 5000 characters" in page.replace(",", "")
    assert _counted(app, Comment) == 0
    assert client.post(url, data=_form(public_round, body=too_long[:5000])).status_code == 302
    assert _counted(app, Comment) == 1


def test_unknown_section_is_404(app, client, personas, version, public_round):
    login(client, personas["citizen"])
    response = client.post(f"/consultations/rounds/{public_round}/comments", data=_form(public_round, key="T.9"))
    assert response.status_code == 404
    assert client.get(_section_url(version, "T.9")).status_code == 404
    assert _counted(app, Comment) == 0


def test_whole_version_comments_show_on_the_version_page(app, client, personas, version, public_round):
    login(client, personas["citizen"])
    response = client.post(
        f"/consultations/rounds/{public_round}/comments", data=_form(public_round, key="", body="Sobre todo el modelo")
    )
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(select(Comment))
        assert db.session.get(Contribution, comment.contribution_id).section_key is None
    assert response.location.endswith(f"/consultations/versions/{version}#comment-{comment.id}")
    page = _text(client, f"/consultations/versions/{version}")
    assert "Sobre todo el modelo" in page and f'id="comment-{comment.id}"' in page
    assert "Sobre todo el modelo" not in _text(client, _section_url(version))
    client.post("/logout")
    assert "Sobre todo el modelo" in _text(client, f"/consultations/versions/{version}")

    # A reply to it stays on the version page, and so does the link its author gets.
    login(client, personas["staff"])
    reply = client.post(f"/consultations/comments/{comment.id}/reply", data={"body": "Respuesta general"})
    assert reply.status_code == 302
    with app.app_context():
        answer = db.session.scalar(select(Comment).where(Comment.parent_id == comment.id))
        assert db.session.get(Contribution, answer.contribution_id).section_key is None
        link = db.session.scalar(select(Notification.link).where(Notification.kind == "round.reply"))
    assert reply.location.endswith(f"/consultations/versions/{version}#comment-{answer.id}")
    assert link == f"/consultations/comments/{answer.id}"
    assert client.get(link).location.endswith(f"/consultations/versions/{version}#comment-{answer.id}")
    assert "Respuesta general" in _text(client, f"/consultations/versions/{version}")


def test_what_people_write_is_sanitized_and_escaped(app, client, personas, version, public_round):
    login(client, personas["citizen"])
    posted = client.post(
        f"/consultations/rounds/{public_round}/comments",
        data=_form(
            public_round,
            body="<script>alert(1)</script> **negrita**",
            stance="change",
            wording='<img src="x" onerror="alert(2)"> *cursiva*',
        ),
    )
    assert posted.status_code == 302
    client.post("/logout")
    login(client, personas["facilitator"])
    entered = client.post(
        f"/consultations/rounds/{public_round}/comments/on-behalf",
        data={"said_by": "<b>Juana</b>", "channel": "written", "section_key": "T.3", "body": "Por carta"},
    )
    assert entered.status_code == 302
    for url in (_section_url(version), f"/consultations/rounds/{public_round}/comments"):
        page = _text(client, url)
        assert "<strong>negrita</strong>" in page and "<em>cursiva</em>" in page, url
        assert "<script>alert(1)" not in page and "<img" not in page, url
        assert "<b>Juana</b>" not in page and "&lt;b&gt;Juana&lt;/b&gt;" in page, url


def test_replies_are_one_level_deep_inherit_the_section_and_notify(app, client, personas, version, public_round):
    [(parent_id, _)] = _say(
        app, public_round, {"author": personas["citizen"].id, "key": "T.2", "body": "Primera opinión"}
    )
    login(client, personas["staff"])
    response = client.post(f"/consultations/comments/{parent_id}/reply", data={"body": "Respondo desde el municipio"})
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.scalar(select(Comment).where(Comment.parent_id == parent_id))
        contribution = db.session.get(Contribution, reply.contribution_id)
        assert contribution.section_key == "T.2" and contribution.author_id == personas["staff"].id
        assert reply.round_id == public_round and reply.stance is None
        reply_id = reply.id
        notes = db.session.scalars(select(Notification).where(Notification.user_id == personas["citizen"].id)).all()
        replies = [n for n in notes if n.kind == "round.reply"]
        assert len(replies) == 1
        assert replies[0].link == f"/consultations/comments/{reply_id}"
        assert json.loads(replies[0].params_json) == {"name": personas["staff"].name, "title": "Ronda pública"}
    assert response.location.endswith(f"{_section_url(version, 'T.2')}#comment-{reply_id}")
    page = _text(client, _section_url(version, "T.2"))
    assert f'id="comment-{reply_id}"' in page and "post-reply" in page
    assert page.index("Primera opinión") < page.index("Respondo desde el municipio")

    # A reply to a reply is refused and writes nothing.
    deeper = client.post(f"/consultations/comments/{reply_id}/reply", data={"body": "Y yo a ti"}, headers=EN)
    assert deeper.status_code == 422
    assert "Replies answer a comment of the same round, one level deep." in deeper.get_data(as_text=True)
    empty = client.post(f"/consultations/comments/{parent_id}/reply", data={"body": ""}, headers=EN)
    assert empty.status_code == 422
    assert 'aria-describedby="reply-' in empty.get_data(as_text=True), "the error is tied to the reply box"
    assert "This field is required." in empty.get_data(as_text=True)
    with app.app_context():
        assert _count(Comment) == 2
        with pytest.raises(ConsultationError):
            rounds.add_comment(
                db.session.get(CommentRound, public_round),
                db.session.get(User, personas["citizen"].id),
                None,
                "Y yo a ti",
                parent=db.session.get(Comment, reply_id),
            )
    client.post("/logout")

    # Answering one's own comment notifies nobody.
    login(client, personas["citizen"])
    assert client.post(f"/consultations/comments/{parent_id}/reply", data={"body": "Aclaro"}).status_code == 302
    with app.app_context():
        assert _count(Notification, Notification.kind == "round.reply") == 1
        assert _count(Comment, Comment.parent_id == parent_id) == 2


def test_replies_to_a_comment_of_another_round_are_refused(app, factory, personas, version):
    first = factory.round(version, title="Primera")
    second = factory.round(version, title="Segunda")
    [(parent_id, _)] = _say(app, first, {"author": personas["citizen"].id})
    with app.app_context():
        with pytest.raises(ConsultationError):
            rounds.add_comment(
                db.session.get(CommentRound, second),
                db.session.get(User, personas["staff"].id),
                None,
                "Cruzado",
                parent=db.session.get(Comment, parent_id),
            )


def test_comments_on_an_earlier_version_show_collapsed_with_a_count(app, client, factory, personas):
    v1 = factory.version()
    rid = factory.round(v1, title="Primera ronda")
    _say(
        app,
        rid,
        {"author": personas["citizen"].id, "key": "T.3", "body": "Sobre el nivel tres"},
        {"author": personas["staff"].id, "key": "T.3", "body": "Otra opinión del nivel tres"},
        {"author": personas["staff"].id, "key": "T.2", "body": "Sobre el nivel dos"},
    )
    with app.app_context():
        model_id = db.session.get(Version, v1).model_id
    v2 = factory.version(model_id=model_id, based_on_id=v1, label="v0.2", title="Segunda")
    login(client, personas["citizen"])
    page = _text(client, _section_url(v2))
    summary = re.search(
        r'<details class="round-box">\s*<summary id="round-\d+-heading">'
        r"2 comments on T\.3 in v0\.1 · Primera ronda</summary>",
        page,
    )
    assert summary is not None, page
    after = page[summary.end() :]
    assert "Sobre el nivel tres" in after and "Otra opinión del nivel tres" in after
    assert "Sobre el nivel dos" not in page
    assert f'action="/consultations/rounds/{rid}/comments"' not in page, "no commenting on v0.1 from v0.2"
    assert "on T.2 in v0.1" in _text(client, _section_url(v2, "T.2"))
    assert "on T.1 in v0.1" not in _text(client, _section_url(v2, "T.1"))
    with app.app_context():
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "version.superseded")).all()
        assert sorted(told) == sorted([personas["citizen"].id, personas["staff"].id])


# 4. On someone's behalf -----------------------------------------------------------------


def test_on_behalf_is_for_facilitators(client, personas, public_round):
    url = f"/consultations/rounds/{public_round}/comments/on-behalf"
    assert client.get(url).status_code == 302
    login(client, personas["citizen"])
    assert client.get(url).status_code == 403
    assert client.post(url, data={"said_by": "Alguien", "channel": "written", "body": "x"}).status_code == 403
    client.post("/logout")
    login(client, personas["facilitator"])
    page = _text(client, url + "?key=T.3")
    assert '<option selected value="T.3">' in page or '<option value="T.3" selected>' in page


def test_on_behalf_by_email_and_by_name(app, client, factory, personas, version, public_round):
    url = f"/consultations/rounds/{public_round}/comments/on-behalf"
    login(client, personas["facilitator"])
    by_email = client.post(
        url,
        data={
            "email": personas["citizen"].email,
            "channel": "written",
            "section_key": "T.3",
            "stance": "disagree",
            "body": "Enviado por carta",
        },
    )
    assert by_email.status_code == 302
    by_name = client.post(
        url,
        data={"said_by": "Doña Juana Pérez", "channel": "in_person", "section_key": "", "body": "Dicho en la feria"},
    )
    assert by_name.status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(Comment).order_by(Comment.id)).all()
        one, two = (
            db.session.get(Contribution, first.contribution_id),
            db.session.get(Contribution, second.contribution_id),
        )
        assert (one.author_id, one.channel, one.section_key, first.stance) == (
            personas["citizen"].id,
            "written",
            "T.3",
            "disagree",
        )
        assert first.entered_by_id == personas["facilitator"].id and first.said_by == ""
        assert (two.author_id, two.channel, two.section_key, second.said_by) == (
            None,
            "in_person",
            None,
            "Doña Juana Pérez",
        )
        assert second.entered_by_id == personas["facilitator"].id
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "comment.on_behalf").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor_id, e.target_user_id, e.detail["comment"]) for e in entries] == [
            (personas["facilitator"].id, personas["citizen"].id, first.id),
            (personas["facilitator"].id, None, second.id),
        ]
        first_id, second_id = first.id, second.id
    assert by_email.location.endswith(f"{_section_url(version)}#comment-{first_id}")
    assert by_name.location.endswith(f"/consultations/versions/{version}#comment-{second_id}")
    client.post("/logout")
    section = _text(client, _section_url(version))
    assert "Enviado por carta" in section and personas["citizen"].name in section
    assert "sent in writing, entered by a facilitator" in section
    whole = _text(client, f"/consultations/versions/{version}")
    assert "Dicho en la feria" in whole and "Doña Juana Pérez" in whole
    assert "said in person, entered by a facilitator" in whole


def test_on_behalf_refusals_write_nothing(app, client, personas, public_round):
    url = f"/consultations/rounds/{public_round}/comments/on-behalf"
    login(client, personas["facilitator"])
    unknown = client.post(
        url, data={"email": "nadie@example.org", "channel": "written", "section_key": "T.3", "body": "Hola"}, headers=EN
    )
    assert unknown.status_code == 422
    assert "No account has this e-mail address." in unknown.get_data(as_text=True)
    nobody = client.post(url, data={"channel": "written", "section_key": "T.3", "body": "Hola"}, headers=EN)
    assert nobody.status_code == 422
    assert "Say who said it" in nobody.get_data(as_text=True)
    other_key = client.post(url, data={"said_by": "Ana", "channel": "written", "section_key": "X.9", "body": "Hola"})
    assert other_key.status_code == 422
    online = client.post(url, data={"said_by": "Ana", "channel": "online", "section_key": "T.3", "body": "Hola"})
    assert online.status_code == 422, "only in writing or in person"
    with app.app_context():
        assert _count(Comment) == 0 and _count(Contribution) == 0
        assert _count(AuditEntry, AuditEntry.action == "comment.on_behalf") == 0


def test_on_behalf_works_in_a_closed_round_but_not_before_it_opens(app, client, factory, personas, version):
    closed = factory.round(version, opens_in_days=-10, closes_in_days=-1)
    scheduled = factory.round(version, opens_in_days=3, closes_in_days=10)
    login(client, personas["facilitator"])
    data = {"said_by": "Vecino de Talagante", "channel": "written", "section_key": "T.3", "body": "Llegó tarde"}
    assert client.post(f"/consultations/rounds/{closed}/comments/on-behalf", data=data).status_code == 302
    early = client.post(f"/consultations/rounds/{scheduled}/comments/on-behalf", data=data, headers=EN)
    assert early.status_code == 422 and "This round has not opened yet." in early.get_data(as_text=True)
    # The closed round still refuses comments from people themselves.
    login(client, personas["citizen"])
    assert client.post(f"/consultations/rounds/{closed}/comments", data=_form(closed)).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Comment.round_id)).all() == [closed]


# 5. Visibility through the registry ----------------------------------------------------


def test_staff_round_comments_are_seen_by_its_audience_only(app, client, factory, places, personas, version):
    staff_round = factory.round(version, "staff", municipality_ids=[places["home"]], title="Ronda municipal")
    public = factory.round(version, "public", title="Ronda pública")
    [(staff_comment, staff_contribution)] = _say(
        app, staff_round, {"author": personas["staff"].id, "body": "Falta personal en la unidad"}
    )
    [(public_comment, public_contribution)] = _say(
        app, public, {"author": personas["citizen"].id, "body": "Opinión ciudadana"}
    )
    sees = {"staff": True, "facilitator": True, "admin": True, "citizen": False, "staff_other": False, "expert": False}
    with app.app_context():
        hidden = db.session.get(Contribution, staff_contribution)
        shown = db.session.get(Contribution, public_contribution)
        anonymous = AnonymousUserMixin()
        assert not spaces.can_see(anonymous, hidden)
        assert spaces.can_see(anonymous, shown)
        for name, expected in sees.items():
            viewer = db.session.get(User, personas[name].id)
            assert spaces.can_see(viewer, hidden) == expected, name
            assert spaces.can_see(viewer, shown), name
            visible = set(db.session.scalars(select(Contribution.id).where(spaces.visible_condition(viewer))))
            assert (staff_contribution in visible) == expected, name
            assert public_contribution in visible, name
        found = spaces.places_of([hidden, shown])
        assert found[staff_contribution].link == f"/consultations/comments/{staff_comment}"
        assert found[public_contribution].link == f"/consultations/comments/{public_comment}"
        assert found[public_contribution].title == "Ronda pública › v0.1 T.3"
        assert found[public_contribution].process_id == _process_of(app, version)
        assert found[public_contribution].municipality_id == places["home"]

    assert "Opinión ciudadana" in _text(client, _section_url(version))
    assert "Falta personal" not in _text(client, _section_url(version))
    for name, expected in sees.items():
        login(client, personas[name])
        page = _text(client, _section_url(version))
        assert ("Falta personal en la unidad" in page) == expected, name
        assert "Opinión ciudadana" in page, name
        if not expected:
            reply = client.post(f"/consultations/comments/{staff_comment}/reply", data={"body": "Me meto"})
            flag = client.post(f"/forums/contributions/{staff_contribution}/flag", data={"reason": "Ver"})
            assert reply.status_code == 404 and flag.status_code == 404, name
        client.post("/logout")
    login(client, personas["staff"])
    assert client.post(f"/consultations/comments/{staff_comment}/reply", data={"body": "Aclaro"}).status_code == 302
    with app.app_context():
        replies = db.session.scalars(select(Comment).where(Comment.parent_id == staff_comment)).all()
        assert len(replies) == 1, "only the official of Talagante replied"
        assert _count(Flag) == 0


def test_counts_beside_the_comments_count_only_what_the_viewer_may_read(app, client, factory, places, personas):
    """A closed staff round's summary, the matrix's cell counts and the earlier versions'
    summaries say how many comments there are to read, not how many exist."""
    v1 = factory.version()
    rid = factory.round(
        v1, "staff", opens_in_days=-20, closes_in_days=-2, municipality_ids=[places["home"]], title="Municipal"
    )
    past = utcnow() - timedelta(days=10)
    _say(
        app,
        rid,
        {"author": personas["staff"].id, "body": "Solo para funcionarios", "at": past},
        {"author": personas["staff"].id, "body": "Otro interno", "at": past + timedelta(hours=1)},
    )
    summary = re.compile(r"Municipal</span> <span class=\"badge\">Closed</span> · (\d+) comment")
    for name, expected in [("citizen", 0), ("staff_other", 0), ("staff", 2), ("facilitator", 2)]:
        login(client, personas[name])
        page = _text(client, _section_url(v1))
        assert summary.search(page).group(1) == str(expected), name
        assert ("Solo para funcionarios" in page) == bool(expected), name
        matrix = _text(client, f"/consultations/versions/{v1}")
        assert ('<span class="cell-count">2 comments</span>' in matrix) == bool(expected), name
        client.post("/logout")
    with app.app_context():
        model_id = db.session.get(Version, v1).model_id
    v2 = factory.version(model_id=model_id, based_on_id=v1, label="v0.2")
    for name, expected in [("citizen", False), ("staff", True)]:
        login(client, personas[name])
        assert ("2 comments on T.3 in v0.1" in _text(client, _section_url(v2))) == expected, name
        client.post("/logout")


# 6. Moderation ---------------------------------------------------------------------------


def test_round_comments_are_flagged_and_hidden_like_posts(app, client, personas, version, public_round):
    [(comment_id, contribution_id)] = _say(
        app,
        public_round,
        {
            "author": personas["staff"].id,
            "body": "Texto ofensivo",
            "stance": "change",
            "wording": "Redacción ofensiva",
        },
    )
    url = _section_url(version)
    login(client, personas["citizen"])
    assert f'href="/forums/contributions/{contribution_id}/flag?next=' in _text(client, url)
    flagged = client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "Insulta", "next": url})
    assert flagged.status_code == 302 and flagged.location.endswith(url)
    with app.app_context():
        assert [(f.user_id, f.reason) for f in db.session.scalars(select(Flag))] == [
            (personas["citizen"].id, "Insulta")
        ]
    client.post("/logout")

    login(client, personas["facilitator"])
    queue = _text(client, "/forums/moderation")
    assert "Texto ofensivo" in queue and f"/consultations/comments/{comment_id}" in queue
    hidden = client.post(
        f"/forums/moderation/contributions/{contribution_id}/hide", data={"reason": "Lenguaje ofensivo"}
    )
    assert hidden.status_code == 302
    with app.app_context():
        assert db.session.get(Contribution, contribution_id).hidden_at is not None
        note = db.session.scalar(select(Notification).where(Notification.kind == "moderation.hidden"))
        assert note.user_id == personas["staff"].id and note.link == f"/consultations/comments/{comment_id}"
    managed = _text(client, url)
    assert "Texto ofensivo" in managed and "Hidden by a moderator: Lenguaje ofensivo" in managed
    client.post("/logout")

    anonymous = _text(client, url, headers={})
    assert "Ocultado por una persona moderadora." in anonymous
    assert "Texto ofensivo" not in anonymous and "Redacción ofensiva" not in anonymous
    login(client, personas["citizen"])
    other = _text(client, url)
    assert "Hidden by a moderator." in other
    assert "Texto ofensivo" not in other and "Redacción ofensiva" not in other
    client.post("/logout")
    login(client, personas["staff"])
    own = _text(client, url)
    assert "Texto ofensivo" in own and "Redacción ofensiva" in own and "Lenguaje ofensivo" in own


# 7. Notifications ------------------------------------------------------------------------


def _opened(app, round_id) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.kind == "round.opens", Notification.link == f"/consultations/rounds/{round_id}"
                )
            )
        )


def test_public_round_notifies_every_active_account_in_one_statement(app, factory, personas, version, count_queries):
    blocked, deleted = factory.user(), factory.user()
    with app.app_context():
        db.session.get(User, blocked.id).blocked_at = utcnow()
        db.session.get(User, deleted.id).deleted_at = utcnow()
        db.session.commit()
        now = utcnow()
        with count_queries:
            made = rounds.create_round(
                db.session.get(Version, version),
                "public",
                "Ronda abierta",
                "",
                now + timedelta(days=2),
                now + timedelta(days=30),
                None,
            )
        inserts = [s for s in count_queries.statements if re.match(r"\s*INSERT INTO notifications", s, re.I)]
        assert len(inserts) == 1, count_queries.statements
        db.session.commit()
        rid = made.id
        note = db.session.scalar(select(Notification).where(Notification.user_id == personas["citizen"].id))
        params = json.loads(note.params_json)
        opens = (now + timedelta(days=2)).replace(tzinfo=ZoneInfo("UTC")).astimezone(SANTIAGO).date()
        assert params == {"title": "Ronda abierta", "version": "v0.1", "opens": opens.isoformat()}
    assert _opened(app, rid) == {p.id for p in personas.values()}


def test_announcement_gives_the_opening_date_in_the_platforms_time_zone(app, client, personas, version):
    """Opening at 01:00 UTC on 15 March is 22:00 on the 14th in Santiago."""
    with app.app_context():
        made = rounds.create_round(
            db.session.get(Version, version),
            "public",
            "Ronda nocturna",
            "",
            datetime(2030, 3, 15, 1),
            datetime(2030, 4, 15, 1),
            None,
        )
        db.session.commit()
        rid = made.id
    with app.test_request_context(headers=EN):
        note = db.session.scalar(select(Notification).where(Notification.user_id == personas["citizen"].id))
        assert note.text == "The comment round “Ronda nocturna” on v0.1 is open to you from Thursday, 14 March 2030."
    login(client, personas["citizen"])
    assert "This round opens on Thursday, 14 March 2030, 22:00." in _text(client, f"/consultations/rounds/{rid}")


def test_staff_and_expert_rounds_notify_their_audience_only(app, factory, places, personas, version):
    home = factory.round(version, "staff", municipality_ids=[places["home"]])
    every = factory.round(version, "staff")
    experts = factory.round(version, "experts")
    assert _opened(app, home) == {personas["staff"].id}
    assert _opened(app, every) == {personas["staff"].id, personas["staff_other"].id}
    assert _opened(app, experts) == {personas["expert"].id}


def test_committee_round_notifies_each_member_when_invited(app, client, factory, personas, version):
    rid = factory.round(version, "committee")
    assert _opened(app, rid) == set()
    assert _counted(app, Notification) == 0
    login(client, personas["facilitator"])
    url = f"/consultations/rounds/{rid}/members"
    assert client.post(url, data={"email": personas["citizen"].email}).status_code == 302
    assert _opened(app, rid) == {personas["citizen"].id}
    assert client.post(url, data={"email": personas["expert"].email}).status_code == 302
    assert _opened(app, rid) == {personas["citizen"].id, personas["expert"].id}
    again = client.post(url, data={"email": personas["citizen"].email}, headers=EN)
    assert again.status_code == 422 and "is already invited" in again.get_data(as_text=True)
    assert client.post(url, data={"email": "nadie@example.org"}).status_code == 422
    with app.app_context():
        assert _count(Notification) == 2 and _count(RoundMember, RoundMember.round_id == rid) == 2
    members = _text(client, url)
    assert personas["citizen"].name in members and personas["expert"].name in members
    # The invited citizen may now comment; an account not invited may not.
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid)).status_code == 302
    client.post("/logout")
    login(client, personas["staff"])
    assert client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid)).status_code == 303
    assert _counted(app, Comment) == 1
    client.post("/logout")

    # Withdrawing an invitation stops the person commenting; what they said stays.
    login(client, personas["facilitator"])
    with app.app_context():
        member_id = db.session.scalar(select(RoundMember.id).where(RoundMember.user_id == personas["citizen"].id))
    assert client.post(f"/consultations/rounds/{rid}/members/{member_id}/remove").status_code == 302
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid)).status_code == 303
    with app.app_context():
        assert _count(RoundMember, RoundMember.round_id == rid) == 1 and _count(Comment) == 1


def test_inviting_to_a_closed_round_tells_no_one(app, client, factory, personas, version):
    rid = factory.round(version, "committee", opens_in_days=-30, closes_in_days=-1)
    login(client, personas["facilitator"])
    assert (
        client.post(f"/consultations/rounds/{rid}/members", data={"email": personas["citizen"].email}).status_code
        == 302
    )
    with app.app_context():
        assert _count(RoundMember, RoundMember.round_id == rid) == 1
        assert _count(Notification) == 0


def test_a_round_on_a_replaced_version_takes_no_more_comments(app, client, factory, personas, version):
    rid = factory.round(version)
    login(client, personas["citizen"])
    assert client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid)).status_code == 302
    with app.app_context():
        model_id = db.session.get(Version, version).model_id
    factory.version(model_id=model_id, label="v0.2", based_on_id=version)
    refused = client.post(f"/consultations/rounds/{rid}/comments", data=_form(rid, body="Tarde"), headers=EN)
    assert refused.status_code == 303
    assert "which a later version has replaced" in _text(client, refused.location)
    assert "Send comment" not in _text(client, _section_url(version))
    assert _counted(app, Comment) == 1


# 8. The facilitators' list and exports ---------------------------------------------------


@pytest.fixture
def listed(app, factory, places, personas, version):
    """A public round open since 1 March 2024 with seven comments (times UTC; Santiago is
    three hours behind in March): the citizen's (Talagante, T.3, agree, 5 March), the
    other official's (Vitacura, T.2, disagree, 10 March), the citizen's on the whole
    version (change, with a wording, 15 March 01:00, the 14th in Santiago), one entered for
    someone without an account (in person, T.3, 15 March noon), a reply to the first (16
    March) and two formulas (17 March)."""
    rid = factory.round(version, title="Ronda de marzo")
    _set_dates(app, rid, datetime(2024, 3, 1), datetime(2999, 1, 1))
    citizen, staff = personas["citizen"].id, personas["staff"].id
    ids = _say(
        app,
        rid,
        {"author": citizen, "key": "T.3", "body": "alfa", "stance": "agree", "at": datetime(2024, 3, 5, 15)},
        {
            "author": personas["staff_other"].id,
            "key": "T.2",
            "body": "bravo",
            "stance": "disagree",
            "at": datetime(2024, 3, 10, 15),
        },
        {
            "author": citizen,
            "key": "",
            "body": "charlie",
            "stance": "change",
            "wording": "Nueva",
            "at": datetime(2024, 3, 15, 1),
        },
        {
            "author": None,
            "said_by": "Doña Juana",
            "entered_by": personas["facilitator"].id,
            "channel": "in_person",
            "key": "T.3",
            "body": "delta",
            "at": datetime(2024, 3, 15, 12),
        },
        {"author": staff, "body": "echo", "parent": 0, "at": datetime(2024, 3, 16, 12)},
        {
            "author": staff,
            "key": "T.1",
            "body": '=HYPERLINK("http://evil.example","clic")',
            "at": datetime(2024, 3, 17, 12),
        },
        {"author": staff, "key": "T.1", "body": "Opinión;=1+1", "at": datetime(2024, 3, 17, 13)},
    )
    return rid, ids


WORDS = ("alfa", "bravo", "charlie", "delta", "echo", "HYPERLINK", "Opinión;")


def _shown(page: str) -> set[str]:
    listing = page.split('<ul class="results">', 1)[1].split("</ul>", 1)[0]
    return {w for w in WORDS if w in listing}


def test_facilitators_list_filters(client, personas, places, listed):
    rid, _ids = listed
    url = f"/consultations/rounds/{rid}/comments"
    login(client, personas["citizen"])
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(client, personas["facilitator"])
    everything = _text(client, url)
    assert _shown(everything) == set(WORDS) and "7 comments" in everything
    cases = {
        "section=T.3": {"alfa", "delta", "echo"},
        "section=*": {"charlie"},
        "section=T.2": {"bravo"},
        "stance=agree": {"alfa"},
        "stance=change": {"charlie"},
        "stance=nonsense": set(WORDS),
        f"municipality={places['home']}": {"alfa", "charlie", "echo", "HYPERLINK", "Opinión;"},
        f"municipality={places['other']}": {"bravo"},
        "channel=in_person": {"delta"},
        "channel=written": set(),
        "channel=online": set(WORDS) - {"delta"},
        # Dates are the platform's (Santiago), as the list shows the times.
        "until=2024-03-07": {"alfa"},
        "since=2024-03-08&until=2024-03-14": {"bravo", "charlie"},
        "until=2024-03-14": {"alfa", "bravo", "charlie"},
        "since=2024-03-15": {"delta", "echo", "HYPERLINK", "Opinión;"},
        "since=2024-03-15&until=2024-03-15": {"delta"},
        "since=2024-03-18": set(),
        "section=T.3&stance=agree": {"alfa"},
        "since=ayer": set(WORDS),
    }
    for query, expected in cases.items():
        assert _shown(_text(client, f"{url}?{query}")) == expected, query
    assert "No comments match." in _text(client, f"{url}?channel=written")
    assert "14 Mar 2024, 22:00" in _text(client, f"{url}?section=*"), "shown in Santiago's time"


def test_facilitators_list_is_paginated(app, client, factory, personas, version):
    rid = factory.round(version, opens_in_days=-10)
    start = utcnow() - timedelta(days=5)
    _say(
        app,
        rid,
        *(
            {"author": personas["citizen"].id, "body": f"comentario-{n:02d}", "at": start + timedelta(minutes=n)}
            for n in range(55)
        ),
    )
    login(client, personas["facilitator"])
    url = f"/consultations/rounds/{rid}/comments"
    first = _text(client, url)
    second = _text(client, url + "?page=2")
    on_first = set(re.findall(r"comentario-(\d\d)", first))
    on_second = set(re.findall(r"comentario-(\d\d)", second))
    assert "55 comments" in first
    assert on_first == {f"{n:02d}" for n in range(5, 55)}, "newest first, fifty a page"
    assert on_second == {f"{n:02d}" for n in range(5)}
    assert "page=2" in first


def _csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_csv_export_uses_pseudonyms_and_defuses_formulas(app, client, personas, listed):
    rid, ids = listed
    login(client, personas["facilitator"])
    response = client.get(f"/consultations/rounds/{rid}/comments.csv", headers=EN)
    assert response.headers["Content-Disposition"] == f'attachment; filename="round-{rid}-comments.csv"'
    rows = _csv_rows(response)
    assert rows[0] == [
        "Comment",
        "Reply to",
        "Section",
        "Position",
        "Text",
        "Proposed wording",
        "Participant",
        "Municipality",
        "Channel",
        "Time",
    ]
    by_text = {row[4]: row for row in rows[1:]}
    assert len(by_text) == 7
    raw = response.get_data(as_text=True)
    for persona in personas.values():
        assert persona.name not in raw and persona.email not in raw
    assert "Doña Juana" not in raw
    with app.app_context():
        citizen, staff = pseudonym("user", personas["citizen"].id), pseudonym("user", personas["staff"].id)
    alfa = by_text["alfa"]
    assert alfa[0] == str(ids[0][0]) and alfa[1] == "" and alfa[2] == "T.3"
    assert (alfa[3], alfa[6], alfa[7], alfa[8]) == ("Agree", citizen, "Talagante", "Online")
    assert by_text["charlie"][2] == "The whole version" and by_text["charlie"][5] == "Nueva"
    assert by_text["delta"][6] == "written down" and by_text["delta"][8] == "In person"
    assert by_text["echo"][1] == str(ids[0][0]) and by_text["echo"][6] == staff
    assert by_text["bravo"][7] == "Vitacura"
    assert '\'=HYPERLINK("http://evil.example","clic")' in by_text
    assert "Opinión;'=1+1" in by_text
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell
    filtered = _csv_rows(client.get(f"/consultations/rounds/{rid}/comments.csv?section=T.3"))
    assert sorted(row[4] for row in filtered[1:]) == ["alfa", "delta", "echo"]


def test_names_need_a_reason_which_is_audited(app, client, personas, listed):
    rid, _ids = listed
    login(client, personas["facilitator"])
    url = f"/consultations/rounds/{rid}/comments.csv"
    for data in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
        refused = client.post(url, data=data)
        assert refused.status_code == 303, data
        assert refused.location.endswith(f"/consultations/rounds/{rid}/comments")
        assert refused.mimetype != "text/csv"
    assert _counted(app, AuditEntry, AuditEntry.action == "export.names") == 0

    named = client.post(url + "?section=T.3", data={"reason": "Informe al consejo"}, headers=EN)
    rows = _csv_rows(named)
    who = {row[4]: row[6] for row in rows[1:]}
    assert who == {"alfa": personas["citizen"].name, "delta": "Doña Juana", "echo": personas["staff"].name}
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.names"))
        assert entry.actor_id == personas["facilitator"].id
        assert entry.detail == {"note": "Informe al consejo", "round": rid}
    named_xlsx = client.post(f"/consultations/rounds/{rid}/comments.xlsx", data={"reason": "Para el acta"})
    assert named_xlsx.status_code == 200
    assert personas["citizen"].name in "".join(_xlsx_cells(named_xlsx.get_data()))
    assert _counted(app, AuditEntry, AuditEntry.action == "export.names") == 2


_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _xlsx_sheet(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        names = book.namelist()
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
    return sheet, shared


def _xlsx_cells(data: bytes) -> list[str]:
    """Every cell's text, inline strings, shared strings and numbers alike."""
    sheet, shared = _xlsx_sheet(data)
    strings = (
        ["".join(t.text or "" for t in si.iter(_SHEET + "t")) for si in ET.fromstring(shared).iter(_SHEET + "si")]
        if shared
        else []
    )
    cells = []
    for cell in ET.fromstring(sheet).iter(_SHEET + "c"):
        kind = cell.get("t")
        if kind == "inlineStr":
            cells.append("".join(t.text or "" for t in cell.iter(_SHEET + "t")))
        elif kind == "s":
            cells.append(strings[int(cell.find(_SHEET + "v").text)])
        else:
            cells.append(cell.find(_SHEET + "v").text)
    return cells


def test_xlsx_export_has_strings_not_formulas(app, client, personas, listed):
    rid, ids = listed
    login(client, personas["facilitator"])
    response = client.get(f"/consultations/rounds/{rid}/comments.xlsx", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == f'attachment; filename="round-{rid}-comments.xlsx"'
    sheet, _shared = _xlsx_sheet(response.get_data())
    root = ET.fromstring(sheet)
    assert root.find(f".//{_SHEET}f") is None and "<f>" not in sheet and "<f " not in sheet
    cells = _xlsx_cells(response.get_data())
    assert cells[:3] == ["Comment", "Reply to", "Section"]
    formula = next(c for c in root.iter(_SHEET + "c") if "HYPERLINK" in "".join(t.text or "" for t in c.iter()))
    assert formula.get("t") in ("inlineStr", "s")
    assert '\'=HYPERLINK("http://evil.example","clic")' in cells
    assert "Opinión;'=1+1" in cells
    # Comment ids are numbers; people are pseudonyms.
    numbers = [c for c in root.iter(_SHEET + "c") if c.get("t") is None]
    assert {int(c.find(_SHEET + "v").text) for c in numbers} >= {cid for cid, _ in ids}
    with app.app_context():
        assert pseudonym("user", personas["citizen"].id) in cells
    joined = "\n".join(cells)
    for persona in personas.values():
        assert persona.name not in joined and persona.email not in joined


# 9. Privacy -------------------------------------------------------------------------------


def test_data_download_and_deletion(app, client, factory, places, personas, version):
    person = factory.user(name="Rosa Pérez", municipality_id=places["home"])
    committee = factory.round(version, "committee", title="Consejo asesor", members=[person.id])
    public = factory.round(version, "public", title="Ronda pública")
    [(own, own_contribution)] = _say(
        app,
        public,
        {
            "author": person.id,
            "key": "T.3",
            "body": "Mi opinión sobre actas",
            "stance": "change",
            "wording": "Texto que propongo",
        },
    )
    [_council, (_entered, entered_contribution)] = _say(
        app,
        committee,
        {"author": person.id, "key": "", "body": "En el consejo"},
        {
            "author": person.id,
            "entered_by": personas["facilitator"].id,
            "channel": "written",
            "key": "T.2",
            "body": "Por carta",
        },
    )
    login(client, person)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    mine = {c["id"]: c for c in data["contributions"]}
    assert mine[own_contribution]["text"] == "Mi opinión sobre actas"
    assert mine[own_contribution]["space_kind"] == "round" and mine[own_contribution]["section"] == "T.3"
    assert mine[own_contribution]["link"] == f"/consultations/comments/{own}"
    assert mine[entered_contribution]["channel"] == "written"
    consultations = data["consultations"]
    assert [i["round"] for i in consultations["round_invitations"]] == ["Consejo asesor"]
    assert consultations["round_invitations"][0]["invited_at"]
    comments = {c["contribution"]: c for c in consultations["round_comments"]}
    assert comments[own_contribution] == {
        "contribution": own_contribution,
        "round": "Ronda pública",
        "stance": "change",
        "wording": "Texto que propongo",
        "entered_for_you": False,
    }
    assert comments[entered_contribution]["entered_for_you"] is True
    assert len(comments) == 3
    readable = _text(client, "/account/data")
    assert "Comment rounds you were invited to" in readable and "Your comments in comment rounds" in readable
    assert "Proposes a change" in readable and "Texto que propongo" in readable
    assert "Rosa Pérez" in _text(client, _section_url(version)), "named until the account goes"

    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    with app.app_context():
        assert _count(RoundMember, RoundMember.user_id == person.id) == 0
        assert _count(RoundMember) == 0
        kept = db.session.get(Contribution, own_contribution)
        assert kept.body_source == "Mi opinión sobre actas" and kept.municipality_id is None
        assert db.session.get(Comment, own).wording_source == "Texto que propongo"
        assert _count(Comment) == 3
    page = _text(client, _section_url(version))
    assert "Mi opinión sobre actas" in page and "Rosa Pérez" not in page and "deleted participant" in page
    login(client, personas["facilitator"])
    listing = _text(client, f"/consultations/rounds/{public}/comments")
    assert "Mi opinión sobre actas" in listing and "Rosa Pérez" not in listing
    named = _csv_rows(client.post(f"/consultations/rounds/{public}/comments.csv", data={"reason": "Informe"}))
    assert "Rosa Pérez" not in {row[6] for row in named}


# 10. Query counts ---------------------------------------------------------------------


def _many(app, round_id, personas, n, start=0):
    """``n`` comments across sections (and the whole version) by several authors, every
    third one answered by someone else, written in one transaction."""
    authors = [personas[name].id for name in ("citizen", "staff", "staff_other", "expert")]
    keys = ["T.3", "T.3", "T.2", "", "P.1", "T.3.a"]
    entries = []
    for i in range(n):
        entries.append({"author": authors[i % len(authors)], "key": keys[i % len(keys)], "body": f"dicho {start + i}"})
        if i % 3 == 0:
            entries.append(
                {
                    "author": authors[(i + 1) % len(authors)],
                    "body": f"respuesta {start + i}",
                    "parent": len(entries) - 1,
                }
            )
    return _say(app, round_id, *entries)


#: Issue 13: a main page makes at most this many queries, however much data is behind it.
PAGE_QUERIES = 8


def _cost(client, count_queries, url) -> int:
    with count_queries:
        assert client.get(url).status_code == 200
    return count_queries.count


def test_round_page_queries_do_not_grow(app, client, personas, version, public_round, count_queries):
    _say(app, public_round, {"author": personas["citizen"].id})
    url = f"/consultations/rounds/{public_round}"
    few = _cost(client, count_queries, url)
    assert "1 comment in this round." in _text(client, url)
    _many(app, public_round, personas, 40)
    many = _cost(client, count_queries, url)
    assert "55 comments in this round." in _text(client, url)
    assert few == many, (few, many)
    login(client, personas["citizen"])
    signed_in = _cost(client, count_queries, url)
    _many(app, public_round, personas, 20, start=100)
    assert _cost(client, count_queries, url) == signed_in


def test_version_page_queries_do_not_grow(app, client, personas, version, public_round, count_queries):
    """The matrix with its cell counts and the comments on the whole version."""
    _say(app, public_round, {"author": personas["citizen"].id, "key": "", "body": "general"})
    url = f"/consultations/versions/{version}"
    few = _cost(client, count_queries, url)
    _many(app, public_round, personas, 30)
    many = _cost(client, count_queries, url)
    page = _text(client, url)
    assert "general" in page and "dicho 3" in page and "respuesta 3" in page
    assert '<span class="cell-count">' in page
    assert few == many <= PAGE_QUERIES, (few, many)
    login(client, personas["citizen"])
    signed_in = _cost(client, count_queries, url)
    _many(app, public_round, personas, 12, start=100)
    assert _cost(client, count_queries, url) == signed_in <= PAGE_QUERIES, signed_in


@pytest.mark.parametrize("viewer", ["anonymous", "citizen", "facilitator"])
def test_section_page_queries_do_not_grow(app, client, factory, personas, version, count_queries, viewer):
    """Two comments, then thirty (replies, six authors), in an open round, and a closed
    round's comments shown collapsed: the same queries."""
    public = factory.round(version, title="Abierta")
    closed = factory.round(version, opens_in_days=-20, closes_in_days=-2, title="Cerrada")
    url = _section_url(version)
    if viewer != "anonymous":
        login(client, personas[viewer])
    _say(
        app,
        public,
        {"author": personas["citizen"].id, "body": "primero"},
        {"author": personas["staff"].id, "body": "respuesta", "parent": 0},
    )
    _say(app, closed, {"author": personas["expert"].id, "body": "antes", "at": utcnow() - timedelta(days=10)})
    client.get(url)
    few = _cost(client, count_queries, url)
    page = _text(client, url)
    assert "primero" in page and "respuesta" in page and "antes" in page

    extra = [factory.user(name=f"Autora {n}").id for n in range(4)]
    entries = []
    while len(entries) < 28:
        n = len(entries)
        entries.append({"author": extra[n % 4] if n % 2 else personas["citizen"].id, "body": f"dicho-{n:02d}"})
        if n % 4 == 0:
            entries.append({"author": extra[(n + 1) % 4], "body": f"respuesta-{n:02d}", "parent": len(entries) - 1})
    _say(app, public, *entries)
    past = utcnow() - timedelta(days=10)
    _say(
        app,
        closed,
        *({"author": extra[n % 4], "body": f"antes-{n}", "at": past + timedelta(minutes=n)} for n in range(8)),
    )
    many = _cost(client, count_queries, url)
    page = _text(client, url)
    # The open round shows its first 20 threads (with their replies), the rest on page 2.
    first = set(re.findall(r'id="comment-(\d+)"', page))
    assert "Page 1 of 2" in page and 'rel="next"' in page
    second = _text(client, f"{url}?r{public}=2")
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert len(first | set(re.findall(r'id="comment-(\d+)"', second))) == 30 + 9
    assert "respuesta-00" in page and "Autora 3" in page
    assert few == many <= PAGE_QUERIES, (viewer, few, many)


def test_facilitators_list_queries_do_not_grow(app, client, personas, version, public_round, count_queries):
    _say(app, public_round, {"author": personas["citizen"].id, "body": "uno"})
    login(client, personas["facilitator"])
    url = f"/consultations/rounds/{public_round}/comments"
    client.get(url)
    few = _cost(client, count_queries, url)
    _many(app, public_round, personas, 45)
    many = _cost(client, count_queries, url)
    assert "61 comments" in _text(client, url)
    assert few == many, (few, many)


def test_a_section_shows_its_threads_a_page_at_a_time_and_a_comment_link_finds_its_page(
    app, client, personas, version, public_round
):
    """25 threads on one section: 20 on the first page, 5 on the second (with their
    replies); a comment's lasting link (notifications, "Mis aportes") leads to its page."""
    from consultations.rounds.services import THREADS_PER_PAGE

    entries = []
    for n in range(THREADS_PER_PAGE + 5):
        entries.append({"author": personas["citizen"].id, "body": f"hilo-{n:02d}"})
        if n == THREADS_PER_PAGE + 2:
            entries.append({"author": personas["staff"].id, "body": "respuesta tardía", "parent": len(entries) - 1})
    ids = [comment_id for comment_id, _contribution in _say(app, public_round, *entries)]
    url = _section_url(version)
    first = _text(client, url)
    assert "hilo-00" in first and f"hilo-{THREADS_PER_PAGE - 1:02d}" in first
    assert f"hilo-{THREADS_PER_PAGE:02d}" not in first and "respuesta tardía" not in first
    assert "Page 1 of 2" in first
    second = _text(client, f"{url}?r{public_round}=2")
    assert f"hilo-{THREADS_PER_PAGE:02d}" in second and "respuesta tardía" in second and "hilo-00" not in second
    # Past the last page: the last page. Not a number: the first.
    assert "Page 2 of 2" in _text(client, f"{url}?r{public_round}=9")
    assert "Page 1 of 2" in _text(client, f"{url}?r{public_round}=x")
    # Drawn again after a comment that failed (a POST elsewhere), the links still lead here.
    login(client, personas["citizen"])
    refused = client.post(
        f"/consultations/rounds/{public_round}/comments",
        data={f"r{public_round}-section_key": "T.3", f"r{public_round}-body": ""},
        headers=EN,
    )
    assert refused.status_code == 422
    assert f'href="{url}?r{public_round}=2#round-{public_round}-heading"' in refused.get_data(as_text=True)
    client.post("/logout")

    reply = ids[-3]
    with app.app_context():
        assert db.session.get(Comment, reply).parent_id is not None
    link = client.get(f"/consultations/comments/{reply}")
    assert link.status_code == 302
    assert link.location.endswith(f"{url}?r{public_round}=2#comment-{reply}")
    early = client.get(f"/consultations/comments/{ids[0]}")
    assert early.location.endswith(f"{url}#comment-{ids[0]}")
    assert client.get("/consultations/comments/999999").status_code == 404
