"""Pages where a version is read and discussed: the matrix (version page), the section
page with its comments, rounds (schedule, close, extend, invite), comments and replies,
comments entered on someone's behalf, and the facilitators' list and exports."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from accounts.models import Municipality
from accounts.services import find_by_email
from consultations import bp
from consultations.common import ConsultationError
from consultations.rounds import services as rounds
from consultations.rounds.forms import (
    CommentForm,
    ExtendForm,
    MemberForm,
    OnBehalfForm,
    ReplyForm,
    RoundEditForm,
    RoundForm,
)
from consultations.rounds.models import Audience, Comment, CommentRound, RoundMember, Stance
from consultations.versions import services as versions
from consultations.versions.helpers import version_or_404
from core import audit
from core.exports import csv_response, pseudonym, xlsx_response
from core.extensions import db
from core.forms import INVALID, ConfirmForm, clean_text
from core.models import Channel, Contribution
from core.permissions import is_manager, managers_only
from core.privacy import iso
from core.urls import date_arg, id_arg, page_arg
from forums.common import local_time
from forums.moderation.forms import ReasonForm

PER_PAGE = 50


def round_or_404(round_id: int) -> CommentRound:
    """The round; 404 if unknown or on a draft the viewer may not see."""
    round_ = db.get_or_404(CommentRound, round_id)
    version_or_404(round_.version_id)
    return round_


def _page_url(version, key, round_id: int, number: int) -> str:
    """The version's page (a section's, with ``key``) with ``number`` as the page of the
    round's threads, at the round; other pages asked for are kept. Also right when the
    page is drawn again after a form that failed (a POST to another address)."""
    args = {**request.args.to_dict(), f"r{round_id}": number}
    anchor = f"round-{round_id}-heading"
    if key:
        return url_for("consultations.section", version_id=version.id, key=key, **args, _anchor=anchor)
    return url_for("consultations.version", version_id=version.id, **args, _anchor=anchor)


def _discussion(version, key, forms=None, reply=None, readable_rounds=None):
    """What the version page (``key`` None) and a section page show of the rounds: every
    round of the model that touches this key, its threads, counts, and who may comment.

    ``forms``: ``{round id: CommentForm}`` to draw again with errors; ``reply``: a
    ``(comment id, ReplyForm)`` likewise; ``readable_rounds``: the model's rounds with
    whether the viewer may read each (:func:`rounds.rounds_for_reader`), when the caller
    has them already."""
    if readable_rounds is None:
        readable_rounds = rounds.rounds_for_reader(version.model_id, current_user)
    visible = [(r, readable) for r, readable in readable_rounds if r.version_id == version.id or key is not None]
    # ?r<round id>=<page>: which page of each round's threads.
    asked = {r.id: request.args.get(f"r{r.id}", type=int) for r, _readable in visible}
    readable_ids = [r.id for r, readable in visible if readable]
    found = rounds.threads(readable_ids, key, {i: n for i, n in asked.items() if n})
    manager = is_manager(current_user)
    here, elsewhere = [], []
    for r, readable in visible:
        refusal = rounds.refusal(current_user, r, readable=readable) if r.version_id == version.id else None
        # The comments of a round the viewer may not read are neither shown nor counted.
        paged = found.get(r.id) or rounds.ThreadPage([], 1, 0)
        entry = {
            "round": r,
            "threads": paged.threads,
            "paged": paged,
            "opened": bool(asked[r.id]),
            "prev_url": _page_url(version, key, r.id, paged.page - 1) if paged.page > 1 else None,
            "next_url": _page_url(version, key, r.id, paged.page + 1) if paged.page < paged.pages else None,
            "count": paged.comments,
            "refusal": refusal,
            "can_comment": r.version_id == version.id and refusal is None,
            "form": (forms or {}).get(r.id) or CommentForm(prefix=f"r{r.id}", section_key=key or "", formdata=None),
        }
        (here if r.version_id == version.id else elsewhere).append(entry)
    if reply is None:
        reply = (None, ReplyForm(formdata=None))
    return {"here": here, "elsewhere": elsewhere, "manager": manager, "reply": reply, "stances": list(Stance)}


@bp.get("/versions/<int:version_id>")
def version(version_id, forms=None, reply=None, status=200):
    """A version as the model reads: dimensions × levels, Innovation and its aspects
    beside them, free sections, and the comments on the whole version."""
    version = version_or_404(version_id)
    readable_rounds = rounds.rounds_for_reader(version.model_id, current_user)
    # The cells count the comments of this version's rounds the viewer may read.
    counted = rounds.sections_with_counts(
        version, [r.id for r, readable in readable_rounds if readable and r.version_id == version.id]
    )
    return render_template(
        "consultations/versions/version.html",
        version=version,
        matrix=versions.matrix([s for s, _n in counted]),
        cell_counts={s.key: n for s, n in counted if n},
        **_discussion(version, None, forms, reply, readable_rounds),
    ), status


@bp.get("/comments/<int:comment_id>")
def comment_link(comment_id):
    """A comment's lasting address (notifications, "Mis aportes"): to the page of its
    section (or version) where it is shown; 404 for a comment the viewer may not read."""
    comment = db.get_or_404(Comment, comment_id)
    round_ = round_or_404(comment.round_id)
    readable = db.session.scalar(
        select(CommentRound.id).where(CommentRound.id == round_.id, rounds.visible_rounds(current_user))
    )
    if readable is None:
        abort(404)
    return redirect(_page_of(round_, _key_of(comment), comment.id))


@bp.get("/versions/<int:version_id>/sections/<key>")
def section(version_id, key, forms=None, reply=None, status=200):
    """A section: its text, what is inside it, how it changed across versions, and the
    comments on it (this version's rounds; those on the same key in other versions
    collapsed, with their count)."""
    version = version_or_404(version_id)
    sections, history = versions.sections_and_history(version, key)
    section = next((s for s in sections if s.key == key), None)
    if section is None:
        abort(404)
    return render_template(
        "consultations/rounds/section.html",
        version=version,
        section=section,
        inside=versions.children(sections, key),
        parent=next(
            (s for s in sections if key.startswith(s.key + ".") and s.key.count(".") == key.count(".") - 1), None
        ),
        history=history,
        **_discussion(version, key, forms, reply),
    ), status


def _redraw(round_, key, forms=None, reply=None):
    """The page a comment form was on, drawn again with its errors (422)."""
    if key:
        return section(round_.version_id, key, forms=forms, reply=reply, status=INVALID)
    return version(round_.version_id, forms=forms, reply=reply, status=INVALID)


@bp.post("/rounds/<int:round_id>/comments")
@login_required
def comment(round_id):
    """Comment on a section (or the whole version) in an open round."""
    round_ = round_or_404(round_id)
    form = CommentForm(prefix=f"r{round_.id}")
    key = clean_text(form.section_key.data)[:40] or None
    if key is not None and versions.section_of(round_.version, key) is None:
        abort(404)
    refusal = rounds.refusal(current_user, round_)
    if refusal:
        flash(refusal, "error")
        return redirect(_page_of(round_, key), code=303)
    if form.validate_on_submit():
        try:
            made = rounds.add_comment(round_, current_user, key, form.body.data, form.stance.data, form.wording.data)
        except ConsultationError as error:
            form.body.errors.append(str(error))
        else:
            flash(_("Your comment was sent."), "success")
            return redirect(_page_of(round_, key, made.id))
    return _redraw(round_, key, forms={round_.id: form})


def _key_of(comment) -> str | None:
    """The section a comment is on (``None``: the whole version)."""
    return db.session.scalar(select(Contribution.section_key).where(Contribution.id == comment.contribution_id))


def _page_of(round_, key, comment_id=None):
    """The section's page (the version's, without ``key``), at ``comment_id`` if given:
    on the page of the round's threads where it is shown."""
    args = {}
    if comment_id:
        number = rounds.page_of(db.session.get(Comment, comment_id), key, current_user)
        if number > 1:
            args[f"r{round_.id}"] = number
    anchor = f"comment-{comment_id}" if comment_id else None
    if key:
        return url_for("consultations.section", version_id=round_.version_id, key=key, **args, _anchor=anchor)
    return url_for("consultations.version", version_id=round_.version_id, **args, _anchor=anchor)


