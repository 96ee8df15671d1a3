"""Pages for the codebook (themes), the theme page, the coding workbench, bulk coding and
workshop clusters made themes."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from accounts.models import Process, RoleAssignment, User
from consultations import bp
from consultations.coding import agreement
from consultations.coding import services as coding
from consultations.coding.forms import ClusterForm, MergeForm, NextForm, SampleForm, ThemeForm
from consultations.coding.models import Coding, CodingSample, SampleMark, Theme
from consultations.common import ConsultationError, CountedPagination
from consultations.revisions.models import Change, ChangeTheme
from consultations.versions.models import ConsultationModel, Version, VersionStatus
from consultations.versions.services import current_version
from core.extensions import db
from core.forms import INVALID, ConfirmForm, clean_text
from core.models import Channel, Contribution
from core.permissions import is_manager, managers_only
from core.privacy import VALUE_LABELS
from core.roles import MANAGER_ROLES
from core.security import is_safe_redirect
from core.spaces import SpaceKind, places_of, visible_condition
from core.urls import as_id, date_arg, form_ids, id_arg, page_arg
from forums.sheets.models import Profile
from forums.workshops.boards.models import Cluster

PER_PAGE = 20
#: The workbench counts its queue this far; beyond, it says "more than".
QUEUE_COUNTED = 1000


def _process_or_404(process_id: int) -> Process:
    return db.get_or_404(Process, process_id)


def _theme_or_404(theme_id: int) -> Theme:
    return db.get_or_404(Theme, theme_id)


def _parent_choices(process_id: int, theme: Theme | None = None):
    tops = db.session.scalars(
        select(Theme)
        .where(Theme.process_id == process_id, Theme.parent_id.is_(None), Theme.archived_at.is_(None))
        .order_by(Theme.code)
    )
    return [SelectChoice("", _("None (a top-level theme)"))] + [
        SelectChoice(t.id, t.label) for t in tops if theme is None or t.id != theme.id
    ]


def _section_keys(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _coding_counts(theme_ids: list[int]) -> dict[int, int]:
    if not theme_ids:
        return {}
    rows = db.session.execute(
        select(Coding.theme_id, func.count(Coding.id)).where(Coding.theme_id.in_(theme_ids)).group_by(Coding.theme_id)
    )
    return dict(rows.tuples().all())


def _codebook_page(process, form, status=200):
    manager = is_manager(current_user)
    themes = coding.codebook(process.id, archived=manager)
    ids = [t.id for t in themes]
    cluster_form = ClusterForm(formdata=None)
    cluster_form.theme_id.choices = _theme_choices(themes, blank=_("A new theme"))
    return render_template(
        "consultations/coding/codebook.html",
        process=process,
        themes=themes,
        sections=coding.sections_of(ids),
        counts=_coding_counts(ids),
        manager=manager,
        form=form,
        clusters=coding.clusters_of(process.id) if manager else [],
        cluster_form=cluster_form,
        confirm=ConfirmForm(),
    ), status


def _theme_choices(themes, blank=None):
    choices = [SelectChoice("", blank)] if blank else []
    return choices + [SelectChoice(t.id, t.label) for t in themes if not t.is_archived]


@bp.get("/processes/<int:process_id>/themes")
def codebook(process_id):
    """The process's codebook: every theme with its sections and how many contributions
    it codes; facilitators add themes and make workshop clusters themes here."""
    process = _process_or_404(process_id)
    form = ThemeForm(formdata=None)
    form.parent_id.choices = _parent_choices(process.id)
    return _codebook_page(process, form)


@bp.post("/processes/<int:process_id>/themes")
@managers_only
def new_theme(process_id):
    """Add a theme to the codebook."""
    process = _process_or_404(process_id)
    form = ThemeForm()
    form.parent_id.choices = _parent_choices(process.id)
    if form.validate_on_submit():
        try:
            theme = coding.create_theme(
                process.id,
                form.code.data,
                form.name.data,
                form.description.data,
                form.parent_id.data,
                _section_keys(form.sections.data),
                current_user,
            )
        except ConsultationError as error:
            form.code.errors.append(str(error))
        else:
            flash(_("Theme %(code)s added.", code=theme.code), "success")
            return redirect(url_for("consultations.codebook", process_id=process.id, _anchor=f"theme-{theme.id}"))
    return _codebook_page(process, form, INVALID)


@bp.get("/themes/<int:theme_id>")
def theme(theme_id):
    """A theme: what it is, its sub-themes, the contributions coded with it that the viewer
    may see (the others only as a count)."""
    theme = _theme_or_404(theme_id)
    manager = is_manager(current_user)
    coded = (
        select(Contribution).join(Coding, Coding.contribution_id == Contribution.id).where(Coding.theme_id == theme.id)
    )
    total = db.session.scalar(select(func.count()).select_from(coded.subquery()))
    page = db.paginate(
        coded.where(visible_condition(current_user)).order_by(Contribution.created_at, Contribution.id),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    items = page.items
    _load_authors(items)
    model = db.session.scalar(
        select(ConsultationModel).where(ConsultationModel.process_id == theme.process_id).order_by(ConsultationModel.id)
    )
    children = select(Theme).where(Theme.parent_id == theme.id).order_by(Theme.code)
    if not manager:  # archived sub-themes, like the codebook's, are for facilitators
        children = children.where(Theme.archived_at.is_(None))
    children = db.session.scalars(children).all()
    motivated = (
        select(Change, Version)
        .join(ChangeTheme, ChangeTheme.change_id == Change.id)
        .join(Version, Version.id == Change.version_id)
        .where(ChangeTheme.theme_id == theme.id)
    )
    if not manager:
        motivated = motivated.where(Version.status != VersionStatus.DRAFT.value)
    changes = db.session.execute(motivated.order_by(Version.id, Change.number)).all()
    return render_template(
        "consultations/coding/theme.html",
        theme=theme,
        parent=db.session.get(Theme, theme.parent_id) if theme.parent_id else None,
        merged_into=db.session.get(Theme, theme.merged_into_id) if theme.merged_into_id else None,
        children=children,
        sections=coding.sections_of([theme.id]).get(theme.id, []),
        version=current_version(model) if model else None,
        page=page,
        places=places_of(items),
        deleted=coding.deleted_of(c.id for c in items),
        hidden_count=total - page.total,
        manager=manager,
        process=db.session.get(Process, theme.process_id),
        changes=changes,
    )


def _load_authors(contributions) -> None:
    """Load the authors of a page of contributions in one query (the macro reads them)."""
    if contributions:
        db.session.scalars(
            select(Contribution)
            .where(Contribution.id.in_([c.id for c in contributions]))
            .options(selectinload(Contribution.author))
        ).all()


@bp.route("/themes/<int:theme_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_theme(theme_id):
    """Rename a theme, change its description, parent and sections; merge or archive it."""
    theme = _theme_or_404(theme_id)
    keys = coding.sections_of([theme.id]).get(theme.id, [])
    form = ThemeForm(
        code=theme.code,
        name=theme.name,
        description=theme.description_source,
        parent_id=theme.parent_id,
        sections=", ".join(keys),
    )
    form.parent_id.choices = _parent_choices(theme.process_id, theme)
    if form.validate_on_submit():
        try:
            coding.update_theme(
                theme,
                form.code.data,
                form.name.data,
                form.description.data,
                form.parent_id.data,
                _section_keys(form.sections.data),
            )
        except ConsultationError as error:
            form.code.errors.append(str(error))
        else:
            flash(_("Theme %(code)s saved.", code=theme.code), "success")
            return redirect(url_for("consultations.theme", theme_id=theme.id))
    merge_form = MergeForm(formdata=None)
    merge_form.target_id.choices = _theme_choices(
        [t for t in coding.codebook(theme.process_id) if t.id != theme.id], blank=_("Choose a theme")
    )
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/coding/theme_form.html", theme=theme, form=form, merge_form=merge_form, confirm=ConfirmForm()
    ), status


def _back_to_theme(theme, message, category="error"):
    flash(str(message), category)
    return redirect(url_for("consultations.edit_theme", theme_id=theme.id), code=303 if category == "error" else 302)


@bp.post("/themes/<int:theme_id>/<any(archive, restore):action>")
@managers_only
def archive_theme(theme_id, action):
    """Archive a theme (its codings stay) or offer it again."""
    theme = _theme_or_404(theme_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        (coding.archive if action == "archive" else coding.restore)(theme, current_user)
    except ConsultationError as error:
        return _back_to_theme(theme, error)
    flash(_("Theme archived.") if action == "archive" else _("Theme restored."), "success")
    return redirect(url_for("consultations.codebook", process_id=theme.process_id))


@bp.post("/themes/<int:theme_id>/merge")
@managers_only
def merge_theme(theme_id):
    """Merge a theme into another: its codings move, nothing is lost; audited."""
    theme = _theme_or_404(theme_id)
    form = MergeForm()
    form.target_id.choices = _theme_choices(
        [t for t in coding.codebook(theme.process_id) if t.id != theme.id], blank=_("Choose a theme")
    )
    if not form.validate_on_submit() or form.target_id.data is None:
        return _back_to_theme(theme, _("Choose the theme to merge into."))
    target = _theme_or_404(form.target_id.data)
    try:
        moved = coding.merge(theme, target, current_user)
    except ConsultationError as error:
        return _back_to_theme(theme, error)
    flash(
        ngettext(
            "%(code)s merged into %(into)s: %(num)d coding moved.",
            "%(code)s merged into %(into)s: %(num)d codings moved.",
            moved,
            code=theme.code,
            into=target.code,
        ),
        "success",
    )
    return redirect(url_for("consultations.theme", theme_id=target.id))


@bp.post("/clusters/<int:cluster_id>/theme")
@managers_only
def cluster_theme(cluster_id):
    """Make a workshop cluster a theme: code every card in it (a new theme, or one chosen)."""
    cluster = db.get_or_404(Cluster, cluster_id)
    process_id = coding.cluster_process(cluster)
    form = ClusterForm()
    form.theme_id.choices = _theme_choices(coding.codebook(process_id), blank=_("A new theme"))
    back = url_for("consultations.codebook", process_id=process_id, _anchor="clusters")
    if not form.validate_on_submit():
        flash(_("Choose a theme, or give a new theme's code."), "error")
        return redirect(back, code=303)
    try:
        theme, coded = coding.cluster_to_theme(
            cluster,
            current_user,
            theme=db.session.get(Theme, form.theme_id.data) if form.theme_id.data else None,
            code=form.code.data,
            name=form.name.data,
        )
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(back, code=303)
    flash(
        ngettext(
            "The cluster “%(cluster)s” is coded %(code)s: %(num)d card.",
            "The cluster “%(cluster)s” is coded %(code)s: %(num)d cards.",
            coded,
            cluster=cluster.title,
            code=theme.code,
        ),
        "success",
    )
    return redirect(url_for("consultations.theme", theme_id=theme.id))


# The workbench ------------------------------------------------------------------------


def _filters() -> coding.Filters:
    args = request.args
    filters = coding.Filters(
        space_kind=clean_text(args.get("kind"))[:20] or None,
        municipality_id=id_arg("municipality"),
        channel=args.get("channel") if args.get("channel") in {c.value for c in Channel} else None,
        profile=clean_text(args.get("profile"))[:20] or None,
        section_key=clean_text(args.get("section"))[:40] or None,
        round_id=id_arg("round"),
        state=args.get("state") if args.get("state") in ("uncoded", "coded", "mine") else None,
    )
    filters.since, filters.until = date_arg("since"), date_arg("until")
    return filters


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k not in ("page", "item") and v}


@bp.get("/processes/<int:process_id>/coding")
@managers_only
def workbench(process_id):
    """The coding workbench: the queue of the process's contributions (filtered, a page at
    a time, counted up to a point), the current one with its text and place, and the
    themes to tick."""
    filters = _filters()
    statement = coding.queue(process_id, current_user, filters)
    page = CountedPagination(
        select=coding.queue_listed(statement),
        count_select=statement,
        session=db.session,
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
        cap=QUEUE_COUNTED,
    )
    rows = list(page.items)
    wanted = id_arg("item")
    if wanted and all(c.id != wanted for c, _deleted in rows):
        # An item asked for by its id, off this page: shown above the queue.
        found = db.session.execute(coding.queue_listed(statement.where(Contribution.id == wanted))).first()
        extra = [tuple(found)] if found else []
    else:
        extra = []
    items = [c for c, _deleted in rows]
    shown = items + [c for c, _deleted in extra]
    process, themes, coded = coding.workbench_themes(process_id, [c.id for c in shown])
    if process is None:
        abort(404)
    current = next((c for c in shown if c.id == wanted), None) if wanted else None
    if current is None and items:
        current = items[0]
    args = _filter_args()
    municipalities, rounds = coding.filter_choices(process.id)
    return render_template(
        "consultations/coding/workbench.html",
        process=process,
        page=page,
        items=items,
        current=current,
        places=places_of(shown),
        deleted={c.id for c, deleted in rows + extra if deleted},
        coded=coded,
        themes=themes,
        filters=filters,
        args=args,
        next_url=_next_item_url(process, items, current, page, args),
        form=NextForm(formdata=None),
        kinds=[(k.value, VALUE_LABELS.get("space_kind", {}).get(k.value, k.value)) for k in SpaceKind],
        municipalities=municipalities,
        channels=[(c.value, VALUE_LABELS.get("channel", {}).get(c.value, c.value)) for c in Channel],
        profiles=list(Profile),
        rounds=rounds,
    )


def _next_item_url(process, items, current, page, args) -> str:
    """Where "save and next" goes: the next item on this page, else the next page."""
    if current is not None and current in items:
        index = items.index(current)
        if index + 1 < len(items):
            return url_for(
                "consultations.workbench", process_id=process.id, page=page.page, item=items[index + 1].id, **args
            )
    if page.has_next:
        return url_for("consultations.workbench", process_id=process.id, page=page.next_num, **args)
    return url_for("consultations.workbench", process_id=process.id, page=page.page, **args)


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if is_safe_redirect(target) else default


@bp.post("/coding/<int:contribution_id>")
@managers_only
def code_contribution(contribution_id):
    """Save the themes ticked for one contribution, then go on ("save and next")."""
    contribution = db.get_or_404(Contribution, contribution_id)
    default = url_for("consultations.workbench", process_id=contribution.process_id, item=contribution.id)
    if not NextForm().validate_on_submit():
        abort(400)
    theme_ids = form_ids("theme")
    try:
        added, removed = coding.set_codings(contribution, theme_ids, current_user)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(default, code=303)
    flash(_("Themes saved (added: %(added)d; removed: %(removed)d).", added=added, removed=removed), "success")
    return redirect(_back(default))


@bp.post("/processes/<int:process_id>/coding/bulk")
@managers_only
def bulk_code(process_id):
    """Add a theme to (or take it off) every selected contribution of the queue."""
    process = _process_or_404(process_id)
    default = url_for("consultations.workbench", process_id=process.id)
    if not NextForm().validate_on_submit():
        abort(400)
    ids = form_ids("item")
    theme_id = request.form.get("theme_id", "")
    action = request.form.get("action", "")
    theme = db.session.get(Theme, as_id(theme_id)) if as_id(theme_id) else None
    if not ids or theme is None or action not in ("apply", "remove"):
        flash(_("Select contributions and a theme first."), "error")
        return redirect(_back(default), code=303)
    visible = db.session.scalars(
        select(Contribution.id).where(Contribution.id.in_(ids), visible_condition(current_user))
    ).all()
    try:
        if action == "apply":
            count = coding.apply_theme(process.id, visible, theme, current_user)
        else:
            count = coding.remove_theme(process.id, visible, theme)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(_back(default), code=303)
    flash(
        ngettext(
            "%(code)s added to %(num)d contribution.",
            "%(code)s added to %(num)d contributions.",
            count,
            code=theme.code,
        )
        if action == "apply"
        else ngettext(
            "%(code)s taken off %(num)d contribution.",
            "%(code)s taken off %(num)d contributions.",
            count,
            code=theme.code,
        ),
        "success",
    )
    return redirect(_back(default))


# Double coding ------------------------------------------------------------------------


def _sample_or_404(sample_id: int) -> CodingSample:
    return db.get_or_404(CodingSample, sample_id)


def _sample_form(process_id: int, formdata=True) -> SampleForm:
    form = SampleForm() if formdata else SampleForm(formdata=None)
    managers = db.session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role.in_([r.value for r in MANAGER_ROLES]), User.deleted_at.is_(None))
        .distinct()
        .order_by(User.display_name)
    ).all()
    form.coders.choices = [SelectChoice(u.id, u.public_name) for u in managers]
    form.kind.choices = [SelectChoice("", _("Every space"))] + [
        SelectChoice(k.value, VALUE_LABELS.get("space_kind", {}).get(k.value, k.value)) for k in SpaceKind
    ]
    return form


def _samples_page(process, form, status=200):
    samples = db.session.scalars(
        select(CodingSample).where(CodingSample.process_id == process.id).order_by(CodingSample.id.desc())
    ).all()
    return render_template("consultations/coding/samples.html", process=process, samples=samples, form=form), status


@bp.get("/processes/<int:process_id>/samples")
@managers_only
def samples(process_id):
    """Double-coding samples of the process, and drawing a new one."""
    process = _process_or_404(process_id)
    return _samples_page(process, _sample_form(process.id, formdata=False))


@bp.post("/processes/<int:process_id>/samples")
@managers_only
def new_sample(process_id):
    """Draw a sample at random for two or more coders."""
    process = _process_or_404(process_id)
    form = _sample_form(process.id)
    if form.validate_on_submit():
        filters = coding.Filters(space_kind=form.kind.data or None)
        ids = agreement.draw(coding.queue(process.id, current_user, filters), form.size.data)
        coders = db.session.scalars(select(User).where(User.id.in_(form.coders.data or []))).all()
        try:
            sample = agreement.create_sample(process.id, form.title.data, coders, ids, current_user)
        except ConsultationError as error:
            form.coders.errors.append(str(error))
        else:
            flash(
                ngettext("Sample drawn: %(num)d contribution.", "Sample drawn: %(num)d contributions.", len(ids)),
                "success",
            )
            return redirect(url_for("consultations.sample", sample_id=sample.id))
    return _samples_page(process, form, INVALID)


@bp.get("/samples/<int:sample_id>")
@managers_only
def sample(sample_id):
    """A sample: for one of its coders, the items to code blind (their own choices only);
    for everyone who runs the process, who has coded how much."""
    sample = _sample_or_404(sample_id)
    items = agreement.items_of(sample)
    coder = agreement.is_coder(sample, current_user)
    marked, own = agreement.own_codings(sample, current_user) if coder else (set(), {})
    wanted = id_arg("item")
    ids = [i.contribution_id for i in items]
    current_id = wanted if wanted in ids else next((i for i in ids if i not in marked), ids[0] if ids else None)
    current = db.session.get(Contribution, current_id) if coder and current_id else None
    if current is not None:
        _load_authors([current])
    later = [i for i in ids if i not in marked and i != current_id]
    progress = dict(
        db.session.execute(
            select(SampleMark.coder_id, func.count(SampleMark.id))
            .where(SampleMark.sample_id == sample.id)
            .group_by(SampleMark.coder_id)
        )
        .tuples()
        .all()
    )
    return render_template(
        "consultations/coding/sample.html",
        sample=sample,
        items=ids,
        coders=agreement.coders_of(sample),
        progress=progress,
        coder=coder,
        marked=marked,
        own=own,
        current=current,
        places=places_of([current]) if current is not None else {},
        next_item=later[0] if later else None,
        themes=coding.codebook(sample.process_id),
        form=NextForm(formdata=None),
    )


@bp.post("/samples/<int:sample_id>/items/<int:contribution_id>")
@managers_only
def code_sample_item(sample_id, contribution_id):
    """One coder's blind coding of a sample item."""
    sample = _sample_or_404(sample_id)
    if not NextForm().validate_on_submit():
        abort(400)
    if not agreement.is_coder(sample, current_user):
        abort(403)
    theme_ids = form_ids("theme")
    try:
        agreement.code_item(sample, contribution_id, current_user, theme_ids)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.sample", sample_id=sample.id), code=303)
    flash(_("Saved."), "success")
    return redirect(_back(url_for("consultations.sample", sample_id=sample.id)))


