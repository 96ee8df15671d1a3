"""The model under revision: section keys, drafts and publishing, the matrix, import and
export (and the CLI), diffs between versions, the pages and their query counts."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from lxml import html as lxml_html
from sqlalchemy import func, select

from accounts.models import User
from consultations.common import ConsultationError
from consultations.revisions import services as revisions
from consultations.versions import diff as diffs
from consultations.versions import keys, transfer
from consultations.versions import services as versions
from consultations.versions.models import ConsultationModel, Section, SectionKind, Version, VersionStatus
from core.audit import AuditEntry
from core.extensions import db
from core.models import utcnow
from core.notifications import Notification
from core.text import render_markdown
from tests.conftest import Factory, login

SECTIONS = Factory.SECTIONS
KEYS = [key for key, _title, _body in SECTIONS]
EN = {"Accept-Language": "en"}
DEMO = Path(__file__).resolve().parent.parent / "consultations" / "versions" / "demo"


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


def _keys_of(version_id: int) -> list[str]:
    return [s.key for s in versions.sections_of(db.session.get(Version, version_id))]


def _rows(app) -> dict[str, int]:
    """How many models, versions, sections and audit entries the database holds."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (ConsultationModel, Version, Section, AuditEntry)
        }


def _section(key: str, title: str, body: str) -> Section:
    """An unsaved section, rendered as the services render it."""
    return Section(
        key=key, kind=keys.parse(key).kind.value, title=title, body_source=body, body_html=render_markdown(body)
    )


def _explain(version) -> None:
    """An editorial change for whatever changed: publishing needs the revision record."""
    missing = revisions.unexplained(version)
    if missing:
        revisions.save_change(version, None, "Cambios editoriales", "", missing, editorial=True)


def _revise(app, version_id: int, label="v0.2", changes=None, publish=True) -> int:
    """A new version drafted from ``version_id`` with ``{key: new body}`` applied, then
    published (unless told otherwise); returns its id."""
    with app.app_context():
        based_on = db.session.get(Version, version_id)
        draft = versions.new_version(based_on.model, label, "Versión preliminar", "", None, based_on)
        for key, body in (changes or {}).items():
            section = versions.section_of(draft, key)
            versions.save_section(section, section.title, body)
        if publish:
            _explain(draft)
            versions.publish(draft, None)
        db.session.commit()
        return draft.id


# --- keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, kind, parent, dimension, number",
    [
        ("T", SectionKind.DIMENSION, None, "T", None),
        ("R", SectionKind.DIMENSION, None, "R", None),
        ("T.3", SectionKind.LEVEL, "T", "T", 3),
        ("P.5", SectionKind.LEVEL, "P", "P", 5),
        ("T.3.a", SectionKind.INDICATOR, "T.3", "T", 3),
        ("R.1.z", SectionKind.INDICATOR, "R.1", "R", 1),
        ("I", SectionKind.FACTOR, None, None, None),
        ("I.2", SectionKind.ASPECT, "I", None, 2),
        ("introduccion", SectionKind.FREE, None, None, None),
        ("anexo-2", SectionKind.FREE, None, None, None),
        ("a" * keys.KEY_MAX, SectionKind.FREE, None, None, None),
    ],
)
def test_keys_parse_kinds(key, kind, parent, dimension, number):
    parsed = keys.parse(key)
    assert (parsed.key, parsed.kind, parsed.parent, parsed.dimension, parsed.number) == (
        key,
        kind,
        parent,
        dimension,
        number,
    )


@pytest.mark.parametrize(
    "key, message",
    [
        ("T.9", '"T.9" is not a level of T (1 to 5).'),
        ("T.0", '"T.0" is not a level of T (1 to 5).'),
        ("T.6.a", '"T.6.a" is not a level of T (1 to 5).'),
        ("I.4", '"I.4" is not an aspect of I (1 to 3).'),
        ("I.0", '"I.0" is not an aspect of I (1 to 3).'),
        ("I.1.a", '"I.1.a": the aspects of I have no indicators.'),
        ("t.3", '"t.3" is not a section key: use a dimension (T)'),
        ("T.3.A", '"T.3.A" is not a section key'),
        ("T.3.ab", '"T.3.ab" is not a section key'),
        ("TP", '"TP" is not a section key'),
        ("Introduccion", '"Introduccion" is not a section key'),
        ("T.03", '"T.03" is not a section key'),  # one key per level: T.3 only
        ("T.03.a", '"T.03.a" is not a section key'),
        ("I.01", '"I.01" is not a section key'),
        ("T.\u0663", '"T.\u0663" is not a section key'),  # an Arabic-Indic 3 is not a 3
        ("T. 3", '"T. 3" is not a section key'),
        ("3-anexo", '"3-anexo" is not a section key'),
        ("", "A section needs a key."),
        (None, "A section needs a key."),
        ("a" * (keys.KEY_MAX + 1), "A key has at most 40 characters."),
    ],
)
def test_keys_refuse_with_a_clear_message(en, key, message):
    with pytest.raises(keys.BadKey) as refused:
        keys.parse(key)
    assert str(refused.value).startswith(message)


def test_missing_parent_names_the_parent(en):
    assert keys.missing_parent(keys.parse("T.3.a"), {"T", "T.3"}) is None
    assert keys.missing_parent(keys.parse("T.3.a"), {"T"}) == '"T.3.a" needs the section "T.3" first.'
    assert keys.missing_parent(keys.parse("T.3"), {"P"}) == '"T.3" needs the section "T" first.'
    assert keys.missing_parent(keys.parse("I.2"), set()) == '"I.2" needs the section "I" first.'
    for free_standing in ("T", "I", "glosario"):
        assert keys.missing_parent(keys.parse(free_standing), set()) is None


def test_sort_key_reads_naturally():
    assert sorted(["T.10", "T.2.b", "T", "T.2", "T.2.a", "T.1"], key=keys.sort_key) == [
        "T",
        "T.1",
        "T.2",
        "T.2.a",
        "T.2.b",
        "T.10",
    ]


# --- services: drafts ---------------------------------------------------------------


def test_new_version_is_a_full_and_independent_copy(app, factory, personas):
    v1 = factory.version()
    other_model_version = factory.version()
    with app.app_context():
        original = db.session.get(Version, v1)
        draft = versions.new_version(
            original.model, "v0.2", "Versión preliminar", "Con **cambios**.", personas["facilitator"], original
        )
        db.session.commit()
        assert (draft.status, draft.based_on_id, draft.created_by_id) == (
            VersionStatus.DRAFT.value,
            v1,
            personas["facilitator"].id,
        )
        assert draft.summary_html == "<p>Con <strong>cambios</strong>.</p>"

        def shape(version):
            return [
                (s.key, s.kind, s.title, s.body_source, s.body_html, s.position) for s in versions.sections_of(version)
            ]

        assert shape(draft) == shape(original)
        assert [key for key, *_rest in shape(draft)] == KEYS
        assert not {s.id for s in versions.sections_of(draft)} & {s.id for s in versions.sections_of(original)}
        versions.save_section(versions.section_of(draft, "T.3"), "Nivel 3 revisado", "Actas en **diez días**.")
        db.session.commit()
        draft_id = draft.id
    with app.app_context():
        kept = versions.section_of(db.session.get(Version, v1), "T.3")
        assert (kept.title, kept.body_source) == ("Nivel 3", "Publica las actas oportunamente.")
        changed = versions.section_of(db.session.get(Version, draft_id), "T.3")
        assert (changed.title, changed.body_html) == ("Nivel 3 revisado", "<p>Actas en <strong>diez días</strong>.</p>")
        with pytest.raises(ConsultationError, match="mismo modelo"):
            versions.new_version(
                db.session.get(Version, v1).model, "v9", "Otro", "", None, db.session.get(Version, other_model_version)
            )


