"""Demo data for the consultations floor: the seed's model, draft after draft.

v0.1 "Borrador" (March 2017) with the advisory committee's round (six members, some
comments sent in writing and entered by the facilitator) and an expert round; v0.2
"Versión preliminar" (September 2017), whose changes answer those comments, with a public
round and a municipal staff round; v1.0 (June 2018). The texts
(``consultations/versions/demo/*.json``) are illustrative, not the council's wording, and
say so. A last public round on v1.0 is open from the day the demo is loaded, so a newcomer
can comment. Pseudonymous people only; idempotent.
"""

import json
import random
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from accounts import services as accounts
from accounts.models import Municipality, Process, RoleAssignment, User
from consultations.rounds import services as rounds
from consultations.rounds.models import Audience, Comment
from consultations.versions import transfer
from consultations.versions.models import ConsultationModel
from core.extensions import db
from core.models import Channel, utcnow
from core.roles import Role

DATA = Path(__file__).parent / "versions" / "demo"
MODEL_TITLE = "Modelo de Gobierno Abierto Municipal"

#: (file, then the rounds on that version: audience, title, question, opens, closes, the
#: comments.json list).
PLAN = [
    (
        "v0.1.json",
        [
            (
                Audience.COMMITTEE,
                "Comité asesor: primer borrador",
                "¿Qué falta, sobra o debe precisarse en el primer borrador para que el modelo sea útil y verificable "
                "en municipios de distinto tamaño?",
                datetime(2017, 3, 21, 12),
                datetime(2017, 4, 21, 23),
                "committee",
            ),
            (
                Audience.EXPERTS,
                "Expertas y expertos invitados: primer borrador",
                "Desde su experiencia, ¿los niveles e indicadores describen bien la madurez de un municipio abierto?",
                datetime(2017, 3, 21, 12),
                datetime(2017, 4, 21, 23),
                "experts",
            ),
        ],
    ),
    (
        "v0.2.json",
        [
            (
                Audience.PUBLIC,
                "Consulta ciudadana: versión preliminar",
                "¿Este modelo describe lo que usted espera de su municipio? ¿Qué cambiaría?",
                datetime(2017, 9, 18, 12),
                datetime(2017, 11, 30, 23),
                "public",
            ),
            (
                Audience.STAFF,
                "Funcionarias y funcionarios municipales: versión preliminar",
                "¿Qué indicadores son difíciles de cumplir o de verificar en su municipio, y por qué?",
                datetime(2017, 9, 18, 12),
                datetime(2017, 11, 30, 23),
                "staff",
            ),
        ],
    ),
    ("v1.0.json", []),
]


def _account(
    email: str, name: str, municipality_id: int | None, role: Role, admin: User, municipality_scoped: bool = False
) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.register_user(email, name, secrets.token_urlsafe(24), municipality_id=municipality_id)
    if not user.has_role(role):
        accounts.grant_role(admin, user, role, municipality_id=municipality_id if municipality_scoped else None)
    return user


def _committee(admin: User) -> list[User]:
    """The six members: the demo's expert login is the first; pseudonyms for the rest."""
    first = accounts.find_by_email("experta@demo.cocrea.cl")
    others = [
        _account(f"comite{i}@demo.cocrea.cl", f"Integrante {i} del comité asesor", None, Role.EXPERT, admin)
        for i in range(2, 7)
    ]
    return [first, *others]


def _experts(admin: User) -> list[User]:
    return [
        _account(f"experto{i}@demo.cocrea.cl", f"Experto/a invitado/a {i}", None, Role.EXPERT, admin)
        for i in range(1, 4)
    ]


def _citizens() -> list[User]:
    """The demo's citizens (forum members and the citizen login), in a fixed order."""
    staff = select(RoleAssignment.user_id).where(RoleAssignment.role != Role.CITIZEN.value)
    return db.session.scalars(
        select(User).where(User.email.like("%@demo.cocrea.cl"), User.id.not_in(staff)).order_by(User.id)
    ).all()


def _official(municipality: Municipality, admin: User) -> User:
    """An official of ``municipality`` (one is made where the demo has none)."""
    found = db.session.scalar(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.STAFF.value, RoleAssignment.municipality_id == municipality.id)
        .order_by(User.id)
    )
    if found is not None:
        return found
    slug = municipality.name.lower().replace(" ", "-").replace("ñ", "n")
    return _account(
        f"funcionaria1.{slug}@demo.cocrea.cl",
        f"Funcionario/a 1 de {municipality.name}",
        municipality.id,
        Role.STAFF,
        admin,
        municipality_scoped=True,
    )


def _comments(round_, items, people, facilitator, places, admin, rng) -> None:
    span = (round_.closes_at - round_.opens_at).total_seconds()
    made: list[Comment] = []
    for index, item in enumerate(items):
        if "member" in item:
            author = people[item["member"] - 1]
        elif "municipality" in item:
            author = _official(places[item["municipality"]], admin)
        else:
            author = people[index % len(people)]
        at = round_.opens_at + timedelta(seconds=span * (index + 1) / (len(items) + 2) + rng.randint(0, 3600))
        parent = made[item["reply_to"]] if item.get("reply_to") is not None else None
        written = item.get("channel") == Channel.WRITTEN.value
        comment = rounds.add_comment(
            round_,
            author,
            item.get("key"),
            item["text"],
            item.get("stance"),
            item.get("wording"),
            parent=parent,
            channel=Channel.WRITTEN.value if written else Channel.ONLINE.value,
            entered_by=facilitator if written else None,
            at=at,
        )
        made.append(comment)


def load() -> None:
    """Load the consultations floor's demo (after the accounts and forums floors')."""
    process = db.session.scalar(select(Process).order_by(Process.id))
    if db.session.scalar(select(ConsultationModel.id).where(ConsultationModel.process_id == process.id)):
        return
    admin = accounts.find_by_email("admin@demo.cocrea.cl")
    facilitator = accounts.find_by_email("facilitadora@demo.cocrea.cl")
    places = {m.name: m for m in db.session.scalars(select(Municipality))}
    comments = json.loads((DATA / "comments.json").read_text(encoding="utf-8"))
    people = {
        "committee": _committee(admin),
        "experts": _experts(admin),
        "public": _citizens(),
        "staff": [],
    }
    rng = random.Random(2017)
    version = None
    for filename, planned in PLAN:
        data = json.loads((DATA / filename).read_text(encoding="utf-8"))
        version = transfer.load(data, process.id, facilitator)
        for audience, title, question, opens_at, closes_at, source in planned:
            round_ = rounds.create_round(version, audience.value, title, question, opens_at, closes_at, facilitator)
            if audience == Audience.COMMITTEE:
                for member in people["committee"]:
                    rounds.invite(round_, member)
            _comments(round_, comments[source], people[source], facilitator, places, admin, rng)
    now = utcnow().replace(microsecond=0)
    rounds.create_round(
        version,
        Audience.PUBLIC.value,
        "Ronda de demostración: comente la versión 1.0",
        "Ronda abierta para probar la plataforma: lea el modelo y comente cualquier celda.",
        now - timedelta(days=1),
        now + timedelta(days=90),
        facilitator,
    )
    db.session.flush()
