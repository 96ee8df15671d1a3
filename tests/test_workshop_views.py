"""Workshop and board pages over HTTP: scheduling, invitations, the sign-in sheet, cards,
clusters, dot votes, locking, the live change feed, exports; fixed query counts."""

import csv
import io

import pytest
from sqlalchemy import func, select

from accounts.models import User
from core.audit import AuditEntry
from core.extensions import db
from core.models import Contribution
from core.spaces import SpaceKind
from forums.sheets import services as sheets
from forums.sheets.models import Attendee
from forums.workshops.boards.models import Board, BoardColumn, Card, Cluster
from forums.workshops.models import Workshop
from tests.conftest import login

WORKSHOP = {"kind": "codesign", "title": "Taller de codiseño 1", "starts_at": "2017-05-10T09:30", "place": "CPLT"}


@pytest.fixture
def workshop(app, client, factory, personas):
    """A co-design workshop with a board; the citizen and the staff member are invited
    participants. Leaves the client signed out."""
    process = factory.process()
    login(client, personas["facilitator"])
    response = client.post("/forums/workshops/new", data={**WORKSHOP, "process_id": process})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    workshop_id = int(response.location.rsplit("/", 1)[1])
    for persona in ("citizen", "staff"):
        invited = client.post(
            f"/forums/workshops/{workshop_id}/participants",
            data={"email": personas[persona].email, "role": "participant"},
        )
        assert invited.status_code == 302
    response = client.post(f"/forums/workshops/{workshop_id}/boards", data={"title": "Muro de ideas"})
    assert response.status_code == 302
    board_id = int(response.location.rsplit("/", 1)[1])
    client.post("/logout")
    with app.app_context():
        columns = db.session.scalars(
            select(BoardColumn.id).where(BoardColumn.board_id == board_id).order_by(BoardColumn.position)
        ).all()
    return {"id": workshop_id, "board": board_id, "columns": columns}


def _add(client, workshop, text, column=0, **extra):
    column_id = workshop["columns"][column]
    prefix = f"c{column_id}-"
    data = {prefix + "body": text, **{prefix + k: v for k, v in extra.items()}}
    return client.post(f"/forums/boards/{workshop['board']}/columns/{column_id}/cards", data=data)


def _card_ids(app, board_id):
    with app.app_context():
        return db.session.scalars(
            select(Card.id).where(Card.board_id == board_id, Card.deleted_at.is_(None)).order_by(Card.id)
        ).all()


def test_workshop_pages_show_details_and_boards(client, workshop, personas):
    page = client.get(f"/forums/workshops/{workshop['id']}").get_data(as_text=True)
    assert "Taller de codiseño 1" in page and "Muro de ideas" in page
    assert client.get("/forums/workshops").status_code == 200
    board = client.get(f"/forums/boards/{workshop['board']}").get_data(as_text=True)
    for column in ("Transparencia", "Participación y Colaboración", "Rendición de Cuentas", "Innovación", "Otro"):
        assert column in board
    # Visitors read the board but are not offered the card form.
    assert "Agregar tarjeta" not in board


def test_live_boards_ask_for_changes_as_often_as_configured(app, client, workshop):
    url = f"/forums/boards/{workshop['board']}"
    for page in (url, f"{url}/present"):
        assert 'data-poll="3000"' in client.get(page).get_data(as_text=True)
    app.config["BOARD_POLL_MS"] = 1500
    try:
        assert 'data-poll="1500"' in client.get(f"{url}/present").get_data(as_text=True)
    finally:
        app.config["BOARD_POLL_MS"] = 3000


