"""Rules for the codebook and coding: themes (create, edit, archive, merge), codings on any
contribution, the workbench queue, workshop clusters promoted to themes.

Services flush; the request commits. Every coding records who coded and when.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased, joinedload, lazyload

from accounts.models import Municipality, Process, RoleAssignment, User
from consultations.coding.models import Coding, SampleCoding, Theme, ThemeSection
from consultations.common import BODY_MAX, ConsultationError, between_days
from consultations.rounds.models import CommentRound
from consultations.versions import keys
from consultations.versions.models import ConsultationModel, Version
from core import audit
from core.extensions import db
from core.models import Contribution, utcnow
from core.roles import Role
from core.spaces import SpaceKind, visible_condition
from core.text import checked_text, render_markdown
from forums.discussions.models import Post
from forums.sheets.models import Attendee, Profile
from forums.workshops.boards.models import Board, Card, Cluster
from forums.workshops.models import Workshop

audit.register_actions(
    {
        "theme.merged": _l("Theme merged into another"),
        "theme.archived": _l("Theme archived"),
        "theme.restored": _l("Theme restored"),
        "theme.from_cluster": _l("Workshop cluster made a theme"),
    }
)

SampleCodingAlias = aliased(SampleCoding)

CODE_MAX = 20
NAME_MAX = 120
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)


def codebook(process_id: int, archived: bool = False) -> list[Theme]:
    """The process's themes: each top-level theme followed by its children, by code;
    archived ones only if ``archived``."""
    statement = select(Theme).where(Theme.process_id == process_id)
    if not archived:
        statement = statement.where(Theme.archived_at.is_(None))
    return _codebook_order(db.session.scalars(statement.order_by(Theme.code)).all())


def _codebook_order(themes: list[Theme]) -> list[Theme]:
    """Themes (by code) as the codebook lists them: each top-level theme followed by its
    children."""
    by_parent: dict[int | None, list[Theme]] = {}
    ids = {t.id for t in themes}
    for theme in themes:
        by_parent.setdefault(theme.parent_id if theme.parent_id in ids else None, []).append(theme)
    ordered = []
    for top in by_parent.get(None, []):
        ordered.append(top)
        ordered.extend(by_parent.get(top.id, []))
    return ordered


def sections_of(theme_ids: list[int]) -> dict[int, list[str]]:
    """``{theme id: [section keys]}`` in one query."""
    found: dict[int, list[str]] = {}
    if theme_ids:
        rows = db.session.execute(
            select(ThemeSection.theme_id, ThemeSection.section_key)
            .where(ThemeSection.theme_id.in_(theme_ids))
            .order_by(ThemeSection.section_key)
        )
        for theme_id, key in rows:
            found.setdefault(theme_id, []).append(key)
    return found


def _check(process_id: int, code, name, description, parent_id, section_keys, theme: Theme | None = None):
    code = (code or "").strip()
    if not code:
        raise ConsultationError(_l("Give the theme a short code."))
    if len(code) > CODE_MAX or not _CODE.fullmatch(code):
        raise ConsultationError(
            _l("A code has at most %(max)d letters, digits, dots, hyphens or underscores.", max=CODE_MAX)
        )
    taken = select(Theme.id).where(Theme.process_id == process_id, Theme.code == code)
    if theme is not None and theme.id is not None:
        taken = taken.where(Theme.id != theme.id)
    if db.session.scalar(taken) is not None:
        raise ConsultationError(_l("The codebook already has a theme %(code)s.", code=code))
    name = checked_text(name, NAME_MAX, ConsultationError, empty=_l("Give the theme a name."))
    description = (description or "").strip()
    if len(description) > BODY_MAX:
        raise ConsultationError(_l("The text is too long: at most %(max)d characters.", max=BODY_MAX))
    parent = None
    if parent_id:
        parent = db.session.get(Theme, parent_id)
        if parent is None or parent.process_id != process_id or parent.is_archived:
            raise ConsultationError(_l("Choose a parent theme of this codebook."))
        if parent.parent_id is not None:
            raise ConsultationError(_l("Themes have two levels: the parent must be a top-level theme."))
        if theme is not None and (parent.id == theme.id or _has_children(theme)):
            raise ConsultationError(_l("A theme with sub-themes stays at the top level."))
    cleaned = []
    for key in section_keys or ():
        key = key.strip()
        if not key:
            continue
        try:
            cleaned.append(keys.parse(key).key)
        except keys.BadKey as error:
            raise ConsultationError(str(error)) from None
    return code, name, description, parent, sorted(set(cleaned), key=keys.sort_key)


def _has_children(theme: Theme) -> bool:
    return theme.id is not None and db.session.scalar(select(Theme.id).where(Theme.parent_id == theme.id).limit(1))


def _set_sections(theme: Theme, section_keys: list[str]) -> None:
    db.session.execute(delete(ThemeSection).where(ThemeSection.theme_id == theme.id))
    db.session.add_all(ThemeSection(theme_id=theme.id, section_key=key) for key in section_keys)


def create_theme(
    process_id: int, code, name, description="", parent_id=None, section_keys=(), actor=None, cluster_id=None
) -> Theme:
    """A new theme in the process's codebook. Raises :class:`ConsultationError` for a bad
    or taken code, an empty name, a parent from elsewhere or below the top level, or a
    bad section key."""
    code, name, description, parent, section_keys = _check(process_id, code, name, description, parent_id, section_keys)
    theme = Theme(
        process_id=process_id,
        code=code,
        name=name,
        description_source=description,
        description_html=render_markdown(description),
        parent_id=parent.id if parent else None,
        created_by_id=getattr(actor, "id", None),
        cluster_id=cluster_id,
    )
    db.session.add(theme)
    db.session.flush()
    _set_sections(theme, section_keys)
    db.session.flush()
    return theme


def update_theme(theme: Theme, code, name, description, parent_id, section_keys) -> None:
    """Rename a theme, change its description, parent and sections. Raises
    :class:`ConsultationError` like :func:`create_theme`."""
    code, name, description, parent, section_keys = _check(
        theme.process_id, code, name, description, parent_id, section_keys, theme
    )
    theme.code, theme.name = code, name
    theme.description_source, theme.description_html = description, render_markdown(description)
    theme.parent_id = parent.id if parent else None
    _set_sections(theme, section_keys)
    db.session.flush()


def archive(theme: Theme, actor) -> None:
    """Archive a theme: its codings stay, it is no longer offered for coding."""
    theme.archived_at = utcnow()
    audit.record("theme.archived", actor=actor, theme=theme.id, code=theme.code)


def restore(theme: Theme, actor) -> None:
    """Offer an archived theme again. Raises :class:`ConsultationError` for a merged one."""
    if theme.merged_into_id is not None:
        raise ConsultationError(_l("A merged theme cannot be restored: its codings moved to another theme."))
    theme.archived_at = None
    audit.record("theme.restored", actor=actor, theme=theme.id, code=theme.code)


def merge(source: Theme, target: Theme, actor) -> int:
    """Move every coding of ``source`` to ``target`` (a contribution coded with both keeps
    one), give ``target`` its sections and sub-themes, and archive ``source``. Returns how
    many codings moved. Raises :class:`ConsultationError` for themes of different
    processes, the same theme, or an archived target."""
    if source.id == target.id:
        raise ConsultationError(_l("Choose another theme to merge into."))
    if source.process_id != target.process_id or target.is_archived or source.merged_into_id is not None:
        raise ConsultationError(_l("Merge into a theme of the same codebook that is not archived."))
    both = select(Coding.contribution_id).where(Coding.theme_id == target.id)
    duplicates = db.session.execute(
        delete(Coding).where(Coding.theme_id == source.id, Coding.contribution_id.in_(both))
    ).rowcount
    moved = db.session.execute(
        update(Coding).where(Coding.theme_id == source.id).values(theme_id=target.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    # The double-coding samples' codings follow too (a coder who gave both keeps one).
    given_target = (
        select(SampleCodingAlias.id)
        .where(
            SampleCodingAlias.theme_id == target.id,
            SampleCodingAlias.sample_id == SampleCoding.sample_id,
            SampleCodingAlias.contribution_id == SampleCoding.contribution_id,
            SampleCodingAlias.coder_id == SampleCoding.coder_id,
        )
        .exists()
    )
    db.session.execute(
        delete(SampleCoding).where(SampleCoding.theme_id == source.id, given_target),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(SampleCoding).where(SampleCoding.theme_id == source.id).values(theme_id=target.id),
        execution_options={"synchronize_session": False},
    )
    keys_now = set(sections_of([target.id]).get(target.id, [])) | set(sections_of([source.id]).get(source.id, []))
    _set_sections(target, sorted(keys_now, key=keys.sort_key))
    # Sub-themes of the source stay two levels deep under the target (or its parent); a
    # sub-theme of the source merged into takes its place first, so its siblings follow it.
    if target.parent_id == source.id:
        target.parent_id = source.parent_id
    new_parent = target.parent_id or target.id
    db.session.execute(
        update(Theme).where(Theme.parent_id == source.id, Theme.id != target.id).values(parent_id=new_parent),
        execution_options={"synchronize_session": False},
    )
    source.merged_into_id = target.id
    source.archived_at = utcnow()
    audit.record(
        "theme.merged",
        actor=actor,
        theme=source.id,
        code=source.code,
        into=target.id,
        into_code=target.code,
        moved=moved,
        already_there=duplicates,
    )
    db.session.flush()
    db.session.expire_all()
    return moved + duplicates


def deleted_of(contribution_ids) -> set[int]:
    """Which of those contributions are forum posts their authors deleted (shown with the
    placeholder, as on the thread)."""
    ids = list(contribution_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Post.contribution_id).where(Post.contribution_id.in_(ids), Post.deleted_at.is_not(None))
        )
    )


def themes_of(contribution_ids: list[int]) -> dict[int, list[Theme]]:
    """``{contribution id: [themes]}`` in one query."""
    found: dict[int, list[Theme]] = {}
    if contribution_ids:
        rows = db.session.execute(
            select(Coding.contribution_id, Theme)
            .join(Theme, Coding.theme_id == Theme.id)
            .where(Coding.contribution_id.in_(contribution_ids))
            .order_by(Theme.code)
        )
        for contribution_id, theme in rows:
            found.setdefault(contribution_id, []).append(theme)
    return found


def workbench_themes(
    process_id: int, contribution_ids: list[int]
) -> tuple[Process | None, list[Theme], dict[int, list[Theme]]]:
    """For the workbench, in one query: the process (``None`` if there is none), its
    :func:`codebook` (archived themes left out) and :func:`themes_of` those
    contributions."""
    ids = list(contribution_ids)
    coding_shown = and_(Coding.theme_id == Theme.id, Coding.contribution_id.in_(ids))
    rows = db.session.execute(
        select(Process, Theme, Coding.contribution_id)
        .select_from(Process)
        .outerjoin(
            Theme,
            or_(
                Theme.process_id == Process.id,
                Theme.id.in_(select(Coding.theme_id).where(Coding.contribution_id.in_(ids))),
            ),
        )
        .outerjoin(Coding, coding_shown)
        .where(Process.id == process_id)
        .order_by(Theme.code)
        .options(lazyload(Process.phases))
    ).all()
    if not rows:
        return None, [], {}
    themes: dict[int, Theme] = {}
    coded: dict[int, list[Theme]] = {}
    for _process, theme, contribution_id in rows:
        if theme is None:
            continue
        themes.setdefault(theme.id, theme)
        if contribution_id is not None:
            coded.setdefault(contribution_id, []).append(theme)
    live = [t for t in themes.values() if t.process_id == process_id and not t.is_archived]
    return rows[0][0], _codebook_order(live), coded


def _usable(process_id: int, theme_ids) -> list[Theme]:
    ids = {int(i) for i in theme_ids}
    if not ids:
        return []
    themes = db.session.scalars(select(Theme).where(Theme.id.in_(ids))).all()
    if len(themes) != len(ids) or any(t.process_id != process_id or t.is_archived for t in themes):
        raise ConsultationError(_l("Choose themes of this process's codebook."))
    return themes


def set_codings(contribution: Contribution, theme_ids, coder) -> tuple[int, int]:
    """Make ``theme_ids`` the themes of ``contribution`` (archived themes it already has
    stay). Returns ``(added, removed)``. Raises :class:`ConsultationError` for a theme of
    another process or archived."""
    wanted = {t.id for t in _usable(contribution.process_id, theme_ids)}
    current = {
        coding.theme_id: coding
        for coding in db.session.scalars(select(Coding).where(Coding.contribution_id == contribution.id))
    }
    archived = set(
        db.session.scalars(select(Theme.id).where(Theme.id.in_(list(current)), Theme.archived_at.is_not(None)))
    )
    removed = [c for theme_id, c in current.items() if theme_id not in wanted and theme_id not in archived]
    for coding in removed:
        db.session.delete(coding)
    added = wanted - set(current)
    db.session.add_all(
        Coding(contribution_id=contribution.id, theme_id=theme_id, coder_id=getattr(coder, "id", None))
        for theme_id in added
    )
    db.session.flush()
    return len(added), len(removed)


def apply_theme(process_id: int, contribution_ids, theme: Theme, coder, cluster_id=None) -> int:
    """Code every contribution of ``contribution_ids`` (of the process) with ``theme``;
    returns how many were newly coded. Raises :class:`ConsultationError` for a theme of
    another process or archived."""
    _usable(process_id, [theme.id])
    ids = set(
        db.session.scalars(
            select(Contribution.id).where(
                Contribution.id.in_(list(contribution_ids)),
                Contribution.process_id == process_id,
                ~exists().where(Coding.contribution_id == Contribution.id, Coding.theme_id == theme.id),
            )
        )
    )
    db.session.add_all(
        Coding(contribution_id=i, theme_id=theme.id, coder_id=getattr(coder, "id", None), cluster_id=cluster_id)
        for i in ids
    )
    db.session.flush()
    return len(ids)


def remove_theme(process_id: int, contribution_ids, theme: Theme) -> int:
    """Take ``theme`` off those contributions; returns how many lost it. Raises
    :class:`ConsultationError` for a theme of another process."""
    if theme.process_id != process_id:
        raise ConsultationError(_l("Choose themes of this process's codebook."))
    return db.session.execute(
        delete(Coding).where(
            Coding.theme_id == theme.id,
            Coding.contribution_id.in_(
                select(Contribution.id).where(
                    Contribution.id.in_(list(contribution_ids)), Contribution.process_id == process_id
                )
            ),
        )
    ).rowcount


def cluster_process(cluster: Cluster) -> int:
    """The process of a workshop cluster (through its board and workshop)."""
    return db.session.scalar(
        select(Workshop.process_id).join(Board, Board.workshop_id == Workshop.id).where(Board.id == cluster.board_id)
    )


def cluster_to_theme(cluster: Cluster, actor, theme: Theme | None = None, code=None, name=None) -> tuple[Theme, int]:
    """Code every card of ``cluster`` with ``theme``, or with a new theme made from the
    cluster (``code``, and ``name`` or the cluster's title); each coding keeps the link to
    the cluster. Returns the theme and how many cards were newly coded. Raises
    :class:`ConsultationError` like :func:`create_theme`, or for a theme of another process."""
    process_id = cluster_process(cluster)
    if theme is None:
        theme = create_theme(process_id, code, name or cluster.title, "", None, (), actor, cluster_id=cluster.id)
    elif theme.process_id != process_id:
        raise ConsultationError(_l("Choose themes of this process's codebook."))
    contribution_ids = db.session.scalars(
        select(Card.contribution_id).where(
            Card.cluster_id == cluster.id, Card.deleted_at.is_(None), Card.contribution_id.is_not(None)
        )
    ).all()
    coded = apply_theme(process_id, contribution_ids, theme, actor, cluster_id=cluster.id)
    audit.record("theme.from_cluster", actor=actor, theme=theme.id, cluster=cluster.id, coded=coded)
    return theme, coded


def clusters_of(process_id: int) -> list[tuple[Cluster, str, int]]:
    """The process's workshop clusters with their board's title and how many cards they
    hold, for promoting them to themes (one query)."""
    cards = (
        select(Card.cluster_id, func.count(Card.id).label("n"))
        .where(Card.deleted_at.is_(None), Card.cluster_id.is_not(None))
        .group_by(Card.cluster_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Cluster, Board.title, func.coalesce(cards.c.n, 0))
        .join(Board, Cluster.board_id == Board.id)
        .join(Workshop, Board.workshop_id == Workshop.id)
        .outerjoin(cards, cards.c.cluster_id == Cluster.id)
        .where(Workshop.process_id == process_id)
        .order_by(Board.id, Cluster.id)
    )
    return [(cluster, board, n) for cluster, board, n in rows]


@dataclass
class Filters:
    """The workbench's filters (each optional)."""

    space_kind: str | None = None
    municipality_id: int | None = None
    channel: str | None = None
    profile: str | None = None
    section_key: str | None = None
    round_id: int | None = None
    since: date | None = None
    until: date | None = None
    #: ``uncoded``, ``coded`` or ``mine`` (coded by the viewer).
    state: str | None = None


def _profile_condition(profile: str):
    attendee_profile = select(Attendee.profile).where(Attendee.id == Contribution.attendee_id).scalar_subquery()
    held = exists().where(RoleAssignment.user_id == Contribution.author_id)
    if profile == Profile.OFFICIAL.value:
        return or_(attendee_profile == profile, held.where(RoleAssignment.role == Role.STAFF.value))
    if profile == Profile.EXPERT.value:
        return or_(attendee_profile == profile, held.where(RoleAssignment.role == Role.EXPERT.value))
    if profile == Profile.CSO.value:
        return attendee_profile == profile
    # Citizens: neither an official, an expert nor a CSO by their sheet entry or roles.
    other_roles = held.where(RoleAssignment.role.in_([Role.STAFF.value, Role.EXPERT.value]))
    return and_(
        or_(Contribution.attendee_id.is_(None), attendee_profile == Profile.CITIZEN.value),
        or_(Contribution.author_id.is_(None), ~other_roles),
    )


def queue_listed(statement):
    """A :func:`queue` with what the workbench prints of each contribution, as rows of
    ``(contribution, deleted)``: its author by name (their roles not loaded), and whether
    it is a forum post its author deleted."""
    return (
        statement.add_columns(Post.id.is_not(None).label("deleted"))
        .outerjoin(Post, and_(Post.contribution_id == Contribution.id, Post.deleted_at.is_not(None)))
        .options(joinedload(Contribution.author).raiseload(User.role_assignments))
    )


def filter_choices(process_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """What the workbench's filters offer, in one query: every municipality ``(id,
    name)`` by name, and the process's comment rounds ``(id, title)`` in order."""
    municipalities = select(
        literal("municipality").label("kind"),
        Municipality.id,
        Municipality.name.label("label"),
        Municipality.name.label("sort"),
    )
    rounds = (
        select(literal("round"), CommentRound.id, CommentRound.title, literal(""))
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id)
    )
    both = union_all(municipalities, rounds).subquery()
    found: dict[str, list[tuple[int, str]]] = {"municipality": [], "round": []}
    for kind, id_, label in db.session.execute(
        select(both.c.kind, both.c.id, both.c.label).order_by(both.c.kind, both.c.sort, both.c.id)
    ):
        found[kind].append((id_, label))
    return found["municipality"], found["round"]


def queue(process_id: int, viewer, filters: Filters):
    """A select of the process's contributions ``viewer`` may see, oldest first, filtered."""
    statement = (
        select(Contribution)
        .where(Contribution.process_id == process_id, visible_condition(viewer))
        .order_by(Contribution.created_at, Contribution.id)
    )
    if filters.space_kind in {k.value for k in SpaceKind}:
        statement = statement.where(Contribution.space_kind == filters.space_kind)
    if filters.municipality_id:
        statement = statement.where(Contribution.municipality_id == filters.municipality_id)
    if filters.channel:
        statement = statement.where(Contribution.channel == filters.channel)
    if filters.profile in {p.value for p in Profile}:
        statement = statement.where(_profile_condition(filters.profile))
    if filters.section_key:
        statement = statement.where(Contribution.section_key == filters.section_key)
    if filters.round_id:
        statement = statement.where(
            Contribution.space_kind == SpaceKind.ROUND.value, Contribution.space_id == filters.round_id
        )
    statement = statement.where(*between_days(Contribution.created_at, filters.since, filters.until))
    coded = exists().where(Coding.contribution_id == Contribution.id)
    if filters.state == "uncoded":
        statement = statement.where(~coded)
    elif filters.state == "coded":
        statement = statement.where(coded)
    elif filters.state == "mine" and viewer is not None and viewer.is_authenticated:
        statement = statement.where(coded.where(Coding.coder_id == viewer.id))
    return statement