@bp.post("/comments/<int:comment_id>/reply")
@login_required
def reply(comment_id):
    """Reply to a comment (one level)."""
    parent = db.get_or_404(Comment, comment_id)
    round_ = round_or_404(parent.round_id)
    if not rounds.can_read(current_user, round_):
        abort(404)
    key = _key_of(parent)
    refusal = rounds.refusal(current_user, round_)
    if refusal:
        flash(refusal, "error")
        return redirect(_page_of(round_, key, parent.id), code=303)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            made = rounds.add_comment(round_, current_user, None, form.body.data, parent=parent)
        except ConsultationError as error:
            form.body.errors.append(str(error))
        else:
            flash(_("Your reply was sent."), "success")
            return redirect(_page_of(round_, key, made.id))
    # The error shows in the reply box of the thread (a reply to a reply has none of its own).
    return _redraw(round_, key, reply=(parent.parent_id or parent.id, form))


def _municipality_rows() -> list[tuple[int, str]]:
    return db.session.execute(select(Municipality.id, Municipality.name).order_by(Municipality.name)).tuples().all()


def _municipality_choices():
    return [SelectChoice(m.id, m.name) for m in db.session.scalars(select(Municipality).order_by(Municipality.name))]


@bp.route("/versions/<int:version_id>/rounds/new", methods=["GET", "POST"])
@managers_only
def new_round(version_id):
    """Schedule a comment round on a published version."""
    version = version_or_404(version_id)
    form = RoundForm()
    form.municipalities.choices = _municipality_choices()
    if form.validate_on_submit():
        try:
            made = rounds.create_round(
                version,
                form.audience.data,
                form.title.data,
                form.question.data,
                to_utc(form.opens_at.data),
                to_utc(form.closes_at.data),
                current_user,
                form.municipalities.data or (),
            )
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Round scheduled."), "success")
            if made.audience == Audience.COMMITTEE.value:
                flash(_("Now invite the committee's members."), "success")
                return redirect(url_for("consultations.round_members", round_id=made.id))
            return redirect(url_for("consultations.round_page", round_id=made.id))
    status = INVALID if form.errors else 200
    return render_template("consultations/rounds/round_form.html", form=form, version=version, round=None), status


