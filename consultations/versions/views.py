"""Pages for models and versions: the model page, drafting, editing sections, publishing,
the outline, the JSON download and the diff between two versions. (The matrix and the
section pages, which carry the comments, are in ``consultations/rounds/views.py``.)"""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from accounts.models import Process
from consultations import bp
from consultations.common import ConsultationError
from consultations.rounds import services as rounds
from consultations.versions import diff as diffs
from consultations.versions import services as versions
from consultations.versions import transfer
from consultations.versions.forms import ModelForm, MoveForm, SectionEditForm, SectionForm, VersionForm
from consultations.versions.helpers import model_or_404, section_or_404, version_or_404
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.permissions import is_manager, managers_only
from core.urls import id_arg


def _process_choices():
    return [SelectChoice(p.id, p.title) for p in db.session.scalars(select(Process).order_by(Process.starts_on.desc()))]


def _back_to(version, message):
    """Back to the version's outline (303) with ``message`` shown as an error."""
    flash(str(message), "error")
    return redirect(url_for("consultations.outline", version_id=version.id), code=303)


@bp.route("/models/new", methods=["GET", "POST"])
@managers_only
def new_model():
    """Start a model for a process."""
    form = ModelForm()
    form.process_id.choices = _process_choices()
    if form.validate_on_submit():
        try:
            model = versions.create_model(form.process_id.data, form.title.data, form.description.data)
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Model created. Add its first version."), "success")
            return redirect(url_for("consultations.model", model_id=model.id))
    status = INVALID if form.errors else 200
    return render_template("consultations/versions/model_form.html", form=form, model=None), status


@bp.get("/models/<int:model_id>")
def model(model_id):
    """A model: its versions (drafts for facilitators), its rounds, and a diff picker."""
    model = model_or_404(model_id)
    manager = is_manager(current_user)
    listed = versions.versions_of(model, drafts=manager)
    return render_template(
        "consultations/versions/model.html",
        model=model,
        versions=listed,
        rounds=rounds.rounds_of_model(model.id),
        manager=manager,
    )


@bp.route("/models/<int:model_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_model(model_id):
    """Rename a model or change its description."""
    model = model_or_404(model_id)
    form = ModelForm(process_id=model.process_id, title=model.title, description=model.description_source).for_changes()
    form.process_id.choices = [SelectChoice(model.process_id, model.process.title)]
    if form.validate_on_submit():
        try:
            versions.update_model(model, form.title.data, form.description.data)
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Model saved."), "success")
            return redirect(url_for("consultations.model", model_id=model.id))
    status = INVALID if form.errors else 200
    return render_template("consultations/versions/model_form.html", form=form, model=model), status


def _version_form_page(form, model, based_on):
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/versions/version_form.html", form=form, model=model, based_on=based_on, version=None
    ), status