def test_an_empty_draft_starts_without_sections(app, factory):
    v1 = factory.version()
    with app.app_context():
        model = db.session.get(Version, v1).model
        draft = versions.new_version(model, "v2", "Nuevo", "", None)
        assert draft.based_on_id is None and versions.sections_of(draft) == []


EDITS = {
    "update_version": lambda v: versions.update_version(v, "v0.9", "Otro título", ""),
    "add_section": lambda v: versions.add_section(v, "R", "Rendición de cuentas", ""),
    "save_section": lambda v: versions.save_section(versions.section_of(v, "T.3"), "Otro", "Otro texto"),
    "delete_section": lambda v: versions.delete_section(v, versions.section_of(v, "introduccion")),
    "move_section": lambda v: versions.move_section(v, versions.section_of(v, "P"), -1),
    "publish": lambda v: versions.publish(v, None),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_published_version_is_never_edited(app, en, factory, edit):
    v1 = factory.version()
    version = db.session.get(Version, v1)
    with pytest.raises(ConsultationError) as refused:
        EDITS[edit](version)
    assert "never edited again" in str(refused.value)
    db.session.rollback()
    version = db.session.get(Version, v1)
    assert (version.label, version.title, version.status) == ("v0.1", "Borrador", VersionStatus.PUBLISHED.value)
    assert _keys_of(v1) == KEYS
    assert versions.section_of(version, "T.3").body_source == "Publica las actas oportunamente."


@pytest.mark.parametrize(
    "key, title, body, message",
    [
        ("T.9", "Nivel 9", "", '"T.9" is not a level of T (1 to 5).'),
        ("I.4", "Aspecto", "", '"I.4" is not an aspect of I (1 to 3).'),
        ("T.3", "Otra vez", "", 'This version already has a section "T.3".'),
        (" T.3 ", "Otra vez", "", 'This version already has a section "T.3".'),
        ("R.1", "Nivel 1", "", '"R.1" needs the section "R" first.'),
        ("T.4.a", "Indicador", "", '"T.4.a" needs the section "T.4" first.'),
        ("I.3.a", "Indicador", "", "the aspects of I have no indicators"),
        ("", "Sin clave", "", "A section needs a key."),
        ("R", "  ", "", "Give it a title."),
        ("R", "x" * 201, "", "At most 200 characters."),
        ("R", "Rendición", "x" * 20_001, "The text is too long: at most 20000 characters."),
    ],
)
def test_add_section_checks_everything(app, en, factory, key, title, body, message):
    draft = factory.version(published=False)
    with pytest.raises(ConsultationError) as refused:
        versions.add_section(db.session.get(Version, draft), key, title, body)
    assert message in str(refused.value)
    db.session.rollback()
    assert _keys_of(draft) == KEYS


def test_a_removed_key_is_retired_but_the_based_on_keys_come_back(app, en, factory):
    v1 = factory.version()
    draft2 = factory.version(model_id=None, published=False)  # another model: its keys do not count
    assert _keys_of(draft2) == KEYS
    v2 = _revise(app, v1, publish=False)
    version2 = db.session.get(Version, v2)
    # A key of the based-on version removed in the draft can be added back.
    versions.delete_section(version2, versions.section_of(version2, "T.3.a"))
    versions.add_section(version2, "T.3.a", "Actas publicadas", "De nuevo.")
    versions.delete_section(version2, versions.section_of(version2, "T.3.a"))
    _explain(version2)
    versions.publish(version2, None)
    db.session.commit()
    v3 = _revise(app, v2, label="v0.3", publish=False)
    version3 = db.session.get(Version, v3)
    with pytest.raises(ConsultationError) as refused:
        versions.add_section(version3, "T.3.a", "Otra cosa", "Otro texto.")
    assert str(refused.value) == (
        '"T.3.a" was used in an earlier version for another text: a key keeps its meaning, choose a new one.'
    )
    assert versions.retired_keys(version3) == {"T.3.a"}
    # A new key is free, and so is a key of v0.2 that this draft removed.
    versions.add_section(version3, "T.3.b", "Actas en plazo", "Nuevo indicador.")
    versions.delete_section(version3, versions.section_of(version3, "T.2"))
    versions.add_section(version3, "T.2", "Nivel 2", "Publica a tiempo.")
    db.session.commit()
    assert "T.3.a" not in _keys_of(v3) and {"T.3.b", "T.2"} <= set(_keys_of(v3))
    # An empty draft (based on nothing) may take none of the model's keys.
    empty = versions.new_version(version3.model, "v9", "Desde cero", "", None)
    assert versions.retired_keys(empty) >= set(KEYS)
    with pytest.raises(ConsultationError, match="a key keeps its meaning"):
        versions.add_section(empty, "T", "Transparencia", "")


def test_keys_tried_only_in_a_draft_retire_nothing(app, en, factory):
    """A key removed from a draft that was never published binds no other draft: only
    published versions give keys their meaning."""
    v1 = factory.version()
    first = db.session.get(Version, _revise(app, v1, publish=False))
    versions.add_section(first, "T.4", "Nivel 4", "Probado y abandonado.")
    db.session.commit()
    second = db.session.get(Version, _revise(app, v1, label="v0.3", publish=False))
    assert "T.4" not in versions.retired_keys(second)
    versions.add_section(second, "T.4", "Nivel 4", "Otro texto.")
    db.session.commit()
    assert "T.4" in _keys_of(second.id)


def test_an_added_section_goes_after_its_family(app, en, factory):
    draft = factory.version(published=False)
    version = db.session.get(Version, draft)
    for key in ("T.3.b", "T.4", "R", "I.2", "glosario", "T.1.a", "R.1"):
        versions.add_section(version, key, f"Sección {key}", "")
    db.session.commit()
    assert _keys_of(draft) == [
        "introduccion",
        "T",
        "T.1",
        "T.1.a",
        "T.2",
        "T.3",
        "T.3.a",
        "T.3.b",
        "T.4",
        "P",
        "P.1",
        "I",
        "I.1",
        "I.2",
        "R",
        "R.1",
        "glosario",
    ]
    positions = [s.position for s in versions.sections_of(version)]
    assert positions == sorted(set(positions)), "no two sections share a place"
    added = versions.section_of(version, "T.3.b")
    assert (added.kind, added.title) == (SectionKind.INDICATOR.value, "Sección T.3.b")


def test_delete_refuses_a_section_with_sections_inside(app, en, factory):
    draft = factory.version(published=False)
    version = db.session.get(Version, draft)
    for key, message in [
        ("T.3", 'Remove the sections inside "T.3" first (1 left).'),
        ("T", 'Remove the sections inside "T" first (4 left).'),
        ("I", 'Remove the sections inside "I" first (1 left).'),
    ]:
        with pytest.raises(ConsultationError) as refused:
            versions.delete_section(version, versions.section_of(version, key))
        assert str(refused.value) == message
    assert _keys_of(draft) == KEYS
    for key in ("T.3.a", "T.3", "introduccion", "P.1", "P"):
        versions.delete_section(version, versions.section_of(version, key))
    db.session.commit()
    assert _keys_of(draft) == ["T", "T.1", "T.2", "I", "I.1"]


def test_move_section_up_and_down(app, factory):
    draft = factory.version(published=False)
    with app.app_context():
        version = db.session.get(Version, draft)
        assert versions.move_section(version, versions.section_of(version, "T.2"), -1) is True
        assert versions.move_section(version, versions.section_of(version, "T"), 1) is True
        assert versions.move_section(version, versions.section_of(version, "introduccion"), -1) is False
        assert versions.move_section(version, versions.section_of(version, "I.1"), 1) is False
        db.session.commit()
    with app.app_context():
        assert _keys_of(draft) == ["introduccion", "T.2", "T", "T.1", "T.3", "T.3.a", "P", "P.1", "I", "I.1"]
        assert [s.position for s in versions.sections_of(db.session.get(Version, draft))] == list(range(len(KEYS)))


def test_publish_supersedes_the_current_version_and_is_audited(app, en, factory, personas):
    v1 = factory.version()
    v2 = _revise(app, v1, publish=False)
    actor = db.session.get(User, personas["facilitator"].id)
    draft = db.session.get(Version, v2)
    assert versions.current_version(draft.model).id == v1
    assert [v.id for v in versions.versions_of(draft.model, drafts=False)] == [v1]
    assert [v.id for v in versions.versions_of(draft.model, drafts=True)] == [v2, v1]
    sections, history = versions.sections_and_history(db.session.get(Version, v1), "T.3")
    assert [v.id for v, _s in history] == [v1], "no drafts"
    assert {s.version_id for s in sections} == {v1} and "T.3" in [s.key for s in sections]
    assert [v.id for v, _s in versions.sections_and_history(draft, "T.3")[1]] == [v1, v2]
    replaced = versions.publish(draft, actor)
    db.session.commit()
    assert [v.id for v in replaced] == [v1]
    old, new = db.session.get(Version, v1), db.session.get(Version, v2)
    assert (old.status, new.status) == (VersionStatus.SUPERSEDED.value, VersionStatus.PUBLISHED.value)
    assert new.published_at is not None and new.published_at >= old.published_at
    assert versions.current_version(new.model).id == v2
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "version.published").order_by(AuditEntry.id.desc())
    )
    assert entry.actor_id == personas["facilitator"].id
    assert json.loads(entry.detail_json) == {"label": "v0.2", "version": v2}


