"""Pages for workshops: list, schedule, invitations, sign-in sheet, presentations, boards.

Workshops are public to read (an open-government process shows its work); facilitators
and administrators run them, and invited people take part on their boards.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user
from sqlalchemy import select

from accounts.choices import municipality_choices
from accounts.models import Process
from core.extensions import db
from core.forms import ConfirmForm
from core.urls import page_arg
from forums import board_services as boards
from forums import bp, services
from forums import meeting_services as sheets
from forums import workshop_services as workshops
from forums.meeting_forms import HeadcountForm, WalkInForm
from forums.meeting_views import _local, check_in_account, save_headcount
from forums.services import ForumError
from forums.views import INVALID, managers_only
from forums.workshop_forms import BoardForm, PresentationForm, WorkshopForm, WorkshopInviteForm
from forums.workshops import InvitationRole, Presentation, Workshop, WorkshopInvitation


def workshop_or_404(workshop_id: int) -> Workshop:
    """The workshop; 404 if unknown."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    return workshop


@bp.get("/workshops")
def workshops_index():
    """Every workshop, newest first (paginated)."""
    page = db.paginate(
        select(Workshop).order_by(Workshop.starts_at.desc(), Workshop.id.desc()),
        page=page_arg(),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
    )
    return render_template("forums/workshops/index.html", page=page, can_manage=services.is_manager(current_user))


def _workshop_form(**data) -> WorkshopForm:
    form = WorkshopForm(**data)
    processes = db.session.execute(select(Process.id, Process.title).order_by(Process.starts_on.desc())).all()
    form.process_id.choices = [(p.id, p.title) for p in processes]
    return form


def _fields(form: WorkshopForm) -> dict:
    return {
        "process_id": form.process_id.data,
        "kind": form.kind.data,
        "title": form.title.data,
        "starts_at": to_utc(form.starts_at.data),
        "ends_at": to_utc(form.ends_at.data) if form.ends_at.data else None,
        "place": form.place.data,
        "description": form.description.data,
    }


@bp.route("/workshops/new", methods=["GET", "POST"])
@managers_only
def new_workshop():
    """Schedule a co-design or expert workshop."""
    form = _workshop_form()
    if form.validate_on_submit():
        try:
            workshop = workshops.create(current_user, **_fields(form))
        except ForumError as error:
            form.starts_at.errors.append(str(error))
        else:
            flash(_("Workshop scheduled."), "success")
            return redirect(url_for("forums.workshop", workshop_id=workshop.id))
    status = INVALID if form.errors else 200
    return render_template("forums/workshops/form.html", form=form, workshop=None), status


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_workshop(workshop_id):
    """Change a workshop's details."""
    workshop = workshop_or_404(workshop_id)
    form = _workshop_form(
        process_id=workshop.process_id,
        kind=workshop.kind,
        title=workshop.title,
        starts_at=_local(workshop.starts_at),
        ends_at=_local(workshop.ends_at),
        place=workshop.place,
        description=workshop.description_source,
    )
    if form.validate_on_submit():
        try:
            workshops.update(workshop, **_fields(form))
        except ForumError as error:
            form.starts_at.errors.append(str(error))
        else:
            flash(_("Workshop saved."), "success")
            return redirect(url_for("forums.workshop", workshop_id=workshop.id))
    status = INVALID if form.errors else 200
    return render_template("forums/workshops/form.html", form=form, workshop=workshop), status


@bp.get("/workshops/<int:workshop_id>")
def workshop(workshop_id):
    """A workshop: details, facilitators, attendance, presentations and boards."""
    return _render_workshop(workshop_or_404(workshop_id))


def _render_workshop(workshop, board_form=None, status=200):
    manager = services.is_manager(current_user)
    invited = workshops.invitations(workshop)
    page = render_template(
        "forums/workshops/workshop.html",
        workshop=workshop,
        facilitators=[i for i in invited if i.role == InvitationRole.FACILITATOR.value],
        invited_count=len(invited),
        invitation=next((i for i in invited if current_user.is_authenticated and i.user_id == current_user.id), None),
        attendance=sheets.attendance(workshop),
        presentations=workshops.presentations(workshop),
        boards=boards.boards_of(workshop),
        can_manage=manager,
        board_form=board_form or (BoardForm(formdata=None) if manager else None),
        confirm=ConfirmForm(),
    )
    return page, status


# Invitations --------------------------------------------------------------------------


@bp.route("/workshops/<int:workshop_id>/participants", methods=["GET", "POST"])
@managers_only
def workshop_participants(workshop_id):
    """Who is invited; facilitators invite people by email here."""
    workshop = workshop_or_404(workshop_id)
    form = WorkshopInviteForm()
    if form.validate_on_submit():
        try:
            workshops.invite(current_user, workshop, form.email.data, form.role.data)
        except ForumError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("Invitation sent."), "success")
            return redirect(url_for("forums.workshop_participants", workshop_id=workshop.id))
    status = INVALID if form.errors else 200
    return (
        render_template(
            "forums/workshops/participants.html",
            workshop=workshop,
            invitations=workshops.invitations(workshop),
            form=form,
            confirm=ConfirmForm(),
        ),
        status,
    )


@bp.post("/workshops/<int:workshop_id>/participants/<int:invitation_id>/remove")
@managers_only
def remove_workshop_participant(workshop_id, invitation_id):
    """Withdraw an invitation."""
    workshop = workshop_or_404(workshop_id)
    invitation = db.session.get(WorkshopInvitation, invitation_id)
    if invitation is None or invitation.workshop_id != workshop.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    workshops.remove_invitation(invitation)
    flash(_("Invitation withdrawn."), "info")
    return redirect(url_for("forums.workshop_participants", workshop_id=workshop.id))