@bp.route("/models/<int:model_id>/versions/new", methods=["GET", "POST"])
@managers_only
def new_version(model_id):
    """Start an empty draft (or import one with ``flask consultations import-model``)."""
    model = model_or_404(model_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            version = versions.new_version(model, form.label.data, form.title.data, form.summary.data, current_user)
        except ConsultationError as error:
            form.label.errors.append(str(error))
        else:
            flash(_("Draft started."), "success")
            return redirect(url_for("consultations.outline", version_id=version.id))
    return _version_form_page(form, model, None)


@bp.route("/versions/<int:version_id>/draft", methods=["GET", "POST"])
@managers_only
def draft_from(version_id):
    """Start a new draft as a full copy of a version."""
    based_on = version_or_404(version_id)
    form = VersionForm(title=based_on.title, summary=based_on.summary_source)
    if form.validate_on_submit():
        try:
            version = versions.new_version(
                based_on.model, form.label.data, form.title.data, form.summary.data, current_user, based_on
            )
        except ConsultationError as error:
            form.label.errors.append(str(error))
        else:
            flash(
                _("Draft %(label)s started from %(earlier)s.", label=version.label, earlier=based_on.label), "success"
            )
            return redirect(url_for("consultations.outline", version_id=version.id))
    return _version_form_page(form, based_on.model, based_on)


@bp.route("/versions/<int:version_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_version(version_id):
    """Change a draft's label, title and summary."""
    version = version_or_404(version_id)
    if not version.is_draft:
        return _back_to(version, versions.NEVER_EDITED)
    form = VersionForm(label=version.label, title=version.title, summary=version.summary_source).for_changes()
    if form.validate_on_submit():
        try:
            versions.update_version(version, form.label.data, form.title.data, form.summary.data)
        except ConsultationError as error:
            form.label.errors.append(str(error))
        else:
            flash(_("Version saved."), "success")
            return redirect(url_for("consultations.outline", version_id=version.id))
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/versions/version_form.html", form=form, model=version.model, based_on=None, version=version
    ), status


@bp.route("/versions/<int:version_id>/publish", methods=["GET", "POST"])
@managers_only
def publish(version_id):
    """Ask for confirmation, then publish a draft."""
    version = version_or_404(version_id)
    if not version.is_draft:
        return _back_to(version, _("This version is already published."))
    current = versions.current_version(version.model)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            versions.publish(version, current_user)
        except ConsultationError as error:
            # Nothing was written: back to the confirmation, which lists what is missing.
            flash(str(error), "error")
            return redirect(url_for("consultations.publish", version_id=version.id), code=303)
        flash(_("%(name)s is published.", name=version.name), "success")
        return redirect(url_for("consultations.version", version_id=version.id))
    return render_template(
        "consultations/versions/publish.html",
        version=version,
        current=current,
        form=form,
        problems=versions.publish_problems(version),
    )


@bp.get("/versions/<int:version_id>/sections")
def outline(version_id):
    """Every section of a version in reading order; for a draft, the editing tools."""
    version = version_or_404(version_id)
    return render_template(
        "consultations/versions/outline.html",
        version=version,
        sections=versions.sections_of(version),
        manager=is_manager(current_user),
        move_form=MoveForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/versions/<int:version_id>/new-section", methods=["GET", "POST"])
@managers_only
def new_section(version_id):
    """Add a section to a draft."""
    version = version_or_404(version_id)
    if not version.is_draft:
        return _back_to(version, versions.NEVER_EDITED)
    form = SectionForm(key=request.args.get("key", "")[:40] if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            section = versions.add_section(version, form.key.data, form.title.data, form.body.data)
        except ConsultationError as error:
            form.key.errors.append(str(error))
        else:
            flash(_("Section %(key)s added.", key=section.key), "success")
            return redirect(url_for("consultations.outline", version_id=version.id, _anchor=f"section-{section.key}"))
    status = INVALID if form.errors else 200
    return render_template("consultations/versions/section_form.html", form=form, version=version, section=None), status


@bp.route("/versions/<int:version_id>/sections/<key>/edit", methods=["GET", "POST"])
@managers_only
def edit_section(version_id, key):
    """Change a draft section's title and text."""
    version = version_or_404(version_id)
    section = section_or_404(version, key)
    if not version.is_draft:
        return _back_to(version, versions.NEVER_EDITED)
    form = SectionEditForm(title=section.title, body=section.body_source)
    if form.validate_on_submit():
        try:
            versions.save_section(section, form.title.data, form.body.data)
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Section %(key)s saved.", key=section.key), "success")
            return redirect(url_for("consultations.section", version_id=version.id, key=section.key))
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/versions/section_form.html", form=form, version=version, section=section
    ), status


@bp.post("/versions/<int:version_id>/sections/<key>/delete")
@managers_only
def delete_section(version_id, key):
    """Remove a section from a draft."""
    version = version_or_404(version_id)
    section = section_or_404(version, key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        versions.delete_section(version, section)
    except ConsultationError as error:
        return _back_to(version, error)
    flash(_("Section %(key)s removed.", key=key), "success")
    return redirect(url_for("consultations.outline", version_id=version.id))


@bp.post("/versions/<int:version_id>/sections/<key>/move")
@managers_only
def move_section(version_id, key):
    """Move a draft section one place up or down."""
    version = version_or_404(version_id)
    section = section_or_404(version, key)
    form = MoveForm()
    if not form.validate_on_submit() or form.direction.data not in ("up", "down"):
        return _back_to(version, _("Choose up or down."))
    try:
        versions.move_section(version, section, -1 if form.direction.data == "up" else 1)
    except ConsultationError as error:
        return _back_to(version, error)
    return redirect(url_for("consultations.outline", version_id=version.id, _anchor=f"section-{key}"))


@bp.get("/versions/<int:version_id>/export.json")
def export_version(version_id):
    """The version as a file to import elsewhere (``flask consultations import-model``)."""
    version = version_or_404(version_id)
    text = transfer.dumps(transfer.export_version(version))
    filename = f"model-{version.model_id}-{version.label}.json"
    return Response(
        text,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/models/<int:model_id>/diff")
def pick_diff(model_id):
    """The diff picker's target: send to the diff of the two chosen versions."""
    model = model_or_404(model_id)
    chosen = []
    for name in ("from", "to"):
        value = id_arg(name)
        if value is None:
            flash(_("Choose two versions to compare."), "error")
            return redirect(url_for("consultations.model", model_id=model.id), code=303)
        chosen.append(version_or_404(value))
    if any(v.model_id != model.id for v in chosen):
        abort(404)
    return redirect(url_for("consultations.diff", old_id=chosen[0].id, new_id=chosen[1].id))


@bp.get("/versions/<int:old_id>/diff/<int:new_id>")
def diff(old_id, new_id):
    """Two versions of one model compared section by section, with word-level changes."""
    old, new = version_or_404(old_id), version_or_404(new_id)
    if old.model_id != new.model_id:
        abort(404)
    comparison = diffs.compare(versions.sections_of(old), versions.sections_of(new))
    return render_template(
        "consultations/versions/diff.html",
        old=old,
        new=new,
        comparison=comparison,
        choices=versions.versions_of(old.model, drafts=is_manager(current_user)),
    )