@bp.get("/samples/<int:sample_id>/report")
@managers_only
def sample_report(sample_id):
    """The agreement report: Krippendorff's alpha and percentage agreement per theme and
    overall, and the disagreements to reconcile."""
    sample = _sample_or_404(sample_id)
    result = agreement.report(sample)
    contributions = db.session.scalars(
        select(Contribution)
        .where(Contribution.id.in_([d.contribution_id for d in result.disagreements]))
        .options(selectinload(Contribution.author))
    ).all()
    theme_list = coding.codebook(sample.process_id, archived=True)
    return render_template(
        "consultations/coding/report.html",
        sample=sample,
        report=result,
        contributions={c.id: c for c in contributions},
        places=places_of(contributions),
        final=coding.themes_of([c.id for c in contributions]),
        themes=theme_list,
        theme_names={t.id: t for t in theme_list},
        coder_names={c.id: c.public_name for c in result.coders},
        form=NextForm(formdata=None),
    )


@bp.post("/samples/<int:sample_id>/items/<int:contribution_id>/reconcile")
@managers_only
def reconcile_item(sample_id, contribution_id):
    """Settle the final coding of a sample item the coders disagreed on."""
    sample = _sample_or_404(sample_id)
    if not NextForm().validate_on_submit():
        abort(400)
    theme_ids = form_ids("theme")
    try:
        agreement.reconcile(sample, contribution_id, theme_ids, current_user)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.sample_report", sample_id=sample.id), code=303)
    flash(_("Final coding saved."), "success")
    return redirect(url_for("consultations.sample_report", sample_id=sample.id, _anchor=f"item-{contribution_id}"))
