"""Summaries are remembered until a write could change them: every kind of write that
changes a figure (a new contribution, a bulk update, a walk-in link and its undoing, a
role granted, a headcount) gives a fresh figure at once, and nothing uncommitted is
remembered."""

from sqlalchemy import update

from accounts import services as accounts
from accounts.models import User
from consultations.tallies import cache
from consultations.tallies import services as tallies
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from forums.discussions import services as discussions
from forums.discussions.models import Thread
from forums.meetings.models import Meeting
from forums.sheets import services as sheets


def _world(app, factory, personas, places):
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    thread = factory.thread(forum, personas["citizen"].id, posts=2)
    factory.member(forum, personas["staff"].id)
    meeting = factory.meeting(forum)
    with app.app_context():
        facilitator = db.session.get(User, personas["facilitator"].id)
        walk_in = sheets.add_walk_in(facilitator, db.session.get(Meeting, meeting), "", "citizen", None, False)
        db.session.commit()
        return process, thread, meeting, walk_in.id


def _figures(app, process):
    with app.app_context():
        found = tallies.summary(process, ("municipality",))
        return found.participants, found.contributions, {r.key[0]: r.contributions for r in found.rows}


def test_a_summary_is_remembered_under_the_token(app, factory, personas, places, count_queries):
    process, *_ = _world(app, factory, personas, places)
    first = _figures(app, process)
    with app.app_context():
        citizens = tallies.seed_table(process).citizens
        with count_queries:
            assert (tallies.summary(process, ("municipality",)).participants, tallies.seed_table(process).citizens) == (
                first[0],
                citizens,
            )
        # One look-up of the token each.
        assert count_queries.count == 2


def test_every_write_that_changes_a_figure_is_seen_at_once(app, factory, personas, places):
    process, thread_id, meeting_id, walk_in = _world(app, factory, personas, places)
    assert _figures(app, process)[:2] == (2, 2)

    # A post through the service.
    with app.app_context():
        user = db.session.get(User, personas["staff"].id)
        discussions.reply(user, db.session.get(Thread, thread_id), "Otra opinión")
        db.session.commit()
    assert _figures(app, process)[:2] == (3, 3)

    # A bulk update of contributions (as account deletion and verdict batches do).
    with app.app_context():
        assert "written" not in {r.key[0] for r in tallies.summary(process, ("channel",)).rows}
    with app.app_context():
        db.session.execute(update(Contribution).values(channel="written"))
        db.session.commit()
        assert {r.key[0]: r.contributions for r in tallies.summary(process, ("channel",)).rows} == {
            "in_person": 0,
            "written": 3,
        }

    # Linking the walk-in to an account counts them once; undoing counts them again.
    with app.app_context():
        from forums.sheets.models import Attendee

        facilitator = db.session.get(User, personas["facilitator"].id)
        link = tallies.link_walk_in(
            db.session.get(Attendee, walk_in), db.session.get(User, personas["citizen"].id), facilitator
        )
        db.session.commit()
        link_id = link.id
    assert _figures(app, process)[0] == 2
    with app.app_context():
        from consultations.tallies.models import WalkInLink

        tallies.undo(db.session.get(WalkInLink, link_id), db.session.get(User, personas["facilitator"].id))
        db.session.commit()
    assert _figures(app, process)[0] == 3

    # A headcount is reported at once.
    with app.app_context():
        db.session.get(Meeting, meeting_id).headcount = 12
        db.session.commit()
        assert tallies.summary(process, ("municipality",)).headcount == 12


def test_a_role_granted_later_changes_the_seed_table(app, factory, personas, places):
    process = factory.process()
    staff_forum = factory.forum("staff", places["home"], process)
    factory.thread(staff_forum, personas["citizen"].id)
    with app.app_context():
        assert tallies.seed_table(process).officials == 0
        from accounts.models import RoleAssignment

        admin = db.session.get(User, personas["admin"].id)
        granted = accounts.grant_role(admin, db.session.get(User, personas["citizen"].id), Role.STAFF, places["home"])
        granted.granted_at = granted.granted_at.replace(year=2000)
        db.session.commit()
        assert db.session.get(RoleAssignment, granted.id) is not None
    with app.app_context():
        assert tallies.seed_table(process).officials == 1


def test_nothing_uncommitted_is_remembered(app, factory, personas, places):
    process, thread_id, *_ = _world(app, factory, personas, places)
    before = _figures(app, process)
    with app.app_context():
        user = db.session.get(User, personas["staff"].id)
        discussions.reply(user, db.session.get(Thread, thread_id), "Todavía sin confirmar")
        # The session's own write is counted ...
        assert tallies.summary(process, ("municipality",)).contributions == before[1] + 1
        db.session.rollback()
    # ... but neither remembered nor kept after the rollback.
    assert _figures(app, process) == before


def test_a_wiped_token_remembers_nothing_until_the_next_write(app, factory, personas, places):
    process, *_ = _world(app, factory, personas, places)
    with app.app_context():
        from consultations.tallies.models import TallyState

        db.session.query(TallyState).delete()
        db.session.commit()  # not a watched table: no new token
        assert db.session.get(TallyState, 1) is None
        assert tallies.summary(process).participants == 2
        cache.changed()
        db.session.commit()
        assert db.session.get(TallyState, 1) is not None
