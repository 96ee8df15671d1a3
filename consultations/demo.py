"""Demo data for the consultations floor: the seed's model, draft after draft, and the loop
that closes it.

v0.1 "Borrador" (March 2017) with the advisory committee's round (six members, some
comments sent in writing and entered by the facilitator) and an expert round; v0.2
"Versión preliminar" (September 2017), whose changes answer those comments, with a public
round and a municipal staff round; v1.0 (June 2018). The texts
(``consultations/versions/demo/*.json``) are illustrative, not the council's wording, and
say so. A last public round on v1.0 is open from the day the demo is loaded, so a newcomer
can comment.

The loop: a codebook of 20 themes codes the forum posts, session remarks, workshop cards
and round comments (by keyword patterns, the demo's stand-in for a facilitator reading);
v0.2 and v1.0 are drafted with their revision records (every changed section explained,
the changes citing themes and the comments they answer, as ``versions/demo/records.json``
says) and published, which publishes the verdicts; before v1.0, decisions say what was not
taken or out of scope, and why (one of them on a post of the demo citizen, whose comment
in the public round is taken into v1.0). A sample of 20 is double-coded by two
facilitators, and two workshop clusters become themes. Pseudonymous people only;
idempotent.
"""

import json
import random
import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from accounts import services as accounts
from accounts.models import Municipality, Organisation, Process, RoleAssignment, User
from consultations.coding import agreement
from consultations.coding import services as coding
from consultations.coding.models import Coding, Theme
from consultations.revisions import services as revisions
from consultations.rounds import services as rounds
from consultations.rounds.models import Audience, Comment
from consultations.verdicts import services as verdicts
from consultations.versions import services as versions
from consultations.versions import transfer
from consultations.versions.models import ConsultationModel
from core.extensions import db
from core.models import Channel, Contribution, utcnow
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
    email: str,
    name: str,
    municipality_id: int | None,
    role: Role,
    admin: User,
    municipality_scoped: bool = False,
    organisation_id: int | None = None,
) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.register_user(email, name, secrets.token_urlsafe(24), municipality_id=municipality_id)
    if not user.has_role(role):
        accounts.grant_role(
            admin,
            user,
            role,
            municipality_id=municipality_id if municipality_scoped else None,
            organisation_id=organisation_id,
        )
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
    return made


def _codebook(process_id: int, rows, facilitator) -> dict[str, Theme]:
    """The demo's themes, parents first."""
    themes: dict[str, Theme] = {}
    for code, name, parent, sections, _pattern in rows:
        themes[code] = coding.create_theme(
            process_id, code, name, "", themes[parent].id if parent else None, sections, facilitator
        )
    return themes


def _matches(rows, text: str) -> list[str]:
    lowered = text.lower()
    return [code for code, _name, _parent, _sections, pattern in rows if re.search(pattern, lowered)]


def _code_everything(process_id: int, themes, rows, coder) -> None:
    """Code every contribution of the process not coded yet, by the themes' patterns (the
    demo's stand-in for a facilitator reading each one)."""
    coded = select(Coding.contribution_id)
    for contribution in db.session.scalars(
        select(Contribution).where(Contribution.process_id == process_id, Contribution.id.not_in(coded))
    ):
        codes = _matches(rows, contribution.body_source)
        if codes:
            coding.set_codings(contribution, [themes[c].id for c in codes], coder)


def _decide(process_id: int, decided, themes, made, vecina, facilitator) -> None:
    """Decisions written before v1.0 is published: a theme out of scope, comments not taken,
    and one of the demo citizen's forum posts not taken, each with its reason."""
    for code, status, reason in decided["themes"]:
        verdicts.decide(process_id, status, reason, facilitator, theme=themes[code])
    for (source, index), status, reason in decided["comments"]:
        contribution = db.session.get(Contribution, made[source][index].contribution_id)
        verdicts.decide(process_id, status, reason, facilitator, contribution=contribution)
    post = db.session.scalar(
        select(Contribution)
        .where(Contribution.author_id == vecina.id, Contribution.space_kind == "thread")
        .order_by(Contribution.id)
    )
    if post is not None:
        verdicts.decide(process_id, decided["citizen_post"], decided["citizen_reason"], facilitator, contribution=post)


