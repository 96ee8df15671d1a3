"""The consultations landing page: every model with its current version and its rounds."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations import bp
from consultations.rounds.models import CommentRound
from consultations.versions.models import ConsultationModel, Version, VersionStatus
from core.extensions import db
from core.models import utcnow
from core.permissions import is_manager


@bp.get("/")
def index():
    """Models (with their processes), their published versions and the rounds open or
    coming: a fixed number of queries."""
    models = db.session.scalars(
        select(ConsultationModel).options(selectinload(ConsultationModel.process)).order_by(ConsultationModel.id)
    ).all()
    published = db.session.scalars(
        select(Version).where(Version.status == VersionStatus.PUBLISHED.value).order_by(Version.id.desc())
    ).all()
    current = {}
    for version in published:
        current.setdefault(version.model_id, version)
    now = utcnow()
    live = db.session.scalars(
        select(CommentRound).where(CommentRound.closes_at > now).order_by(CommentRound.opens_at)
    ).all()
    return render_template(
        "consultations/index.html",
        models=models,
        current=current,
        rounds=live,
        now=now,
        manager=is_manager(current_user),
    )
