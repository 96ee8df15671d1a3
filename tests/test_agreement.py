"""Double coding: samples, blind coding, the agreement report against figures computed by
hand, and reconciling disagreements into the final coding."""

import math
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from accounts.models import User
from consultations.coding import agreement
from consultations.coding import services as coding
from consultations.coding.models import Coding, CodingSample, SampleCoding
from consultations.common import ConsultationError
from core.audit import AuditEntry
from core.extensions import db
from core.roles import Role
from tests.conftest import login

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, factory, personas, places):
    """A process with four forum posts, two themes (A, B), and two facilitators."""
    process = factory.process()
    forum = factory.forum("citizen", places["home"], process)
    factory.thread(forum, personas["citizen"].id, posts=4)
    second = factory.user(Role.FACILITATOR, organisation_id=places["cplt"])
    with app.app_context():
        from core.models import Contribution

        posts = db.session.scalars(
            select(Contribution.id).where(Contribution.process_id == process).order_by(Contribution.id)
        ).all()
        a = coding.create_theme(process, "A", "Tema A").id
        b = coding.create_theme(process, "B", "Tema B").id
        db.session.commit()
    return {
        "process": process,
        "posts": posts,
        "a": a,
        "b": b,
        "coders": [personas["facilitator"].id, second.id],
        "second": second,
    }


def _sample(app, world, coders=None) -> int:
    with app.app_context():
        users = [db.session.get(User, i) for i in (coders or world["coders"])]
        sample = agreement.create_sample(world["process"], "Muestra", users, world["posts"], None)
        db.session.commit()
        return sample.id


def _code(app, sample_id, coder_id, choices):
    """``choices``: one list of theme ids per post (``None``: the coder skips it)."""
    with app.app_context():
        sample = db.session.get(CodingSample, sample_id)
        coder = db.session.get(User, coder_id)
        for contribution_id, themes in zip(agreement.items_of(sample), choices, strict=True):
            if themes is not None:
                agreement.code_item(sample, contribution_id.contribution_id, coder, themes)
        db.session.commit()


def test_report_matches_figures_computed_by_hand(app, world):
    """Two coders, four posts. Theme A: coder 1 gives [1, 1, 0, 0], coder 2 [1, 1, 0, 1].
    The coincidence matrix has o11 = 4, o00 = 2, o01 = o10 = 1 (n = 8, n0 = 3, n1 = 5), so
    D_o = 2/8, D_e = 2·3·5/(8·7) = 30/56 and alpha = 1 − (2/8)/(30/56) = 8/15. Theme B:
    coder 1 [0, 1, 0, 1], coder 2 [0, 0, 0, 0]: o00 = 4, o01 = o10 = 2 (n0 = 6, n1 = 2),
    D_o = 4/8, D_e = 24/56, alpha = 1 − 7/6 = −1/6. Pooled, the eight (post, theme) units
    give o11 = 4, o00 = 6, o01 = o10 = 3 (n = 16, n0 = 9, n1 = 7): D_o = 6/16,
    D_e = 126/240, alpha = 2/7."""
    a, b = world["a"], world["b"]
    sample = _sample(app, world)
    _code(app, sample, world["coders"][0], [[a], [a, b], [], [b]])
    _code(app, sample, world["coders"][1], [[a], [a], [], [a]])
    with app.app_context():
        report = agreement.report(db.session.get(CodingSample, sample))
    assert report.units == 4
    by_code = {t.theme.code: t for t in report.themes}
    assert math.isclose(by_code["A"].alpha, 8 / 15, abs_tol=1e-9)
    assert math.isclose(by_code["B"].alpha, -1 / 6, abs_tol=1e-9)
    assert math.isclose(report.alpha, 2 / 7, abs_tol=1e-9)
    assert by_code["A"].percent == 0.75 and by_code["B"].percent == 0.5
    assert report.percent == 0.5
    posts = world["posts"]
    assert [(d.contribution_id, d.by_coder) for d in report.disagreements] == [
        (posts[1], {world["coders"][0]: {a, b}, world["coders"][1]: {a}}),
        (posts[3], {world["coders"][0]: {b}, world["coders"][1]: {a}}),
    ]


def test_missing_codings_and_a_third_coder(app, world, personas):
    """Three coders; the third skips two posts. A post two coders coded is in the report;
    a post only one coded is not. Theme A: units 1–3 (post 4 has one coder). Values:
    post 1 (1, 1, 1), post 2 (1, 1), post 3 (0, 0, 1). Pairs within a unit weigh
    1/(m − 1): post 1 gives o11 = 3·2/2 = 3, post 2 o11 = 2, post 3 o00 = 1, o01 = o10 = 1.
    n = 8, n1 = 3 + 2 + 1 = 6, n0 = 2: D_o = 2/8, D_e = 2·6·2/(8·7) = 24/56, alpha = 5/12."""
    a = world["a"]
    third = personas["admin"].id
    sample = _sample(app, world, [*world["coders"], third])
    _code(app, sample, world["coders"][0], [[a], [a], [], None])
    _code(app, sample, world["coders"][1], [[a], [a], [], None])
    _code(app, sample, third, [[a], None, [a], [a]])
    with app.app_context():
        report = agreement.report(db.session.get(CodingSample, sample))
    assert report.units == 3
    (theme_a,) = report.themes
    assert math.isclose(theme_a.alpha, 5 / 12, abs_tol=1e-9)
    assert math.isclose(theme_a.percent, 2 / 3)
    assert [d.contribution_id for d in report.disagreements] == [world["posts"][2]]


