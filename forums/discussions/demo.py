"""Demo data for the forums floor: the seed's citizen and staff forums, with online
threads in plausible Spanish. Pseudonymous people only; a fixed random seed; idempotent."""

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from accounts import services as accounts
from accounts.models import Municipality, Process, User
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from core.spaces import SpaceKind
from forums.discussions import services
from forums.discussions.models import Forum, ForumKind, Post, Thread
from forums.meetings import services as meeting_services
from forums.meetings.models import Meeting
from forums.sheets import services as sheets
from forums.sheets.models import Attendee, Profile

CITIZEN_FORUMS = ["Talagante", "Santo Domingo", "Vitacura", "Providencia", "Peñalolén", "Cerro Navia"]
STAFF_FORUMS = ["Talagante", "Vitacura", "Providencia", "Peñalolén", "Cerro Navia"]

CITIZEN_THREADS = [
    (
        "¿Dónde encuentro las actas del concejo municipal?",
        "Busqué en la página del municipio y las últimas actas publicadas son de hace meses. "
        "¿Se podrían publicar **dentro de la semana** de cada sesión?",
        [
            "Lo mismo me pasó. Sería útil que llegaran por correo a quien se inscriba.",
            "En la oficina de partes me dijeron que hay que pedirlas por transparencia pasiva.",
            "Propongo que el modelo exija publicarlas en formato abierto, no solo en PDF escaneado.",
        ],
    ),
    (
        "Presupuesto participativo: que se sepa qué pasó con lo votado",
        "Votamos la plaza del sector norte hace dos años y nadie nos informó si se hizo. "
        "Pido un tablero público con el estado de cada proyecto.",
        [
            "Apoyo. Y que diga por qué se atrasó, si se atrasó.",
            "Un panel en la sede vecinal también serviría para quienes no usan internet.",
        ],
    ),
    (
        "Horarios de atención y trámites en línea",
        "Muchos vecinos trabajan hasta tarde. ¿Se puede ampliar el horario o sumar trámites en línea?",
        [
            "Los certificados de residencia ya deberían poder pedirse en línea.",
            "Ojo con la brecha digital: personas mayores necesitan atención presencial.",
        ],
    ),
    (
        "Cuenta pública del alcalde: que podamos preguntar",
        "La cuenta pública es un discurso. Propongo una ronda de preguntas de la comunidad, "
        "recogidas antes y respondidas por escrito.",
        [
            "Y que las respuestas queden publicadas junto al video.",
            "Podría hacerse por sectores, con juntas de vecinos.",
        ],
    ),
]

STAFF_THREADS = [
    (
        "Carga de trabajo de las solicitudes de transparencia",
        "En la unidad recibimos cada vez más solicitudes y somos dos personas. "
        "¿Cómo lo están resolviendo en otros municipios?",
        [
            "Nosotros publicamos proactivamente lo más pedido y bajaron las solicitudes repetidas.",
            "Sirve un registro común entre direcciones para no responder dos veces lo mismo.",
        ],
    ),
    (
        "Datos abiertos: ¿por dónde partir?",
        "Queremos publicar datos en formato abierto. ¿Qué conjuntos recomiendan para empezar?",
        [
            "Patentes comerciales y permisos de edificación son muy consultados.",
            "Primero acordar un responsable por conjunto de datos; si no, se desactualizan.",
            "El modelo debería distinguir niveles: publicar, actualizar y documentar.",
        ],
    ),
    (
        "Coordinación con DIDECO para la participación",
        "La participación depende de cada dirección y no hay un calendario común. "
        "¿Sería un indicador del modelo tener una planificación anual de participación?",
        [
            "Sí, y con registro de asistencia para poder rendir cuenta.",
        ],
    ),
]