def _double_coding(process_id: int, themes, rows, facilitator, admin) -> None:
    """A sample of 20 coded contributions that a second facilitator codes too, blind; the
    second coder sometimes misses a theme or adds the general one, so the report has
    something to reconcile."""
    cso = db.session.scalar(select(Organisation).where(Organisation.acronym == "FCI"))
    second = _account(
        "facilitador2@demo.cocrea.cl",
        "Facilitador de Ciudadano Inteligente",
        None,
        Role.FACILITATOR,
        admin,
        organisation_id=cso.id,
    )
    ids = sorted(
        db.session.scalars(
            select(Contribution.id).where(
                Contribution.process_id == process_id, Contribution.id.in_(select(Coding.contribution_id))
            )
        )
    )
    picked = random.Random(2018).sample(ids, min(20, len(ids)))
    sample = agreement.create_sample(
        process_id, "Muestra de doble codificación", [facilitator, second], picked, facilitator
    )
    rng = random.Random(2019)
    for contribution_id in sample_items(sample):
        codes = _matches(rows, db.session.get(Contribution, contribution_id).body_source)
        agreement.code_item(sample, contribution_id, facilitator, [themes[c].id for c in codes])
        theirs = list(codes)
        if theirs and rng.random() < 0.25:
            theirs.pop()
        if rng.random() < 0.2:
            theirs.append("M-GENERAL")
        agreement.code_item(sample, contribution_id, second, [themes[c].id for c in set(theirs)])


def sample_items(sample) -> list[int]:
    return [item.contribution_id for item in agreement.items_of(sample)]


def _clusters(process_id: int, facilitator) -> None:
    """The first co-design board's first two clusters become themes."""
    for index, (cluster, _board, cards) in enumerate(coding.clusters_of(process_id)[:2], start=1):
        if cards:
            coding.cluster_to_theme(cluster, facilitator, code=f"TALLER-{index}")


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
    # The demo citizen wrote the public round's second comment (later taken into v1.0).
    vecina = accounts.find_by_email("vecina@demo.cocrea.cl")
    others = [p for p in people["public"] if p.id != vecina.id]
    people["public"] = [others[0], vecina, *others[1:]]
    records = json.loads((DATA / "records.json").read_text(encoding="utf-8"))
    themes = _codebook(process.id, records["themes"], facilitator)
    made: dict[str, list[Comment]] = {}
    rng = random.Random(2017)
    version = None
    for filename, planned in PLAN:
        data = json.loads((DATA / filename).read_text(encoding="utf-8"))
        label = data["version"]["label"]
        if label in records:
            # Drafted, its revision record written, then published (verdicts go with it).
            _code_everything(process.id, themes, records["themes"], facilitator)
            if label == "v1.0":
                _decide(process.id, records["decisions"], themes, made, vecina, facilitator)
            published_on = date.fromisoformat(data["version"]["published_on"])
            data["version"].update(status="draft", published_on=None)
            version = transfer.load(data, process.id, facilitator)
            for change in records[label]:
                revisions.save_change(
                    version,
                    None,
                    change["summary"],
                    change["reason"],
                    change["sections"],
                    [themes[code].id for code in change["themes"]],
                    [made[source][index].contribution_id for source, index in change["cite"]],
                    change.get("editorial", False),
                    facilitator,
                )
            versions.publish(version, facilitator, published_at=datetime.combine(published_on, datetime.min.time()))
        else:
            version = transfer.load(data, process.id, facilitator)
        for audience, title, question, opens_at, closes_at, source in planned:
            round_ = rounds.create_round(version, audience.value, title, question, opens_at, closes_at, facilitator)
            if audience == Audience.COMMITTEE:
                for member in people["committee"]:
                    rounds.invite(round_, member)
            made[source] = _comments(round_, comments[source], people[source], facilitator, places, admin, rng)
    _code_everything(process.id, themes, records["themes"], facilitator)
    _double_coding(process.id, themes, records["themes"], facilitator, admin)
    _clusters(process.id, facilitator)
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
