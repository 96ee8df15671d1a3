"""Rules for comment rounds: who is in the audience, when a round is open, comments and
replies, comments entered on someone's behalf, counts per section, notifications.

A round's status follows from its dates (no scheduled job). Services flush; the request
commits.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy import and_, case, exists, func, insert, literal, null, or_, select, true, union_all
from sqlalchemy.orm import contains_eager, selectinload

from accounts.models import Municipality, RoleAssignment, User
from consultations.common import BODY_MAX, COMMENT_MAX, TITLE_MAX, ConsultationError, between_days
from consultations.rounds.models import (
    Audience,
    Comment,
    CommentRound,
    RoundMember,
    RoundMunicipality,
    RoundStatus,
    Stance,
)
from consultations.versions import services as versions
from consultations.versions.models import Section, Version, VersionStatus
from core import audit, dates
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.notifications import Notification, notify, register_kinds
from core.permissions import is_manager
from core.roles import Role
from core.spaces import SpaceKind
from core.text import checked_text, render_markdown
from forums.discussions.services import staff_municipalities

register_kinds(
    {
        "round.opens": lambda p: _(
            "The comment round “%(title)s” on %(version)s is open to you from %(opens)s.",
            title=p["title"],
            version=p["version"],
            opens=dates.day(date.fromisoformat(p["opens"])),
        ),
        "round.reply": lambda p: _("%(name)s replied to your comment in “%(title)s”.", **p),
        "version.superseded": lambda p: _("%(old)s, on which you commented, has been replaced by %(new)s.", **p),
    },
    group=_l("The model and its comment rounds"),
)
audit.register_actions(
    {
        "round.closed_early": _l("Comment round closed early"),
        "round.extended": _l("Comment round extended"),
        "comment.on_behalf": _l("Comment entered on someone's behalf"),
    }
)

SAID_BY_MAX = 120


def round_path(round_id: int) -> str:
    """The path of a round's page (stored in notifications)."""
    return f"/consultations/rounds/{round_id}"


def comment_path(comment_id: int) -> str:
    """The path of a comment: a link that finds its page of its section's (or the
    version's) page and leads there (``consultations.comment_link``)."""
    return f"/consultations/comments/{comment_id}"


def _dates(opens_at: datetime, closes_at: datetime) -> None:
    if opens_at is None or closes_at is None:
        raise ConsultationError(_l("Give the round an opening and a closing time."))
    if closes_at <= opens_at:
        raise ConsultationError(_l("A round closes after it opens."))


def _fill(round_: CommentRound, title: str, question: str, opens_at: datetime, closes_at: datetime) -> None:
    round_.title = checked_text(title, TITLE_MAX, ConsultationError, empty=_l("Give the round a title."))
    question = (question or "").strip()
    if len(question) > BODY_MAX:
        raise ConsultationError(_l("The text is too long: at most %(max)d characters.", max=BODY_MAX))
    _dates(opens_at, closes_at)
    round_.question_source = question
    round_.question_html = render_markdown(question)
    round_.opens_at = opens_at
    round_.closes_at = closes_at


def create_round(
    version: Version, audience: str, title: str, question: str, opens_at, closes_at, actor, municipality_ids=()
) -> CommentRound:
    """A round on a published version; the audience is told (the committee's members
    when they are invited). Raises :class:`ConsultationError` for a draft or replaced
    version, an unknown audience or bad dates."""
    if version.status != VersionStatus.PUBLISHED.value:
        raise ConsultationError(_l("Rounds are held on the published version: publish the draft first."))
    if audience not in {a.value for a in Audience}:
        raise ConsultationError(_l("Choose who the round is for."))
    round_ = CommentRound(version_id=version.id, audience=audience, created_by_id=getattr(actor, "id", None))
    _fill(round_, title, question, opens_at, closes_at)
    db.session.add(round_)
    db.session.flush()
    if audience == Audience.STAFF.value:
        db.session.add_all(RoundMunicipality(round_id=round_.id, municipality_id=m) for m in set(municipality_ids))
        db.session.flush()
    _announce(round_)
    return round_


