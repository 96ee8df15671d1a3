"""Participation tallies: people counted once across spaces and channels, profiles at the
time, headcounts beside named attendees, small cells suppressed, the seed's table."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import services as accounts
from accounts.models import User
from consultations.tallies import services as tallies
from consultations.tallies.models import WalkInLink
from consultations.tallies.services import SUPPRESSED as S
from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from tests.conftest import login

EN = {"Accept-Language": "en"}


@pytest.fixture
def scene(app, factory, personas, places):
    """A process where the citizen posts online, is checked in at the forum's session
    (and a remark is written down for her there), and attends a workshop; two walk-ins at
    the session, one of whom says something; an official posts in the staff forum."""
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    staff_forum = factory.forum("staff", places["home"], process)
    citizen, staff = personas["citizen"].id, personas["staff"].id
    factory.member(forum, citizen)
    factory.thread(forum, citizen, posts=2)
    factory.thread(staff_forum, staff)
    meeting_id = factory.meeting(forum)
    workshop_id = factory.workshop(process, invite=[citizen])
    with app.app_context():
        facilitator = db.session.get(User, personas["facilitator"].id)
        meeting = db.session.get(Meeting, meeting_id)
        attendee = sheets.check_in(facilitator, meeting, db.session.get(User, citizen), consent=True)
        walk_in = sheets.add_walk_in(facilitator, meeting, "Vecina sin cuenta", "citizen", places["home"], True)
        sheets.add_walk_in(facilitator, meeting, "", "citizen", places["home"], False)
        sheets.add_remark(facilitator, meeting, "meeting", attendee.id, "Dicho por la vecina con cuenta")
        sheets.add_remark(facilitator, meeting, "meeting", walk_in.id, "Dicho por la vecina sin cuenta")
        meeting.headcount = 9
        from forums.workshops.models import Workshop

        sheets.check_in(facilitator, db.session.get(Workshop, workshop_id), db.session.get(User, citizen), True)
        db.session.commit()
    return {"process": process, "forum": forum, "staff_forum": staff_forum, "citizen": citizen, "staff": staff}


def test_each_person_counts_once_overall_per_space_and_per_slice(app, scene):
    with app.app_context():
        result = tallies.summary(scene["process"], ("group",))
        # The citizen (posts, session, remark, workshop), two walk-ins, the official.
        assert result.participants == 4
        assert result.contributions == 2 + 1 + 2
        rows = {row.key[0]: row for row in result.rows}
        assert rows["citizen_forum"].participants == 3  # the citizen and the two walk-ins
        assert rows["citizen_forum"].contributions == 4 and rows["citizen_forum"].spaces == 1
        assert rows["staff_forum"].participants == 1
        assert rows["codesign_workshop"].participants == 1 and rows["codesign_workshop"].contributions == 0
        # Online and in person: only the citizen.
        assert result.overlap == 1
        by_channel = {row.key[0]: row.participants for row in tallies.summary(scene["process"], ("channel",)).rows}
        assert by_channel == {"online": 2, "in_person": 3}
        # The headcount (9) is reported beside the named attendees (3 + 1), never added.
        assert (result.headcount, result.named) == (9, 4)


def test_profile_is_the_one_held_at_the_time(app, factory, personas, places):
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    citizen = personas["citizen"].id
    factory.thread(forum, citizen)
    with app.app_context():
        first = db.session.scalar(select(Contribution).where(Contribution.author_id == citizen))
        first.created_at = first.created_at - timedelta(days=30)
        accounts.grant_role(
            db.session.get(User, personas["admin"].id),
            db.session.get(User, citizen),
            Role.STAFF,
            municipality_id=places["home"],
        )
        db.session.commit()
    factory.thread(forum, citizen)
    with app.app_context():
        rows = {row.key: row.contributions for row in tallies.summary(process, ("profile",)).rows}
    assert rows == {("citizen",): 1, ("official",): 1}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # Nothing small: nothing hidden; zeros stay zeros.
        ([[10, 0], [7, 12]], [[10, 0], [7, 12]]),
        # One small cell in a row and a column: its neighbours that give it away go too.
        ([[10, 3], [7, 12]], [[S, S], [S, S]]),
        ([[10, 3, 0], [7, 12, 5], [2, 0, 9]], [[S, S, 0], [7, S, S], [S, 0, S]]),
        # Two small cells in the same row and column protect each other.
        ([[2, 3], [4, 1]], [[S, S], [S, S]]),
        ([[20, 2, 3], [30, 40, 50]], [[20, S, S], [30, S, S]]),
    ],
)
def test_suppression_hides_small_cells_and_their_complements(table, expected):
    assert tallies.suppress(table) == expected


def test_a_lone_small_total_is_hidden():
    assert tallies.hide_small(0) == 0 and tallies.hide_small(3) == S and tallies.hide_small(5) == 5


def test_public_summary_suppresses_and_facilitators_see_internal_figures(app, client, scene, personas):
    url = f"/consultations/processes/{scene['process']}/summary"
    public = client.get(url, headers=EN).get_data(as_text=True)
    assert "Internal figures" not in public
    assert "&lt; 5" in public, public[public.find("<main") :][:3000]
    login(client, personas["citizen"])
    assert "Internal figures" not in client.get(url + "?internal=1", headers=EN).get_data(as_text=True)
    client.post("/logout")
    login(client, personas["facilitator"])
    internal = client.get(url + "?internal=1", headers=EN).get_data(as_text=True)
    assert "Internal figures" in internal and "&lt; 5" not in internal
    crossed = client.get(url + "?by=group&then=profile&internal=1", headers=EN)
    assert crossed.status_code == 200
    for garbage in ("?by=nothing", "?by=group&then=group", "?then=%00", "?internal=yes"):
        assert client.get(url + garbage).status_code == 200, garbage


def test_summary_page_queries_do_not_grow(app, client, factory, personas, places, count_queries):
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    url = f"/consultations/processes/{process}/summary?by=municipality&then=profile"

    def measured():
        with count_queries:
            assert client.get(url).status_code == 200
        return count_queries.count

    factory.thread(forum, personas["citizen"].id, posts=2)
    small = measured()
    for role in ("staff", "expert", "admin"):
        factory.thread(forum, personas[role].id, posts=6)
    assert measured() == small


def test_cli_summary_prints_json(app, runner, scene):
    result = runner.invoke(args=["consultations", "summary", str(scene["process"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["participants"] == S and data["contributions"] == 5
    assert {row["key"][0] for row in data["rows"]} == {"citizen_forum", "staff_forum", "codesign_workshop"}
    internal = json.loads(runner.invoke(args=["consultations", "summary", str(scene["process"]), "--internal"]).output)
    assert internal["participants"] == 4 and internal["online_and_in_person"] == 1
    assert runner.invoke(args=["consultations", "summary", "999999"]).exit_code != 0


def test_walk_ins_are_people_of_their_own(app, scene):
    with app.app_context():
        walk_ins = db.session.scalars(select(Attendee).where(Attendee.user_id.is_(None))).all()
        assert len(walk_ins) == 2
        people = db.session.execute(select(tallies.events(scene["process"]).c.person).distinct()).scalars().all()
    assert {f"a{w.id}" for w in walk_ins} <= set(people)
    assert f"u{scene['citizen']}" in people


def _people(app, process_id) -> int:
    with app.app_context():
        return tallies.summary(process_id).participants


def test_linking_and_merging_walk_ins_and_undoing(app, client, scene, factory, personas):
    """Two walk-ins at the session (one spoke); one registers later and is linked to her
    new account, which also posts; a third walk-in at the workshop is merged with the
    first. Tallies follow each judgement, and undoing gives the old figures back."""
    late = factory.user(name="Vecina que se registró después")
    forum = scene["forum"]
    factory.thread(forum, late.id)
    process = scene["process"]
    with app.app_context():
        named, unnamed = db.session.scalars(
            select(Attendee).where(Attendee.user_id.is_(None)).order_by(Attendee.id)
        ).all()
        facilitator = db.session.get(User, personas["facilitator"].id)
        from forums.workshops.models import Workshop

        workshop = db.session.scalar(select(Workshop))
        third = sheets.add_walk_in(facilitator, workshop, "La misma vecina", "citizen", None, True)
        db.session.commit()
        ids = (named.id, unnamed.id, third.id)
    before = _people(app, process)  # citizen, official, late, and three walk-ins
    assert before == 6
    login(client, personas["facilitator"])
    base = f"/consultations/processes/{process}/walk-ins"
    assert client.get(base).status_code == 200
    refused = client.post(f"{base}/{ids[0]}/link", data={"email": "nadie@example.org"}, headers=EN)
    assert refused.status_code == 422 and "No account has this e-mail address." in refused.get_data(as_text=True)
    linked = client.post(f"{base}/{ids[0]}/link", data={"email": late.email})
    assert linked.status_code == 302
    assert _people(app, process) == 5  # the first walk-in is the late account
    merged = client.post(f"{base}/{ids[2]}/merge", data={"into": str(ids[0])})
    assert merged.status_code == 302
    assert _people(app, process) == 4  # the workshop's walk-in too
    # A checked-in account is not a walk-in; a walk-in cannot be judged twice.
    again = client.post(f"{base}/{ids[0]}/merge", data={"into": str(ids[1])}, headers=EN)
    assert again.status_code == 422 and "already linked or merged" in again.get_data(as_text=True)
    assert client.post(f"{base}/{ids[1]}/merge", data={"into": "x"}).status_code == 422
    with app.app_context():
        actions = [
            a
            for (a,) in db.session.execute(
                select(AuditEntry.action).where(AuditEntry.action.like("walk_in.%")).order_by(AuditEntry.id)
            )
        ]
        assert actions == ["walk_in.linked", "walk_in.merged"]
        link = db.session.scalar(select(WalkInLink).where(WalkInLink.attendee_id == ids[0]))
    assert client.post(f"/consultations/walk-in-links/{link.id}/undo").status_code == 302
    # Unlinked: the first walk-in (with the third merged into it) is one person again.
    assert _people(app, process) == 5
    assert client.post(f"/consultations/walk-in-links/{link.id}/undo").status_code == 303
    with app.app_context():
        merge = db.session.scalar(select(WalkInLink).where(WalkInLink.attendee_id == ids[2]))
    client.post(f"/consultations/walk-in-links/{merge.id}/undo")
    assert _people(app, process) == before
    # A walk-in of another process is not found here.
    other = factory.process()
    assert (
        client.post(f"/consultations/processes/{other}/walk-ins/{ids[0]}/link", data={"email": late.email}).status_code
        == 404
    )


def test_walk_ins_page_queries_do_not_grow(app, client, factory, personas, places, count_queries):
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    meeting_id = factory.meeting(forum)
    url = f"/consultations/processes/{process}/walk-ins"
    login(client, personas["facilitator"])

    def add(count):
        with app.app_context():
            facilitator = db.session.get(User, personas["facilitator"].id)
            meeting = db.session.get(Meeting, meeting_id)
            made = [sheets.add_walk_in(facilitator, meeting, f"P{i}", "citizen", None, True) for i in range(count)]
            tallies.merge_walk_ins(made[-1], made[0], None)
            db.session.commit()

    def measured():
        with count_queries:
            assert client.get(url).status_code == 200
        return count_queries.count

    add(2)
    small = measured()
    add(20)
    assert measured() == small
