"""``flask demo`` loads the seed's places, process and one account per role, idempotently."""

from sqlalchemy import func, select

from accounts.models import Municipality, Organisation, Process, RequestStatus, StaffRequest, User
from core import spaces
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from core.spaces import SpaceKind
from forums.discussions.models import Forum, Post, Thread
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from forums.workshops import services as workshop_services
from forums.workshops.boards import services as board_services
from forums.workshops.boards.models import Board, Card, Cluster, Vote, VotingRound
from forums.workshops.models import Presentation, Workshop, WorkshopInvitation, WorkshopKind
from tests.conftest import login


def _counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Municipality, Organisation, Process, User, StaffRequest, Forum, Thread, Post, Meeting, Attendee)
    }


def test_demo_is_complete_and_idempotent(app, runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.cocrea.cl" in first.output and "demo-admin-2016" in first.output
    with app.app_context():
        counts = _counts()
        assert counts["Municipality"] == 7
        assert counts["Organisation"] == 3
        assert counts["Process"] == 1
        names = set(db.session.scalars(select(Municipality.name)))
        assert names == {
            "Cerro Navia",
            "Peñalolén",
            "Providencia",
            "Recoleta",
            "Santo Domingo",
            "Talagante",
            "Vitacura",
        }
        kinds = dict(db.session.execute(select(Organisation.acronym, Organisation.kind)).all())
        assert kinds["CPLT"] == "coordinator"
        process = db.session.scalar(select(Process))
        assert len(process.phases) == 5 and process.coordinator.acronym == "CPLT"
        users = db.session.scalars(select(User)).all()
        for role in (Role.ADMIN, Role.FACILITATOR, Role.STAFF, Role.EXPERT):
            assert any(u.has_role(role) for u in users), role
        assert db.session.scalar(select(StaffRequest.status)) == RequestStatus.PENDING.value
        forums = db.session.scalars(select(Forum)).all()
        citizen = sorted(f.municipality.name for f in forums if f.kind == "citizen")
        staff = sorted(f.municipality.name for f in forums if f.kind == "staff")
        assert citizen == sorted(["Talagante", "Santo Domingo", "Vitacura", "Providencia", "Peñalolén", "Cerro Navia"])
        assert staff == sorted(["Talagante", "Vitacura", "Providencia", "Peñalolén", "Cerro Navia"])
        for forum in forums:
            threads = db.session.scalars(select(Thread).where(Thread.forum_id == forum.id)).all()
            assert threads and all(t.post_count >= 2 for t in threads), forum.title
        assert db.session.scalar(select(func.count(Post.id)).where(Post.reply_to_id.is_not(None))) > 0
        for kind, expected in (("citizen", 133), ("staff", 116)):
            sheets = select(Attendee).join(Meeting).join(Forum).where(Forum.kind == kind).subquery()
            accounts = db.session.scalar(select(func.count(sheets.c.user_id.distinct())))
            walk_ins = db.session.scalar(select(func.count()).where(sheets.c.user_id.is_(None)))
            assert (accounts + walk_ins, kind) == (expected, kind)
            assert accounts > 0 and walk_ins > 0, "a mix of accounts and walk-ins"
        meetings = db.session.scalars(select(Meeting)).all()
        assert len(meetings) == 11 and all(m.status == "held" and m.minutes_published for m in meetings)
        remarks = select(func.count(Contribution.id)).where(Contribution.space_kind == SpaceKind.MEETING)
        assert db.session.scalar(remarks) >= 22

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == counts

    assert login(client, "admin@demo.cocrea.cl", "demo-admin-2016").status_code == 302
    assert client.get("/admin/").status_code == 200


def _workshop_counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            User,
            Workshop,
            WorkshopInvitation,
            Presentation,
            Board,
            Card,
            Cluster,
            VotingRound,
            Vote,
            Attendee,
            Contribution,
        )
    }


