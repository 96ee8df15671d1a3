"""Administration: municipalities, organisations, processes, users and roles, the
verification queue and the audit log."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from accounts import admin_bp as bp
from accounts import services
from accounts.choices import municipality_choices, organisation_choices, organisation_kind_choices
from accounts.forms import (
    DecisionForm,
    GrantRoleForm,
    MunicipalityForm,
    OrganisationForm,
    PhaseForm,
    ProcessForm,
)
from accounts.models import (
    Municipality,
    Organisation,
    Phase,
    Process,
    RequestStatus,
    RoleAssignment,
    StaffRequest,
    User,
)
from core.audit import AuditEntry
from core.confirm import confirm_page
from core.extensions import db
from core.forms import INVALID, ConfirmForm, clean_text
from core.permissions import role_required
from core.roles import Role
from core.urls import page_arg

admin_only = role_required(Role.ADMIN)


def _get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _name_taken(model, column, value, exclude_id=None) -> bool:
    query = select(model.id).where(func.lower(column) == value.strip().lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


@bp.get("/")
@admin_only
def index():
    """The administration dashboard."""
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None))),
        "municipalities": db.session.scalar(select(func.count(Municipality.id))),
        "organisations": db.session.scalar(select(func.count(Organisation.id))),
        "processes": db.session.scalar(select(func.count(Process.id))),
        "pending": db.session.scalar(
            select(func.count(StaffRequest.id)).where(StaffRequest.status == RequestStatus.PENDING.value)
        ),
    }
    return render_template("admin/index.html", counts=counts)


# Municipalities ---------------------------------------------------------------------


@bp.get("/municipalities")
@admin_only
def municipalities():
    """All municipalities."""
    rows = db.session.scalars(select(Municipality).order_by(Municipality.name)).all()
    return render_template("admin/municipalities.html", municipalities=rows)


@bp.route("/municipalities/new", methods=["GET", "POST"], defaults={"municipality_id": None})
@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
@admin_only
def municipality_form(municipality_id):
    """Create or edit a municipality."""
    municipality = _get_or_404(Municipality, municipality_id) if municipality_id else None
    form = MunicipalityForm(obj=municipality).for_changes(municipality is not None)
    if form.validate_on_submit():
        if _name_taken(Municipality, Municipality.name, form.name.data, municipality_id):
            form.name.errors.append(_("A municipality with this name already exists."))
        else:
            if municipality is None:
                municipality = Municipality()
                db.session.add(municipality)
            municipality.name = form.name.data.strip()
            municipality.region = (form.region.data or "").strip()
            municipality.in_commission = form.in_commission.data
            db.session.flush()
            flash(_("Municipality saved."), "success")
            return redirect(url_for("admin.municipalities"))
    status = INVALID if form.errors else 200
    return render_template("admin/municipality_form.html", form=form, municipality=municipality), status


# Organisations ----------------------------------------------------------------------


@bp.get("/organisations")
@admin_only
def organisations():
    """All organisations."""
    rows = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/organisations.html", organisations=rows)


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@admin_only
def organisation_form(organisation_id):
    """Create or edit an organisation."""
    organisation = _get_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation).for_changes(organisation is not None)
    form.kind.choices = organisation_kind_choices()
    if form.validate_on_submit():
        if _name_taken(Organisation, Organisation.name, form.name.data, organisation_id):
            form.name.errors.append(_("An organisation with this name already exists."))
        else:
            if organisation is None:
                organisation = Organisation()
                db.session.add(organisation)
            organisation.name = form.name.data.strip()
            organisation.acronym = (form.acronym.data or "").strip()
            organisation.kind = form.kind.data
            db.session.flush()
            flash(_("Organisation saved."), "success")
            return redirect(url_for("admin.organisations"))
    status = INVALID if form.errors else 200
    return render_template("admin/organisation_form.html", form=form, organisation=organisation), status


# Processes --------------------------------------------------------------------------


@bp.get("/processes")
@admin_only
def processes():
    """All co-creation processes."""
    rows = db.session.scalars(select(Process).order_by(Process.starts_on.desc())).all()
    return render_template("admin/processes.html", processes=rows)


@bp.route("/processes/new", methods=["GET", "POST"], defaults={"process_id": None})
@bp.route("/processes/<int:process_id>", methods=["GET", "POST"])
@admin_only
def process_form(process_id):
    """Create or edit a process; an existing one also lists and adds phases."""
    process = _get_or_404(Process, process_id) if process_id else None
    form = ProcessForm(obj=process, prefix="process").for_changes(process is not None)
    form.coordinator.choices = organisation_choices()
    if request.method == "GET" and process is not None:
        form.coordinator.data = process.coordinator_id
    if form.validate_on_submit():
        if _name_taken(Process, Process.title, form.title.data, process_id):
            form.title.errors.append(_("A process with this title already exists."))
        else:
            if process is None:
                process = Process()
                db.session.add(process)
            process.title = form.title.data.strip()
            process.description = form.description.data or ""
            process.starts_on = form.starts_on.data
            process.ends_on = form.ends_on.data
            process.coordinator_id = form.coordinator.data
            db.session.flush()
            flash(_("Process saved."), "success")
            return redirect(url_for("admin.process_form", process_id=process.id))
    status = INVALID if form.errors else 200
    phase_form = PhaseForm(prefix="phase", formdata=None)
    return (
        render_template("admin/process_form.html", form=form, process=process, phase_form=phase_form),
        status,
    )


@bp.post("/processes/<int:process_id>/phases")
@admin_only
def add_phase(process_id):
    """Add a dated phase to a process."""
    process = _get_or_404(Process, process_id)
    phase_form = PhaseForm(prefix="phase")
    if phase_form.validate_on_submit():
        process.phases.append(
            Phase(
                name=phase_form.name.data.strip(), starts_on=phase_form.starts_on.data, ends_on=phase_form.ends_on.data
            )
        )
        db.session.flush()
        flash(_("Phase added."), "success")
        return redirect(url_for("admin.process_form", process_id=process.id))
    form = ProcessForm(obj=process, prefix="process", formdata=None).for_changes()
    form.coordinator.choices = organisation_choices()
    form.coordinator.data = process.coordinator_id
    return (
        render_template("admin/process_form.html", form=form, process=process, phase_form=phase_form),
        INVALID,
    )


@bp.post("/processes/<int:process_id>/phases/<int:phase_id>/delete")
@admin_only
def delete_phase(process_id, phase_id):
    """Remove a phase from a process."""
    phase = _get_or_404(Phase, phase_id)
    if phase.process_id != process_id or not ConfirmForm().validate_on_submit():
        abort(404 if phase.process_id != process_id else 400)
    db.session.delete(phase)
    flash(_("Phase removed."), "success")
    return redirect(url_for("admin.process_form", process_id=process_id))


# Users and roles --------------------------------------------------------------------


@bp.get("/users")
@admin_only
def users():
    """Accounts, searchable by name or email, paginated."""
    query_text = clean_text(request.args.get("q")).strip()[:100]
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.display_name, User.id)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(or_(func.lower(User.display_name).like(pattern), User.email.like(pattern)))
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["USERS_PER_PAGE"], error_out=False)
    return render_template("admin/users.html", page=page, q=query_text)


def _grant_form():
    form = GrantRoleForm()
    form.municipality.choices = municipality_choices()
    form.organisation.choices = organisation_choices()
    return form


@bp.get("/users/<int:user_id>")
@admin_only
def user_detail(user_id):
    """One account: its roles, and a form to grant another."""
    user = _get_or_404(User, user_id)
    return render_template("admin/user.html", user=user, form=_grant_form(), revoke_form=ConfirmForm())


@bp.post("/users/<int:user_id>/roles")
@admin_only
def grant_role(user_id):
    """Grant a role to an account (recorded in the audit log)."""
    user = _get_or_404(User, user_id)
    if user.deleted_at is not None:
        abort(404)
    form = _grant_form()
    if form.validate_on_submit():
        try:
            assignment = services.grant_role(
                current_user, user, Role(form.role.data), form.municipality.data, form.organisation.data
            )
        except services.AccountError as error:
            form.role.errors.append(str(error))
        else:
            flash(_("Role granted: %(role)s.", role=assignment.role_label), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return (
        render_template("admin/user.html", user=user, form=form, revoke_form=ConfirmForm()),
        INVALID,
    )


@bp.route("/roles/<int:assignment_id>/revoke", methods=["GET", "POST"])
@admin_only
def revoke_role(assignment_id):
    """Take a role away, after a confirmation step (GET); recorded in the audit log."""
    assignment = _get_or_404(RoleAssignment, assignment_id)
    user_id = assignment.user_id
    form = ConfirmForm()
    if not form.is_submitted():
        role = f"{assignment.role_label} — {assignment.scope_name}" if assignment.scope_name else assignment.role_label
        return confirm_page(
            question=_("Remove the role %(role)s from %(name)s?", role=role, name=assignment.user.public_name),
            explanation=_("They lose what this role allows at once. You can grant it again later."),
            button=_("Remove the role"),
            action=url_for("admin.revoke_role", assignment_id=assignment.id),
            back=url_for("admin.user_detail", user_id=user_id),
            back_label=_("Back to the account"),
            form=form,
        )
    if not form.validate():
        abort(400)
    try:
        services.revoke_role(current_user, assignment)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        flash(_("Role removed."), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


# Verification queue -----------------------------------------------------------------


@bp.get("/staff-requests")
@role_required(Role.ADMIN, Role.FACILITATOR)
def staff_requests():
    """Pending requests to be verified as a municipal official, and recent decisions."""
    pending = db.session.scalars(
        select(StaffRequest)
        .where(StaffRequest.status == RequestStatus.PENDING.value)
        .order_by(StaffRequest.created_at, StaffRequest.id)
    ).all()
    decided = db.session.scalars(
        select(StaffRequest)
        .where(StaffRequest.status != RequestStatus.PENDING.value)
        .order_by(StaffRequest.decided_at.desc())
        .limit(20)
    ).all()
    return render_template("admin/staff_requests.html", pending=pending, decided=decided, form=DecisionForm())


@bp.post("/staff-requests/<int:request_id>/<any(approve, reject):decision>")
@role_required(Role.ADMIN, Role.FACILITATOR)
def decide_staff_request(request_id, decision):
    """Approve or reject a verification request."""
    staff_request = _get_or_404(StaffRequest, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The note is too long."), "error")
        return redirect(url_for("admin.staff_requests"))
    try:
        services.decide_staff_request(current_user, staff_request, decision == "approve", form.note.data or "")
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        if decision == "approve":
            flash(_("%(name)s is now a verified official.", name=staff_request.user.public_name), "success")
        else:
            flash(_("The request was rejected."), "info")
    return redirect(url_for("admin.staff_requests"))


# Audit log --------------------------------------------------------------------------


@bp.get("/audit")
@admin_only
def audit_log():
    """Every recorded action, newest first, paginated."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["AUDIT_PER_PAGE"], error_out=False)
    return render_template("admin/audit.html", page=page)