def test_an_empty_version_cannot_be_published(app, en, factory):
    v1 = factory.version()
    empty = versions.new_version(db.session.get(Version, v1).model, "v0.2", "Vacía", "", None)
    with pytest.raises(ConsultationError, match="A version without sections cannot be published."):
        versions.publish(empty, None)
    assert empty.status == VersionStatus.DRAFT.value and empty.published_at is None
    assert db.session.get(Version, v1).status == VersionStatus.PUBLISHED.value


@pytest.mark.parametrize(
    "label, message",
    [
        ("", "Give the version a label, such as v0.2."),
        ("   ", "Give the version a label, such as v0.2."),
        (None, "Give the version a label, such as v0.2."),
        ("v 0.2", "A label has at most 20 letters, digits, dots or hyphens"),
        ("-v1", "A label has at most 20 letters, digits, dots or hyphens"),
        ("versión", "A label has at most 20 letters, digits, dots or hyphens"),
        ("v" * 21, "A label has at most 20 letters, digits, dots or hyphens"),
        ("v0.1", "This model already has a version v0.1."),
    ],
)
def test_labels_are_short_well_formed_and_unique_per_model(app, en, factory, label, message):
    v1 = factory.version()
    model = db.session.get(Version, v1).model
    with pytest.raises(ConsultationError) as refused:
        versions.new_version(model, label, "Título", "", None)
    assert str(refused.value).startswith(message)
    assert db.session.scalar(select(func.count(Version.id))) == 1


def test_labels_accepted_and_renamed(app, en, factory):
    v1 = factory.version()
    other = factory.version()  # another model: its v0.1 does not collide
    model = db.session.get(Version, v1).model
    assert versions.check_label(model, " v0.2-rc_1 ") == "v0.2-rc_1"
    assert versions.check_label(None, "v0.1") == "v0.1"
    assert versions.check_label(db.session.get(Version, other).model, "v" * 20) == "v" * 20
    draft = versions.new_version(model, " v0.2 ", "Versión", "", None, db.session.get(Version, v1))
    assert draft.label == "v0.2"
    versions.update_version(draft, "v0.2", "Versión preliminar", "Resumen *nuevo*.")
    assert (draft.title, draft.summary_html) == ("Versión preliminar", "<p>Resumen <em>nuevo</em>.</p>")
    with pytest.raises(ConsultationError, match="already has a version v0.1"):
        versions.update_version(draft, "v0.1", "Versión", "")
    with pytest.raises(ConsultationError, match="Give it a title."):
        versions.update_version(draft, "v0.3", " ", "")


# --- the matrix ---------------------------------------------------------------------


def test_matrix_lays_out_dimensions_levels_factor_and_free_sections(app, factory):
    v1 = factory.version()
    with app.app_context():
        matrix = versions.matrix(versions.sections_of(db.session.get(Version, v1)))
        assert [row.dimension.key for row in matrix.rows] == ["T", "P"]
        transparency, participation = matrix.rows
        assert [cell.number for cell in transparency.cells] == [1, 2, 3, 4, 5]
        assert [cell.section.key if cell.section else None for cell in transparency.cells] == [
            "T.1",
            "T.2",
            "T.3",
            None,
            None,
        ]
        assert [cell.indicators for cell in transparency.cells] == [0, 0, 1, 0, 0]
        assert [cell.section.key if cell.section else None for cell in participation.cells] == [
            "P.1",
            None,
            None,
            None,
            None,
        ]
        assert matrix.factor.key == "I" and [s.key for s in matrix.aspects] == ["I.1"]
        assert [s.key for s in matrix.free] == ["introduccion"]
        assert list(matrix.levels) == [1, 2, 3, 4, 5]