def test_workshop_demo_is_complete_and_idempotent(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        workshops = db.session.scalars(select(Workshop).order_by(Workshop.starts_at)).all()
        codesign = [w for w in workshops if w.kind == WorkshopKind.CODESIGN.value]
        expert = [w for w in workshops if w.kind == WorkshopKind.EXPERT.value]
        assert (len(codesign), len(expert)) == (3, 3)
        for workshop in workshops:
            assert sheets.named_count(workshop) > 0, workshop.title
            assert workshop.status == "held" and workshop.headcount >= sheets.named_count(workshop)
            assert any(i.role == "facilitator" for i in workshop_services.invitations(workshop))
        for workshop in expert:
            assert len(workshop_services.presentations(workshop)) >= 2, workshop.title
            (board,) = board_services.boards_of(workshop)
            assert 10 <= len(db.session.scalars(board_services.cards_query(board)).all()) <= 20
            sheet = sheets.sheet_attendees(workshop)
            assert any(a.user_id is None and a.profile == "expert" for a in sheet), "an expert walk-in"
        assert [len(board_services.boards_of(w)) for w in codesign] == [2, 1, 1]
        for workshop in codesign:
            sheet = sheets.sheet_attendees(workshop)
            assert any(a.user_id for a in sheet) and any(a.user_id is None for a in sheet)
            assert {a.consent for a in sheet if a.user_id} == {True, False}
            for board in board_services.boards_of(workshop):
                cards = db.session.scalars(board_services.cards_query(board)).all()
                assert 25 <= len(cards) <= 40, board.title
                assert {c.column_id for c in cards} == {c.id for c in board_services.columns(board)}
                assert len(board_services.clusters(board)) >= 2
                assert sum(1 for c in cards if c.cluster_id) >= 4
                assert any(c.contribution.attendee_id for c in cards), "cards written down for walk-ins"
                voting = board_services.current_round(board)
                assert voting is not None and not voting.is_open
                assert (voting.dots_per_participant, voting.max_per_card) == (3, 1)
                assert board_services.voters(voting) > 0 and sum(c.dots for c in cards) > 0
                assert board.is_open == (workshop is codesign[-1]), board.title
        # Every demo contribution (posts, remarks, cards) belongs to the demo's one process,
        # and each kind's registered place agrees.
        (process_id,) = db.session.scalars(select(Process.id)).all()
        contributions = db.session.scalars(select(Contribution)).all()
        assert {c.process_id for c in contributions} == {process_id}
        assert {c.space_kind for c in contributions} == {"thread", "meeting", "board", "round"}
        places = spaces.places_of(contributions)
        assert len(places) == len(contributions) and {p.process_id for p in places.values()} == {process_id}
        counts = _workshop_counts()

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert _workshop_counts() == counts


def _consultation_counts():
    from consultations.rounds.models import Comment, CommentRound, RoundMember
    from consultations.versions.models import ConsultationModel, Section, Version

    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (ConsultationModel, Version, Section, CommentRound, RoundMember, Comment)
    }


def test_consultation_demo_follows_the_seed_and_is_idempotent(app, runner, client):
    """The model draft after draft: v0.1 with the committee's and experts' rounds, v0.2
    with a public and a staff round, v1.0 published in June 2018, and an open round to try;
    every comment of the demo file is there, and loading again adds nothing."""
    import json
    from datetime import date

    from consultations.demo import DATA
    from consultations.rounds.models import Audience, Comment, CommentRound, RoundMember
    from consultations.versions.models import ConsultationModel, Version

    assert runner.invoke(args=["demo"]).exit_code == 0
    expected = json.loads((DATA / "comments.json").read_text(encoding="utf-8"))
    with app.app_context():
        (model,) = db.session.scalars(select(ConsultationModel)).all()
        versions = db.session.scalars(select(Version).where(Version.model_id == model.id).order_by(Version.id)).all()
        assert [(v.label, v.status, v.published_at.date()) for v in versions] == [
            ("v0.1", "superseded", date(2017, 3, 20)),
            ("v0.2", "superseded", date(2017, 9, 15)),
            ("v1.0", "published", date(2018, 6, 29)),
        ]
        assert versions[1].based_on_id == versions[0].id and versions[2].based_on_id == versions[1].id
        rounds = db.session.scalars(select(CommentRound).order_by(CommentRound.id)).all()
        assert [(r.version_id, r.audience) for r in rounds] == [
            (versions[0].id, Audience.COMMITTEE.value),
            (versions[0].id, Audience.EXPERTS.value),
            (versions[1].id, Audience.PUBLIC.value),
            (versions[1].id, Audience.STAFF.value),
            (versions[2].id, Audience.PUBLIC.value),
        ]
        assert [r.status.value for r in rounds] == ["closed", "closed", "closed", "closed", "open"]
        committee = rounds[0]
        members = db.session.scalars(select(RoundMember.user_id).where(RoundMember.round_id == committee.id)).all()
        assert len(members) == 6
        for round_, source in zip(rounds[:4], ("committee", "experts", "public", "staff"), strict=True):
            comments = db.session.scalars(select(Comment).where(Comment.round_id == round_.id)).all()
            assert len(comments) == len(expected[source]), source
            contributions = db.session.scalars(
                select(Contribution).where(Contribution.id.in_([c.contribution_id for c in comments]))
            ).all()
            # Said while the round was open, by accounts of its audience.
            assert all(round_.opens_at <= c.created_at < round_.closes_at for c in contributions), source
            assert all(c.author_id for c in contributions), source
            written = [c for c in contributions if c.channel == "written"]
            assert len(written) == sum(1 for item in expected[source] if item.get("channel") == "written")
        committee_authors = db.session.scalars(
            select(Contribution.author_id)
            .join(Comment, Comment.contribution_id == Contribution.id)
            .where(Comment.round_id == committee.id)
        ).all()
        assert set(committee_authors) <= set(members) and len(set(committee_authors)) == 6
        # Entered on the members' behalf when sent in writing.
        assert db.session.scalar(
            select(func.count(Comment.id)).where(Comment.round_id == committee.id, Comment.entered_by_id.is_not(None))
        ) == sum(1 for item in expected["committee"] if item.get("channel") == "written")
        counts = _consultation_counts()
    # The introduction says the texts are illustrative.
    page = client.get(f"/consultations/versions/{versions[0].id}/sections/introduccion").get_data(as_text=True)
    assert "no es la redacción oficial del Consejo para la Transparencia" in page
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert _consultation_counts() == counts


