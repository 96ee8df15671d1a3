"""Double coding: samples coded blind by two or more coders, the agreement report
(Krippendorff's alpha from the ``krippendorff`` library, and plain percentage agreement,
per theme and overall), and reconciling disagreements into the final coding.

For each theme, a sample item is a unit and each coder gives it 1 (the theme) or 0 (not
the theme) if they coded the item, nothing (missing) if they did not. Items fewer than two
coders coded are not in the report. Overall alpha pools every (item, theme) pair as a unit;
overall percentage agreement is the share of items on which all their coders chose the very
same set of themes.
"""

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from accounts.models import User
from consultations.coding import services as coding
from consultations.coding.models import CodingSample, SampleCoder, SampleCoding, SampleItem, SampleMark, Theme
from consultations.common import ConsultationError
from core import audit
from core.extensions import db
from core.models import Contribution, utcnow
from core.permissions import is_manager
from core.text import checked_text

audit.register_actions({"coding.reconciled": _l("Double coding reconciled")})

SAMPLE_MAX = 200
TITLE_MAX = 120


def create_sample(process_id: int, title: str, coders: list[User], contribution_ids, actor) -> CodingSample:
    """A sample of those contributions of the process, for ``coders`` (two or more
    facilitators) to code blind. Raises :class:`ConsultationError` for fewer than two
    coders, a coder who is not a facilitator, no contribution, or more than
    :data:`SAMPLE_MAX`."""
    title = checked_text(title, TITLE_MAX, ConsultationError, empty=_l("Give the sample a title."))
    coders = list({c.id: c for c in coders}.values())
    if len(coders) < 2:
        raise ConsultationError(_l("Choose at least two coders."))
    if not all(is_manager(c) for c in coders):
        raise ConsultationError(_l("Coders are facilitators or administrators."))
    ids = sorted(
        set(
            db.session.scalars(
                select(Contribution.id).where(
                    Contribution.id.in_(list(contribution_ids)), Contribution.process_id == process_id
                )
            )
        )
    )
    if not ids:
        raise ConsultationError(_l("The sample has no contributions."))
    if len(ids) > SAMPLE_MAX:
        raise ConsultationError(_l("A sample has at most %(max)d contributions.", max=SAMPLE_MAX))
    sample = CodingSample(process_id=process_id, title=title, created_by_id=getattr(actor, "id", None))
    db.session.add(sample)
    db.session.flush()
    db.session.add_all(SampleCoder(sample_id=sample.id, user_id=c.id) for c in coders)
    db.session.add_all(SampleItem(sample_id=sample.id, contribution_id=i) for i in ids)
    db.session.flush()
    return sample


def draw(statement, size: int) -> list[int]:
    """``size`` contribution ids drawn at random from a select of contributions."""
    ids = db.session.scalars(statement.with_only_columns(Contribution.id).order_by(None)).all()
    return secrets.SystemRandom().sample(ids, min(size, len(ids)))


def coders_of(sample: CodingSample) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(SampleCoder, SampleCoder.user_id == User.id)
        .where(SampleCoder.sample_id == sample.id)
        .order_by(User.id)
    ).all()


def items_of(sample: CodingSample) -> list[SampleItem]:
    return db.session.scalars(
        select(SampleItem).where(SampleItem.sample_id == sample.id).order_by(SampleItem.contribution_id)
    ).all()


def is_coder(sample: CodingSample, user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and db.session.scalar(
            select(SampleCoder.id).where(SampleCoder.sample_id == sample.id, SampleCoder.user_id == user.id)
        )
    )


def own_codings(sample: CodingSample, coder) -> tuple[set[int], dict[int, set[int]]]:
    """What ``coder`` did in the sample: the items marked, and their themes (nobody
    else's: coding is blind)."""
    marked = set(
        db.session.scalars(
            select(SampleMark.contribution_id).where(SampleMark.sample_id == sample.id, SampleMark.coder_id == coder.id)
        )
    )
    themes: dict[int, set[int]] = {}
    for contribution_id, theme_id in db.session.execute(
        select(SampleCoding.contribution_id, SampleCoding.theme_id).where(
            SampleCoding.sample_id == sample.id, SampleCoding.coder_id == coder.id
        )
    ):
        themes.setdefault(contribution_id, set()).add(theme_id)
    return marked, themes


def code_item(sample: CodingSample, contribution_id: int, coder, theme_ids) -> None:
    """Record ``coder``'s themes for an item (replacing theirs). Raises
    :class:`ConsultationError` for someone not coding this sample, an item not in it, or a
    theme of another process."""
    if not is_coder(sample, coder):
        raise ConsultationError(_l("You are not one of this sample's coders."))
    if not db.session.scalar(
        select(SampleItem.id).where(SampleItem.sample_id == sample.id, SampleItem.contribution_id == contribution_id)
    ):
        raise ConsultationError(_l("This contribution is not in the sample."))
    themes = coding._usable(sample.process_id, theme_ids)
    where = (
        SampleCoding.sample_id == sample.id,
        SampleCoding.contribution_id == contribution_id,
        SampleCoding.coder_id == coder.id,
    )
    db.session.execute(delete(SampleCoding).where(*where))
    db.session.add_all(
        SampleCoding(sample_id=sample.id, contribution_id=contribution_id, coder_id=coder.id, theme_id=t.id)
        for t in themes
    )
    mark = db.session.scalar(
        select(SampleMark).where(
            SampleMark.sample_id == sample.id,
            SampleMark.contribution_id == contribution_id,
            SampleMark.coder_id == coder.id,
        )
    )
    if mark is None:
        db.session.add(SampleMark(sample_id=sample.id, contribution_id=contribution_id, coder_id=coder.id))
    else:
        mark.marked_at = utcnow()
    db.session.flush()


