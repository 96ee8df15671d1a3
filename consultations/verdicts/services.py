"""Rules for verdicts: what became of each contribution.

A verdict is derived where it can be and written where it must be:

- *received*: nothing happened yet (the default; never stored);
- *under consideration*: coded with a theme;
- *taken into version X by change C*: cited by a change of a published version, or coded
  with a theme such a change cites when that version was published after the contribution
  was made (the earliest version, then a direct citation, then the lowest change number);
- *not taken* or *out of scope*: written by a facilitator with a reason, for one
  contribution or once for every contribution of a theme that no change took;
- a facilitator's decision on one contribution overrides whatever would be derived.

Decisions stay private until verdicts are published, in a batch: with each published
version (a listener of :mod:`consultations.versions.services`) or on their own. A batch
stores the verdicts that changed, copies them onto the contributions (for their badges)
and sends one notification per person. Services flush; the request commits.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, select, union, update
from sqlalchemy.orm import joinedload

from accounts.models import User
from consultations.coding.models import Coding, Theme
from consultations.common import ConsultationError
from consultations.revisions.models import Change, ChangeContribution, ChangeTheme
from consultations.verdicts.models import Batch, Decision, Verdict
from consultations.versions import services as versions
from consultations.versions.models import ConsultationModel, Version, VersionStatus
from core import audit
from core.extensions import db
from core.models import Contribution, utcnow
from core.notifications import notify, register_kinds
from core.text import checked_text, render_markdown
from core.verdicts import VerdictStatus
from forums.discussions.models import Post
from forums.sheets.models import Attendee

REASON_MAX = 1000
#: What a facilitator may write: a "taken" verdict always comes from a change.
DECIDABLE = (VerdictStatus.NOT_TAKEN, VerdictStatus.OUT_OF_SCOPE, VerdictStatus.CONSIDERING)
#: What may be written once for a whole theme.
THEME_DECIDABLE = (VerdictStatus.NOT_TAKEN, VerdictStatus.OUT_OF_SCOPE)

register_kinds(
    {
        "verdicts.taken": lambda p: ngettext(
            "%(num)d of your contributions was taken into %(version)s.",
            "%(num)d of your contributions were taken into %(version)s.",
            p["taken"],
            version=p["version"],
        ),
        "verdicts.published": lambda p: ngettext(
            "There is an answer about %(num)d of your contributions: see what became of it.",
            "There is an answer about %(num)d of your contributions: see what became of them.",
            p["num"],
        ),
    },
    group=_l("What became of your contributions"),
)
audit.register_actions({"verdicts.published": _l("Verdicts published")})


@dataclass
class Derived:
    """What the rules say about one contribution now."""

    status: str
    version_id: int | None = None
    version_label: str | None = None
    change_id: int | None = None
    change_number: int | None = None
    reason_html: str = ""
    theme_id: int | None = None

    def key(self) -> tuple:
        return (self.status, self.version_id, self.change_id, self.reason_html, self.theme_id)


def decide(
    process_id: int,
    status: str,
    reason: str,
    actor,
    contribution: Contribution | None = None,
    theme: Theme | None = None,
) -> Decision:
    """Write (or rewrite) the decision for one contribution or for a theme. Raises
    :class:`ConsultationError` for a status that cannot be written for it, a missing or
    too long reason, or a target of another process."""
    allowed = THEME_DECIDABLE if theme is not None else DECIDABLE
    if status not in {s.value for s in allowed}:
        raise ConsultationError(_l("Choose what became of it."))
    reason = checked_text(
        reason,
        REASON_MAX,
        ConsultationError,
        empty=_l("Give the reason: people will read it."),
        too_long=_l("At most %(max)d characters."),
    )
    target = contribution if contribution is not None else theme
    if target is None or target.process_id != process_id:
        raise ConsultationError(_l("Choose a contribution or a theme of this process."))
    if contribution is not None:
        decision = db.session.scalar(select(Decision).where(Decision.contribution_id == contribution.id))
    else:
        decision = db.session.scalar(select(Decision).where(Decision.theme_id == theme.id))
    if decision is None:
        decision = Decision(
            process_id=process_id,
            contribution_id=contribution.id if contribution is not None else None,
            theme_id=theme.id if theme is not None else None,
        )
        db.session.add(decision)
    decision.status = status
    decision.reason_source = reason
    decision.reason_html = render_markdown(reason)
    decision.decided_by_id = getattr(actor, "id", None)
    decision.decided_at = utcnow()
    db.session.flush()
    return decision


def decisions(process_id: int) -> list[Decision]:
    """The process's written decisions, newest first."""
    return db.session.scalars(
        select(Decision).where(Decision.process_id == process_id).order_by(Decision.decided_at.desc(), Decision.id)
    ).all()