def test_demo_closes_the_loop(app, runner, client):
    """The demo codes contributions of every kind, explains every change of v0.2 and v1.0,
    double-codes a sample, makes clusters themes, and the demo citizen sees one contribution
    taken into a change and one not taken, with its reason."""
    from consultations.coding import agreement
    from consultations.coding.models import Coding, CodingSample, Theme
    from consultations.revisions import services as revisions
    from consultations.revisions.models import Change
    from consultations.versions.models import Version

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        kinds = set(
            db.session.scalars(
                select(Contribution.space_kind).join(Coding, Coding.contribution_id == Contribution.id).distinct()
            )
        )
        assert kinds == {"thread", "meeting", "board", "round"}
        assert db.session.scalar(select(func.count(Theme.id)).where(Theme.cluster_id.is_not(None))) == 2
        for label in ("v0.2", "v1.0"):
            version = db.session.scalar(select(Version).where(Version.label == label))
            assert revisions.changed_keys(version) and not revisions.unexplained(version), label
            changes = db.session.scalars(select(Change).where(Change.version_id == version.id)).all()
            assert len(changes) >= 10
        (sample,) = db.session.scalars(select(CodingSample)).all()
        report = agreement.report(sample)
        assert report.units == 20 and report.alpha is not None and 0 < report.alpha < 1
        assert report.disagreements
    login(client, "vecina@demo.cocrea.cl", "demo-vecina-2016")
    page = client.get("/consultations/mine", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Taken into v1.0 · change 3" in page
    assert "Not taken" in page and "lo deja al plan de acción local de cada municipio" in page
    notifications = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "of your contributions was taken into v1.0." in notifications


def test_the_seeds_table_is_computed_from_the_demo(app, runner, client):
    """6 citizen forums with 133 distinct citizens, 5 staff forums with 116 distinct
    officials, 3 co-design and 3 expert workshops, the committee's round, 7 municipalities,
    2 civil-society organisations and the coordinator: counted, not typed."""
    from consultations.tallies import services as tallies

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        (process_id,) = db.session.scalars(select(Process.id)).all()
        seed = tallies.seed_table(process_id)
    assert (seed.citizen_forums, seed.citizens, seed.staff_forums, seed.officials) == (6, 133, 5, 116)
    assert (seed.codesign_workshops, seed.expert_workshops, seed.committee_rounds) == (3, 3, 1)
    assert (seed.municipalities, seed.organisations, seed.coordinators) == (7, 2, 1)
    page = client.get(f"/consultations/processes/{process_id}/summary", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    table = text[text.index('<table class="seed-table">') :]
    assert "<td>6</td><td>133" in table and "<td>5</td><td>116" in table
    assert text.index("seed-table") < text.index("breakdown-heading"), "the seed's table comes first"