def test_matrix_counts_indicators_and_keeps_order():
    sections = [
        _section("preambulo", "Preámbulo", ""),
        _section("R", "Rendición", ""),
        _section("R.2", "Nivel 2", ""),
        _section("R.2.a", "a", ""),
        _section("R.2.b", "b", ""),
        _section("R.2.c", "c", ""),
        _section("R.5", "Nivel 5", ""),
        _section("R.5.a", "a", ""),
        _section("A", "Sin niveles", ""),
        _section("I.3", "Aspecto sin factor", ""),
        _section("glosario", "Glosario", ""),
    ]
    matrix = versions.matrix(sections)
    assert [row.dimension.key for row in matrix.rows] == ["R", "A"]
    assert [(c.section.key if c.section else None, c.indicators) for c in matrix.rows[0].cells] == [
        (None, 0),
        ("R.2", 3),
        (None, 0),
        (None, 0),
        ("R.5", 1),
    ]
    assert all(c.section is None and c.indicators == 0 for c in matrix.rows[1].cells)
    assert matrix.factor is None and [s.key for s in matrix.aspects] == ["I.3"]
    assert [s.key for s in matrix.free] == ["preambulo", "glosario"]
    assert [s.key for s in versions.children(sections, "R")] == ["R.2", "R.5"]
    assert [s.key for s in versions.children(sections, "R.2")] == ["R.2.a", "R.2.b", "R.2.c"]


# --- import and export --------------------------------------------------------------


def _export(runner, version_id) -> str:
    result = runner.invoke(args=["consultations", "export-model", str(version_id)])
    assert result.exit_code == 0, result.output
    return result.stdout


def _import(runner, path, process_id=None):
    args = ["consultations", "import-model", str(path)]
    if process_id is not None:
        args += ["--process", str(process_id)]
    return runner.invoke(args=args)


def test_export_command_writes_the_file_format(app, runner, factory, tmp_path):
    v1 = factory.version(title="Borrador")
    text = _export(runner, v1)
    data = json.loads(text)
    assert text == transfer.dumps(data) and text.endswith("}\n")
    assert (data["format"], data["format_version"]) == ("cocrea.model-version", 1)
    assert data["model"]["title"].startswith("Modelo ") and data["model"]["description"] == ""
    assert data["version"] == {
        "label": "v0.1",
        "title": "Borrador",
        "summary": "Resumen.",
        "status": "published",
        "published_on": utcnow().date().isoformat(),
        "based_on": None,
    }
    assert [(s["key"], s["title"], s["body"]) for s in data["sections"]] == [tuple(s) for s in SECTIONS]
    target = tmp_path / "out.json"
    result = runner.invoke(args=["consultations", "export-model", str(v1), "-o", str(target)])
    assert result.exit_code == 0 and target.read_text(encoding="utf-8") == text
    draft = factory.version(published=False)
    assert json.loads(_export(runner, draft))["version"]["status"] == "draft"
    assert json.loads(_export(runner, draft))["version"]["published_on"] is None
    missing = runner.invoke(args=["consultations", "export-model", "999999"])
    assert missing.exit_code == 2 and "No version has the id 999999" in missing.output


def test_export_import_export_gives_the_same_file(app, runner, factory, tmp_path):
    source, target = factory.process(), factory.process()
    v1 = factory.version(process_id=source)
    with app.app_context():
        model = db.session.get(Version, v1).model
        versions.update_model(model, model.title, "Un modelo **municipal**.\n\nCon dos párrafos.")
        db.session.commit()
    v2 = _revise(app, v1, changes={"T.3": "Publica las actas en un plazo de **diez días**."})
    draft = _revise(app, v2, label="v0.3-borrador", changes={"P.1": "Informa y consulta."}, publish=False)
    exported = {}
    for version_id in (v1, v2, draft):
        exported[version_id] = _export(runner, version_id)
        path = tmp_path / f"{version_id}.json"
        path.write_text(exported[version_id], encoding="utf-8")
        result = _import(runner, path, target)
        assert result.exit_code == 0, result.output
        assert "Imported" in result.stdout
    with app.app_context():
        copies = db.session.scalars(
            select(Version)
            .join(ConsultationModel, Version.model_id == ConsultationModel.id)
            .where(ConsultationModel.process_id == target)
            .order_by(Version.id)
        ).all()
        assert len({v.model_id for v in copies}) == 1, "one model, found again by its title"
        assert [v.status for v in copies] == ["superseded", "published", "draft"]
        ids = [v.id for v in copies]
    for original, copy in zip((v1, v2, draft), ids, strict=True):
        assert _export(runner, copy) == exported[original]
    assert json.loads(exported[v2])["version"]["based_on"] == "v0.1"


def test_import_publishes_on_the_files_date_and_keeps_kinds_and_order(app, runner, factory, tmp_path):
    process = factory.process()
    data = {
        "format": "cocrea.model-version",
        "format_version": 1,
        "model": {"title": "Modelo importado", "description": "Descripción."},
        "version": {
            "label": "v1",
            "title": "Primera",
            "summary": "",
            "status": "published",
            "published_on": "2017-03-20",
        },
        "sections": [
            {"key": "glosario", "title": "Glosario", "body": "Términos."},
            {"key": "T", "title": "Transparencia", "body": "Texto con <script>alert(1)</script>."},
            {"key": "T.1", "title": "Nivel 1", "body": ""},
            {"key": "I", "title": "Innovación"},
            {"key": "I.3", "title": "Aspecto", "body": "**Fuerte**"},
        ],
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = _import(runner, path, process)
    assert result.exit_code == 0, result.output
    assert "Imported v1 (published) of “Modelo importado” as version" in result.stdout
    with app.app_context():
        version = db.session.scalar(select(Version))
        assert version.published_at.date() == date(2017, 3, 20)
        assert version.model.process_id == process
        sections = versions.sections_of(version)
        assert [(s.key, s.kind, s.position) for s in sections] == [
            ("glosario", "free", 0),
            ("T", "dimension", 1),
            ("T.1", "level", 2),
            ("I", "factor", 3),
            ("I.3", "aspect", 4),
        ]
        assert "<script" not in sections[1].body_html and sections[4].body_html == "<p><strong>Fuerte</strong></p>"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.imported"))
        assert json.loads(entry.detail_json) == {"label": "v1", "version": version.id}


def test_import_reports_every_problem_and_writes_nothing(app, runner, factory, cli_en, tmp_path):
    process = factory.process()
    factory.version(process_id=process)  # something in the tables, so "nothing" means something
    data = {
        "format": "cocrea.model-version",
        "format_version": 1,
        "model": {"title": "Modelo nuevo"},
        "version": {
            "label": "v0.2",
            "title": "Versión",
            "status": "published",
            "published_on": "2017-13-45",
            "based_on": "v0.0",
        },
        "sections": [
            {"key": "T", "title": "Transparencia", "body": "Texto."},
            {"key": "T.9", "title": "Nivel 9", "body": ""},
            {"key": "T", "title": "Otra vez", "body": ""},
            {"key": "R.1", "title": "Sin dimensión", "body": ""},
            {"key": "T.1", "title": "  ", "body": ""},
            {"key": "T.2", "body": "Sin título."},
            {"key": 7, "title": "Clave numérica"},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = _rows(app)
    result = _import(runner, path, process)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "version.published_on: must be a date written YYYY-MM-DD.",
        'version.based_on: this model has no version "v0.0" to start from.',
        'sections[1].key: "T.9" is not a level of T (1 to 5).',
        'sections[2].key: "T" is already used by sections[0].',
        "sections[4].title: must not be empty.",
        "sections[5].title: must be a text.",
        "sections[6].key: must be a text.",
        'sections[3].key: "R.1" needs the section "R" first.',
        "8 problem(s): nothing was imported.",
    ]
    assert "Imported" not in result.stdout
    assert _rows(app) == before


def test_import_checks_the_file_against_the_existing_model(app, runner, factory, cli_en, tmp_path):
    process = factory.process()
    v1 = factory.version(process_id=process)
    with app.app_context():
        draft = db.session.get(Version, _revise(app, v1, publish=False))
        versions.delete_section(draft, versions.section_of(draft, "T.3.a"))
        _explain(draft)
        versions.publish(draft, None)
        model_title = draft.model.title
        db.session.commit()
    data = {
        "format": "cocrea.model-version",
        "format_version": 2,
        "model": {"title": model_title, "description": 5},
        "version": {"label": "v0.2", "title": "", "status": "superseded", "based_on": "v0.2"},
        "sections": [
            {"key": "T", "title": "Transparencia"},
            {"key": "T.3", "title": "Nivel 3"},
            {"key": "T.3.a", "title": "Vuelve", "body": ["no"]},
            {"key": "T.3.b", "title": "x" * 201},
            "T.4",
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = _rows(app)
    result = _import(runner, path, process)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "format_version: must be 1.",
        "model.description: must be a text.",
        "version.title: must not be empty.",
        "version.label: This model already has a version v0.2.",
        'version.status: must be "draft" or "published".',
        "sections[2].body: must be a text.",
        "sections[3].title: is too long: at most 200 characters.",
        "sections[4]: must be an object with a key, a title and a body.",
        'sections[2].key: "T.3.a" was used by an earlier version and is not in the version this one is based on: '
        "a key keeps its meaning.",
        "9 problem(s): nothing was imported.",
    ]
    assert _rows(app) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "This is not a JSON file: "),
        (b"\x80\x81 not utf-8", "This is not a JSON file: "),
        ("[1, 2]", "The file must hold one object with format, model, version and sections."),
        (
            json.dumps({"format": "cocrea.model-version", "format_version": 1, "model": None, "version": "v1"}),
            "model: must be an object with a title.",
        ),
    ],
)
def test_import_refuses_what_is_not_a_model_file(app, runner, factory, cli_en, tmp_path, text, message):
    process = factory.process()
    path = tmp_path / "file.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = _import(runner, path, process)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0].startswith(message)
    assert result.stderr.splitlines()[-1].endswith("problem(s): nothing was imported.")
    assert _rows(app)["model_versions"] == 0


