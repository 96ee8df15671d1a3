"""Pages for workshop boards: the board, its presenter view, the change feed behind live
updates, cards, columns, clusters, dot votes, locking and exports.

Every action is a plain form POST that comes back to the board, so the board works without
JavaScript; ``static/board.js`` only keeps an open page up to date by asking
``/changes?since=<version>`` every few seconds.
"""

from dataclasses import dataclass, field
from functools import cached_property

from flask import (
    abort,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import lazyload

from core import audit
from core.confirm import confirm_page
from core.exports import csv_response, pseudonym
from core.extensions import db
from core.flashes import flash_at, take_flashes_at
from core.forms import INVALID, ConfirmForm
from core.permissions import is_manager, managers_only
from core.privacy import iso
from core.visibility import Shown, is_public, seen_by
from forums import bp
from forums.common import ForumError
from forums.moderation.forms import ReasonForm
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from forums.workshops import services as workshops
from forums.workshops.boards import services as boards
from forums.workshops.boards.forms import CardEditForm, CardForm, MoveForm, RoundForm, TitleForm
from forums.workshops.boards.models import Board, BoardColumn, Card, Cluster

audit.register_actions({"export.names": _l("Export with names")})

REFUSED = 303
#: A refused card's text, kept in the session for the board page that follows:
#: ``{"board": id, "column": id, "body": text}``.
DRAFT_KEY = "board_card_draft"


#: What every card of a board repeats, translated once per page (:attr:`BoardView.text`)
#: rather than once per card.
CARD_TEXT = {
    "yours": _l("Yours"),
    "dots": _l("Dots"),
    "add_dot": _l("Add a dot"),
    "take_dot": _l("Take a dot back"),
    "options": _l("Card options"),
    "edit": _l("Edit"),
    "delete": _l("Delete"),
    "move_to": _l("Move to"),
    "move": _l("Move"),
    "moderate": _l("Moderate"),
    "reason": _l("Reason, shown to the author"),
    "hide": _l("Hide"),
    "restore": _l("Restore"),
    "report": _l("Report to the moderators"),
    "said_by": _l("Said by: %(name)s"),
    "in_room": _l("%(name)s, in the room"),
    "attendee": _l("An attendee, in the room"),
    "deleted": _l("Deleted account"),
}


@dataclass
class BoardView:
    """Everything a board (or one of its cards) is drawn with, for one viewer."""

    board: Board
    manager: bool
    user_id: int | None
    invitation: object
    columns: list
    clusters: list
    voting: object
    mine: dict
    #: How many people placed dots, once the current round is closed.
    voters: int | None = None
    attendees: dict = field(default_factory=dict)
    presenter: bool = False
    #: Messages placed beside a card or an add-card form (``core.flashes``), by anchor.
    placed: dict = field(default_factory=dict)
    #: The person viewing, resolved once: every card asks about them.
    viewer: object = field(default_factory=lambda: current_user._get_current_object())

    @cached_property
    def can_vote(self) -> bool:
        return boards.vote_error(self.viewer, self.board, self.invitation, self.voting) is None

    @cached_property
    def dots_left(self) -> int:
        return self.voting.dots_per_participant - sum(self.mine.values()) if self.voting else 0

    @property
    def dots_left_text(self) -> str:
        """ "You have 1 dot left of your 3.", in the viewer's language and plural form."""
        return ngettext(
            "You have %(num)s dot left of your %(dots)s.",
            "You have %(num)s dots left of your %(dots)s.",
            self.dots_left,
            dots=self.voting.dots_per_participant,
        )

    def dot_refusal(self, card: Card) -> str | None:
        """Why the viewer, who may vote, cannot put another dot on ``card`` (shown beside
        the disabled button), or ``None``."""
        if self.mine.get(card.id, 0) >= self.voting.max_per_card:
            return ngettext(
                "This card has the %(num)s dot you may put on one card.",
                "This card has the %(num)s dots you may put on one card.",
                self.voting.max_per_card,
            )
        if self.dots_left <= 0:
            return _("You have used all your dots: take one back to move it.")
        return None

    @cached_property
    def move_options(self) -> list[tuple[str, str]]:
        return move_options(self.columns, self.clusters)

    def clusters_of(self, column) -> list:
        return [c for c in self.clusters if c.column_id == column.id]

    def place(self, card: Card) -> str:
        return place_of(card)

    def author(self, card: Card) -> str:
        """Who wrote a card, for facilitators: an account's name, or the attendee's."""
        contribution = card.contribution
        if contribution.attendee_id:
            attendee = self.attendees.get(contribution.attendee_id)
            name = attendee.full_name if attendee else ""
            return self.text["in_room"] % {"name": name} if name else self.text["attendee"]
        return contribution.author.public_name if contribution.author else self.text["deleted"]

    def said_by(self, card: Card) -> str:
        """ "Said by: …", for facilitators."""
        return self.text["said_by"] % {"name": self.author(card)}

    def is_mine(self, card: Card) -> bool:
        """Whether the viewer said what the card says: their card, or one a facilitator
        wrote down for them from the sign-in sheet."""
        return self.user_id is not None and card.contribution.author_id == self.user_id

    @cached_property
    def text(self) -> dict[str, str]:
        """:data:`CARD_TEXT` in the viewer's language (a text with a placeholder is filled
        with ``%``, as ``gettext`` does)."""
        return {key: str(value) for key, value in CARD_TEXT.items()}

    @cached_property
    def board_url(self) -> str:
        """The board's address, which every card's forms return to (at the card)."""
        return url_for("forums.board", board_id=self.board.id)

    @cached_property
    def may_flag(self) -> bool:
        """Whether the viewer may report cards at all: signed in, not blocked, not
        moderating, not the projector."""
        return not self.presenter and not self.manager and self.viewer.is_authenticated and not self.viewer.is_blocked

    def facts(self, card: Card) -> "CardFacts":
        """What the viewer sees of ``card`` and may do with it, decided once per card:
        signed-in people who do not moderate may report someone else's card."""
        mine = self.is_mine(card)
        return CardFacts(
            shown=seen_by(card.contribution, self.viewer, self.manager),
            mine=mine,
            can_edit=boards.can_edit(self.viewer, self.board, card),
            can_delete=boards.can_delete(self.viewer, self.board, card),
            can_flag=self.may_flag and not mine,
        )


@dataclass(frozen=True)
class CardFacts:
    """What one viewer sees of one card and may do with it (:meth:`BoardView.facts`)."""

    shown: Shown
    #: The viewer said it (their card, or one written down for them).
    mine: bool
    can_edit: bool
    can_delete: bool
    can_flag: bool


def place_of(card: Card) -> str:
    """The id of the list a card belongs in: its cluster's, or its column's."""
    return f"cards-g{card.cluster_id}" if card.cluster_id else f"cards-c{card.column_id}"


def move_options(columns, clusters) -> list[tuple[str, str]]:
    """Where a card can go: each column (``c<id>``), then its clusters (``g<id>``)."""
    options = []
    for column in columns:
        options.append((f"c{column.id}", column.title))
        options += [(f"g{c.id}", f"{column.title} › {c.title}") for c in clusters if c.column_id == column.id]
    return options


def _board_or_404(board_id: int) -> Board:
    return db.get_or_404(Board, board_id)


def _view(
    board: Board, presenter: bool = False, state: boards.BoardState | None = None, mine: dict | None = None
) -> BoardView:
    """The board drawn for the current person (or for the projector, ``presenter``).
    ``state`` (:func:`boards.board_state`) and ``mine`` (the person's dots by card) are
    loaded here unless the caller has them."""
    manager = is_manager(current_user) and not presenter
    if state is None:
        state = boards.board_state(board.id, None if presenter else current_user)
    if mine is None:
        mine = {} if presenter else boards.my_votes(state.voting, current_user)
    columns, clusters = boards.columns_and_clusters(board)
    return BoardView(
        board=board,
        manager=manager,
        user_id=current_user.id if current_user.is_authenticated and not presenter else None,
        invitation=None if presenter else state.invitation,
        columns=columns,
        clusters=clusters,
        voting=state.voting,
        voters=state.voters,
        mine=mine,
        attendees={a.id: a for a in sheets.sheet_attendees(board.workshop, names_only=True)} if manager else {},
        presenter=presenter,
    )


def _grouped(cards) -> dict:
    """Cards by the id of the list they sit in."""
    grouped: dict[str, list] = {}
    for card in cards:
        grouped.setdefault(place_of(card), []).append(card)
    return grouped


def _card_form(view: BoardView, column, formdata=None) -> CardForm:
    form = CardForm(prefix=f"c{column.id}", formdata=formdata)
    if view.manager:
        form.attendee.choices = sheets.attendee_choices(list(view.attendees.values()), _("Nobody: I write it myself"))
    else:
        form.attendee.choices = [("", "")]
    return form


def add_card_anchor(column) -> str:
    """The id of a column's add-card form on the board page."""
    return f"add-card-{column.id}"


def _board_context(board, failed=None, placed=False, state=None) -> dict:
    """What the board page draws; ``failed`` is a card form (with its column) that did not
    validate. ``placed``: take the messages flashed for a card or an add-card form, and a
    refused card's text, to draw them there (the page, not the live change feed).
    ``state``: :func:`boards.board_state` for the current person, if the caller has it.
    A fixed number of queries: the state, columns with clusters, the cards with the
    person's dots, and for facilitators the sign-in sheet."""
    if state is None:
        state = boards.board_state(board.id, current_user)
    cards = db.session.scalars(boards.cards_query(board, state.voting, current_user)).unique().all()
    view = _view(board, state=state, mine={card.id: card.my_dots for card in cards if card.my_dots})
    refusal = boards.card_error(current_user, board, view.invitation)
    drafts = {}
    if placed:
        view.placed = take_flashes_at(
            [f"card-{card.id}" for card in cards] + [add_card_anchor(column) for column in view.columns]
        )
        draft = session.pop(DRAFT_KEY, None)
        if isinstance(draft, dict) and draft.get("board") == board.id:
            drafts = {draft.get("column"): str(draft.get("body", ""))}
    forms = {}
    if refusal is None:
        forms = {column.id: _card_form(view, column) for column in view.columns}
        for column_id, body in drafts.items():
            if column_id in forms:
                forms[column_id].body.data = body
        if failed is not None:
            forms[failed[0].id] = failed[1]
    return {
        "board": board,
        "workshop": board.workshop,
        "view": view,
        "grouped": _grouped(cards),
        "card_count": len(cards),
        "card_forms": forms,
        # Text refused by a column whose form is not drawn (the board was locked): shown
        # read-only beside the reason, so it can be copied.
        "drafts": {} if refusal is None else drafts,
        "refusal": refusal if current_user.is_authenticated else None,
        "round_form": RoundForm(formdata=None) if view.manager else None,
        "title_form": TitleForm(formdata=None),
        "voters": view.voters,
        "confirm": ConfirmForm(),
        "poll_ms": current_app.config["BOARD_POLL_MS"],
    }


def _render_board(board, status=200, failed=None, state=None):
    context = _board_context(board, failed, placed=True, state=state)
    return render_template("forums/workshops/board.html", **context), status


@bp.get("/boards/<int:board_id>")
def board(board_id):
    """A board: columns, clusters and cards, with what the viewer may do."""
    state = boards.board_state(board_id, current_user)
    if state is None:
        abort(404)
    return _render_board(state.board, state=state)


@bp.get("/boards/<int:board_id>/present")
def present(board_id):
    """The presenter view for the projector: large type, read-only, live."""
    state = boards.board_state(board_id)
    if state is None:
        abort(404)
    board = state.board
    view = _view(board, presenter=True, state=state)
    cards = db.session.scalars(boards.cards_query(board)).unique().all()
    return render_template(
        "forums/workshops/present.html",
        board=board,
        workshop=board.workshop,
        view=view,
        grouped=_grouped(cards),
        poll_ms=current_app.config["BOARD_POLL_MS"],
    )


@bp.get("/boards/<int:board_id>/changes")
def board_changes(board_id):
    """What changed on a board after version ``since``, for live viewers.

    Nothing changed: just the version (one query). Cards changed: each changed card drawn
    for this viewer, or its tombstone. Columns, clusters, the vote or the lock changed:
    the board's body drawn again. ``view=present`` draws for the presenter view.
    """
    # The board row alone: nothing else is needed to say that nothing changed.
    board = db.get_or_404(Board, board_id, options=[lazyload(Board.workshop)])
    since = request.args.get("since", type=int)
    presenter = request.args.get("view") == "present"
    payload = {"version": board.version}
    if since is not None and since == board.version:
        pass
    elif since is None or since < board.structure_version or since > board.version:
        if presenter:
            view = _view(board, presenter=True)
            cards = db.session.scalars(boards.cards_query(board)).unique().all()
            body = render_template("forums/workshops/_present_body.html", view=view, grouped=_grouped(cards))
        else:
            body = render_template("forums/workshops/_board_live.html", **_board_context(board))
        payload["body"] = body
    else:
        view = _view(board, presenter=presenter)
        draw = get_template_attribute("forums/workshops/_cards.html", "present_card" if presenter else "card")
        payload["cards"] = [
            {"id": card.id, "deleted": True}
            if card.deleted_at is not None
            else {"id": card.id, "place": view.place(card), "html": str(draw(card, view))}
            for card in boards.changed_cards(board, since)
        ]
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


# Cards --------------------------------------------------------------------------------


def _back(board, card_id=None, status=302, anchor=None):
    anchor = f"card-{card_id}" if card_id else anchor
    return redirect(url_for("forums.board", board_id=board.id, _anchor=anchor), status)


def _refuse(board, error, card_id=None, anchor=None):
    """Back to the board with the reason: shown beside the card (or the element
    ``anchor``) acted on, which the page scrolls to; at the top otherwise."""
    anchor = f"card-{card_id}" if card_id else anchor
    if anchor:
        flash_at(str(error), "error", anchor)
    else:
        flash(str(error), "error")
    return _back(board, status=REFUSED, anchor=anchor)


def _column_or_404(board, column_id) -> BoardColumn:
    column = db.get_or_404(BoardColumn, column_id)
    if column.board_id != board.id:
        abort(404)
    return column


def _card_or_404(card_id):
    card = db.session.get(Card, card_id)
    if card is None or card.deleted_at is not None:
        abort(404)
    return card, _board_or_404(card.board_id)


@bp.post("/boards/<int:board_id>/columns/<int:column_id>/cards")
@login_required
def add_card(board_id, column_id):
    """Put a card in a column (facilitators may write it down for an attendee)."""
    board = _board_or_404(board_id)
    column = _column_or_404(board, column_id)
    invitation = workshops.invitation_of(current_user, board.workshop)
    refusal = boards.card_error(current_user, board, invitation)
    if refusal:
        # Beside the column's form, with the text kept (the board may have been locked
        # while the person was typing).
        body = request.form.get(f"c{column.id}-body", "")
        if body.strip():
            session[DRAFT_KEY] = {"board": board.id, "column": column.id, "body": body[: boards.CARD_MAX]}
        return _refuse(board, refusal, anchor=add_card_anchor(column))
    view = _view(board)
    form = _card_form(view, column, formdata=request.form)
    if form.validate_on_submit():
        attendee = None
        if form.attendee.data is not None:
            attendee = db.session.get(Attendee, form.attendee.data)
        try:
            card = boards.add_card(current_user, board, invitation, column, form.body.data, attendee)
        except ForumError as error:
            form.body.errors.append(str(error))
        else:
            return _back(board, card.id)
    return _render_board(board, INVALID, failed=(column, form))


@bp.route("/cards/<int:card_id>/edit", methods=["GET", "POST"])
@login_required
def edit_card(card_id):
    """Change the text of one's card."""
    card, board = _card_or_404(card_id)
    if not board.is_open:
        return _refuse(board, boards.LOCKED, card.id)
    if not boards.can_edit(current_user, board, card):
        abort(403)
    form = CardEditForm(body=card.contribution.body_source)
    if form.validate_on_submit():
        try:
            boards.edit_card(board, card, form.body.data)
        except ForumError as error:
            form.body.errors.append(str(error))
        else:
            flash(_("Card saved."), "success")
            return _back(board, card.id)
    status = INVALID if form.errors else 200
    return render_template("forums/workshops/card_edit.html", board=board, card=card, form=form), status


@bp.get("/cards/<int:card_id>/delete")
@login_required
def confirm_delete_card(card_id):
    """Ask before deleting a card (the step works without JavaScript)."""
    card, board = _card_or_404(card_id)
    if not board.is_open:
        return _refuse(board, boards.LOCKED, card.id)
    if not boards.can_delete(current_user, board, card):
        abort(403)
    # Again with the words' account, which decides what the viewer sees of them.
    card = db.session.scalars(boards.cards_query(board).where(Card.id == card.id)).unique().one()
    return _confirm(
        board,
        card,
        question=_("Delete this card?"),
        explanation=_("The card and its dots are removed from the board. This cannot be undone."),
        action=url_for("forums.delete_card", card_id=card.id),
        button=_("Delete the card"),
        back=url_for("forums.board", board_id=board.id, _anchor=f"card-{card.id}"),
    )


def _confirm(board: Board, card: Card | None, **step) -> str:
    """The confirmation step of an action on ``card`` (or, without one, on the whole
    board), which it shows; "Cancel" goes back to the board."""
    return confirm_page(
        **step,
        back_label=_("Cancel"),
        subject=board.title,
        crumbs="forums/workshops/_crumbs.html",
        concerns="forums/workshops/_confirm_card.html",
        danger=True,
        board=board,
        workshop=board.workshop,
        card=card,
        manager=is_manager(current_user),
    )


@bp.post("/cards/<int:card_id>/delete")
@login_required
def delete_card(card_id):
    """Delete one's card (facilitators may delete any)."""
    card, board = _card_or_404(card_id)
    if not board.is_open:
        return _refuse(board, boards.LOCKED, card.id)
    if not boards.can_delete(current_user, board, card):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    boards.delete_card(board, card)
    flash(_("Card deleted."), "info")
    return _back(board)


@bp.post("/cards/<int:card_id>/move")
@managers_only
def move_card(card_id):
    """Move a card to a column or into a cluster."""
    card, board = _card_or_404(card_id)
    form = MoveForm()
    form.target.choices = move_options(boards.columns(board), boards.clusters(board))
    if not form.validate_on_submit():
        return _refuse(board, _("Choose where to move the card."), card.id)
    kind, ident = form.target.data[0], int(form.target.data[1:])
    try:
        if kind == "g":
            cluster = db.session.get(Cluster, ident)
            boards.move_card(board, card, None, cluster)
        else:
            boards.move_card(board, card, db.session.get(BoardColumn, ident))
    except ForumError as error:
        return _refuse(board, error, card.id)
    return _back(board, card.id)


def _dot(card_id, action):
    card, board = _card_or_404(card_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    invitation = workshops.invitation_of(current_user, board.workshop)
    try:
        action(current_user, board, invitation, card)
    except ForumError as error:
        return _refuse(board, error, card.id)
    return _back(board, card.id)


@bp.post("/cards/<int:card_id>/vote")
@login_required
def vote(card_id):
    """Put one of one's dots on a card."""
    return _dot(card_id, boards.place_dot)


@bp.post("/cards/<int:card_id>/unvote")
@login_required
def unvote(card_id):
    """Take one of one's dots back."""
    return _dot(card_id, boards.take_dot)


# Columns and clusters -----------------------------------------------------------------


def _titled(board, action, *args):
    """Run a column or cluster change that takes a title from a :class:`TitleForm`."""
    form = TitleForm()
    if not form.validate_on_submit():
        return _refuse(board, form.title.errors[0] if form.title.errors else _("This form expired. Try again."))
    try:
        action(board, *args, form.title.data)
    except ForumError as error:
        return _refuse(board, error)
    return _back(board)


def _structural(board, action, *args):
    """Run a change without fields (a CSRF-protected button)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(board, *args)
    except ForumError as error:
        return _refuse(board, error)
    return _back(board)


@bp.post("/boards/<int:board_id>/columns")
@managers_only
def add_column(board_id):
    """Add a column at the right end."""
    return _titled(_board_or_404(board_id), boards.add_column)


@bp.post("/boards/<int:board_id>/columns/<int:column_id>/rename")
@managers_only
def rename_column(board_id, column_id):
    """Rename a column."""
    board = _board_or_404(board_id)
    return _titled(board, boards.rename_column, _column_or_404(board, column_id))


@bp.post("/boards/<int:board_id>/columns/<int:column_id>/<any(left, right):direction>")
@managers_only
def move_column(board_id, column_id, direction):
    """Move a column one place left or right."""
    board = _board_or_404(board_id)
    step = -1 if direction == "left" else 1
    return _structural(board, boards.move_column, _column_or_404(board, column_id), step)


@bp.post("/boards/<int:board_id>/columns/<int:column_id>/delete")
@managers_only
def remove_column(board_id, column_id):
    """Remove an empty column."""
    board = _board_or_404(board_id)
    return _structural(board, boards.remove_column, _column_or_404(board, column_id))


@bp.post("/boards/<int:board_id>/columns/<int:column_id>/clusters")
@managers_only
def add_cluster(board_id, column_id):
    """Start a named cluster in a column."""
    board = _board_or_404(board_id)
    return _titled(board, boards.add_cluster, _column_or_404(board, column_id))


def _cluster_or_404(board, cluster_id) -> Cluster:
    cluster = db.get_or_404(Cluster, cluster_id)
    if cluster.board_id != board.id:
        abort(404)
    return cluster


@bp.post("/boards/<int:board_id>/clusters/<int:cluster_id>/rename")
@managers_only
def rename_cluster(board_id, cluster_id):
    """Rename a cluster."""
    board = _board_or_404(board_id)
    return _titled(board, boards.rename_cluster, _cluster_or_404(board, cluster_id))


@bp.post("/boards/<int:board_id>/clusters/<int:cluster_id>/dissolve")
@managers_only
def dissolve_cluster(board_id, cluster_id):
    """Dissolve a cluster; its cards stay in the column."""
    board = _board_or_404(board_id)
    return _structural(board, boards.dissolve_cluster, _cluster_or_404(board, cluster_id))


# Voting rounds and locking ------------------------------------------------------------


@bp.post("/boards/<int:board_id>/round")
@managers_only
def open_round(board_id):
    """Open a dot-voting round."""
    board = _board_or_404(board_id)
    form = RoundForm()
    if not form.validate_on_submit():
        errors = form.dots.errors or form.max_per_card.errors or [_("This form expired. Try again.")]
        return _refuse(board, errors[0])
    try:
        boards.open_round(board, form.dots.data, form.max_per_card.data)
    except ForumError as error:
        return _refuse(board, error)
    flash(_("The vote is open."), "success")
    return _back(board)


@bp.post("/boards/<int:board_id>/round/close")
@managers_only
def close_round(board_id):
    """Close the open voting round."""
    return _structural(_board_or_404(board_id), boards.close_round)


@bp.get("/boards/<int:board_id>/lock")
@managers_only
def confirm_lock_board(board_id):
    """Ask before locking a board (the step works without JavaScript)."""
    board = _board_or_404(board_id)
    if not board.is_open:
        flash(_("The board is locked."), "info")
        return _back(board)
    return _confirm(
        board,
        None,
        question=_("Lock this board?"),
        explanation=_(
            "Nobody can add, edit, move or vote on cards until a facilitator opens the board again."
            " It can still be read, presented and exported."
        ),
        action=url_for("forums.lock_board", board_id=board.id, action="lock"),
        button=_("Lock the board"),
        back=url_for("forums.board", board_id=board.id),
    )


@bp.post("/boards/<int:board_id>/<any(lock, unlock):action>")
@managers_only
def lock_board(board_id, action):
    """Lock a board when the workshop ends, or open it again."""
    board = _board_or_404(board_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    boards.set_locked(board, action == "lock")
    flash(_("The board is locked.") if action == "lock" else _("The board is open again."), "info")
    return _back(board)


# Exports ------------------------------------------------------------------------------


def _export_rows(board):
    view = _view(board)
    columns = {c.id: c.title for c in view.columns}
    clusters = {c.id: c.title for c in view.clusters}
    cards = db.session.scalars(boards.cards_query(board)).unique().all()
    return view, columns, clusters, cards


@bp.route("/boards/<int:board_id>/export.csv", methods=["GET", "POST"])
@managers_only
def export_board_csv(board_id):
    """One row per card: column, cluster, text, participant, channel, dots, time.

    ``GET``: participants as pseudonyms. ``POST`` (a form with a reason, which goes to the
    audit log): names, but only of people who agreed to be named on the workshop's
    sign-in sheet; everyone else stays a pseudonym.
    """
    board = _board_or_404(board_id)
    names = request.method == "POST"
    if names:
        form = ReasonForm()
        if not form.validate_on_submit():
            return _refuse(board, _("Say why you need the names, in at most 500 characters."))
        audit.record("export.names", actor=current_user, note=form.reason.data.strip(), board=board.id)
    view, columns, clusters, cards = _export_rows(board)
    # People the sheet may name: walk-ins and accounts who agreed to be named.
    named_attendees = {a.id for a in view.attendees.values() if a.consent}
    named_accounts = {a.user_id for a in view.attendees.values() if a.consent and a.user_id}

    def who(card):
        contribution = card.contribution
        if contribution.attendee_id:
            attendee = view.attendees.get(contribution.attendee_id)
            if names and contribution.attendee_id in named_attendees and attendee.full_name:
                return attendee.full_name
            if attendee is not None and attendee.user_id:
                return pseudonym("user", attendee.user_id)
            return pseudonym("attendee", contribution.attendee_id)
        if contribution.author_id is None:
            return ""
        if names and contribution.author_id in named_accounts and contribution.author is not None:
            return contribution.author.public_name
        return pseudonym("user", contribution.author_id)

    header = [_("Column"), _("Cluster"), _("Card"), _("Participant"), _("Channel"), _("Dots"), _("Time")]
    rows = (
        [
            columns.get(card.column_id, ""),
            clusters.get(card.cluster_id, ""),
            card.contribution.body_source,
            who(card),
            card.contribution.channel,
            card.dots,
            iso(card.contribution.created_at),
        ]
        for card in cards
    )
    return csv_response(f"board-{board.id}.csv", header, rows)


@bp.get("/boards/<int:board_id>/export.md")
@managers_only
def export_board_markdown(board_id):
    """The board as Markdown for the minutes: columns, clusters with their dots, cards
    (without names, and without hidden cards)."""
    board = _board_or_404(board_id)
    view, _columns, _clusters, cards = _export_rows(board)
    text = render_template(
        "forums/workshops/board.md",
        board=board,
        workshop=board.workshop,
        view=view,
        # The minutes may be published: hidden cards and blocked accounts' cards stay out.
        grouped=_grouped([card for card in cards if is_public(card.contribution)]),
        voters=boards.voters(view.voting),
    )
    return (
        text,
        200,
        {
            "Content-Type": "text/markdown; charset=utf-8",
            "Content-Disposition": f'attachment; filename="board-{board.id}.md"',
        },
    )