@bp.get("/rounds/<int:round_id>")
def round_page(round_id):
    """A round: its question, dates, audience, and every section with its comment count."""
    round_ = round_or_404(round_id)
    counted = rounds.counts([round_.id])
    manager = is_manager(current_user)
    return render_template(
        "consultations/rounds/round.html",
        round=round_,
        sections=versions.sections_of(round_.version),
        counts={key: n for (_rid, key), n in counted.items()},
        total=sum(counted.values()),
        refusal=rounds.refusal(current_user, round_),
        municipalities=rounds.municipality_names(round_),
        manager=manager,
        extend_form=ExtendForm(formdata=None, closes_at=local_time(round_.closes_at)),
        confirm=ConfirmForm(),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_round(round_id):
    """Change a round's title, question and dates."""
    round_ = round_or_404(round_id)
    form = RoundEditForm(
        title=round_.title,
        question=round_.question_source,
        opens_at=local_time(round_.opens_at),
        closes_at=local_time(round_.closes_at),
    )
    if form.validate_on_submit():
        try:
            rounds.update_round(
                round_, form.title.data, form.question.data, to_utc(form.opens_at.data), to_utc(form.closes_at.data)
            )
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(_("Round saved."), "success")
            return redirect(url_for("consultations.round_page", round_id=round_.id))
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/rounds/round_form.html", form=form, version=round_.version, round=round_
    ), status