def test_alpha_is_undefined_when_every_coder_always_chose_the_same(app, world):
    a = world["a"]
    sample = _sample(app, world)
    for coder in world["coders"]:
        _code(app, sample, coder, [[a], [a], [a], [a]])
    with app.app_context():
        report = agreement.report(db.session.get(CodingSample, sample))
    assert report.units == 4 and report.alpha is None and report.percent == 1.0
    assert report.themes[0].alpha is None and report.themes[0].percent == 1.0 and not report.disagreements


def test_a_post_fewer_than_two_coders_coded_is_not_in_the_report(app, world):
    sample = _sample(app, world)
    _code(app, sample, world["coders"][0], [[world["a"]], None, None, None])
    with app.app_context():
        report = agreement.report(db.session.get(CodingSample, sample))
    assert report.units == 0 and report.alpha is None and report.percent is None and report.themes == []


def test_sample_rules(app, world, personas):
    with app.app_context(), force_locale("en"):
        facilitator = db.session.get(User, world["coders"][0])
        citizen = db.session.get(User, personas["citizen"].id)
        with pytest.raises(ConsultationError, match="at least two coders"):
            agreement.create_sample(world["process"], "M", [facilitator, facilitator], world["posts"], None)
        with pytest.raises(ConsultationError, match="facilitators or administrators"):
            agreement.create_sample(world["process"], "M", [facilitator, citizen], world["posts"], None)
        with pytest.raises(ConsultationError, match="no contributions"):
            agreement.create_sample(
                world["process"], "M", [facilitator, db.session.get(User, world["coders"][1])], [999999], None
            )
        sample = agreement.create_sample(
            world["process"], "M", [facilitator, db.session.get(User, world["coders"][1])], world["posts"], None
        )
        with pytest.raises(ConsultationError, match="not one of this sample's coders"):
            agreement.code_item(sample, world["posts"][0], db.session.get(User, personas["admin"].id), [])
        with pytest.raises(ConsultationError, match="not in the sample"):
            agreement.code_item(sample, 999999, facilitator, [])
        db.session.rollback()


def test_coding_is_blind_and_reconciling_sets_the_final_coding(app, client, world, personas):
    a, b = world["a"], world["b"]
    sample = _sample(app, world)
    _code(app, sample, world["coders"][1], [[b], [b], [b], [b]])
    login(client, personas["facilitator"])
    first = world["posts"][0]
    page = client.get(f"/consultations/samples/{sample}?item={first}").get_data(as_text=True)
    # The other coder chose B everywhere; the first coder's form has nothing ticked.
    assert re.search(rf'value="{b}"\s+checked', page) is None and re.search(rf'value="{a}"\s+checked', page) is None
    saved = client.post(f"/consultations/samples/{sample}/items/{first}", data={"theme": [str(a)], "next": "/"})
    assert saved.status_code == 302
    page = client.get(f"/consultations/samples/{sample}?item={first}").get_data(as_text=True)
    assert re.search(rf'value="{a}"\s+checked', page) and not re.search(rf'value="{b}"\s+checked', page)
    # The administrator runs the process but is not a coder of this sample.
    client.post("/logout")
    login(client, personas["admin"])
    assert client.post(f"/consultations/samples/{sample}/items/{first}", data={"theme": [str(a)]}).status_code == 403
    report = client.get(f"/consultations/samples/{sample}/report", headers=EN).get_data(as_text=True)
    assert "1 disagreement" in report
    settled = client.post(f"/consultations/samples/{sample}/items/{first}/reconcile", data={"theme": [str(a), str(b)]})
    assert settled.status_code == 302
    with app.app_context():
        final = set(db.session.scalars(select(Coding.theme_id).where(Coding.contribution_id == first)))
        assert final == {a, b}
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "coding.reconciled")) == 1
    assert "settled" in client.get(f"/consultations/samples/{sample}/report", headers=EN).get_data(as_text=True)


def test_merging_themes_moves_the_sample_codings(app, world):
    a, b = world["a"], world["b"]
    sample = _sample(app, world)
    _code(app, sample, world["coders"][0], [[a, b], [b], [], []])
    with app.app_context():
        from consultations.coding.models import Theme

        coding.merge(db.session.get(Theme, b), db.session.get(Theme, a), None)
        db.session.commit()
        rows = db.session.execute(
            select(SampleCoding.contribution_id, SampleCoding.theme_id).order_by(SampleCoding.contribution_id)
        ).all()
    assert rows == [(world["posts"][0], a), (world["posts"][1], a)]


def test_drawing_a_sample_over_http(app, client, world, personas):
    login(client, personas["facilitator"])
    url = f"/consultations/processes/{world['process']}/samples"
    refused = client.post(
        url, data={"title": "M", "coders": [str(world["coders"][0])], "size": "3", "kind": ""}, headers=EN
    )
    assert refused.status_code == 422 and "at least two coders" in refused.get_data(as_text=True)
    drawn = client.post(
        url, data={"title": "M", "coders": [str(c) for c in world["coders"]], "size": "3", "kind": "thread"}
    )
    assert drawn.status_code == 302
    with app.app_context():
        sample = db.session.scalar(select(CodingSample))
        items = [i.contribution_id for i in agreement.items_of(sample)]
    assert len(items) == 3 and set(items) <= set(world["posts"])
