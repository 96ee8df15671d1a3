"""``flask demo`` loads the seed's places, process and one account per role, idempotently."""

from sqlalchemy import func, select

from accounts.models import Municipality, Organisation, Process, RequestStatus, StaffRequest, User
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from forums.meetings import REMARK_SPACE, Attendee, Meeting
from forums.models import Forum, Post, Thread
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
        assert (
            db.session.scalar(select(func.count(Contribution.id)).where(Contribution.space_kind == REMARK_SPACE)) >= 22
        )

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == counts

    assert login(client, "admin@demo.cocrea.cl", "demo-admin-2016").status_code == 302
    assert client.get("/admin/").status_code == 200