def test_import_needs_a_known_process(app, runner, factory, tmp_path):
    path = tmp_path / "v0.1.json"
    path.write_bytes((DEMO / "v0.1.json").read_bytes())
    factory.process()
    factory.process()
    unknown = _import(runner, path, 999999)
    assert unknown.exit_code == 2 and "No process has the id 999999" in unknown.output
    ambiguous = _import(runner, path)
    assert ambiguous.exit_code == 2 and "There is not exactly one process" in ambiguous.output
    assert _rows(app)["model_versions"] == 0


def test_demo_files_import_in_order(app, runner, factory):
    process = factory.process()
    for label in ("v0.1", "v0.2", "v1.0"):
        result = _import(runner, DEMO / f"{label}.json")  # the only process: no --process needed
        assert result.exit_code == 0, result.output
    with app.app_context():
        model = db.session.scalar(select(ConsultationModel))
        assert (model.title, model.process_id) == ("Modelo de Gobierno Abierto Municipal", process)
        found = {v.label: v for v in db.session.scalars(select(Version))}
        assert sorted(found) == ["v0.1", "v0.2", "v1.0"]
        assert {label: (v.status, v.published_at.date().isoformat()) for label, v in found.items()} == {
            "v0.1": ("superseded", "2017-03-20"),
            "v0.2": ("superseded", "2017-09-15"),
            "v1.0": ("published", "2018-06-29"),
        }
        assert found["v0.2"].based_on_id == found["v0.1"].id and found["v1.0"].based_on_id == found["v0.2"].id
        assert versions.current_version(model).label == "v1.0"
        for label, v in found.items():
            data = json.loads((DEMO / f"{label}.json").read_text(encoding="utf-8"))
            assert _keys_of(v.id) == [s["key"] for s in data["sections"]]
        matrix = versions.matrix(versions.sections_of(found["v1.0"]))
        assert [row.dimension.key for row in matrix.rows] == ["T", "P", "R"]
        assert all(cell.section is not None for row in matrix.rows for cell in row.cells)
        ids = {label: v.id for label, v in found.items()}
    for label, version_id in ids.items():
        assert _export(runner, version_id) == (DEMO / f"{label}.json").read_text("utf-8")


# --- diffs --------------------------------------------------------------------------


OLD = [
    ("preambulo", "Preámbulo", "Se retira."),
    ("introduccion", "Introducción", "Texto de la introducción."),
    ("T", "Transparencia", "La dimensión de transparencia."),
    ("T.1", "Nivel 1", "Publica lo que la ley exige."),
    ("T.3", "Nivel 3", "Publica las actas oportunamente."),
    ("T.3.a", "Actas publicadas", "Porcentaje de actas publicadas."),
    ("P", "Participación", "La dimensión de participación."),
    ("P.1", "Nivel 1", "Informa a la comunidad."),
]
NEW = [
    ("T", "Transparencia activa", "La dimensión de transparencia."),
    ("T.1", "Nivel 1", "Publica lo que la ley exige."),
    ("T.3", "Nivel 3", "Publica las actas en un plazo de diez días."),
    ("P", "Participación", "La dimensión de participación."),
    ("P.1", "Nivel 1", "Informa a la comunidad."),
    ("R", "Rendición de cuentas", "Nueva dimensión."),
    ("introduccion", "Introducción", "Texto de la introducción."),
]


def test_compare_finds_added_removed_changed_renamed_moved(en):
    comparison = diffs.compare([_section(*s) for s in OLD], [_section(*s) for s in NEW])
    assert [(c.key, c.status, c.renamed, c.moved) for c in comparison.changes] == [
        ("preambulo", "removed", False, False),
        ("T", "unchanged", True, False),
        ("T.1", "unchanged", False, False),
        ("T.3", "changed", False, False),
        ("T.3.a", "removed", False, False),  # where it stood: after T.3
        ("P", "unchanged", False, False),
        ("P.1", "unchanged", False, False),
        ("R", "added", False, False),
        ("introduccion", "unchanged", False, True),
    ]
    assert [comparison.count(s) for s in ("added", "removed", "changed")] == [1, 2, 1]
    assert (comparison.renamed, comparison.moved, comparison.unchanged) == (1, 1, 3)
    by_key = {c.key: c for c in comparison.changes}
    assert by_key["R"].old is None and by_key["R"].section.title == "Rendición de cuentas"
    assert by_key["T.3.a"].new is None and by_key["T.3.a"].section.title == "Actas publicadas"
    assert all(c.words is None for c in comparison.changes if c.key != "T.3")
    words = str(by_key["T.3"].words)
    assert '<ins><span class="visually-hidden">inserted: </span>en un plazo de diez días.</ins>' in words
    assert '<del><span class="visually-hidden">deleted: </span>oportunamente.</del>' in words
    assert words.startswith("<p>Publica las actas ")


