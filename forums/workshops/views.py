"""Pages for workshops: list, schedule, invitations, sign-in sheet, presentations, boards.

Workshops are public to read (an open-government process shows its work); facilitators
and administrators run them, and invited people take part on their boards.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Process
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.permissions import is_manager, managers_only
from core.urls import page_arg
from forums import bp
from forums.common import ForumError, local_time
from forums.sheets import services as sheets
from forums.sheets.services import SheetPages, register_gathering
from forums.workshops import services as workshops
from forums.workshops.boards import services as boards
from forums.workshops.boards.forms import BoardForm
from forums.workshops.forms import PresentationForm, WorkshopForm, WorkshopInviteForm
from forums.workshops.models import InvitationRole, Presentation, Workshop, WorkshopInvitation


@bp.get("/workshops")
def workshops_index():
    """Every workshop, newest first (paginated)."""
    page = db.paginate(
        select(Workshop).order_by(Workshop.starts_at.desc(), Workshop.id.desc()),
        page=page_arg(),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
    )
    return render_template("forums/workshops/index.html", page=page, can_manage=is_manager(current_user))


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
    workshop = db.get_or_404(Workshop, workshop_id)
    form = _workshop_form(
        process_id=workshop.process_id,
        kind=workshop.kind,
        title=workshop.title,
        starts_at=local_time(workshop.starts_at),
        ends_at=local_time(workshop.ends_at),
        place=workshop.place,
        description=workshop.description_source,
    ).for_changes()
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
    return _render_workshop(db.get_or_404(Workshop, workshop_id))


def _render_workshop(workshop, board_form=None, status=200):
    manager = is_manager(current_user)
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
    workshop = db.get_or_404(Workshop, workshop_id)
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
    workshop = db.get_or_404(Workshop, workshop_id)
    invitation = db.get_or_404(WorkshopInvitation, invitation_id)
    if invitation.workshop_id != workshop.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    workshops.remove_invitation(invitation)
    flash(_("Invitation withdrawn."), "info")
    return redirect(url_for("forums.workshop_participants", workshop_id=workshop.id))


# The sign-in sheet (its pages are forums.sheets'; the workshop says what it shows) ---


def _sheet_context(workshop: Workshop) -> dict:
    """Invited people to check in, crumbs and the way back."""
    return {
        "workshop": workshop,
        "people": [(i.user, i.role_label) for i in workshops.invitations(workshop)],
        "people_heading": _("Invited people"),
        "nobody": _("Nobody is invited yet."),
        "back": (url_for("forums.workshop", workshop_id=workshop.id), _("Back to the workshop")),
    }


register_gathering(
    SheetPages(
        path="workshops",
        id_name="workshop_id",
        sheet="workshop_sheet",
        check_in="workshop_check_in",
        walk_in="workshop_walk_in",
        headcount="workshop_headcount",
        remark=None,
        load=lambda workshop_id: db.get_or_404(Workshop, workshop_id),
        context=_sheet_context,
        template="forums/workshops/sheet.html",
        # Someone checked in at the door who was not invited is in the room: invite them.
        after_check_in=lambda actor, workshop, user: workshops.ensure_invited(actor, workshop, user),
    )
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
    workshop = db.get_or_404(Workshop, workshop_id)
    if not workshop.is_expert:
        abort(404)
    return _presentation_page(workshop, None, PresentationForm())


def _presentation_or_404(presentation_id):
    presentation = db.get_or_404(Presentation, presentation_id)
    return presentation, db.get_or_404(Workshop, presentation.workshop_id)


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
    ).for_changes()
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
    workshop = db.get_or_404(Workshop, workshop_id)
    form = BoardForm()
    if not form.validate_on_submit():
        return _render_workshop(workshop, board_form=form, status=INVALID)
    board = boards.create_board(workshop, form.title.data)
    flash(_("Board created."), "success")
    return redirect(url_for("forums.board", board_id=board.id))
