"""The consultations floor's kind of space, registered with :mod:`core.spaces`: comment
rounds (their comments), so moderation, notifications, the data download and coding
treat a comment like any other contribution."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consultations.rounds.models import Comment, CommentRound
from consultations.rounds.services import comment_path, visible_rounds
from consultations.versions.models import ConsultationModel, Version
from core.extensions import db
from core.models import Contribution
from core.privacy import extend_value_labels
from core.spaces import Place, Space, SpaceKind, register_space


def _round_places(contributions: list[Contribution]) -> dict[int, Place]:
    rows = db.session.execute(
        select(
            Comment.contribution_id,
            Comment.id,
            CommentRound.title,
            Version.label,
            ConsultationModel.process_id,
        )
        .join(CommentRound, Comment.round_id == CommentRound.id)
        .join(Version, CommentRound.version_id == Version.id)
        .join(ConsultationModel, Version.model_id == ConsultationModel.id)
        .where(Comment.contribution_id.in_([c.id for c in contributions]))
    )
    by_id = {c.id: c for c in contributions}
    found = {}
    for contribution_id, comment_id, title, label, process_id in rows:
        contribution = by_id[contribution_id]
        key = contribution.section_key
        found[contribution_id] = Place(
            f"{title} › {label} {key}" if key else f"{title} › {label}",
            comment_path(comment_id),
            process_id,
            contribution.municipality_id,
        )
    return found


def _round_visible(viewer):
    return Contribution.space_id.in_(select(CommentRound.id).where(visible_rounds(viewer)))


register_space(Space(SpaceKind.ROUND, _round_places, _round_visible))
extend_value_labels("space_kind", {SpaceKind.ROUND.value: _l("Comment round")})