def _announce(round_: CommentRound) -> None:
    """One notification per person in the audience, in one statement."""
    audience = round_.audience
    if audience == Audience.COMMITTEE.value:
        return
    people = select(User.id).where(User.deleted_at.is_(None), User.blocked_at.is_(None))
    if audience == Audience.EXPERTS.value:
        people = people.where(
            User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == Role.EXPERT.value))
        )
    elif audience == Audience.STAFF.value:
        staff = select(RoleAssignment.user_id).where(RoleAssignment.role == Role.STAFF.value)
        chosen = select(RoundMunicipality.municipality_id).where(RoundMunicipality.round_id == round_.id)
        if db.session.scalar(select(func.count()).select_from(chosen.subquery())):
            staff = staff.where(RoleAssignment.municipality_id.in_(chosen))
        people = people.where(User.id.in_(staff))
    params = json.dumps(_announcement(round_))
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "kind", "link", "params_json", "created_at"],
            select(
                people.subquery().c.id,
                literal("round.opens"),
                literal(round_path(round_.id)),
                literal(params),
                literal(utcnow()),
            ),
        )
    )


def _announcement(round_: CommentRound) -> dict:
    # The opening day in the platform's time zone (a stored time is UTC).
    opens = to_user_timezone(round_.opens_at).date()
    return {"title": round_.title, "version": round_.version.label, "opens": opens.isoformat()}


def update_round(round_: CommentRound, title: str, question: str, opens_at, closes_at) -> None:
    """Change a round's title, question and dates. Raises :class:`ConsultationError`."""
    _fill(round_, title, question, opens_at, closes_at)


def close_early(round_: CommentRound, actor) -> None:
    """Close an open round now. Raises :class:`ConsultationError` if it is not open."""
    if not round_.is_open:
        raise ConsultationError(_l("Only an open round can be closed early."))
    now = utcnow()
    round_.closes_at = now
    round_.closed_early_at = now
    audit.record("round.closed_early", actor=actor, round=round_.id)


def extend(round_: CommentRound, closes_at: datetime, actor) -> None:
    """Move the closing time later (a closed round opens again). Raises
    :class:`ConsultationError` for a time in the past or not later than now's closing."""
    if closes_at is None or closes_at <= max(utcnow(), round_.opens_at):
        raise ConsultationError(_l("The new closing time must be in the future."))
    if closes_at <= round_.closes_at:
        raise ConsultationError(_l("To extend a round, choose a time after its current closing."))
    round_.closes_at = closes_at
    round_.closed_early_at = None
    audit.record("round.extended", actor=actor, round=round_.id, closes_at=closes_at.isoformat())