def test_compare_identical_versions_changes_nothing():
    sections = [_section(*s) for s in OLD]
    comparison = diffs.compare(sections, [_section(*s) for s in OLD])
    assert {c.status for c in comparison.changes} == {"unchanged"}
    assert comparison.unchanged == len(OLD) and comparison.moved == comparison.renamed == 0


def test_words_are_labelled_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = str(diffs.words("<p>uno dos</p>", "<p>uno tres</p>"))
    assert '<ins><span class="visually-hidden">inserted: </span>tres</ins>' in english
    assert '<del><span class="visually-hidden">deleted: </span>dos</del>' in english


def test_a_sections_diff_is_kept_in_the_cache_by_its_texts(app, monkeypatch):
    from lxml.html import diff as lxml_diff

    drawn = []
    real = lxml_diff.htmldiff
    monkeypatch.setattr(lxml_diff, "htmldiff", lambda old, new: drawn.append(new) or real(old, new))
    with app.test_request_context(headers={"Accept-Language": "es"}):
        first = str(diffs.words("<p>uno dos</p>", "<p>uno tres cuatro</p>"))
        again = str(diffs.words("<p>uno dos</p>", "<p>uno tres cuatro</p>"))
        other = str(diffs.words("<p>uno dos</p>", "<p>uno cinco</p>"))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = str(diffs.words("<p>uno dos</p>", "<p>uno tres cuatro</p>"))
    assert first == again and "cinco" in other and "inserted:" in english
    # Drawn once per pair of texts and language, then read from the cache.
    assert drawn == ["<p>uno tres cuatro</p>", "<p>uno cinco</p>", "<p>uno tres cuatro</p>"]


def _elements(markup) -> list:
    return lxml_html.fragment_fromstring(str(markup), create_parent="div").iter()


def test_diff_output_never_carries_script_or_handlers(app, en):
    # Sections are sanitized when written: raw HTML in a body stays text.
    old = _section("T.3", "Nivel 3", "Publica las actas.")
    new = _section("T.3", "Nivel 3", 'Publica <script>alert(1)</script> y <b onclick="robar()">actas</b>.')
    assert "<script" not in new.body_html and "&lt;script&gt;" in new.body_html
    words = diffs.compare([old], [new]).changes[0].words
    assert not [e for e in _elements(words) if e.tag == "script" or "onclick" in e.attrib]
    assert "&lt;script&gt;" in str(words)
    # And the diff is cleaned again, even of HTML that never went through the sanitizer.
    raw = diffs.words(
        "<p>Publica las actas.</p>",
        '<p>Publica <script>alert(1)</script> las <b onclick="robar()">actas</b> <a href="javascript:x()">ya</a>.</p>',
    )
    elements = list(_elements(raw))
    assert not [e for e in elements if e.tag == "script" or "onclick" in e.attrib]
    assert not [e for e in elements if e.get("href", "").startswith("javascript")]
    assert "<ins>" in str(raw) and "<script" not in str(raw)


# --- pages --------------------------------------------------------------------------


@pytest.fixture
def revised(app, factory):
    """v0.1 (the factory's sections) and v0.2 with T.3 rewritten, both of one model."""
    v1 = factory.version()
    v2 = _revise(app, v1, changes={"T.3": "Publica las actas en un plazo de diez días."})
    with app.app_context():
        model_id = db.session.get(Version, v1).model_id
    return {"v1": v1, "v2": v2, "model": model_id}


def test_matrix_page_shows_every_row_and_cell(client, factory):
    v1 = factory.version()
    response = client.get(f"/consultations/versions/{v1}", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('<th scope="row">') == 2
    for key in KEYS:
        linked = f'href="/consultations/versions/{v1}/sections/{key}"' in page
        assert linked == (key != "T.3.a"), key  # an indicator is counted in its cell, not linked
    assert page.count("Not written yet") == 6  # T.4, T.5 and P.2 to P.5
    assert "1 indicator" in page and "Other sections" in page
    assert page.index('<span class="key">T</span>') < page.index('<span class="key">P</span>')
    assert client.get("/consultations/versions/999999").status_code == 404


def test_section_outline_and_export_pages(client, revised):
    v1, v2 = revised["v1"], revised["v2"]
    page = client.get(f"/consultations/versions/{v2}/sections/T.3", headers=EN).get_data(as_text=True)
    assert "Publica las actas en un plazo de diez días." in page
    assert "Part of T · Transparencia" in page
    assert f'href="/consultations/versions/{v2}/sections/T.3.a"' in page, "what is inside"
    assert "How this section changed" in page
    assert f'href="/consultations/versions/{v1}/diff/{v2}#diff-T.3"' in page
    assert client.get(f"/consultations/versions/{v2}/sections/T.4").status_code == 404
    outline = client.get(f"/consultations/versions/{v2}/sections", headers=EN).get_data(as_text=True)
    assert re.findall(r'<span class="key">([^<]+)</span>', outline) == KEYS
    assert "Edit" not in outline, "no editing tools on a published version"
    exported = client.get(f"/consultations/versions/{v1}/export.json")
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert exported.headers["Content-Disposition"] == f'attachment; filename="model-{revised["model"]}-v0.1.json"'
    assert [s["key"] for s in json.loads(exported.get_data(as_text=True))["sections"]] == KEYS


def test_diff_page_shows_insertions_and_deletions(client, revised):
    v1, v2 = revised["v1"], revised["v2"]
    response = client.get(f"/consultations/versions/{v1}/diff/{v2}", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<ins><span class="visually-hidden">inserted: </span>en un plazo de diez días.</ins>' in page
    assert '<del><span class="visually-hidden">deleted: </span>oportunamente.</del>' in page
    assert "1 section changed" in page and f"{len(KEYS) - 1} sections unchanged" in page
    assert 'id="diff-T.3"' in page and 'id="diff-T.1"' not in page
    back = client.get(f"/consultations/versions/{v2}/diff/{v1}", headers=EN).get_data(as_text=True)
    assert '<ins><span class="visually-hidden">inserted: </span>oportunamente.</ins>' in back


def test_diff_across_two_models_is_404(client, factory, revised):
    elsewhere = factory.version()
    assert client.get(f"/consultations/versions/{revised['v1']}/diff/{elsewhere}").status_code == 404
    assert client.get(f"/consultations/versions/{elsewhere}/diff/{revised['v2']}").status_code == 404
    picked = client.get(f"/consultations/models/{revised['model']}/diff?from={revised['v1']}&to={elsewhere}")
    assert picked.status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 404),
        ("citizen", 404),
        ("staff", 404),
        ("expert", 404),
        ("facilitator", 200),
        ("admin", 200),
    ],
)
def test_a_draft_is_seen_only_by_facilitators(client, factory, personas, revised, role, status):
    draft = factory.version(model_id=revised["model"], label="v0.3", published=False, based_on_id=revised["v2"])
    if role != "anonymous":
        login(client, personas[role])
    for url in (
        f"/consultations/versions/{draft}",
        f"/consultations/versions/{draft}/sections",
        f"/consultations/versions/{draft}/sections/T.3",
        f"/consultations/versions/{draft}/export.json",
        f"/consultations/versions/{revised['v2']}/diff/{draft}",
        f"/consultations/models/{revised['model']}/diff?from={revised['v2']}&to={draft}",
    ):
        assert client.get(url).status_code == (302 if "models" in url and status == 200 else status), url
    model_page = client.get(f"/consultations/models/{revised['model']}").get_data(as_text=True)
    assert (f'href="/consultations/versions/{draft}"' in model_page) == (status == 200)
    assert f'href="/consultations/versions/{revised["v2"]}"' in model_page