@bp.post("/rounds/<int:round_id>/close")
@managers_only
def close_round(round_id):
    """Close an open round now."""
    round_ = round_or_404(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        rounds.close_early(round_, current_user)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.round_page", round_id=round_.id), code=303)
    flash(_("Round closed."), "success")
    return redirect(url_for("consultations.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/extend")
@managers_only
def extend_round(round_id):
    """Move a round's closing time later."""
    round_ = round_or_404(round_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid date and time."), "error")
        return redirect(url_for("consultations.round_page", round_id=round_.id), code=303)
    try:
        rounds.extend(round_, to_utc(form.closes_at.data), current_user)
    except ConsultationError as error:
        flash(str(error), "error")
        return redirect(url_for("consultations.round_page", round_id=round_.id), code=303)
    flash(_("Round extended."), "success")
    return redirect(url_for("consultations.round_page", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/members", methods=["GET", "POST"])
@managers_only
def round_members(round_id):
    """The accounts invited to a round (the advisory committee's members)."""
    round_ = round_or_404(round_id)
    form = MemberForm()
    if form.validate_on_submit():
        user = find_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account has this e-mail address."))
        else:
            try:
                rounds.invite(round_, user)
            except ConsultationError as error:
                form.email.errors.append(str(error))
            else:
                flash(_("%(name)s is invited.", name=user.public_name), "success")
                return redirect(url_for("consultations.round_members", round_id=round_.id))
    status = INVALID if form.errors else 200
    return render_template(
        "consultations/rounds/members.html",
        round=round_,
        form=form,
        members=rounds.members(round_),
        confirm=ConfirmForm(),
    ), status


@bp.post("/rounds/<int:round_id>/members/<int:member_id>/remove")
@managers_only
def remove_round_member(round_id, member_id):
    """Withdraw an invitation (what the person said stays)."""
    round_ = round_or_404(round_id)
    member = db.get_or_404(RoundMember, member_id)
    if member.round_id != round_.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.delete(member)
    flash(_("Invitation withdrawn."), "success")
    return redirect(url_for("consultations.round_members", round_id=round_.id))


def _key_choices(version):
    return [SelectChoice("", _("The whole version"))] + [
        SelectChoice(s.key, f"{s.key} · {s.title}") for s in versions.sections_of(version)
    ]


@bp.route("/rounds/<int:round_id>/comments/on-behalf", methods=["GET", "POST"])
@managers_only
def on_behalf(round_id):
    """Enter a comment someone sent in writing or said in person."""
    round_ = round_or_404(round_id)
    form = OnBehalfForm(section_key=request.args.get("key", "") if request.method == "GET" else None)
    form.section_key.choices = _key_choices(round_.version)
    if form.validate_on_submit():
        author = None
        if form.email.data:
            author = find_by_email(form.email.data)
            if author is None:
                form.email.errors.append(_("No account has this e-mail address."))
        if not form.errors:
            try:
                made = rounds.add_comment(
                    round_,
                    author,
                    form.section_key.data or None,
                    form.body.data,
                    form.stance.data,
                    form.wording.data,
                    channel=form.channel.data,
                    said_by=form.said_by.data,
                    entered_by=current_user,
                )
            except ConsultationError as error:
                form.body.errors.append(str(error))
            else:
                flash(_("Comment entered."), "success")
                return redirect(_page_of(round_, form.section_key.data or None, made.id))
    status = INVALID if form.errors else 200
    return render_template("consultations/rounds/on_behalf.html", round=round_, form=form), status


def _filters():
    args = request.args
    filters = rounds.Filters()
    filters.section_key = clean_text(args.get("section"))[:40] or None
    stance = args.get("stance", "")
    filters.stance = stance if stance in {s.value for s in Stance} else None
    filters.municipality_id = id_arg("municipality")
    channel = args.get("channel", "")
    filters.channel = channel if channel in {c.value for c in Channel} else None
    filters.since, filters.until = date_arg("since"), date_arg("until")
    return filters


@bp.get("/rounds/<int:round_id>/comments")
@managers_only
def round_comments(round_id):
    """Every comment of a round for facilitators, filtered, with the exports."""
    round_ = round_or_404(round_id)
    filters = _filters()
    page = db.paginate(rounds.listed(round_, filters), page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "consultations/rounds/comments.html",
        round=round_,
        page=page,
        filters=filters,
        sections=versions.sections_of(round_.version),
        municipalities=_municipality_rows(),
        stances=list(Stance),
        channels=[
            (Channel.ONLINE.value, _("Online")),
            (Channel.WRITTEN.value, _("In writing")),
            (Channel.IN_PERSON.value, _("In person")),
        ],
        reason_form=ReasonForm(formdata=None),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/rounds/<int:round_id>/comments.<any(csv, xlsx):fmt>", methods=["GET", "POST"])
@managers_only
def export_comments(round_id, fmt):
    """The round's comments (filters as on the list) as CSV or XLSX: people as pseudonyms;
    names only on ``POST`` with a reason, which goes to the audit log."""
    round_ = round_or_404(round_id)
    names = request.method == "POST"
    if names:
        form = ReasonForm()
        if not form.validate_on_submit():
            flash(_("Say why you need the names, in at most 500 characters."), "error")
            return redirect(url_for("consultations.round_comments", round_id=round_.id), code=303)
        audit.record("export.names", actor=current_user, note=form.reason.data.strip(), round=round_.id)
    comments = db.session.scalars(rounds.listed(round_, _filters())).all()
    municipalities = dict(_municipality_rows())
    channels = {
        Channel.ONLINE.value: _("Online"),
        Channel.WRITTEN.value: _("In writing"),
        Channel.IN_PERSON.value: _("In person"),
    }

    def who(comment):
        c = comment.contribution
        if c.author_id is None:
            return comment.said_by if names else (_("written down") if comment.said_by else "")
        if names and c.author is not None:
            return c.author.public_name
        return pseudonym("user", c.author_id)

    header = [
        _("Comment"),
        _("Reply to"),
        _("Section"),
        _("Position"),
        _("Text"),
        _("Proposed wording"),
        _("Participant"),
        _("Municipality"),
        _("Channel"),
        _("Time"),
    ]
    rows = (
        [
            comment.id,
            comment.parent_id or "",
            comment.contribution.section_key or _("The whole version"),
            str(comment.stance_label or ""),
            comment.contribution.body_source,
            comment.wording_source,
            who(comment),
            municipalities.get(comment.contribution.municipality_id, ""),
            channels.get(comment.contribution.channel, comment.contribution.channel),
            iso(comment.contribution.created_at),
        ]
        for comment in comments
    )
    filename = f"round-{round_.id}-comments.{fmt}"
    return (csv_response if fmt == "csv" else xlsx_response)(filename, header, rows)