def invite(round_: CommentRound, user: User) -> RoundMember:
    """Invite an account to a round (the committee's members), who is told unless the
    round is over. Raises :class:`ConsultationError` if it already is."""
    if db.session.scalar(
        select(RoundMember.id).where(RoundMember.round_id == round_.id, RoundMember.user_id == user.id)
    ):
        raise ConsultationError(_l("%(name)s is already invited.", name=user.public_name))
    member = RoundMember(round_id=round_.id, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    if round_.status != RoundStatus.CLOSED:
        notify(user.id, "round.opens", link=round_path(round_.id), **_announcement(round_))
    return member


def members(round_: CommentRound) -> list[RoundMember]:
    """The accounts invited to a round."""
    return db.session.scalars(
        select(RoundMember).where(RoundMember.round_id == round_.id).order_by(RoundMember.id)
    ).all()


def municipality_names(round_: CommentRound) -> list[str]:
    """The municipalities a staff round is limited to (empty: all)."""
    return db.session.scalars(
        select(Municipality.name)
        .join(RoundMunicipality, RoundMunicipality.municipality_id == Municipality.id)
        .where(RoundMunicipality.round_id == round_.id)
        .order_by(Municipality.name)
    ).all()


def visible_rounds(viewer):
    """A SQL condition on :class:`CommentRound`: the rounds whose comments ``viewer`` may
    read. Public rounds for everyone; the others for their audience and facilitators."""
    if is_manager(viewer):
        return true()
    conditions = [CommentRound.audience == Audience.PUBLIC.value]
    if viewer is not None and viewer.is_authenticated and viewer.is_active:
        invited = exists().where(RoundMember.round_id == CommentRound.id, RoundMember.user_id == viewer.id)
        conditions.append(invited)
        if viewer.has_role(Role.EXPERT):
            conditions.append(CommentRound.audience == Audience.EXPERTS.value)
        municipalities = staff_municipalities(viewer)
        if municipalities:
            limited = exists().where(RoundMunicipality.round_id == CommentRound.id)
            mine = exists().where(
                RoundMunicipality.round_id == CommentRound.id, RoundMunicipality.municipality_id.in_(municipalities)
            )
            conditions.append(and_(CommentRound.audience == Audience.STAFF.value, or_(~limited, mine)))
    return or_(*conditions)


def can_read(viewer, round_: CommentRound) -> bool:
    """Whether ``viewer`` may read the comments of ``round_``."""
    return (
        db.session.scalar(select(CommentRound.id).where(CommentRound.id == round_.id, visible_rounds(viewer)))
        is not None
    )


def refusal(user, round_: CommentRound, at: datetime | None = None, readable: bool | None = None) -> str | None:
    """Why ``user`` cannot comment in ``round_`` now (or ``at``), translated, or ``None``
    if they can. ``readable``: whether ``user`` may read the round's comments, when the
    caller knows already (:func:`rounds_for_reader`); asked otherwise."""
    status = round_.status_at(at or utcnow())
    if status == RoundStatus.SCHEDULED:
        return _("This round opens on %(date)s.", date=dates.when(round_.opens_at))
    if status == RoundStatus.CLOSED:
        return _("This round closed on %(date)s.", date=dates.when(round_.closes_at))
    if round_.version.status == VersionStatus.SUPERSEDED.value:
        return _(
            "This round was on %(version)s, which a later version has replaced: comment on the current one.",
            version=round_.version.label,
        )
    if not (user and user.is_authenticated):
        return _("Sign in to comment.")
    if not user.is_active or user.is_blocked:
        return _("Your account cannot comment.")
    if readable is None:
        readable = is_manager(user) or can_read(user, round_)
    if readable:
        return None
    if round_.audience == Audience.COMMITTEE.value:
        return _("This round is for the members of the advisory committee invited to it.")
    if round_.audience == Audience.EXPERTS.value:
        return _("This round is for the experts of the advisory committee and those invited.")
    names = municipality_names(round_)
    if names:
        return _("This round is for verified municipal officials of %(names)s.", names=", ".join(names))
    return _("This round is for verified municipal officials.")


def _section_keys(version: Version) -> set[str]:
    return set(db.session.scalars(select(Section.key).where(Section.version_id == version.id)))


def add_comment(
    round_: CommentRound,
    author: User | None,
    section_key: str | None,
    body: str,
    stance: str | None = None,
    wording: str | None = None,
    parent: Comment | None = None,
    channel: str = Channel.ONLINE.value,
    said_by: str = "",
    entered_by: User | None = None,
    at: datetime | None = None,
) -> Comment:
    """A comment (or, with ``parent``, a reply) in ``round_``. ``entered_by``: the
    facilitator entering it for ``author`` or for ``said_by`` (then any time after the
    round opened). ``at``: when it was said (the demo's history; default now). Raises
    :class:`ConsultationError` for someone outside the audience, a round not open, an
    unknown section, an empty or too long text, or a reply to a reply."""
    at = at or utcnow()
    if entered_by is None:
        reason = refusal(author, round_, at)
        if reason:
            raise ConsultationError(reason)
    elif round_.opens_at > at:
        raise ConsultationError(_l("This round has not opened yet."))
    body = checked_text(body, COMMENT_MAX, ConsultationError)
    wording = (wording or "").strip()
    if len(wording) > BODY_MAX:
        raise ConsultationError(_l("The proposed wording is too long: at most %(max)d characters.", max=BODY_MAX))
    if stance in ("", None):
        stance = None
    elif stance not in {s.value for s in Stance}:
        raise ConsultationError(_l("Choose agree, disagree or propose a change."))
    if parent is not None:
        if parent.round_id != round_.id or parent.parent_id is not None:
            raise ConsultationError(_l("Replies answer a comment of the same round, one level deep."))
        section_key = db.session.scalar(
            select(Contribution.section_key).where(Contribution.id == parent.contribution_id)
        )
        stance, wording = None, ""
    else:
        section_key = (section_key or "").strip() or None
        if section_key is not None and section_key not in _section_keys(round_.version):
            raise ConsultationError(_l("This version has no section “%(key)s”.", key=section_key))
    if wording and stance != Stance.CHANGE.value:
        raise ConsultationError(_l("A proposed wording goes with “Proposes a change”."))
    said_by = (said_by or "").strip()
    if len(said_by) > SAID_BY_MAX:
        raise ConsultationError(_l("At most %(max)d characters.", max=SAID_BY_MAX))
    if entered_by is not None and author is None and not said_by:
        raise ConsultationError(_l("Say who said it: choose an account or write a name."))
    contribution = Contribution(
        process_id=round_.process_id,
        space_kind=SpaceKind.ROUND.value,
        space_id=round_.id,
        section_key=section_key,
        author_id=author.id if author is not None else None,
        municipality_id=author.municipality_id if author is not None else None,
        channel=channel,
        created_at=at,
    )
    contribution.set_body(body)
    db.session.add(contribution)
    db.session.flush()
    comment = Comment(
        round_id=round_.id,
        contribution_id=contribution.id,
        parent_id=parent.id if parent is not None else None,
        stance=stance,
        wording_source=wording,
        wording_html=render_markdown(wording),
        said_by=said_by if author is None else "",
        entered_by_id=entered_by.id if entered_by is not None else None,
    )
    db.session.add(comment)
    db.session.flush()
    if entered_by is not None:
        audit.record("comment.on_behalf", actor=entered_by, target_user=author, round=round_.id, comment=comment.id)
    if parent is not None:
        parent_author = db.session.scalar(
            select(Contribution.author_id).where(Contribution.id == parent.contribution_id)
        )
        if parent_author is not None and parent_author != contribution.author_id:
            name = author.public_name if author is not None else said_by
            notify(
                parent_author,
                "round.reply",
                link=comment_path(comment.id),
                name=name,
                title=round_.title,
            )
    return comment


@dataclass
class Thread:
    """A top-level comment and its replies."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


#: Top-level comments (each with its replies) a round shows per page on a version's or a
#: section's page: a section with hundreds of comments stays a page of this size.
THREADS_PER_PAGE = 20


@dataclass
class ThreadPage:
    """One page of a round's threads on a key, and where it sits among them."""

    threads: list[Thread]
    page: int
    #: Top-level comments on the key in the round (all pages).
    total: int
    #: Every comment on the key in the round, replies included.
    comments: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // THREADS_PER_PAGE))


def _on_key(section_key: str | None):
    """A condition on :class:`~core.models.Contribution`: about ``section_key`` (``None``:
    the whole version)."""
    return Contribution.section_key.is_(None) if section_key is None else Contribution.section_key == section_key


def _in_rounds(round_ids):
    """A condition on :class:`~core.models.Contribution`: a comment in one of those
    rounds (a comment's words are a ``round`` contribution whose space is its round), so
    the index on ``(space_kind, space_id, section_key)`` finds them."""
    return and_(Contribution.space_kind == SpaceKind.ROUND.value, Contribution.space_id.in_(round_ids))


#: The order of a round's comments: oldest first, along the contributions' index by space,
#: section and time.
_OLDEST_FIRST = (Contribution.created_at, Contribution.id)


def _top_level(round_ids: list[int], section_key: str | None, viewer):
    """A select of the top-level comments on ``section_key`` in those rounds that
    ``viewer`` may read, each numbered from 1 in its round, oldest first."""
    return (
        select(
            Comment.id,
            Comment.round_id,
            func.row_number().over(partition_by=Comment.round_id, order_by=_OLDEST_FIRST).label("position"),
        )
        .join(Contribution, Comment.contribution_id == Contribution.id)
        .join(CommentRound, Comment.round_id == CommentRound.id)
        .where(_in_rounds(round_ids), Comment.parent_id.is_(None), _on_key(section_key), visible_rounds(viewer))
        .subquery()
    )


def _pages_of_threads(section_key: str | None, skipped: dict[int, int]):
    """Selects of the ids of each round's top-level comments on ``section_key`` after the
    first ``skipped[round id]``, a page of them, oldest first (each read along the index)."""
    n = THREADS_PER_PAGE
    found = []
    for round_id, offset in skipped.items():
        page = (
            select(Contribution.space_id.label("round_id"), Comment.id.label("id"))
            .join(Comment, Comment.contribution_id == Contribution.id)
            .where(
                Contribution.space_kind == SpaceKind.ROUND.value,
                Contribution.space_id == round_id,
                _on_key(section_key),
                Comment.parent_id.is_(None),
            )
            # The key first (one value here): PostgreSQL then sees that the index's order
            # serves this one even for "IS NULL" (the comments on the whole version).
            .order_by(Contribution.section_key, *_OLDEST_FIRST)
            .limit(n)
            .offset(offset)
            .subquery()
        )
        found.append(select(page.c.round_id, page.c.id, null().label("comments"), null().label("threads")))
    return found


def threads(
    round_ids: list[int], section_key: str | None, pages: dict[int, int] | None = None
) -> dict[int, ThreadPage]:
    """``{round id: ThreadPage}``: page ``pages[round id]`` (1 by default; past the last,
    the last) of the threads on ``section_key`` (``None``: the whole version) in those
    rounds, oldest first, with their replies, contributions and authors loaded, and how
    many comments each round has on the key. The caller passes only the rounds the viewer
    may read (:func:`rounds_for_reader`).

    Two queries whatever their number: one counts each round's comments on the key and
    picks its page of threads along the index, one loads them with their replies (and
    one more when a page past the last is asked for)."""
    if not round_ids:
        return {}
    pages = pages or {}
    n = THREADS_PER_PAGE
    found = {round_id: ThreadPage([], 1, 0) for round_id in round_ids}
    skipped = {round_id: (max(1, pages.get(round_id, 1)) - 1) * n for round_id in round_ids}
    counted = (
        select(
            Contribution.space_id.label("round_id"),
            null().label("id"),
            func.count().label("comments"),
            func.count(case((Comment.parent_id.is_(None), 1))).label("threads"),
        )
        .join(Comment, Comment.contribution_id == Contribution.id)
        .where(_in_rounds(round_ids), _on_key(section_key))
        .group_by(Contribution.space_id)
    )
    rows = db.session.execute(union_all(counted, *_pages_of_threads(section_key, skipped))).all()
    shown = {round_id: [] for round_id in round_ids}
    for round_id, comment_id, comments, total in rows:
        if comment_id is None:
            found[round_id].comments, found[round_id].total = comments, total
        else:
            shown[round_id].append(comment_id)
    # A page past the last: the last.
    past = {
        round_id: (paged.total - 1) // n * n
        for round_id, paged in found.items()
        if paged.total and skipped[round_id] >= paged.total
    }
    if past:
        for round_id, comment_id, _comments, _total in db.session.execute(
            union_all(*_pages_of_threads(section_key, past))
        ):
            shown[round_id].append(comment_id)
    for round_id, paged in found.items():
        paged.page = past.get(round_id, skipped[round_id]) // n + 1 if paged.total else 1
    ids = [comment_id for listed in shown.values() for comment_id in listed]
    if not ids:
        return found
    comments = db.session.scalars(
        select(Comment)
        .join(Contribution, Comment.contribution_id == Contribution.id)
        .where(or_(Comment.id.in_(ids), and_(Comment.round_id.in_(round_ids), Comment.parent_id.in_(ids))))
        # Authors are shown by name: their roles are not loaded (and raise if asked for).
        .options(contains_eager(Comment.contribution).joinedload(Contribution.author).raiseload(User.role_assignments))
        .order_by(*_OLDEST_FIRST)
    ).all()
    by_id: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None:
            by_id[comment.id] = Thread(comment)
            found[comment.round_id].threads.append(by_id[comment.id])
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(comment)
    return found


def page_of(comment: Comment, section_key: str | None, viewer) -> int:
    """The page of its round's threads on ``section_key`` (the comment's) where
    ``comment`` is shown, for a link to it (a reply is on its parent's page)."""
    top_id = comment.parent_id or comment.id
    top = _top_level([comment.round_id], section_key, viewer)
    position = db.session.scalar(select(top.c.position).where(top.c.id == top_id))
    return 1 if position is None else (position - 1) // THREADS_PER_PAGE + 1


def counts(round_ids: list[int], readable_by=None) -> dict[tuple[int, str | None], int]:
    """``{(round id, section key): comments}`` in one query (replies included); with
    ``readable_by`` (a viewer), only in the rounds whose comments that viewer may read.
    Counted on the contributions' index by space and section, never row by row."""
    if not round_ids:
        return {}
    statement = (
        select(Contribution.space_id, Contribution.section_key, func.count())
        .where(_in_rounds(round_ids))
        .group_by(Contribution.space_id, Contribution.section_key)
    )
    if readable_by is not None:
        readable = select(CommentRound.id).where(visible_rounds(readable_by))
        statement = statement.where(Contribution.space_id.in_(readable))
    rows = db.session.execute(statement)
    return {(round_id, key): n for round_id, key, n in rows}


def sections_with_counts(version: Version, round_ids: list[int]) -> list[tuple[Section, int]]:
    """The sections of ``version`` in reading order, each with how many comments those
    rounds have on it, replies included (one query; each count is read from the
    contributions' index by space and section)."""
    if round_ids:
        counted = (
            select(func.count())
            .where(_in_rounds(round_ids), Contribution.section_key == Section.key)
            .correlate(Section)
            .scalar_subquery()
        )
    else:
        counted = literal(0)
    rows = db.session.execute(
        select(Section, counted).where(Section.version_id == version.id).order_by(Section.position, Section.id)
    )
    return [(section, n) for section, n in rows]


def rounds_of_model(model_id: int) -> list[CommentRound]:
    """Every round on any version of a model, newest first."""
    return db.session.scalars(
        select(CommentRound)
        .join(Version, CommentRound.version_id == Version.id)
        .where(Version.model_id == model_id)
        .order_by(CommentRound.opens_at.desc(), CommentRound.id.desc())
    ).all()


def rounds_for_reader(model_id: int, viewer) -> list[tuple[CommentRound, bool]]:
    """Every round on any version of a model, newest first, each with whether ``viewer``
    may read its comments (:func:`visible_rounds`), in one query."""
    rows = db.session.execute(
        select(CommentRound, visible_rounds(viewer).label("readable"))
        .join(Version, CommentRound.version_id == Version.id)
        .where(Version.model_id == model_id)
        .order_by(CommentRound.opens_at.desc(), CommentRound.id.desc())
    )
    return [(round_, bool(readable)) for round_, readable in rows]


def rounds_of_version(version: Version) -> list[CommentRound]:
    """The rounds on one version, newest first."""
    return db.session.scalars(
        select(CommentRound)
        .where(CommentRound.version_id == version.id)
        .order_by(CommentRound.opens_at.desc(), CommentRound.id.desc())
    ).all()


def _tell_commenters(old: Version, new: Version) -> None:
    """A publication replaced ``old``: tell everyone who commented on it."""
    authors = db.session.scalars(
        select(Contribution.author_id)
        .join(
            CommentRound,
            and_(Contribution.space_kind == SpaceKind.ROUND.value, Contribution.space_id == CommentRound.id),
        )
        .where(CommentRound.version_id == old.id, Contribution.author_id.is_not(None))
        .distinct()
    ).all()
    for author_id in authors:
        notify(
            author_id,
            "version.superseded",
            link=f"/consultations/versions/{old.id}/diff/{new.id}",
            old=old.name,
            new=new.name,
        )


versions.superseded_listeners.append(_tell_commenters)


@dataclass
class Filters:
    """The facilitators' comment list filters (each optional)."""

    section_key: str | None = None
    stance: str | None = None
    municipality_id: int | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None


def listed(round_: CommentRound, filters: Filters):
    """A select of the round's comments for facilitators, newest first, filtered."""
    statement = (
        select(Comment)
        .join(Contribution, Comment.contribution_id == Contribution.id)
        .where(Comment.round_id == round_.id)
        .options(selectinload(Comment.contribution).selectinload(Contribution.author))
        .order_by(Contribution.created_at.desc(), Comment.id.desc())
    )
    if filters.section_key:
        statement = statement.where(
            Contribution.section_key.is_(None)
            if filters.section_key == "*"
            else Contribution.section_key == filters.section_key
        )
    if filters.stance:
        statement = statement.where(Comment.stance == filters.stance)
    if filters.municipality_id:
        statement = statement.where(Contribution.municipality_id == filters.municipality_id)
    if filters.channel:
        statement = statement.where(Contribution.channel == filters.channel)
    # The dates are the platform's (as the list shows the times); stored times are UTC.
    return statement.where(*between_days(Contribution.created_at, filters.since, filters.until))