#: People on each held session's sign-in sheet: together the seed's 133 citizens and
#: 116 officials, each counted once.
CITIZEN_ATTENDANCE = {
    "Talagante": 24,
    "Santo Domingo": 19,
    "Vitacura": 22,
    "Providencia": 25,
    "Peñalolén": 21,
    "Cerro Navia": 22,
}
STAFF_ATTENDANCE = {"Talagante": 22, "Vitacura": 21, "Providencia": 25, "Peñalolén": 24, "Cerro Navia": 24}

CITIZEN_REMARKS = [
    "Que el municipio publique en la plaza y en la radio local cuándo hay concejo.",
    "Las personas mayores no usan la página web: necesitamos información impresa en las sedes.",
    "Nos gustaría saber cuánto se gasta en cada programa, en lenguaje simple.",
    "Las audiencias públicas deberían hacerse en horario vespertino.",
    "Que las respuestas a los reclamos tengan un plazo conocido.",
    "La cuenta pública debería hacerse también en los barrios.",
]
STAFF_REMARKS = [
    "Falta capacitación en la ley de transparencia para las nuevas contrataciones.",
    "Cada dirección publica a su manera; necesitamos un procedimiento común.",
    "La participación ciudadana no puede depender de una sola oficina.",
    "Sugerimos que el modelo reconozca lo que ya hacemos y parta desde ahí.",
    "Los datos existen, pero en planillas dispersas; ordenar eso es el primer paso.",
]
WALK_IN_LABELS = ["Dirigenta vecinal", "Integrante del COSOC", "Vecino del sector centro", "Monitora de salud", ""]


def _hold_session(facilitator, forum, people, attendance, kind, starts_at, rng) -> None:
    """A held session with its sign-in sheet (accounts first, then walk-ins), a few
    remarks written down from the room and published minutes."""
    meeting = meeting_services.schedule(
        forum,
        title=f"Sesión presencial: {forum.title}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="Salón municipal",
        online_url="",
        capacity=None,
        agenda="1. Presentación del Modelo de Gobierno Abierto\n2. Trabajo en grupos\n3. Plenario",
    )
    for person in people:
        meeting_services.register(person, meeting)
    for person in people:
        sheets.check_in(facilitator, meeting, person, consent=rng.random() < 0.8)
    profile = Profile.CITIZEN if kind == ForumKind.CITIZEN else Profile.OFFICIAL
    for _ in range(attendance - len(people)):
        consent = rng.random() < 0.7
        label = rng.choice(WALK_IN_LABELS) if consent and kind == ForumKind.CITIZEN else ""
        sheets.add_walk_in(facilitator, meeting, label, profile, forum.municipality_id, consent)
    meeting_services.mark_held(facilitator, meeting)
    attendees = db.session.scalars(select(Attendee).where(Attendee.meeting_id == meeting.id)).all()
    pool = CITIZEN_REMARKS if kind == ForumKind.CITIZEN else STAFF_REMARKS
    for text in rng.sample(pool, k=3):
        speaker = rng.choice(attendees + [None])
        sheets.add_remark(facilitator, meeting, SpaceKind.MEETING.value, speaker.id if speaker else None, text)
    meeting_services.save_minutes(
        meeting,
        f"Acta de la sesión de {forum.title}.\n\n- Asistieron {attendance} personas.\n"
        "- Se presentó el borrador del modelo y se trabajó en grupos por dimensión.\n"
        "- Los aportes quedaron registrados en la plataforma.",
        published=True,
    )


def _person(email: str, name: str, municipality: Municipality, role=Role.CITIZEN, admin=None) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        # Demo participants never sign in: an unguessable password that is not printed.
        user = accounts.register_user(email, name, secrets.token_urlsafe(24), municipality_id=municipality.id)
        if role == Role.STAFF:
            accounts.grant_role(admin or user, user, Role.STAFF, municipality_id=municipality.id)
    return user


def _slug(name: str) -> str:
    return name.lower().replace(" ", "").replace("ñ", "n").replace("é", "e")