@dataclass
class ThemeAgreement:
    theme: Theme
    #: Items at least two coders coded.
    units: int
    alpha: float | None
    percent: float | None


@dataclass
class Disagreement:
    contribution_id: int
    #: ``{coder id: set of theme ids}`` for the coders who coded the item.
    by_coder: dict[int, set[int]]
    reconciled_at: datetime | None = None


@dataclass
class Report:
    coders: list[User]
    units: int
    alpha: float | None
    percent: float | None
    themes: list[ThemeAgreement] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)


def _alpha(rows: list[list[float]]) -> float | None:
    """Krippendorff's alpha (nominal) of a coders × units matrix with ``nan`` for missing;
    ``None`` when it is undefined (fewer than two values in play, or no pairable unit).
    numpy and krippendorff are imported here, not at start: they cost every worker about
    20 MB of memory that only this report needs."""
    import krippendorff
    import numpy as np

    data = np.array(rows, dtype=float)
    if data.size == 0 or np.all(np.isnan(data)):
        return None
    values = np.unique(data[~np.isnan(data)])
    if len(values) < 2:
        return None
    try:
        value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(value) else value


def report(sample: CodingSample) -> Report:
    """The agreement report of a sample (a fixed number of queries)."""
    coders = coders_of(sample)
    coder_ids = [c.id for c in coders]
    marked: dict[int, set[int]] = {}
    for contribution_id, coder_id in db.session.execute(
        select(SampleMark.contribution_id, SampleMark.coder_id).where(SampleMark.sample_id == sample.id)
    ):
        marked.setdefault(contribution_id, set()).add(coder_id)
    chosen: dict[tuple[int, int], set[int]] = {}
    for contribution_id, coder_id, theme_id in db.session.execute(
        select(SampleCoding.contribution_id, SampleCoding.coder_id, SampleCoding.theme_id).where(
            SampleCoding.sample_id == sample.id
        )
    ):
        chosen.setdefault((contribution_id, coder_id), set()).add(theme_id)
    reconciled = dict(
        db.session.execute(
            select(SampleItem.contribution_id, SampleItem.reconciled_at).where(SampleItem.sample_id == sample.id)
        )
        .tuples()
        .all()
    )
    units = sorted(c for c, who in marked.items() if len(who) >= 2)
    theme_ids = sorted({t for (c, _coder), ts in chosen.items() if c in units for t in ts})
    themes = {t.id: t for t in db.session.scalars(select(Theme).where(Theme.id.in_(theme_ids)))} if theme_ids else {}

    def matrix(theme_id: int) -> list[list[float]]:
        return [
            [
                (1.0 if theme_id in chosen.get((unit, coder), set()) else 0.0) if coder in marked[unit] else math.nan
                for unit in units
            ]
            for coder in coder_ids
        ]

    per_theme = []
    pooled: list[list[float]] = [[] for _ in coder_ids]
    for theme_id in theme_ids:
        rows = matrix(theme_id)
        for i, row in enumerate(rows):
            pooled[i].extend(row)
        agreeing = sum(
            1 for unit in units if len({theme_id in chosen.get((unit, coder), set()) for coder in marked[unit]}) == 1
        )
        per_theme.append(
            ThemeAgreement(themes[theme_id], len(units), _alpha(rows), agreeing / len(units) if units else None)
        )
    disagreements = []
    same = 0
    for unit in units:
        sets = {coder: chosen.get((unit, coder), set()) for coder in sorted(marked[unit])}
        if len({frozenset(s) for s in sets.values()}) == 1:
            same += 1
        else:
            disagreements.append(Disagreement(unit, sets, reconciled.get(unit)))
    return Report(
        coders=coders,
        units=len(units),
        alpha=_alpha(pooled) if theme_ids else None,
        percent=same / len(units) if units else None,
        themes=sorted(per_theme, key=lambda a: a.theme.code),
        disagreements=disagreements,
    )


def reconcile(sample: CodingSample, contribution_id: int, theme_ids, actor) -> None:
    """Settle an item's final coding (the contribution's themes) after comparing the
    coders' choices; audited. Raises :class:`ConsultationError` for an item not in the
    sample or a theme of another process."""
    item = db.session.scalar(
        select(SampleItem).where(SampleItem.sample_id == sample.id, SampleItem.contribution_id == contribution_id)
    )
    if item is None:
        raise ConsultationError(_l("This contribution is not in the sample."))
    contribution = db.session.get(Contribution, contribution_id)
    coding.set_codings(contribution, theme_ids, actor)
    item.reconciled_at = utcnow()
    audit.record("coding.reconciled", actor=actor, sample=sample.id, contribution=contribution_id)
    db.session.flush()
