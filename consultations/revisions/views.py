"""Pages for the revision record: the public record of a version, and writing its changes."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import Municipality
from consultations import bp
from consultations.coding import services as coding
from consultations.common import ConsultationError
from consultations.revisions import services as revisions
from consultations.revisions.forms import ChangeForm
from consultations.revisions.models import Change
from consultations.versions import services as versions
from consultations.versions.helpers import version_or_404
from consultations.versions.models import Version
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.models import Contribution
from core.permissions import is_manager, managers_only
from core.privacy import VALUE_LABELS
from core.spaces import places_of, visible_condition
from core.urls import as_id, form_ids
from forums.discussions.models import Post


@bp.get("/versions/<int:version_id>/revisions")
def revision_record(version_id):
    """The revision record of a version: each change with its sections (linking to the
    diff), themes, how many contributions stood behind it, and the cited contributions
    the viewer may see."""
    version = version_or_404(version_id)
    entries = revisions.record(version)
    cited_ids = sorted({i for e in entries for i in e.cited})
    cited = {
        c.id: c
        for c in db.session.scalars(
            select(Contribution)
            .where(
                Contribution.id.in_(cited_ids),
                visible_condition(current_user),
                # A post its author deleted is quoted to nobody (its thread shows a placeholder).
                Contribution.id.not_in(select(Post.contribution_id).where(Post.deleted_at.is_not(None))),
            )
            .options(selectinload(Contribution.author))
        )
    }
    manager = is_manager(current_user)
    return render_template(
        "consultations/revisions/record.html",
        version=version,
        based_on=db.session.get(Version, version.based_on_id) if version.based_on_id else None,
        entries=entries,
        cited=cited,
        places=places_of(cited.values()),
        changed=revisions.changed_keys(version) if manager and version.is_draft else [],
        unexplained=revisions.unexplained(version) if manager and version.is_draft else [],
        manager=manager,
        kinds=VALUE_LABELS.get("space_kind", {}),
        channels=VALUE_LABELS.get("channel", {}),
        municipalities=dict(db.session.execute(select(Municipality.id, Municipality.name)).tuples().all()),
        confirm=ConfirmForm(),
    )


def _ids(text: str | None) -> list[int]:
    found = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip().lstrip("#")
        if part:
            if as_id(part) is None:
                raise ConsultationError(_("Contribution numbers are whole numbers separated by commas."))
            found.append(as_id(part))
    return found


def _change_page(version, form, change, status=200, chosen_keys=(), chosen_themes=()):
    return render_template(
        "consultations/revisions/change_form.html",
        version=version,
        form=form,
        change=change,
        sections=versions.sections_of(version),
        changed=revisions.changed_keys(version),
        explained=revisions.explained_keys(version),
        themes=coding.codebook(version.model.process_id),
        chosen_keys=set(chosen_keys),
        chosen_themes={int(t) for t in chosen_themes},
    ), status


def _save(version, change):
    form = ChangeForm()
    keys = [k for k in request.form.getlist("section") if len(k) <= 40]
    theme_ids = form_ids("theme")
    if form.validate_on_submit():
        try:
            saved = revisions.save_change(
                version,
                change,
                form.summary.data,
                form.reason.data,
                keys,
                theme_ids,
                _ids(form.contributions.data),
                form.editorial.data,
                current_user,
            )
        except ConsultationError as error:
            form.summary.errors.append(str(error))
        else:
            flash(_("Change %(number)d saved.", number=saved.number), "success")
            return redirect(
                url_for("consultations.revision_record", version_id=version.id, _anchor=f"change-{saved.number}")
            )
    return _change_page(version, form, change, INVALID, keys, theme_ids)


@bp.route("/versions/<int:version_id>/revisions/new", methods=["GET", "POST"])
@managers_only
def new_change(version_id):
    """Add a change to a draft's revision record."""
    version = version_or_404(version_id)
    if not version.is_draft:
        flash(str(versions.NEVER_EDITED), "error")
        return redirect(url_for("consultations.revision_record", version_id=version.id), code=303)
    if request.method == "POST":
        return _save(version, None)
    keys = [k for k in request.args.getlist("section") if len(k) <= 40]
    return _change_page(version, ChangeForm(formdata=None), None, chosen_keys=keys)


def _change_or_404(change_id):
    change = db.get_or_404(Change, change_id)
    return change, version_or_404(change.version_id)


@bp.route("/changes/<int:change_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_change(change_id):
    """Rewrite a change of a draft's revision record."""
    change, version = _change_or_404(change_id)
    if not version.is_draft:
        flash(str(versions.NEVER_EDITED), "error")
        return redirect(url_for("consultations.revision_record", version_id=version.id), code=303)
    if request.method == "POST":
        return _save(version, change)
    entry = next(e for e in revisions.record(version) if e.change.id == change.id)
    form = ChangeForm(
        formdata=None,
        summary=change.summary,
        reason=change.reason_source,
        editorial=change.editorial,
        contributions=", ".join(str(i) for i in entry.cited),
    )
    return _change_page(version, form, change, chosen_keys=entry.sections, chosen_themes=[t.id for t in entry.themes])


@bp.post("/changes/<int:change_id>/delete")
@managers_only
def delete_change(change_id):
    """Remove a change from a draft's revision record."""
    change, version = _change_or_404(change_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revisions.delete_change(change)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.revision_record", version_id=version.id), code=303)
    flash(_("Change removed."), "success")
    return redirect(url_for("consultations.revision_record", version_id=version.id))
