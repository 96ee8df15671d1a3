"""The tally ledger stays equal to the live events through every kind of write that
changes one (checked by ``ledger.verify``, which compares it with the events computed from
the live tables), summaries read it, and what it cannot follow makes it rebuild."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from accounts.models import RoleAssignment, User
from consultations.tallies import ledger
from consultations.tallies import services as tallies
from consultations.tallies.models import TallyEvent, TallySlice
from core.extensions import db
from core.models import Contribution, utcnow
from core.roles import Role
from forums.discussions import services as discussions
from forums.discussions.models import Forum, Thread
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from forums.workshops.models import Workshop


@pytest.fixture
def world(app, factory, personas, places):
    """A process with a citizen forum (a thread, a session with an account and two
    walk-ins, each with a remark), a staff forum, a workshop with a board and a card, and
    a comment round."""
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    staff_forum = factory.forum("staff", places["other"], process)
    citizen, staff = personas["citizen"].id, personas["staff"].id
    factory.member(forum, citizen)
    thread = factory.thread(forum, citizen, posts=3)
    factory.thread(staff_forum, staff)
    meeting = factory.meeting(forum)
    workshop = factory.workshop(process, invite=[citizen])
    board = factory.board(workshop)
    factory.card(board, citizen)
    version = factory.version(process)
    round_id = factory.round(version)
    factory.comment(round_id, citizen)
    with app.app_context():
        facilitator = db.session.get(User, personas["facilitator"].id)
        gathering = db.session.get(Meeting, meeting)
        checked = sheets.check_in(facilitator, gathering, db.session.get(User, citizen), consent=True)
        first = sheets.add_walk_in(facilitator, gathering, "Vecina", "citizen", places["home"], True)
        second = sheets.add_walk_in(facilitator, gathering, "Vecino", "citizen", places["home"], True)
        for attendee in (checked, first, second):
            sheets.add_remark(facilitator, gathering, "meeting", attendee.id, f"Dicho por {attendee.id}")
        db.session.commit()
        ledger.verify(process)
        return {
            "process": process,
            "forum": forum,
            "staff_forum": staff_forum,
            "thread": thread,
            "meeting": meeting,
            "workshop": workshop,
            "board": board,
            "round": round_id,
            "walk_ins": (first.id, second.id),
            "checked": checked.id,
            "facilitator": personas["facilitator"].id,
            "citizen": citizen,
            "staff": staff,
        }


def _committed_then_verified(app, world, change):
    """Run ``change()`` in a request-like context, commit, and check the ledger in a new
    session (so nothing but the committed rows is compared)."""
    with app.app_context():
        change()
        db.session.commit()
    with app.app_context():
        assert ledger.built()
        ledger.verify(world["process"])


def _kept(app, process, **where):
    with app.app_context():
        query = select(TallyEvent).where(TallyEvent.process_id == process)
        for name, value in where.items():
            query = query.where(getattr(TallyEvent, name) == value)
        return db.session.scalars(query).all()


def test_the_ledger_holds_one_row_per_event(app, world):
    with app.app_context():
        live = db.session.scalar(select(func.count()).select_from(tallies.live_events(world["process"])))
    # 4 posts, a card, a comment, 3 remarks; 3 sign-in lines.
    assert live == 12
    assert len(_kept(app, world["process"])) == 12


def test_posts_edits_and_deletions(app, world):
    def reply():
        user = db.session.get(User, world["citizen"])
        discussions.reply(user, db.session.get(Thread, world["thread"]), "Una respuesta")

    _committed_then_verified(app, world, reply)
    assert len(_kept(app, world["process"])) == 13

    def delete_a_post():
        contribution = db.session.scalar(select(Contribution).order_by(Contribution.id.desc()).limit(1))
        db.session.delete(contribution)

    _committed_then_verified(app, world, delete_a_post)


def test_an_edit_that_changes_no_figure_touches_no_row(app, world, count_queries):
    with app.app_context():
        contribution = db.session.scalar(
            select(Contribution).where(Contribution.author_id == world["citizen"]).limit(1)
        )
        contribution.body_source = "Otro texto"
        with count_queries:
            db.session.commit()
        assert not any("tally_events" in statement for statement in count_queries.statements)


def test_spaces_moved_or_changed(app, world, factory, places):
    other_forum = factory.forum("staff", places["other"], world["process"])

    def move_thread():
        db.session.get(Thread, world["thread"]).forum_id = other_forum

    _committed_then_verified(app, world, move_thread)

    def change_forum():
        forum = db.session.get(Forum, world["forum"])
        forum.kind, forum.municipality_id = "expert", places["other"]

    _committed_then_verified(app, world, change_forum)
    assert {e.grp for e in _kept(app, world["process"], space=f"forum:{world['forum']}")} == {"expert_forum"}

    def move_session():
        db.session.get(Meeting, world["meeting"]).starts_at = utcnow() - timedelta(days=400)

    _committed_then_verified(app, world, move_session)

    def change_workshop():
        workshop = db.session.get(Workshop, world["workshop"])
        workshop.kind, workshop.starts_at = "expert", utcnow() - timedelta(days=200)

    _committed_then_verified(app, world, change_workshop)

    def change_round():
        from consultations.rounds.models import CommentRound

        db.session.get(CommentRound, world["round"]).audience = "experts"

    _committed_then_verified(app, world, change_round)
    assert {e.grp for e in _kept(app, world["process"], space=f"round:{world['round']}")} == {"round_experts"}


def test_walk_ins_linked_merged_and_undone(app, world):
    first, second = world["walk_ins"]

    def merge():
        facilitator = db.session.get(User, world["facilitator"])
        tallies.merge_walk_ins(db.session.get(Attendee, second), db.session.get(Attendee, first), facilitator)

    _committed_then_verified(app, world, merge)
    assert {e.person for e in _kept(app, world["process"], attendee_id=second)} == {f"a{first}"}

    def link():
        facilitator = db.session.get(User, world["facilitator"])
        tallies.link_walk_in(db.session.get(Attendee, first), db.session.get(User, world["staff"]), facilitator)

    _committed_then_verified(app, world, link)
    # The merged walk-in follows the one it was merged into, to the account.
    assert {e.person for e in _kept(app, world["process"], attendee_id=second)} == {f"u{world['staff']}"}

    def undo_both():
        from consultations.tallies.models import WalkInLink

        facilitator = db.session.get(User, world["facilitator"])
        for link in db.session.scalars(select(WalkInLink).where(WalkInLink.undone_at.is_(None))).all():
            tallies.undo(link, facilitator)

    _committed_then_verified(app, world, undo_both)
    assert {e.person for e in _kept(app, world["process"], attendee_id=second)} == {f"a{second}"}


def test_roles_granted_before_what_was_said(app, world):
    def grant_backdated():
        db.session.add(
            RoleAssignment(user_id=world["citizen"], role=Role.EXPERT.value, granted_at=utcnow() - timedelta(days=3650))
        )

    _committed_then_verified(app, world, grant_backdated)
    profiles = {e.profile for e in _kept(app, world["process"], person=f"u{world['citizen']}") if e.attendee_id is None}
    assert "expert" in profiles

    def revoke():
        db.session.execute(
            delete(RoleAssignment).where(
                RoleAssignment.user_id == world["citizen"], RoleAssignment.role == Role.EXPERT.value
            )
        )

    _committed_then_verified(app, world, revoke)


def test_deleted_attendees_accounts_and_spaces(app, world):
    first, _second = world["walk_ins"]

    def delete_walk_in():
        db.session.delete(db.session.get(Attendee, first))

    _committed_then_verified(app, world, delete_walk_in)

    def delete_account():
        user = db.session.get(User, world["citizen"])
        db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
        db.session.delete(user)

    _committed_then_verified(app, world, delete_account)

    def delete_session():
        db.session.delete(db.session.get(Meeting, world["meeting"]))

    _committed_then_verified(app, world, delete_session)


def test_bulk_statements_through_the_session(app, world):
    def bulk_update():
        db.session.execute(
            update(Contribution)
            .where(Contribution.author_id == world["citizen"])
            .values(channel="written", municipality_id=None),
            execution_options={"synchronize_session": False},
        )

    _committed_then_verified(app, world, bulk_update)

    def bulk_insert():
        db.session.execute(
            insert(Contribution).values(
                process_id=world["process"],
                author_id=world["staff"],
                space_kind="thread",
                space_id=world["thread"],
                body_source="Insertado",
                body_html="<p>Insertado</p>",
                channel="online",
                created_at=utcnow(),
            )
        )

    _committed_then_verified(app, world, bulk_insert)


def test_a_write_it_cannot_follow_rebuilds_it(app, world):
    with app.app_context():
        db.session.execute(text("UPDATE contributions SET channel = 'written'"))
        db.session.commit()
        # Marked out of date; the next read rebuilds it.
        assert not ledger.built()
        tallies.summary(world["process"], ("channel",))
        assert ledger.built()
        ledger.verify(world["process"])


def test_summaries_count_the_ledger_and_verify_catches_a_stale_one(app, world):
    with app.app_context():
        # A write that bypasses the session, and says nothing.
        with db.engine.begin() as connection:
            connection.execute(
                update(TallySlice)
                .where(TallySlice.dimension == "group", TallySlice.value == "staff_forum")
                .values(value="expert_forum")
            )
    app.config["TALLY_VERIFY"] = False
    try:
        with app.app_context():
            groups = {row.key[0] for row in tallies.summary(world["process"], ("group",)).rows}
            assert "expert_forum" in groups and "staff_forum" not in groups
    finally:
        app.config["TALLY_VERIFY"] = True
    with app.app_context(), pytest.raises(AssertionError, match="out of date"):
        tallies.summary(world["process"], ("municipality",))


def test_the_rebuild_command(app, world, runner):
    with app.app_context():
        db.session.execute(delete(TallyEvent))
        db.session.commit()
    result = runner.invoke(args=["consultations", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "12" in result.output
    with app.app_context():
        ledger.verify(world["process"])


def test_long_lists_of_ids_go_a_chunk_at_a_time(app, world, monkeypatch):
    monkeypatch.setattr(ledger, "CHUNK", 2)

    def everything_in_writing():
        db.session.execute(
            update(Contribution).where(Contribution.process_id == world["process"]).values(channel="written"),
            execution_options={"synchronize_session": False},
        )
        first, second = world["walk_ins"]
        facilitator = db.session.get(User, world["facilitator"])
        tallies.merge_walk_ins(db.session.get(Attendee, second), db.session.get(Attendee, first), facilitator)

    _committed_then_verified(app, world, everything_in_writing)
    assert {e.channel for e in _kept(app, world["process"]) if e.contribution_id} == {"written"}