def _taken(process_id: int) -> dict[int, Derived]:
    """Contributions taken by a change of a published version: cited, or coded with a
    cited theme; the earliest version wins, then a direct citation, then the lowest number."""
    published = (
        select(Change.id, Change.number, Version.id.label("version_id"), Version.label, Version.published_at)
        .join(Version, Change.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(ConsultationModel.process_id == process_id, Version.status != VersionStatus.DRAFT.value)
        .subquery()
    )
    direct = select(
        ChangeContribution.contribution_id,
        published.c.id,
        published.c.number,
        published.c.version_id,
        published.c.label,
        published.c.published_at,
    ).join(published, published.c.id == ChangeContribution.change_id)
    themed = (
        select(
            Coding.contribution_id,
            published.c.id,
            published.c.number,
            published.c.version_id,
            published.c.label,
            published.c.published_at,
        )
        .join(ChangeTheme, ChangeTheme.theme_id == Coding.theme_id)
        .join(published, published.c.id == ChangeTheme.change_id)
        # Through a theme, only a version published after the contribution was made took it.
        .join(Contribution, Contribution.id == Coding.contribution_id)
        .where(published.c.published_at > Contribution.created_at)
    )
    candidates: dict[int, tuple] = {}
    for rank, statement in ((0, direct), (1, themed)):
        for contribution_id, change_id, number, version_id, label, published_at in db.session.execute(statement):
            order = (published_at, version_id, rank, number)
            current = candidates.get(contribution_id)
            if current is None or order < current[0]:
                candidates[contribution_id] = (order, change_id, number, version_id, label)
    return {
        contribution_id: Derived(
            VerdictStatus.TAKEN.value,
            version_id=version_id,
            version_label=label,
            change_id=change_id,
            change_number=number,
        )
        for contribution_id, (_order, change_id, number, version_id, label) in candidates.items()
    }


def derive(process_id: int) -> dict[int, Derived]:
    """``{contribution id: Derived}`` for every contribution of the process that is more
    than "received" (a fixed number of queries)."""
    found: dict[int, Derived] = {}
    coded = db.session.scalars(
        select(Coding.contribution_id)
        .join(Contribution, Contribution.id == Coding.contribution_id)
        .where(Contribution.process_id == process_id)
        .distinct()
    )
    for contribution_id in coded:
        found[contribution_id] = Derived(VerdictStatus.CONSIDERING.value)
    # A decision on a theme covers its contributions that no change took (by theme code).
    rows = db.session.execute(
        select(Coding.contribution_id, Decision, Theme.code)
        .join(Decision, Decision.theme_id == Coding.theme_id)
        .join(Theme, Theme.id == Coding.theme_id)
        .where(Decision.process_id == process_id)
        .order_by(Theme.code.desc())
    )
    for contribution_id, decision, _code in rows:
        found[contribution_id] = Derived(decision.status, reason_html=decision.reason_html, theme_id=decision.theme_id)
    found.update(_taken(process_id))
    for decision in db.session.scalars(
        select(Decision).where(Decision.process_id == process_id, Decision.contribution_id.is_not(None))
    ):
        found[decision.contribution_id] = Derived(decision.status, reason_html=decision.reason_html)
    return found


#: Ids per ``IN (...)`` list: a large process publishes hundreds of thousands of verdicts
#: at once, more than SQLite takes in one statement.
IDS_PER_QUERY = 10_000


def _people(contribution_ids: list[int]) -> dict[int, int]:
    """``{contribution id: account id}``: its author, or the account of the attendee who
    said it in the room (one query per ``IDS_PER_QUERY`` ids)."""
    people = {}
    for start in range(0, len(contribution_ids), IDS_PER_QUERY):
        for contribution_id, author_id, attendee_user in db.session.execute(
            select(Contribution.id, Contribution.author_id, Attendee.user_id)
            .outerjoin(Attendee, Attendee.id == Contribution.attendee_id)
            .where(Contribution.id.in_(contribution_ids[start : start + IDS_PER_QUERY]))
        ):
            person = author_id or attendee_user
            if person is not None:
                people[contribution_id] = person
    return people


def publish_batch(process_id: int, version: Version | None, actor) -> Batch:
    """Publish every verdict of the process that changed since the last batch: store it,
    copy it onto the contribution, and tell each person once ("3 of your contributions
    were taken into v0.2"). Returns the batch (``changed`` says how many)."""
    batch = Batch(
        process_id=process_id, version_id=version.id if version else None, published_by_id=getattr(actor, "id", None)
    )
    db.session.add(batch)
    db.session.flush()
    derived = derive(process_id)
    existing = {
        v.contribution_id: v
        for v in db.session.scalars(
            select(Verdict)
            .join(Contribution, Contribution.id == Verdict.contribution_id)
            .where(Contribution.process_id == process_id)
        )
    }
    for contribution_id, verdict in existing.items():
        if contribution_id not in derived and verdict.status != VerdictStatus.RECEIVED.value:
            derived[contribution_id] = Derived(VerdictStatus.RECEIVED.value)
    changed: dict[int, Derived] = {}
    now = utcnow()
    for contribution_id, d in derived.items():
        verdict = existing.get(contribution_id)
        if (
            verdict is not None
            and (verdict.status, verdict.version_id, verdict.change_id, verdict.reason_html, verdict.theme_id)
            == d.key()
        ):
            continue
        if verdict is None:
            verdict = Verdict(contribution_id=contribution_id)
            db.session.add(verdict)
        verdict.status, verdict.version_id, verdict.change_id = d.status, d.version_id, d.change_id
        verdict.reason_html, verdict.theme_id = d.reason_html, d.theme_id
        verdict.batch_id, verdict.published_at = batch.id, now
        changed[contribution_id] = d
    if changed:
        db.session.flush()
        db.session.execute(
            update(Contribution),
            [
                {
                    "id": contribution_id,
                    "verdict_status": d.status,
                    "verdict_version_id": d.version_id,
                    "verdict_version_label": d.version_label,
                    "verdict_change_number": d.change_number,
                }
                for contribution_id, d in changed.items()
            ],
        )
    batch.changed = len(changed)
    _tell(changed, version)
    audit.record("verdicts.published", actor=actor, process=process_id, batch=batch.id, changed=len(changed))
    db.session.flush()
    return batch


def _tell(changed: dict[int, Derived], version: Version | None) -> None:
    """One notification per person for the whole batch."""
    news = {cid: d for cid, d in changed.items() if d.status != VerdictStatus.RECEIVED.value}
    by_person: dict[int, list[Derived]] = {}
    for contribution_id, person in _people(list(news)).items():
        by_person.setdefault(person, []).append(news[contribution_id])
    for person, items in by_person.items():
        taken = [d for d in items if d.status == VerdictStatus.TAKEN.value]
        if taken:
            # Name a version these contributions really went into (one coded late may be
            # taken into an earlier version than the one being published), and count those.
            into = [d.version_id for d in taken]
            chosen = version.id if version is not None and version.id in into else into[0]
            notify(
                person,
                "verdicts.taken",
                link="/consultations/mine",
                num=len(items),
                taken=into.count(chosen),
                version=next(d.version_label for d in taken if d.version_id == chosen),
            )
        else:
            notify(person, "verdicts.published", link="/consultations/mine", num=len(items))


def _on_publish(version: Version, actor) -> None:
    publish_batch(version.model.process_id, version, actor)


versions.published_listeners.append(_on_publish)


def mine(user):
    """A select of everything ``user`` said: as author, or as the attendee (checked in
    with their account) a facilitator wrote a remark or a card for; newest first."""
    attended = select(Attendee.id).where(Attendee.user_id == user.id)
    # Two selects on their own indexes, not one OR (which PostgreSQL reads row by row);
    # their ids lead the FROM, so whatever is joined after is looked up for them alone.
    said = union(
        select(Contribution.id).where(Contribution.author_id == user.id),
        select(Contribution.id).where(Contribution.attendee_id.in_(attended)),
    ).subquery("said")
    return (
        select(Contribution)
        .select_from(said)
        .join(Contribution, Contribution.id == said.c.id)
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
    )


def mine_listed(user):
    """:func:`mine` with what "Mis aportes" prints of each contribution, as rows of
    ``(contribution, deleted, verdict, change, version)``: its author by name (their
    roles not loaded), whether it is a forum post its author deleted, and its published
    verdict with the change and version it was taken into (``None`` when unpublished)."""
    return (
        mine(user)
        .add_columns(Post.id.is_not(None).label("deleted"), Verdict, Change, Version)
        .outerjoin(Post, and_(Post.contribution_id == Contribution.id, Post.deleted_at.is_not(None)))
        .outerjoin(Verdict, Verdict.contribution_id == Contribution.id)
        .outerjoin(Change, Change.id == Verdict.change_id)
        .outerjoin(Version, Version.id == Verdict.version_id)
        .options(joinedload(Contribution.author).raiseload(User.role_assignments))
    )