def test_participant_adds_a_card_that_is_a_contribution(app, client, workshop, personas):
    login(client, personas["citizen"])
    response = _add(client, workshop, "Publicar las actas **en formato abierto**")
    assert response.status_code == 302 and "#card-" in response.location
    with app.app_context():
        contribution = db.session.scalar(select(Contribution).where(Contribution.space_kind == SpaceKind.BOARD))
        assert contribution.space_id == workshop["board"]
        assert contribution.section_key == "T"
        assert contribution.author_id == personas["citizen"].id
        assert "<strong>en formato abierto</strong>" in contribution.body_html
    page = client.get(f"/forums/boards/{workshop['board']}").get_data(as_text=True)
    assert "<strong>en formato abierto</strong>" in page and "Suya" in page


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "obligatorio"), ("x" * 501, "500 caracteres"), ("x\x00" * 501, "500 caracteres")],
)
def test_bad_card_text_is_refused_and_kept(app, client, workshop, personas, text, message):
    login(client, personas["citizen"])
    response = _add(client, workshop, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if text.strip():
        assert "x" * 300 in page
    assert _card_ids(app, workshop["board"]) == []


def test_not_invited_people_cannot_add_cards(app, client, workshop, personas):
    for persona in ("expert", "staff_other"):
        login(client, personas[persona])
        response = _add(client, workshop, "Hola")
        assert response.status_code == 303
        page = client.get(response.location).get_data(as_text=True)
        assert "Solo las personas invitadas" in page
        client.post("/logout")
    assert _card_ids(app, workshop["board"]) == []


def test_locked_board_refuses_changes_with_a_message(app, client, workshop, personas):
    login(client, personas["citizen"])
    _add(client, workshop, "Antes del cierre")
    card_id = _card_ids(app, workshop["board"])[0]
    client.post("/logout")
    login(client, personas["facilitator"])
    assert client.post(f"/forums/boards/{workshop['board']}/lock").status_code == 302
    client.post("/logout")
    login(client, personas["citizen"])
    response = _add(client, workshop, "Después del cierre")
    assert response.status_code == 303
    assert "Este tablero está cerrado" in client.get(response.location).get_data(as_text=True)
    assert client.post(f"/forums/cards/{card_id}/delete").status_code == 303
    assert client.get(f"/forums/cards/{card_id}/edit").status_code == 303
    assert _card_ids(app, workshop["board"]) == [card_id]


def _inside(page, element_id, end):
    """The part of ``page`` from the element ``element_id`` to the next ``end``."""
    return page.split(f'id="{element_id}"', 1)[1].split(end, 1)[0]


def test_refused_dot_vote_is_told_beside_the_card(app, client, workshop, personas):
    login(client, personas["citizen"])
    for text in ("Uno", "Dos"):
        _add(client, workshop, text)
    cards = _card_ids(app, workshop["board"])
    client.post("/logout")
    login(client, personas["facilitator"])
    board = f"/forums/boards/{workshop['board']}"
    assert client.post(f"{board}/round", data={"dots": "1", "max_per_card": "1"}).status_code == 302
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/forums/cards/{cards[0]}/vote").status_code == 302
    refused = client.post(f"/forums/cards/{cards[1]}/vote", headers={"Accept-Language": "en"})
    assert refused.status_code == 303
    assert refused.location.endswith(f"{board}#card-{cards[1]}"), "the page scrolls to the card"
    page = client.get(refused.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    message = "You have used your only dot: take it back first."
    assert message in _inside(page, f"card-{cards[1]}", "</li>"), "beside the card voted on"
    assert page.count(message) == 1, "not at the top of the page as well"
    again = client.get(board, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert message not in again, "said once"


def test_card_refused_by_a_locked_board_is_told_beside_the_form_with_the_text_kept(app, client, workshop, personas):
    column = workshop["columns"][1]
    login(client, personas["citizen"])
    open_page = client.get(f"/forums/boards/{workshop['board']}").get_data(as_text=True)
    assert f'id="add-card-{column}"' in open_page
    client.post("/logout")
    login(client, personas["facilitator"])
    assert client.post(f"/forums/boards/{workshop['board']}/lock").status_code == 302
    client.post("/logout")
    login(client, personas["citizen"])
    response = _add(client, workshop, "Lo que escribí mientras cerraban", column=1)
    assert response.status_code == 303
    assert response.location.endswith(f"#add-card-{column}")
    page = client.get(response.location).get_data(as_text=True)
    beside = _inside(page, f"add-card-{column}", "</div>\n")
    assert "Este tablero está cerrado" in beside
    assert "Lo que escribí mientras cerraban</textarea>" in page and "readonly" in page
    assert "Lo que escribí" not in client.get(response.location).get_data(as_text=True), "shown once"
    assert _card_ids(app, workshop["board"]) == []


def test_card_refused_for_its_text_scrolls_back_to_the_form(app, client, workshop, personas):
    column = workshop["columns"][0]
    login(client, personas["citizen"])
    response = _add(client, workshop, "x" * 501)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    action = f'action="/forums/boards/{workshop["board"]}/columns/{column}/cards#add-card-{column}"'
    assert action in page, "the browser scrolls to the form the page is drawn again with"
    form = _inside(page, f"add-card-{column}", "</form>")
    assert "500 caracteres" in form and "x" * 501 in form


def test_report_on_a_card_is_acknowledged_beside_it(app, client, workshop, personas):
    login(client, personas["citizen"])
    _add(client, workshop, "Una idea")
    card_id = _card_ids(app, workshop["board"])[0]
    with app.app_context():
        contribution_id = db.session.get(Card, card_id).contribution_id
    client.post("/logout")
    login(client, personas["staff"])
    back = f"/forums/boards/{workshop['board']}#card-{card_id}"
    # A reason left empty: the report's page again, with the error and the way back.
    refused = client.post(f"/forums/contributions/{contribution_id}/flag", data={"reason": "", "next": back})
    assert refused.status_code == 422
    assert "field-error" in refused.get_data(as_text=True) and f'value="{back}"' in refused.get_data(as_text=True)
    response = client.post(
        f"/forums/contributions/{contribution_id}/flag", data={"reason": "Dato personal", "next": back}
    )
    assert response.location.endswith(back)
    page = client.get(response.location).get_data(as_text=True)
    assert "flash-success" in _inside(page, f"card-{card_id}", "</li>")


def test_author_edits_and_deletes_own_card_only(app, client, workshop, personas):
    login(client, personas["citizen"])
    _add(client, workshop, "Primera versión")
    card_id = _card_ids(app, workshop["board"])[0]
    client.post("/logout")
    login(client, personas["staff"])
    assert client.get(f"/forums/cards/{card_id}/edit").status_code == 403
    assert client.post(f"/forums/cards/{card_id}/delete").status_code == 403
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/forums/cards/{card_id}/edit", data={"body": ""}).status_code == 422
    assert client.post(f"/forums/cards/{card_id}/edit", data={"body": "Segunda versión"}).status_code == 302
    with app.app_context():
        assert db.session.get(Card, card_id).contribution.body_source == "Segunda versión"
    assert client.post(f"/forums/cards/{card_id}/delete").status_code == 302
    assert _card_ids(app, workshop["board"]) == []
    assert client.get(f"/forums/cards/{card_id}/edit").status_code == 404


def test_facilitator_clusters_moves_and_writes_for_an_attendee(app, client, workshop, personas):
    login(client, personas["citizen"])
    _add(client, workshop, "Idea uno")
    _add(client, workshop, "Idea dos", column=1)
    first, second = _card_ids(app, workshop["board"])
    client.post("/logout")
    login(client, personas["facilitator"])
    column = workshop["columns"][0]
    assert (
        client.post(
            f"/forums/workshops/{workshop['id']}/walk-ins",
            data={"walkin-name": "Vecina", "walkin-profile": "cso", "walkin-consent": "y"},
        ).status_code
        == 302
    )
    with app.app_context():
        attendee = db.session.scalar(select(Attendee).where(Attendee.workshop_id == workshop["id"]))
    assert _add(client, workshop, "Dicho en la sala", attendee=str(attendee.id)).status_code == 302
    board = f"/forums/boards/{workshop['board']}"
    assert client.post(f"{board}/columns/{column}/clusters", data={"title": "Actas"}).status_code == 302
    with app.app_context():
        cluster = db.session.scalar(select(Cluster).where(Cluster.board_id == workshop["board"]))
    assert client.post(f"/forums/cards/{second}/move", data={"target": f"g{cluster.id}"}).status_code == 302
    assert client.post(f"/forums/cards/{first}/move", data={"target": "g999999"}).status_code == 303
    with app.app_context():
        moved = db.session.get(Card, second)
        assert (moved.column_id, moved.cluster_id) == (column, cluster.id)
        assert moved.contribution.section_key == "T"
        in_room = db.session.scalar(select(Contribution).where(Contribution.attendee_id == attendee.id))
        assert in_room.channel == "in_person"
    page = client.get(board).get_data(as_text=True)
    assert "Actas" in page and "Vecina, en la sala" in page
    assert client.post(f"{board}/clusters/{cluster.id}/rename", data={"title": "Actas y sesiones"}).status_code == 302
    assert client.post(f"{board}/clusters/{cluster.id}/dissolve").status_code == 302
    with app.app_context():
        assert db.session.get(Card, second).cluster_id is None
    # A column with cards cannot go; an empty one can.
    assert client.post(f"{board}/columns/{column}/delete").status_code == 303
    assert client.post(f"{board}/columns/{workshop['columns'][4]}/delete").status_code == 302
    assert client.post(f"{board}/columns", data={"title": "Nueva"}).status_code == 302
    assert client.post(f"{board}/columns/{column}/right").status_code == 302
    with app.app_context():
        titles = db.session.scalars(
            select(BoardColumn.title).where(BoardColumn.board_id == workshop["board"]).order_by(BoardColumn.position)
        ).all()
    assert titles == ["Participación y Colaboración", "Transparencia", "Rendición de Cuentas", "Innovación", "Nueva"]


def test_dot_vote_limits_and_results(app, client, workshop, personas):
    login(client, personas["citizen"])
    for text in ("Uno", "Dos", "Tres"):
        _add(client, workshop, text)
    cards = _card_ids(app, workshop["board"])
    assert client.post(f"/forums/cards/{cards[0]}/vote").status_code == 303  # no round yet
    client.post("/logout")
    login(client, personas["facilitator"])
    board = f"/forums/boards/{workshop['board']}"
    assert client.post(f"{board}/round", data={"dots": "0", "max_per_card": "1"}).status_code == 303
    assert client.post(f"{board}/round", data={"dots": "2", "max_per_card": "1"}).status_code == 302
    # Facilitators run the vote; they do not vote.
    assert client.post(f"/forums/cards/{cards[0]}/vote").status_code == 303
    client.post("/logout")
    login(client, personas["citizen"])
    assert client.post(f"/forums/cards/{cards[0]}/vote").status_code == 302
    second = client.post(f"/forums/cards/{cards[0]}/vote")
    assert second.status_code == 303
    assert "Ya puso un punto en esta tarjeta" in client.get(second.location).get_data(as_text=True)
    assert client.post(f"/forums/cards/{cards[1]}/vote").status_code == 302
    third = client.post(f"/forums/cards/{cards[2]}/vote")
    assert third.status_code == 303
    assert "Ya usó sus 2 puntos" in client.get(third.location).get_data(as_text=True)
    assert client.post(f"/forums/cards/{cards[1]}/unvote").status_code == 302
    assert client.post(f"/forums/cards/{cards[2]}/vote").status_code == 302
    client.post("/logout")
    login(client, personas["staff"])
    assert client.post(f"/forums/cards/{cards[0]}/vote").status_code == 302
    client.post("/logout")
    login(client, personas["facilitator"])
    assert client.post(f"{board}/round/close").status_code == 302
    with app.app_context():
        dots = dict(db.session.execute(select(Card.id, Card.dots).where(Card.board_id == workshop["board"])).all())
    assert dots == {cards[0]: 2, cards[1]: 0, cards[2]: 1}
    page = client.get(board).get_data(as_text=True)
    assert "2 personas votaron" in page


def test_change_feed_returns_only_what_changed(app, client, workshop, personas):
    feed = f"/forums/boards/{workshop['board']}/changes"
    login(client, personas["citizen"])
    start = client.get(feed).get_json()["version"]
    assert client.get(f"{feed}?since={start}").get_json() == {"version": start}
    _add(client, workshop, "Nueva idea")
    _add(client, workshop, "Otra idea")
    first, second = _card_ids(app, workshop["board"])
    changes = client.get(f"{feed}?since={start + 1}").get_json()
    assert changes["version"] == start + 2
    assert [c["id"] for c in changes["cards"]] == [second]
    assert "Otra idea" in changes["cards"][0]["html"] and changes["cards"][0]["place"].startswith("cards-c")
    client.post(f"/forums/cards/{first}/delete")
    changes = client.get(f"{feed}?since={start + 2}").get_json()
    assert changes["cards"] == [{"id": first, "deleted": True}]
    # A structural change (a cluster) sends the board's body again.
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/boards/{workshop['board']}/columns/{workshop['columns'][0]}/clusters", data={"title": "G"})
    changes = client.get(f"{feed}?since={start + 3}").get_json()
    assert "cards" not in changes and "Otra idea" in changes["body"] and ">G" in changes["body"]
    present = client.get(f"{feed}?since=0&view=present").get_json()
    assert "Otra idea" in present["body"] and "Mover" not in present["body"]
    assert client.get(f"{feed}?since=abc").get_json()["body"]


def test_hiding_and_restoring_a_card_reach_the_change_feed(app, client, workshop, personas):
    """Open boards learn of moderation: the card takes a new version, drawn per viewer."""
    feed = f"/forums/boards/{workshop['board']}/changes"
    login(client, personas["citizen"])
    _add(client, workshop, "Idea con un dato personal")
    (card_id,) = _card_ids(app, workshop["board"])
    with app.app_context():
        contribution_id = db.session.scalar(select(Card.contribution_id).where(Card.id == card_id))
    client.post("/logout")
    login(client, personas["facilitator"])
    before = client.get(feed).get_json()["version"]
    hidden = client.post(f"/forums/moderation/contributions/{contribution_id}/hide", data={"reason": "Dato"})
    assert hidden.status_code == 302
    client.post("/logout")
    login(client, personas["staff"])
    changes = client.get(f"{feed}?since={before}").get_json()
    assert changes["version"] == before + 1
    assert [c["id"] for c in changes["cards"]] == [card_id]
    assert "Ocultado por una persona moderadora." in changes["cards"][0]["html"]
    assert "dato personal" not in changes["cards"][0]["html"]
    client.post("/logout")
    login(client, personas["facilitator"])
    client.post(f"/forums/moderation/contributions/{contribution_id}/restore", data={"reason": "Revisado"})
    changes = client.get(f"{feed}?since={before + 1}&view=present").get_json()
    assert [c["id"] for c in changes["cards"]] == [card_id]
    assert "Idea con un dato personal" in changes["cards"][0]["html"]


def test_exports_use_pseudonyms_unless_names_are_asked(app, client, workshop, personas):
    login(client, personas["citizen"])
    _add(client, workshop, '=HYPERLINK("http://x")')
    client.post("/logout")
    login(client, personas["facilitator"])
    response = client.get(f"/forums/boards/{workshop['board']}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Columna", "Grupo", "Tarjeta", "Participante"]
    assert rows[1][0] == "Transparencia" and rows[1][2].startswith("'=")
    assert rows[1][3].startswith("P-") and personas["citizen"].name not in response.get_data(as_text=True)
    # Names need a reason (audited), and only people who agreed on the sheet are named.
    url = f"/forums/boards/{workshop['board']}/export.csv"
    assert client.post(url, data={"reason": ""}).status_code == 303
    named = client.post(url, data={"reason": "Acta oficial"}).get_data(as_text=True)
    assert personas["citizen"].name not in named and "P-" in named
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.names"))
        assert entry.detail["note"] == "Acta oficial" and entry.actor_id == personas["facilitator"].id
        board = db.session.get(Board, workshop["board"])
        sheets.check_in(
            db.session.get(User, personas["facilitator"].id),
            board.workshop,
            db.session.get(User, personas["citizen"].id),
            True,
        )
        db.session.commit()
    named = client.post(url, data={"reason": "Acta oficial"}).get_data(as_text=True)
    assert personas["citizen"].name in named
    markdown = client.get(f"/forums/boards/{workshop['board']}/export.md")
    text = markdown.get_data(as_text=True)
    assert markdown.mimetype == "text/markdown" and "# Muro de ideas" in text and "## Transparencia" in text
    assert personas["citizen"].name not in text


def test_workshop_sheet_counts_attendance(app, client, workshop, personas):
    login(client, personas["facilitator"])
    sheet = f"/forums/workshops/{workshop['id']}"
    assert client.get(f"{sheet}/sheet").status_code == 200
    assert client.post(f"{sheet}/checkin/{personas['citizen'].id}", data={"checkin-consent": "y"}).status_code == 302
    # Someone not invited who comes in is invited by the check-in.
    assert client.post(f"{sheet}/checkin/{personas['expert'].id}").status_code == 302
    client.post(f"{sheet}/walk-ins", data={"walkin-profile": "official"})
    assert client.post(f"{sheet}/headcount", data={"headcount-headcount": "1"}).status_code == 422
    assert client.post(f"{sheet}/headcount", data={"headcount-headcount": "9"}).status_code == 302
    with app.app_context():
        workshop_row = db.session.get(Workshop, workshop["id"])
        assert workshop_row.status == "held" and workshop_row.headcount == 9
        assert db.session.scalar(select(func.count(Attendee.id)).where(Attendee.workshop_id == workshop["id"])) == 3
    client.post("/logout")
    login(client, personas["expert"])
    assert _add(client, workshop, "Aporte de experta").status_code == 302


def test_presentations_only_on_expert_workshops(app, client, workshop, personas, factory):
    login(client, personas["facilitator"])
    assert client.get(f"/forums/workshops/{workshop['id']}/presentations/new").status_code == 404
    process = factory.process()
    response = client.post("/forums/workshops/new", data={**WORKSHOP, "kind": "expert", "process_id": process})
    expert = int(response.location.rsplit("/", 1)[1])
    data = {"title": "Datos abiertos municipales", "presenter": "Expositora A", "notes": "- punto **uno**"}
    assert client.post(f"/forums/workshops/{expert}/presentations/new", data={"title": ""}).status_code == 422
    assert client.post(f"/forums/workshops/{expert}/presentations/new", data=data).status_code == 302
    page = client.get(f"/forums/workshops/{expert}").get_data(as_text=True)
    assert "Datos abiertos municipales" in page and "<strong>uno</strong>" in page


def _fill(app, board_id, start, cards, voters):
    """Cards ``start`` … ``start + cards - 1`` written by ``voters`` new invited accounts
    who each put a dot on some of them, in bulk."""
    from accounts.models import User
    from core.text import render_markdown
    from forums.workshops.boards.models import Vote, VotingRound
    from forums.workshops.models import InvitationRole, WorkshopInvitation

    with app.app_context():
        board = db.session.get(Board, board_id)
        column_ids = db.session.scalars(select(BoardColumn.id).where(BoardColumn.board_id == board_id)).all()
        voting = db.session.scalar(select(VotingRound).where(VotingRound.board_id == board_id))
        if voting is None:
            voting = VotingRound(board_id=board_id, dots_per_participant=3)
            db.session.add(voting)
        people = [User(email=f"taller{start}-{n}@example.org", display_name=f"Participante {n}") for n in range(voters)]
        db.session.add_all(people)
        db.session.flush()
        db.session.add_all(
            WorkshopInvitation(workshop_id=board.workshop_id, user_id=u.id, role=InvitationRole.PARTICIPANT.value)
            for u in people
        )
        for n in range(start, start + cards):
            text = f"Tarjeta {n}"
            author = people[n % voters]
            contribution = Contribution(
                process_id=board.workshop.process_id,
                space_kind=SpaceKind.BOARD,
                space_id=board_id,
                author_id=author.id,
                body_source=text,
                body_html=render_markdown(text),
            )
            db.session.add(contribution)
            db.session.flush()
            card = Card(board_id=board_id, column_id=column_ids[n % len(column_ids)], contribution_id=contribution.id)
            db.session.add(card)
            db.session.flush()
            if n % 2:
                card.dots = 1
                db.session.add(Vote(round_id=voting.id, card_id=card.id, user_id=author.id))
        db.session.commit()


@pytest.mark.parametrize("persona", ["citizen", "facilitator"])
def test_board_queries_do_not_grow_with_cards(app, client, workshop, personas, count_queries, persona):
    """A board of 500 cards by 50 participants costs the queries of one with 5."""
    login(client, personas[persona])
    url = f"/forums/boards/{workshop['board']}"
    _fill(app, workshop["board"], 0, 5, 5)
    with count_queries as small:
        assert client.get(url).status_code == 200
        assert client.get(f"{url}/present").status_code == 200
        assert client.get(f"{url}/changes?since=0").status_code == 200
    _fill(app, workshop["board"], 5, 495, 45)
    with count_queries as large:
        page = client.get(url)
        assert page.status_code == 200
        assert client.get(f"{url}/present").status_code == 200
        assert client.get(f"{url}/changes?since=0").status_code == 200
    assert "Tarjeta 499" in page.get_data(as_text=True)
    assert large.count == small.count, large.statements


@pytest.mark.parametrize("round_open", [True, False])
@pytest.mark.parametrize("persona", [None, "citizen", "facilitator"])
def test_board_page_takes_at_most_eight_queries(app, client, workshop, personas, count_queries, persona, round_open):
    """The board page (issue 13: at most 8 queries, whatever the size): anonymous, an
    invited participant with dots of their own, a facilitator (who also gets the sign-in
    sheet), with the vote open or closed (then the number of voters is shown)."""
    from forums.workshops.boards.models import Vote, VotingRound

    board_id = workshop["board"]
    url = f"/forums/boards/{board_id}"

    def grow(start, cards, voters):
        _fill(app, board_id, start, cards, voters)
        with app.app_context():
            voting = db.session.scalar(select(VotingRound).where(VotingRound.board_id == board_id))
            card_id = db.session.scalar(select(Card.id).where(Card.board_id == board_id).order_by(Card.id.desc()))
            db.session.add(Vote(round_id=voting.id, card_id=card_id, user_id=personas["citizen"].id))
            db.session.add(Attendee(workshop_id=workshop["id"], name=f"Visita {start}", consent=True))
            voting.closed_at = None if round_open else db.func.now()
            db.session.commit()

    if persona:
        login(client, personas[persona])
    grow(0, 5, 5)
    with count_queries as small:
        assert client.get(url).status_code == 200
    grow(5, 295, 45)
    with count_queries as large:
        page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert large.count == small.count <= 8, large.statements
    assert "Tarjeta 299" in page
    assert ("Take a dot back" in page) == (persona == "citizen" and round_open)
    assert ("people voted" in page) == (not round_open)
    assert ("Said by:" in page) == (persona == "facilitator")


def test_change_feed_is_constant_when_nothing_changed(app, client, workshop, personas, count_queries):
    login(client, personas["citizen"])
    url = f"/forums/boards/{workshop['board']}/changes"
    _fill(app, workshop["board"], 0, 5, 5)
    with app.app_context():
        version = db.session.get(Board, workshop["board"]).version
    with count_queries as small:
        assert client.get(f"{url}?since={version}").get_json() == {"version": version}
    _fill(app, workshop["board"], 5, 495, 45)
    with count_queries as large:
        assert client.get(f"{url}?since={version}").get_json() == {"version": version}
    assert large.count == small.count <= 3, large.statements