def _fill(forum: Forum, people: list[User], threads, rng: random.Random) -> None:
    for person in people:
        if services.membership(person, forum) is None:
            services.join(person, forum)
    for title, body, replies in rng.sample(threads, k=min(3, len(threads))):
        author, *others = rng.sample(people, k=len(people))
        thread = services.start_thread(author, forum, title, body)
        first_post_id = None
        for i, text in enumerate(replies):
            post = services.reply(others[i % len(others)], thread, text, reply_to_id=first_post_id if i == 1 else None)
            first_post_id = first_post_id or post.id


def _date(forum: Forum, session_at: datetime) -> None:
    """Date the forum's words when they stand for, not when the demo was loaded: online
    posts in the weeks before its session (one hour apart), remarks at the session."""
    posts = db.session.scalars(
        select(Post).join(Thread, Post.thread_id == Thread.id).where(Thread.forum_id == forum.id).order_by(Post.id)
    ).all()
    start = session_at - timedelta(days=21)
    for index, post in enumerate(posts):
        post.created_at = start + timedelta(hours=index * 7)
        db.session.get(Contribution, post.contribution_id).created_at = post.created_at
    meeting_ids = select(Meeting.id).where(Meeting.forum_id == forum.id)
    db.session.execute(
        update(Contribution)
        .where(Contribution.space_kind == SpaceKind.MEETING.value, Contribution.space_id.in_(meeting_ids))
        .values(created_at=session_at + timedelta(minutes=45)),
        execution_options={"synchronize_session": False},
    )


def load() -> None:
    """Load the forums floor's demo (after the accounts floor's)."""
    process = db.session.scalar(select(Process).order_by(Process.id))
    places = {m.name: m for m in db.session.scalars(select(Municipality))}
    admin = accounts.find_by_email("admin@demo.cocrea.cl")
    facilitator = accounts.find_by_email("facilitadora@demo.cocrea.cl")
    rng = random.Random(2016)
    plans = [(ForumKind.CITIZEN, name) for name in CITIZEN_FORUMS] + [(ForumKind.STAFF, n) for n in STAFF_FORUMS]
    for kind, name in plans:
        title = f"Foro ciudadano de {name}" if kind == ForumKind.CITIZEN else f"Foro de funcionarios de {name}"
        if db.session.scalar(select(Forum.id).where(Forum.title == title)) is not None:
            continue
        municipality = places[name]
        description = (
            "Espacio para que vecinas y vecinos de la comuna aporten al Modelo de Gobierno Abierto Municipal."
            if kind == ForumKind.CITIZEN
            else "Espacio de trabajo de funcionarias y funcionarios municipales para el Modelo de Gobierno Abierto."
        )
        forum = services.create_forum(facilitator, process.id, kind.value, municipality.id, title, description)
        prefix = "vecino" if kind == ForumKind.CITIZEN else "funcionaria"
        label = "Vecino/a" if kind == ForumKind.CITIZEN else "Funcionario/a"
        role = Role.CITIZEN if kind == ForumKind.CITIZEN else Role.STAFF
        people = [
            _person(f"{prefix}{i}.{_slug(name)}@demo.cocrea.cl", f"{label} {i} de {name}", municipality, role, admin)
            for i in range(1, 5)
        ]
        if kind == ForumKind.CITIZEN and name == "Providencia":
            people.append(accounts.find_by_email("vecina@demo.cocrea.cl"))
        if kind == ForumKind.STAFF and name == "Talagante":
            people.append(accounts.find_by_email("funcionario@demo.cocrea.cl"))
        _fill(forum, people, CITIZEN_THREADS if kind == ForumKind.CITIZEN else STAFF_THREADS, rng)
        attendance = (CITIZEN_ATTENDANCE if kind == ForumKind.CITIZEN else STAFF_ATTENDANCE)[name]
        starts_at = datetime(2017, 5, 2, 22, 0) + timedelta(days=7 * len(db.session.scalars(select(Forum.id)).all()))
        _hold_session(facilitator, forum, people, attendance, kind, starts_at, rng)
        _date(forum, starts_at)
    db.session.flush()
