"""After registering, a newcomer is led to the citizen forum of their municipality."""

from flask import url_for
from sqlalchemy import case, select

from core.extensions import db
from core.welcome import register_welcome
from forums.discussions.models import Forum, ForumKind, ForumStatus


def citizen_forum_id(municipality_id: int | None) -> int | None:
    """The citizen forum of ``municipality_id`` (an open one first, then the newest),
    leaving archived forums out; ``None`` when it has none."""
    if municipality_id is None:
        return None
    open_first = case((Forum.status == ForumStatus.OPEN.value, 0), else_=1)
    return db.session.scalar(
        select(Forum.id)
        .where(
            Forum.municipality_id == municipality_id,
            Forum.kind == ForumKind.CITIZEN.value,
            Forum.status != ForumStatus.ARCHIVED.value,
        )
        .order_by(open_first, Forum.id.desc())
        .limit(1)
    )


def _welcome(user) -> str | None:
    forum_id = citizen_forum_id(getattr(user, "municipality_id", None))
    return url_for("forums.forum", forum_id=forum_id) if forum_id else None


register_welcome(_welcome)