# The sign-in sheet --------------------------------------------------------------------


def _walk_in_form() -> WalkInForm:
    form = WalkInForm(prefix="walkin")
    form.municipality.choices = municipality_choices()
    return form


def _render_sheet(workshop, status=200, walk_in=None, headcount=None):
    attendees = sheets.sheet_attendees(workshop)
    return (
        render_template(
            "forums/sheet.html",
            gathering=workshop,
            forum=None,
            workshop=workshop,
            people=[(i.user, i.role_label) for i in workshops.invitations(workshop)],
            people_heading=_("Invited people"),
            nobody=_("Nobody is invited yet."),
            back=(url_for("forums.workshop", workshop_id=workshop.id), _("Back to the workshop")),
            endpoints={
                "check_in": "forums.workshop_check_in",
                "walk_in": "forums.workshop_walk_in",
                "headcount": "forums.workshop_headcount",
                "remark": None,
            },
            key={"workshop_id": workshop.id},
            attendees=attendees,
            checked_in={a.user_id for a in attendees if a.user_id},
            attendance=sheets.attendance(workshop),
            walk_in_form=walk_in or _walk_in_form(),
            headcount_form=headcount or HeadcountForm(prefix="headcount", headcount=workshop.headcount),
        ),
        status,
    )


@bp.get("/workshops/<int:workshop_id>/sheet")
@managers_only
def workshop_sheet(workshop_id):
    """The workshop's sign-in sheet: invited people to check in, walk-ins, headcount."""
    return _render_sheet(workshop_or_404(workshop_id))


@bp.post("/workshops/<int:workshop_id>/checkin/<int:user_id>")
@managers_only
def workshop_check_in(workshop_id, user_id):
    """Check an account in (someone not invited is invited: they are in the room)."""
    workshop = workshop_or_404(workshop_id)
    return check_in_account(
        workshop,
        user_id,
        url_for("forums.workshop_sheet", workshop_id=workshop.id),
        after=lambda user: workshops.ensure_invited(current_user, workshop, user),
    )


@bp.post("/workshops/<int:workshop_id>/walk-ins")
@managers_only
def workshop_walk_in(workshop_id):
    """Add someone without an account to the sign-in sheet."""
    workshop = workshop_or_404(workshop_id)
    walk_in = _walk_in_form()
    if walk_in.validate_on_submit():
        sheets.add_walk_in(
            current_user,
            workshop,
            walk_in.name.data,
            walk_in.profile.data,
            walk_in.municipality.data,
            walk_in.consent.data,
        )
        flash(_("Added to the sign-in sheet."), "success")
        return redirect(url_for("forums.workshop_sheet", workshop_id=workshop.id))
    return _render_sheet(workshop, INVALID, walk_in=walk_in)


@bp.post("/workshops/<int:workshop_id>/headcount")
@managers_only
def workshop_headcount(workshop_id):
    """Record how many people were in the room."""
    workshop = workshop_or_404(workshop_id)
    return save_headcount(
        workshop,
        url_for("forums.workshop_sheet", workshop_id=workshop.id),
        lambda form: _render_sheet(workshop, INVALID, headcount=form),
    )


# Presentations ------------------------------------------------------------------------


def _presentation_page(workshop, presentation, form):
    if form.validate_on_submit():
        try:
            workshops.save_presentation(
                workshop, presentation, form.title.data, form.presenter.data, form.organisation.data, form.notes.data
            )
        except ForumError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Presentation saved."), "success")
            return redirect(url_for("forums.workshop", workshop_id=workshop.id, _anchor="presentations"))
    status = INVALID if form.errors else 200
    return (
        render_template(
            "forums/workshops/presentation_form.html", workshop=workshop, presentation=presentation, form=form
        ),
        status,
    )


@bp.route("/workshops/<int:workshop_id>/presentations/new", methods=["GET", "POST"])
@managers_only
def new_presentation(workshop_id):
    """Record a presentation given at an expert workshop."""
    workshop = workshop_or_404(workshop_id)
    if not workshop.is_expert:
        abort(404)
    return _presentation_page(workshop, None, PresentationForm())


def _presentation_or_404(presentation_id):
    presentation = db.session.get(Presentation, presentation_id)
    if presentation is None:
        abort(404)
    return presentation, workshop_or_404(presentation.workshop_id)


@bp.route("/presentations/<int:presentation_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_presentation(presentation_id):
    """Change a presentation."""
    presentation, workshop = _presentation_or_404(presentation_id)
    form = PresentationForm(
        title=presentation.title,
        presenter=presentation.presenter,
        organisation=presentation.organisation,
        notes=presentation.notes_source,
    )
    return _presentation_page(workshop, presentation, form)


@bp.post("/presentations/<int:presentation_id>/delete")
@managers_only
def delete_presentation(presentation_id):
    """Remove a presentation."""
    presentation, workshop = _presentation_or_404(presentation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.delete(presentation)
    flash(_("Presentation removed."), "info")
    return redirect(url_for("forums.workshop", workshop_id=workshop.id, _anchor="presentations"))


# Boards -------------------------------------------------------------------------------


@bp.post("/workshops/<int:workshop_id>/boards")
@managers_only
def new_board(workshop_id):
    """Start a board from the template (the model's dimensions, Innovation, Other)."""
    workshop = workshop_or_404(workshop_id)
    form = BoardForm()
    if not form.validate_on_submit():
        return _render_workshop(workshop, board_form=form, status=INVALID)
    board = boards.create_board(workshop, form.title.data)
    flash(_("Board created."), "success")
    return redirect(url_for("forums.board", board_id=board.id))
