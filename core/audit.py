"""The audit log: who did what to whom, and when."""

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import utcnow
from core.roles import Role

#: Translated labels of audit actions; each floor registers its own.
ACTION_LABELS: dict = {}

DETAIL_LABELS = {
    "role": _l("Role"),
    "municipality": _l("Municipality"),
    "organisation": _l("Organisation"),
    "note": _l("Note"),
}


def register_actions(labels: dict) -> None:
    """Register translated (lazy) labels for audit action names."""
    ACTION_LABELS.update(labels)


class AuditEntry(db.Model):
    """One recorded action (role changes, verifications, moderation, deletions)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    detail_json: Mapped[str] = mapped_column(Text, default="{}")

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
    target_user = relationship("User", foreign_keys=[target_user_id], lazy="joined")

    @property
    def action_label(self):
        """The translated description of the action (the raw name if none is registered)."""
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def detail_items(self) -> list[tuple]:
        """(translated label, shown value) for each non-empty detail."""
        items = []
        for key, value in self.detail.items():
            if value in (None, ""):
                continue
            if key == "role" and value in Role._value2member_map_:
                value = Role(value).label
            items.append((DETAIL_LABELS.get(key, key), value))
        return items

    @property
    def detail(self) -> dict:
        """The recorded details as a dictionary."""
        return json.loads(self.detail_json or "{}")


def record(action: str, actor=None, target_user=None, target_user_id=None, **detail) -> AuditEntry:
    """Add an audit entry to the session (flushed with the request's transaction).

    The person concerned is ``target_user`` or, where only the id is at hand, ``target_user_id``.
    """
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        target_user_id=getattr(target_user, "id", target_user_id),
        detail_json=json.dumps(detail, sort_keys=True, default=str),
    )
    db.session.add(entry)
    return entry
