"""Pages for verdicts: "Mis aportes" (what became of everything one said), and the
facilitators' page to write decisions and publish verdicts."""

from collections import Counter

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from accounts.models import Process
from consultations import bp
from consultations.coding import services as coding
from consultations.coding.models import Theme
from consultations.common import ConsultationError, CountedPagination
from consultations.verdicts import services as verdicts
from consultations.verdicts.forms import DecisionForm
from consultations.verdicts.models import Batch, Decision, Verdict
from core.extensions import db
from core.forms import INVALID, ConfirmForm
from core.models import Contribution
from core.permissions import managers_only
from core.spaces import places_of
from core.urls import page_arg
from core.verdicts import VerdictStatus

PER_PAGE = 20


@bp.get("/mine")
@login_required
def mine():
    """ "Mis aportes": everything the person said, in every space and channel, with its
    place, date, themes and published verdict."""
    page = CountedPagination(
        select=verdicts.mine_listed(current_user),
        count_select=verdicts.mine(current_user),
        session=db.session,
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    items = [row[0] for row in page.items]
    return render_template(
        "consultations/verdicts/mine.html",
        page=page,
        items=items,
        places=places_of(items),
        deleted={c.id for c, deleted, *_published in page.items if deleted},
        themes=coding.themes_of([c.id for c in items]),
        published={
            c.id: (verdict, change, version)
            for c, _deleted, verdict, change, version in page.items
            if verdict is not None
        },
        statuses=VerdictStatus,
    )


def _decision_form(process_id, formdata=True):
    form = DecisionForm() if formdata else DecisionForm(formdata=None)
    form.theme_id.choices = [SelectChoice("", _("— No theme —"))] + [
        SelectChoice(t.id, t.label) for t in coding.codebook(process_id)
    ]
    form.status.choices = [SelectChoice(s.value, s.label) for s in verdicts.DECIDABLE]
    return form


def _page(process, form, status=200):
    derived = verdicts.derive(process.id)
    draft = Counter(d.status for d in derived.values())
    published = Counter(
        db.session.scalars(
            select(Verdict.status)
            .join(Contribution, Contribution.id == Verdict.contribution_id)
            .where(Contribution.process_id == process.id)
        )
    )
    written = verdicts.decisions(process.id)
    themes = {t.id: t for t in db.session.scalars(select(Theme).where(Theme.process_id == process.id))}
    last = db.session.scalar(
        select(Batch).where(Batch.process_id == process.id).order_by(Batch.published_at.desc(), Batch.id.desc())
    )
    return render_template(
        "consultations/verdicts/manage.html",
        process=process,
        form=form,
        draft=draft,
        published=published,
        decisions=written,
        themes=themes,
        last=last,
        statuses=list(VerdictStatus),
        labels={s.value: s.label for s in VerdictStatus},
        confirm=ConfirmForm(),
    ), status


@bp.get("/processes/<int:process_id>/verdicts")
@managers_only
def verdicts_page(process_id):
    """What would be published now (derived and written verdicts) beside what is
    published; the decisions; publishing a batch."""
    process = db.get_or_404(Process, process_id)
    return _page(process, _decision_form(process.id, formdata=False))


@bp.post("/processes/<int:process_id>/verdicts")
@managers_only
def decide(process_id):
    """Write a decision for a contribution or a theme (private until published)."""
    process = db.get_or_404(Process, process_id)
    form = _decision_form(process.id)
    if form.validate_on_submit():
        contribution = db.session.get(Contribution, form.contribution_id.data) if form.contribution_id.data else None
        theme = db.session.get(Theme, form.theme_id.data) if form.theme_id.data else None
        if (contribution is None) == (theme is None):
            form.contribution_id.errors.append(_("Give a contribution number or choose a theme (one of them)."))
        else:
            try:
                verdicts.decide(process.id, form.status.data, form.reason.data, current_user, contribution, theme)
            except ConsultationError as error:
                form.reason.errors.append(str(error))
            else:
                flash(_("Decision saved. It is published with the next batch of verdicts."), "success")
                return redirect(url_for("consultations.verdicts_page", process_id=process.id))
    return _page(process, form, INVALID)


@bp.post("/decisions/<int:decision_id>/delete")
@managers_only
def delete_decision(decision_id):
    """Remove a decision (the verdict is derived again at the next batch)."""
    decision = db.get_or_404(Decision, decision_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.delete(decision)
    flash(_("Decision removed."), "success")
    return redirect(url_for("consultations.verdicts_page", process_id=decision.process_id))


@bp.post("/processes/<int:process_id>/verdicts/publish")
@managers_only
def publish_verdicts(process_id):
    """Publish every verdict that changed, now (they also go out with each version)."""
    process = db.get_or_404(Process, process_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    batch = verdicts.publish_batch(process.id, None, current_user)
    flash(ngettext("%(num)d verdict published.", "%(num)d verdicts published.", batch.changed), "success")
    return redirect(url_for("consultations.verdicts_page", process_id=process.id))