def test_facilitator_drafts_edits_and_publishes_over_http(app, client, factory, personas, revised):
    v2, model_id = revised["v2"], revised["model"]
    round_id = factory.round(v2)
    factory.comment(round_id, personas["citizen"].id, key="T.3", text="Diez días es poco.")
    factory.comment(round_id, personas["citizen"].id, key="T.1", text="Y la ley.")
    factory.comment(round_id, personas["expert"].id, key=None, text="Sobre toda la versión.")
    login(client, personas["citizen"])
    assert client.post(f"/consultations/versions/{v2}/draft", data={"label": "v0.3", "title": "x"}).status_code == 403
    client.post("/logout")
    login(client, personas["facilitator"])

    started = client.post(
        f"/consultations/versions/{v2}/draft",
        data={"label": "v1.0", "title": "Modelo final", "summary": "Recoge los **comentarios**."},
    )
    assert started.status_code == 302
    draft = int(re.fullmatch(r"/consultations/versions/(\d+)/sections", started.location).group(1))
    with app.app_context():
        version = db.session.get(Version, draft)
        assert (version.label, version.title, version.status, version.based_on_id) == (
            "v1.0",
            "Modelo final",
            "draft",
            v2,
        )
        assert version.created_by_id == personas["facilitator"].id
        assert _keys_of(draft) == KEYS
    taken = client.post(f"/consultations/versions/{v2}/draft", data={"label": "v1.0", "title": "Otra"}, headers=EN)
    assert taken.status_code == 422 and "This model already has a version v1.0." in taken.get_data(as_text=True)

    edited = client.post(
        f"/consultations/versions/{draft}/sections/T.3/edit",
        data={"title": "Nivel 3: actas en plazo", "body": "Publica las actas en un plazo de **cinco** días."},
    )
    assert edited.status_code == 302 and edited.location == f"/consultations/versions/{draft}/sections/T.3"
    frozen = client.post(f"/consultations/versions/{v2}/sections/T.3/edit", data={"title": "No", "body": "No"})
    assert frozen.status_code == 303, "a published section is not edited"

    before = _rows(app)
    refused = client.post(
        f"/consultations/versions/{draft}/new-section", data={"key": "T.9", "title": "Nivel 9", "body": ""}, headers=EN
    )
    assert refused.status_code == 422
    assert "&#34;T.9&#34; is not a level of T (1 to 5)." in refused.get_data(as_text=True)
    assert _rows(app) == before
    added = client.post(
        f"/consultations/versions/{draft}/new-section",
        data={"key": "T.4", "title": "Nivel 4", "body": "Datos abiertos."},
    )
    assert added.status_code == 302 and added.location.endswith("#section-T.4")
    moved = client.post(f"/consultations/versions/{draft}/sections/T.2/move", data={"direction": "up"})
    assert moved.status_code == 302
    blocked = client.post(f"/consultations/versions/{draft}/sections/T.3/delete")
    assert blocked.status_code == 303
    assert client.post(f"/consultations/versions/{draft}/sections/introduccion/delete").status_code == 302
    with app.app_context():
        assert _keys_of(draft) == ["T", "T.2", "T.1", "T.3", "T.3.a", "T.4", "P", "P.1", "I", "I.1"]
        section = versions.section_of(db.session.get(Version, draft), "T.3")
        assert section.body_html == "<p>Publica las actas en un plazo de <strong>cinco</strong> días.</p>"
        assert section.title == "Nivel 3: actas en plazo"

    # The revision record first: publishing is refused (and changes nothing) until every
    # changed section is explained.
    with app.app_context():
        missing = revisions.unexplained(db.session.get(Version, draft))
    assert missing
    refused = client.post(f"/consultations/versions/{draft}/publish")
    assert refused.status_code == 303 and refused.location == f"/consultations/versions/{draft}/publish"
    with app.app_context():
        assert db.session.get(Version, draft).status == "draft"
    explained = client.post(
        f"/consultations/versions/{draft}/revisions/new",
        data={"summary": "Plazo de cinco días", "reason": "Lo pidió el comité.", "section": missing},
    )
    assert explained.status_code == 302
    confirm = client.get(f"/consultations/versions/{draft}/publish", headers=EN).get_data(as_text=True)
    assert "will be marked as superseded" in confirm
    published = client.post(f"/consultations/versions/{draft}/publish")
    assert published.status_code == 302 and published.location == f"/consultations/versions/{draft}"
    with app.app_context():
        assert db.session.get(Version, draft).status == "published"
        assert db.session.get(Version, v2).status == "superseded"
        told = db.session.execute(
            select(Notification.user_id, Notification.link).where(Notification.kind == "version.superseded")
        ).all()
    assert sorted(told) == sorted(
        [
            (personas["citizen"].id, f"/consultations/versions/{v2}/diff/{draft}"),
            (personas["expert"].id, f"/consultations/versions/{v2}/diff/{draft}"),
        ]
    ), "each commenter once, and nobody else"
    again = client.post(f"/consultations/versions/{draft}/publish")
    assert again.status_code == 303

    picked = client.get(f"/consultations/models/{model_id}/diff?from={v2}&to={draft}")
    assert picked.status_code == 302 and picked.location == f"/consultations/versions/{v2}/diff/{draft}"
    for garbage in ("", "abc", "-1", "\u00b2", "99999999999999999999"):
        unpicked = client.get(f"/consultations/models/{model_id}/diff", query_string={"from": garbage, "to": draft})
        assert unpicked.status_code == 303 and unpicked.location == f"/consultations/models/{model_id}", garbage
    diff_page = client.get(picked.location, headers=EN).get_data(as_text=True)
    assert '<ins><span class="visually-hidden">inserted: </span><strong>cinco</strong> días.</ins>' in diff_page
    assert '<del><span class="visually-hidden">deleted: </span>diez días.</del>' in diff_page
    assert "1 section added" in diff_page and "1 section removed" in diff_page and "1 section renamed" in diff_page


