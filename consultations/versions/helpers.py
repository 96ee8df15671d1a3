"""Lookups the consultation pages share: a model, a version or a section, or 404."""

from flask import abort
from flask_login import current_user

from consultations.versions import services as versions
from consultations.versions.models import ConsultationModel, Section, Version
from core.extensions import db
from core.permissions import is_manager


def model_or_404(model_id: int) -> ConsultationModel:
    """The model; 404 if unknown."""
    return db.get_or_404(ConsultationModel, model_id)


def version_or_404(version_id: int) -> Version:
    """The version; 404 if unknown, or a draft and the viewer does not manage."""
    version = db.get_or_404(Version, version_id)
    if version.is_draft and not is_manager(current_user):
        abort(404)
    return version


def section_or_404(version: Version, key: str) -> Section:
    """The section ``key`` of ``version``; 404 if it has none."""
    section = versions.section_of(version, key)
    if section is None:
        abort(404)
    return section