def test_facilitator_starts_a_model_and_an_empty_draft(app, client, factory, personas):
    process = factory.process(title="Proceso 2017")
    login(client, personas["facilitator"])
    created = client.post(
        "/consultations/models/new",
        data={"process_id": process, "title": "Modelo nuevo", "description": "Un *modelo*."},
    )
    assert created.status_code == 302
    model_id = int(re.fullmatch(r"/consultations/models/(\d+)", created.location).group(1))
    started = client.post(f"/consultations/models/{model_id}/versions/new", data={"label": "v0.1", "title": "Borrador"})
    assert started.status_code == 302
    draft = int(re.fullmatch(r"/consultations/versions/(\d+)/sections", started.location).group(1))
    bad_label = client.post(
        f"/consultations/versions/{draft}/edit", data={"label": "v 1", "title": "Borrador"}, headers=EN
    )
    assert bad_label.status_code == 422 and "A label has at most 20 letters" in bad_label.get_data(as_text=True)
    renamed = client.post(f"/consultations/versions/{draft}/edit", data={"label": "v0.1-a", "title": "Primer borrador"})
    assert renamed.status_code == 302
    empty = client.post(f"/consultations/versions/{draft}/publish")
    assert empty.status_code == 303, "nothing to publish yet"
    for key, title in (("T", "Transparencia"), ("T.1", "Nivel 1"), ("glosario", "Glosario")):
        added = client.post(
            f"/consultations/versions/{draft}/new-section", data={"key": key, "title": title, "body": ""}
        )
        assert added.status_code == 302, key
    assert client.post(f"/consultations/versions/{draft}/publish").status_code == 302
    with app.app_context():
        model = db.session.get(ConsultationModel, model_id)
        assert (model.process_id, model.title, model.description_html) == (
            process,
            "Modelo nuevo",
            "<p>Un <em>modelo</em>.</p>",
        )
        version = db.session.get(Version, draft)
        assert (version.label, version.title, version.status) == ("v0.1-a", "Primer borrador", "published")
        assert _keys_of(draft) == ["T", "T.1", "glosario"]
    client.post("/logout")
    page = client.get(f"/consultations/models/{model_id}").get_data(as_text=True)
    assert "v0.1-a · Primer borrador" in page and f'href="/consultations/versions/{draft}"' in page


def test_a_body_with_script_never_reaches_the_diff_page(app, client, factory):
    v1 = factory.version()
    v2 = _revise(app, v1, changes={"T.3": 'Actas <script>alert("x")</script> <a href="#" onclick="robar()">aquí</a>.'})
    page = client.get(f"/consultations/versions/{v1}/diff/{v2}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in page, "the words are there, as text"
    document = lxml_html.document_fromstring(page)
    assert not [e for e in document.iter("script") if "alert" in (e.text or "")]
    assert not [e for e in document.iter() if "onclick" in e.attrib]


# --- query counts -------------------------------------------------------------------


def _build(app, process_id: int, letters: str, indicators: int) -> int:
    """A published model built with the services: a dimension per letter with its five
    levels, each with ``indicators`` indicators, the factor I and its three aspects, and
    two free sections. Returns the version's id."""
    with app.app_context():
        model = versions.create_model(process_id, f"Modelo {letters}")
        version = versions.new_version(model, "v0.1", "Borrador", "Resumen.", None)
        versions.add_section(version, "introduccion", "Introducción", "Texto.")
        for letter in letters:
            versions.add_section(version, letter, f"Dimensión {letter}", f"La dimensión {letter}.")
            for n in range(1, keys.LEVELS + 1):
                versions.add_section(version, f"{letter}.{n}", f"Nivel {n}", f"Texto del nivel {n} de {letter}.")
                for code in "abcdefgh"[:indicators]:
                    versions.add_section(version, f"{letter}.{n}.{code}", f"Indicador {code}", "Se mide así.")
        versions.add_section(version, "I", "Innovación", "Factor transversal.")
        for n in range(1, keys.ASPECTS + 1):
            versions.add_section(version, f"I.{n}", f"Aspecto {n}", "Un aspecto.")
        versions.add_section(version, "glosario", "Glosario", "Términos.")
        versions.publish(version, None)
        db.session.commit()
        return version.id


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


def test_matrix_and_diff_pages_run_fixed_queries(app, factory, personas, count_queries):
    process = factory.process()
    small = _build(app, process, "TPR", 0)
    large = _build(app, process, "TPRCDE", 3)
    for version_id in (small, large):
        factory.round(version_id)
    changed = {f"{letter}.{n}": f"Nuevo texto del nivel {n}." for letter in "TPR" for n in (1, 3)}
    small_new = _revise(app, small, changes=changed)
    large_new = _revise(app, large, changes={**changed, "C.2.a": "Otro.", "E.5": "Otro nivel."})
    with app.app_context():
        assert len(_keys_of(large)) > 3 * len(_keys_of(small))
    for role, client in _clients(app, personas).items():
        pages = {}
        for size, old, new in (("small", small, small_new), ("large", large, large_new)):
            pages[size] = [
                _queries(client, count_queries, f"/consultations/versions/{old}"),
                _queries(client, count_queries, f"/consultations/versions/{old}/diff/{new}"),
                _queries(client, count_queries, f"/consultations/versions/{old}/sections"),
            ]
        assert pages["small"] == pages["large"], role
        # Issue 13: the matrix, like every main page, makes at most 8 queries.
        assert pages["large"][0] <= 8, (role, pages["large"])
    page = app.test_client().get(f"/consultations/versions/{large}", headers=EN).get_data(as_text=True)
    assert page.count('<th scope="row">') == 6 and page.count("3 indicators") == 30


def test_section_page_runs_fixed_queries(app, factory, personas, count_queries):
    process = factory.process()
    small = _build(app, process, "TPR", 0)
    large = _build(app, process, "TPRCDE", 3)
    rounds = {version_id: factory.round(version_id) for version_id in (small, large)}
    clients = _clients(app, personas)
    url = f"/consultations/versions/{large}/sections/T.3"
    empty = {}
    for role, client in clients.items():
        empty[role] = _queries(client, count_queries, url)
        assert _queries(client, count_queries, f"/consultations/versions/{small}/sections/T.3") == empty[role], role
    round_id = rounds[large]
    first, _c = factory.comment(round_id, personas["citizen"].id, key="T.3", text="Opina citizen.")
    one = {role: _queries(client, count_queries, url) for role, client in clients.items()}
    # Then many, with replies and one entered on someone's behalf.
    factory.comment(round_id, personas["facilitator"].id, parent_id=first, text="Gracias.")
    for persona in ("staff", "staff_other", "expert", "admin"):
        first, _c = factory.comment(round_id, personas[persona].id, key="T.3", text=f"Opina {persona}.")
        factory.comment(round_id, personas["facilitator"].id, parent_id=first, text="Gracias.")
    factory.comment(round_id, personas["citizen"].id, key="T.3", text="Por escrito.", on_behalf=True)
    for role, client in clients.items():
        many = _queries(client, count_queries, url)
        assert many == one[role] <= 8, (role, many)
        # From none to some, only the load of the page's comments with their authors.
        assert empty[role] <= one[role] <= empty[role] + 1, role
        page = client.get(url).get_data(as_text=True)
        assert page.count("Opina ") == 5 and page.count("Gracias.") == 5, role


def test_model_page_runs_fixed_queries(app, factory, personas, count_queries):
    """The model page lists its versions and rounds: the same queries for 1 and 6 of each."""
    process = factory.process()

    def model_with(count):
        first = factory.version(process_id=process)
        with app.app_context():
            model_id = db.session.get(Version, first).model_id
        factory.round(first)
        previous = first
        for n in range(2, count + 1):
            previous = factory.version(model_id=model_id, label=f"v0.{n}", based_on_id=previous)
            factory.round(previous)
        return model_id

    small, large = model_with(1), model_with(6)
    for role, client in _clients(app, personas).items():
        assert _queries(client, count_queries, f"/consultations/models/{small}") == _queries(
            client, count_queries, f"/consultations/models/{large}"
        ), role
