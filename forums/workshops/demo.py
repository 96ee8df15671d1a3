"""Demo data for workshops: the seed's three co-design workshops (the commission's
municipalities and the two civil-society organisations, on boards with clusters and dot
votes) and three expert workshops (presentations and a board each).

Load it after the accounts and forums floors' demos; the caller commits. Pseudonymous
people and fictitious organisations only; a fixed random seed; idempotent (a workshop
whose title exists is skipped)."""

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from accounts import services as accounts
from accounts.models import Municipality, Process, RoleAssignment, User
from core.extensions import db
from core.models import Contribution
from core.roles import Role
from forums.sheets import services as sheets
from forums.sheets.models import Attendee, Profile
from forums.workshops import services as workshop_services
from forums.workshops.boards import services as boards
from forums.workshops.boards.models import Board, Card
from forums.workshops.models import InvitationRole, Workshop, WorkshopKind

DOMAIN = "demo.cocrea.cl"
PLACE = "Sede CPLT, Santiago"

#: Column keys of the board template: the model's section keys, and "O" for "Other".
KEYS = ("T", "P", "R", "I", "O")

# Boards: cards per column and clusters as (column key, title, indexes of that column's cards).

BOARD_MEANING = {
    "title": "¿Qué significa un municipio abierto?",
    "cards": {
        "T": [
            "Publicar la información antes de que la pidan, no solo responder solicitudes.",
            "Información en lenguaje claro, sin siglas ni jerga administrativa.",
            "Que el portal de transparencia se pueda usar bien desde el celular.",
            "Publicar las actas del concejo en la misma semana de cada sesión.",
            "Explicar el presupuesto municipal con gráficos simples.",
            "Responder las solicitudes de acceso a la información dentro del plazo, siempre.",
            "Datos en formatos abiertos, no PDF escaneados.",
            "Un resumen ciudadano de cada ordenanza nueva.",
        ],
        "P": [
            "Que la comunidad participe desde el diseño de los proyectos, no solo al final.",
            "Consultas con devolución: contar qué se hizo con cada aporte.",
            "Horarios de actividades compatibles con quienes trabajan.",
            "El COSOC debe recibir la información a tiempo para poder opinar.",
            "Incluir a las personas mayores y a quienes no usan internet.",
            "Mesas territoriales por sector, con un calendario anual conocido.",
            "Colaborar con organizaciones y universidades para resolver problemas locales.",
        ],
        "R": [
            "Cuenta pública con preguntas de la comunidad, respondidas por escrito.",
            "Informar el avance de los compromisos del alcalde, con plazos.",
            "Que cada dirección rinda cuenta de sus metas una vez al año.",
            "Publicar el estado de los proyectos del presupuesto participativo.",
            "Registrar las audiencias de lobby y publicarlas a tiempo.",
            "Explicar por qué una propuesta ciudadana no se pudo hacer.",
        ],
        "I": [
            "Usar la tecnología para facilitar, no para reemplazar la atención presencial.",
            "Un laboratorio municipal para probar ideas pequeñas antes de escalarlas.",
            "Datos abiertos que otros puedan reutilizar: aplicaciones, estudios, prensa local.",
            "Aprender de lo que hacen otros municipios y compartir lo propio.",
        ],
        "O": [
            "Sin capacitación a los funcionarios no hay gobierno abierto.",
            "Se necesita respaldo explícito del alcalde y del concejo.",
            "Los municipios pequeños tienen menos recursos: el modelo debe considerarlo.",
        ],
    },
    "clusters": [
        ("T", "Más allá del mínimo legal", [0, 3, 6]),
        ("T", "Lenguaje claro", [1, 4, 7]),
        ("P", "Participar desde el inicio", [0, 1, 3]),
    ],
}

BOARD_PRACTICES = {
    "title": "Prácticas que ya existen en nuestros municipios",
    "cards": {
        "T": [
            "Tenemos el banner de transparencia activa actualizado cada mes.",
            "Publicamos las patentes comerciales en una planilla descargable.",
            "Las actas del concejo se suben, pero con meses de atraso.",
            "Hay un encargado de transparencia por dirección, coordinado por Control.",
            "Respondemos las solicitudes con una plantilla común para todas las direcciones.",
            "Hay un mapa en línea de los permisos de edificación.",
            "Cumplimos la ley del lobby, pero pocos vecinos conocen el registro.",
        ],
        "P": [
            "Presupuesto participativo anual con votación presencial y en línea.",
            "Cabildos territoriales dos veces al año.",
            "El COSOC sesiona todos los meses.",
            "Consultas en línea sobre ordenanzas, con baja respuesta.",
            "Mesas de trabajo con las juntas de vecinos de cada unidad vecinal.",
            "Diálogos con jóvenes en los liceos municipales.",
        ],
        "R": [
            "Cuenta pública anual transmitida por redes sociales.",
            "Informe de avance del PLADECO publicado en la web.",
            "Reuniones de rendición de cuentas en terreno con la comunidad.",
            "Reporte trimestral de reclamos y tiempos de respuesta.",
            "Seguimiento público de las obras en ejecución.",
        ],
        "I": [
            "Aplicación para reportar baches y luminarias apagadas.",
            "Portal de datos abiertos municipal en etapa piloto.",
            "Trámites en línea: patentes y certificados.",
            "Oficina de innovación que trabaja con todas las direcciones.",
        ],
        "O": [
            "Estas prácticas dependen de personas; no están institucionalizadas.",
            "No siempre sabemos qué hacen las otras direcciones.",
            "Falta medir si las prácticas funcionan.",
            "Sería útil un catálogo de buenas prácticas entre municipios.",
        ],
    },
    "clusters": [
        ("P", "Espacios presenciales permanentes", [1, 2, 4, 5]),
        ("I", "Servicios digitales", [0, 2]),
        ("O", "Institucionalizar y medir", [0, 2, 3]),
    ],
}

BOARD_LEVELS = {
    "title": "Niveles de madurez por dimensión",
    "cards": {
        "T": [
            "Nivel 1: cumplir la transparencia activa que exige la ley.",
            "Nivel 2: publicar información adicional que la comunidad pide con frecuencia.",
            "Nivel 3: datos en formato abierto, actualizados y con fecha.",
            "Nivel 4: la comunidad ayuda a decidir qué información se publica.",
            "Nivel 5: la transparencia es parte de la cultura de toda la organización.",
            "Cada nivel debe poder verificarse con evidencia concreta.",
            "No castigar a quien parte más abajo: el nivel es un punto de partida.",
        ],
        "P": [
            "Nivel básico: informar a la comunidad; nivel alto: decidir en conjunto.",
            "Distinguir la participación consultiva de la participación vinculante.",
            "Un nivel intermedio podría exigir devolución de resultados en cada consulta.",
            "Considerar la participación de niños, niñas y adolescentes.",
            "La colaboración con organizaciones debería tener su propio peldaño.",
            "Medir también la diversidad de quienes participan, no solo cuántos son.",
        ],
        "R": [
            "Rendir cuentas no es solo la cuenta pública del alcalde.",
            "Nivel alto: la comunidad puede seguir los compromisos en línea.",
            "Los compromisos deberían tener responsable y plazo publicados.",
            "Incluir la rendición de cuentas del concejo municipal, no solo del ejecutivo.",
            "Evaluar si las respuestas a la comunidad llegan en plazo.",
            "Que las auditorías y sus respuestas sean públicas.",
        ],
        "I": [
            "La innovación es transversal: puede aparecer en cualquier dimensión.",
            "Tres aspectos posibles: tecnología, métodos de trabajo y alianzas.",
            "No confundir innovación con comprar software.",
            "Reconocer innovaciones pequeñas y de bajo costo.",
        ],
        "O": [
            "¿Cinco niveles son demasiados para los municipios pequeños?",
            "Necesitamos ejemplos de cada nivel para entender la escala.",
            "El autodiagnóstico debe ser honesto: que no sea una competencia entre municipios.",
            "Probar la escala con dos o tres municipios antes de cerrarla.",
        ],
    },
    "clusters": [
        ("T", "Escalera de la transparencia", [0, 1, 2, 3, 4]),
        ("P", "Informar, consultar, co-decidir", [0, 1, 2]),
        ("R", "Seguimiento de compromisos", [1, 2, 4]),
    ],
}

BOARD_INDICATORS = {
    "title": "Indicadores y medios de verificación",
    "cards": {
        "T": [
            "Porcentaje de solicitudes de información respondidas dentro de plazo.",
            "Existe un calendario de publicación de datos abiertos.",
            "Cantidad de conjuntos de datos publicados en formato abierto.",
            "Actas del concejo publicadas en menos de diez días hábiles.",
            "Presupuesto explicado en lenguaje ciudadano, publicado cada año.",
            "Medio de verificación: enlace público y fecha de la última actualización.",
        ],
        "P": [
            "Existe un reglamento de participación ciudadana vigente y conocido.",
            "Número de instancias de participación con devolución publicada.",
            "El COSOC recibe el proyecto de presupuesto antes de que se vote.",
            "Porcentaje del presupuesto de inversión decidido con participación ciudadana.",
            "Acuerdos de colaboración con organizaciones de la sociedad civil.",
            "Registro de asistentes desagregado por sexo y edad.",
            "Medio de verificación: actas y listas de asistencia de cada instancia.",
        ],
        "R": [
            "Compromisos de la cuenta pública con su estado de avance publicado.",
            "Se responden por escrito las preguntas de la comunidad en la cuenta pública.",
            "Informe anual de gestión de cada dirección municipal.",
            "Publicación de los resultados de auditorías y sumarios.",
            "Reporte de reclamos con sus tiempos de respuesta.",
            "Medio de verificación: informe publicado en el sitio web.",
        ],
        "I": [
            "Existe un equipo o encargado de innovación municipal.",
            "Proyectos desarrollados junto a universidades u organizaciones.",
            "Servicios digitales evaluados por quienes los usan.",
            "Uso de datos para priorizar decisiones de inversión.",
        ],
        "O": [
            "Los indicadores deben poder medirse sin un gran costo de levantamiento.",
            "Definir quién verifica: el propio municipio o un tercero.",
            "Cuidado con los indicadores que solo cuentan actividades.",
            "Dejar un espacio para indicadores propuestos por cada comuna.",
        ],
    },
    "clusters": [
        ("T", "Plazos y oportunidad", [0, 3, 5]),
        ("P", "Participación con efecto", [1, 2, 3]),
        ("O", "Cómo verificar", [0, 1]),
    ],
}

CODESIGN = [
    {
        "title": "Taller de codiseño 1: punto de partida del gobierno abierto municipal",
        "starts_at": datetime(2017, 3, 16, 12, 30),
        "description": (
            "Primer taller de la comisión: municipios y organizaciones de la sociedad civil "
            "ponen en común qué entienden por **gobierno abierto municipal** y qué prácticas "
            "ya existen en sus comunas.\n\n"
            "1. Bienvenida y objetivos del modelo\n2. Trabajo en tableros por dimensión\n"
            "3. Agrupación de ideas y votación con puntos\n4. Plenario"
        ),
        "boards": [BOARD_MEANING, BOARD_PRACTICES],
        "locked": True,
    },
    {
        "title": "Taller de codiseño 2: dimensiones y niveles de madurez",
        "starts_at": datetime(2017, 5, 18, 13, 30),
        "description": (
            "Segundo taller: a partir de los aportes de los foros y del primer taller, se "
            "discuten las **tres dimensiones** del modelo, la innovación como factor transversal "
            "y una escala de **cinco niveles de madurez**.\n\n"
            "- Presentación de la propuesta de dimensiones\n- Trabajo en el tablero\n- Votación y plenario"
        ),
        "boards": [BOARD_LEVELS],
        "locked": True,
    },
    {
        "title": "Taller de codiseño 3: indicadores y medios de verificación",
        "starts_at": datetime(2017, 7, 20, 13, 30),
        "description": (
            "Tercer taller: se proponen **indicadores** para cada dimensión y la evidencia con "
            "que un municipio podría verificarlos en su autodiagnóstico.\n\n"
            "El tablero queda abierto para seguir sumando propuestas."
        ),
        "boards": [BOARD_INDICATORS],
        "locked": False,
    },
]

EXPERT = [
    {
        "title": "Taller de expertos 1: experiencias comparadas de gobierno abierto local",
        "starts_at": datetime(2016, 11, 24, 13, 0),
        "description": (
            "Especialistas invitados presentan experiencias de gobierno abierto en gobiernos "
            "locales y discuten qué aprendizajes debería recoger el modelo."
        ),
        "presentations": [
            (
                "Gobierno abierto local: un panorama comparado",
                "Expositora A",
                "Universidad (ficticia) del Centro",
                "La exposición revisó cómo distintos gobiernos locales han incorporado los "
                "principios de **transparencia, participación y rendición de cuentas**.\n\n"
                "Puntos destacados:\n\n"
                "- Las experiencias más duraderas se apoyan en normas y equipos estables.\n"
                "- Los compromisos pequeños y verificables generan más confianza que los planes amplios.\n"
                "- La comunidad valora ver el efecto de su participación.\n\n"
                "Se sugirió que el modelo sea **gradual**, para que municipios con realidades "
                "muy distintas puedan avanzar a su propio ritmo.",
            ),
            (
                "Del portal de transparencia a los datos abiertos municipales",
                "Expositor B",
                "Centro de estudios en gestión local",
                "Se presentó el recorrido desde la transparencia activa exigida por la ley hasta "
                "la publicación de **datos abiertos** reutilizables.\n\n"
                "Recomendaciones:\n\n"
                "1. Partir por los conjuntos de datos más consultados (patentes, permisos, presupuesto).\n"
                "2. Asignar un responsable por cada conjunto.\n"
                "3. Documentar qué significa cada campo.\n\n"
                "Publicar sin actualizar es peor que no publicar: el modelo debería medir la "
                "*frecuencia de actualización*, no solo la existencia de los datos.",
            ),
        ],
        "board": {
            "title": "Aprendizajes para el modelo",
            "cards": {
                "T": [
                    "Las experiencias más sólidas parten por una transparencia activa bien hecha.",
                    "Publicar datos sin explicar su contexto puede generar desconfianza.",
                    "Vincular la transparencia con los servicios que la gente usa a diario.",
                ],
                "P": [
                    "La participación funciona cuando tiene efecto visible en las decisiones.",
                    "Las plataformas en línea complementan, no reemplazan, el trabajo territorial.",
                    "Invertir en facilitación: la calidad del diálogo importa.",
                ],
                "R": [
                    "La rendición de cuentas debe ser periódica, no un evento anual.",
                    "Los compromisos deben ser específicos, medibles y con plazo.",
                ],
                "I": [
                    "Los laboratorios de gobierno muestran valor cuando trabajan problemas concretos.",
                    "Las alianzas con universidades reducen el costo de evaluar.",
                ],
                "O": [
                    "Un modelo gradual permite que municipios distintos avancen a su ritmo.",
                    "Cuidar la continuidad ante los cambios de administración.",
                ],
            },
        },
        "locked": True,
    },
    {
        "title": "Taller de expertos 2: participación ciudadana y rendición de cuentas",
        "starts_at": datetime(2017, 1, 26, 13, 0),
        "description": (
            "Sesión dedicada a las dimensiones de **participación y colaboración** y de "
            "**rendición de cuentas**, con tres exposiciones y conversación abierta."
        ),
        "presentations": [
            (
                "Participación con incidencia: lecciones de los presupuestos participativos",
                "Expositora C",
                "Instituto (ficticio) de Políticas Públicas",
                "A partir de estudios de presupuestos participativos en comunas de distinto "
                "tamaño, la expositora mostró que la participación se sostiene cuando:\n\n"
                "- las reglas se conocen **antes** de votar;\n"
                "- los proyectos elegidos se ejecutan y se informa su avance;\n"
                "- hay devolución aun cuando algo no se pudo hacer.\n\n"
                "Propuso que el modelo distinga entre informar, consultar y decidir en conjunto.",
            ),
            (
                "Rendición de cuentas más allá de la cuenta pública",
                "Expositor D",
                "Observatorio (ficticio) de la gestión municipal",
                "La cuenta pública anual es necesaria pero insuficiente. Se revisaron prácticas "
                "de **seguimiento de compromisos** con responsables y plazos, informes con "
                "semáforo simple y respuestas públicas a las preguntas de la comunidad.\n\n"
                "También se discutió la rendición de cuentas del concejo municipal, que suele "
                "quedar fuera de estas iniciativas.",
            ),
            (
                "Facilitar el diálogo: métodos para talleres con la comunidad",
                "Expositora E",
                "Centro de estudios en participación",
                "Exposición práctica sobre métodos de facilitación: tableros por tema, "
                "agrupación de ideas y **votación con puntos** para priorizar.\n\n"
                "Se recomendó registrar la asistencia con consentimiento y devolver los "
                "resultados a quienes participaron en un plazo conocido.",
            ),
        ],
        "board": {
            "title": "Recomendaciones de los expertos",
            "cards": {
                "T": [
                    "Transparencia presupuestaria: publicar la ejecución, no solo lo aprobado.",
                    "Estandarizar formatos entre municipios para poder comparar.",
                ],
                "P": [
                    "Definir con anticipación qué se puede decidir en cada instancia.",
                    "Asegurar la devolución en un plazo conocido.",
                    "Cuidar la representatividad: ir donde está la gente.",
                    "Formar a los funcionarios en metodologías de facilitación.",
                ],
                "R": [
                    "Que las organizaciones puedan hacer seguimiento de la gestión (control social).",
                    "Informes de avance con un semáforo simple.",
                    "Responder públicamente las preguntas ciudadanas.",
                ],
                "I": [
                    "Herramientas digitales para seguir los compromisos.",
                    "Datos georreferenciados en la cuenta pública.",
                ],
                "O": [
                    "Medir también la confianza de la comunidad, no solo la oferta municipal.",
                    "El modelo debería incluir un mecanismo para actualizarse.",
                ],
            },
        },
        "locked": True,
    },
    {
        "title": "Taller de expertos 3: medir la madurez, niveles e indicadores",
        "starts_at": datetime(2017, 4, 27, 13, 0),
        "description": (
            "Especialistas en evaluación comentan la propuesta de **niveles de madurez** y los "
            "primeros indicadores antes del segundo taller de codiseño."
        ),
        "presentations": [
            (
                "Modelos de madurez: cómo construir una escala útil",
                "Expositor F",
                "Universidad (ficticia) del Centro",
                "Se revisaron escalas de madurez usadas en gestión pública. Una escala útil:\n\n"
                "1. es **acumulativa**: cada nivel incluye al anterior;\n"
                "2. describe conductas observables;\n"
                "3. tiene pocos niveles, bien diferenciados.\n\n"
                "Se advirtió el riesgo de que la escala se use para ordenar municipios en un "
                "ranking en vez de orientar su mejora.",
            ),
            (
                "Indicadores y medios de verificación para municipios",
                "Expositora G",
                "Red (ficticia) de municipios innovadores",
                "La exposición propuso indicadores que un municipio pueda medir con sus propios "
                "registros y verificar con **evidencia pública**.\n\n"
                "Se recomendó pilotear el cuestionario de autodiagnóstico en pocas comunas y "
                "acompañarlo de recomendaciones y un plan de acción local.",
            ),
        ],
        "board": {
            "title": "Observaciones sobre niveles e indicadores",
            "cards": {
                "T": [
                    "Cada nivel debe incluir al anterior para que la escala sea acumulativa.",
                    "Evitar indicadores de sí o no cuando se puede medir calidad.",
                ],
                "P": [
                    "Distinguir la existencia de una instancia de su funcionamiento real.",
                    "Incluir un indicador de la incidencia de la participación en las decisiones.",
                ],
                "R": [
                    "El nivel más alto requiere seguimiento ciudadano de los compromisos.",
                    "Verificar con evidencia pública, no con declaraciones.",
                ],
                "I": [
                    "Tratar la innovación como factor transversal, con aspectos y no niveles.",
                    "Valorar la adaptación de prácticas de otros municipios.",
                ],
                "O": [
                    "Pilotear el cuestionario de autodiagnóstico antes de aplicarlo.",
                    "Entregar recomendaciones a cada municipio según su resultado.",
                    "Acompañar el autodiagnóstico con un plan de acción local.",
                    "Revisar la escala después del primer ciclo.",
                ],
            },
        },
        "locked": False,
    },
]

#: Walk-ins at co-design workshops: (label, profile); officials get a commission municipality.
CODESIGN_WALK_INS = [
    ("Profesional de DIDECO", Profile.OFFICIAL),
    ("Secretaria municipal (subrogante)", Profile.OFFICIAL),
    ("Encargado de informática", Profile.OFFICIAL),
    ("Voluntaria de organización de la sociedad civil", Profile.CSO),
    ("", Profile.OFFICIAL),
    ("", Profile.CSO),
]
EXPERT_WALK_INS = ["Investigadora invitada", "Académico visitante", "Consultora en gestión pública", ""]

#: Commission municipalities without a staff forum get two officials of their own.
EXTRA_OFFICIALS = ["Recoleta", "Santo Domingo"]
#: The civil-society organisations of the commission, by acronym or name as the accounts floor keys them.
CSOS = [("Chile Transparente", "chiletransparente"), ("Fundación Ciudadano Inteligente", "ciudadanointeligente")]
EXPERTS = ["A", "B", "C", "D", "E"]


def _slug(name: str) -> str:
    return name.lower().replace(" ", "").replace("ñ", "n").replace("é", "e")


def _account(admin: User, email: str, name: str, role: Role, municipality=None, organisation=None) -> User:
    """A pseudonymous demo account holding ``role`` (created if missing)."""
    user = accounts.find_by_email(email)
    if user is None:
        # Demo participants never sign in: an unguessable password that is not printed.
        user = accounts.register_user(
            email, name, secrets.token_urlsafe(24), municipality_id=municipality.id if municipality else None
        )
    if not user.has_role(role):
        accounts.grant_role(
            admin,
            user,
            role,
            municipality_id=municipality.id if municipality else None,
            organisation_id=organisation.id if organisation else None,
        )
    return user


def _officials(admin: User, places: dict) -> dict[str, list[User]]:
    """Staff accounts by commission municipality (the forums floor's, plus a few)."""
    for name in EXTRA_OFFICIALS:
        for i in (1, 2):
            email, label = f"enlace{i}.{_slug(name)}@{DOMAIN}", f"Enlace municipal {i} de {name}"
            _account(admin, email, label, Role.STAFF, places[name])
    rows = db.session.execute(
        select(User, RoleAssignment.municipality_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.STAFF.value, User.deleted_at.is_(None), User.email.like(f"%@{DOMAIN}"))
        .order_by(User.id)
    ).all()
    by_place = {name: [] for name in places}
    names = {m.id: name for name, m in places.items()}
    for user, municipality_id in rows:
        name = names.get(municipality_id)
        if name and user not in by_place[name]:
            by_place[name].append(user)
    return by_place


def _cso_members(admin: User) -> list[list[User]]:
    """Three members of each civil-society organisation: plain accounts (an account
    holds no organisation of its own), marked as CSO on the sign-in sheets."""
    members = []
    for org_name, slug in CSOS:
        members.append(
            [
                _account(
                    admin,
                    f"integrante{i}.{slug}@{DOMAIN}",
                    f"Integrante {i} de {org_name}",
                    Role.CITIZEN,
                )
                for i in (1, 2, 3)
            ]
        )
    return members


def _experts(admin: User) -> list[User]:
    people = [accounts.find_by_email(f"experta@{DOMAIN}")]
    for letter in EXPERTS:
        people.append(_account(admin, f"especialista.{letter.lower()}@{DOMAIN}", f"Especialista {letter}", Role.EXPERT))
    return [p for p in people if p is not None]


def _invite_and_sign_in(facilitator, workshop, people, rng, share: float, cso=()) -> list[tuple]:
    """Invite ``people`` as participants and the facilitator as facilitator; check in
    about ``share`` of them (the ``cso`` members with the CSO profile the paper sheet
    gives them). Returns (user, invitation) for those checked in."""
    workshop_services.invite(facilitator, workshop, facilitator.email, InvitationRole.FACILITATOR)
    present = []
    for person in people:
        invitation = workshop_services.invite(facilitator, workshop, person.email, InvitationRole.PARTICIPANT)
        if rng.random() < share:
            attendee = sheets.check_in(facilitator, workshop, person, consent=rng.random() < 0.75)
            if person in cso:
                attendee.profile = Profile.CSO.value
            present.append((person, invitation))
    return present


def _fill_board(facilitator, workshop, plan, present, walk_ins, rng) -> tuple:
    """A board with the plan's cards, in a shuffled order, by people in the room (some
    written down by the facilitator for walk-ins), and its clusters. Returns the board
    and its cards."""
    board = boards.create_board(workshop, plan["title"])
    by_key = {(c.section_key or "O"): c for c in boards.columns(board)}
    entries = [(key, index, text) for key in KEYS for index, text in enumerate(plan["cards"].get(key, []))]
    rng.shuffle(entries)
    on_behalf = set(rng.sample(range(len(entries)), k=min(len(walk_ins), 3))) if walk_ins else set()
    cards = {}
    for position, (key, index, text) in enumerate(entries):
        if position in on_behalf:
            attendee = rng.choice(walk_ins)
            card = boards.add_card(facilitator, board, None, by_key[key], text, attendee=attendee)
        else:
            author, invitation = rng.choice(present)
            card = boards.add_card(author, board, invitation, by_key[key], text)
        cards[key, index] = card
    for key, title, indexes in plan.get("clusters", []):
        cluster = boards.add_cluster(board, by_key[key], title)
        for index in indexes:
            boards.move_card(board, cards[key, index], by_key[key], cluster)
    return board, list(cards.values())


def _vote(board, cards, present, rng) -> None:
    """A closed round of three dots each, at most one per card; some cards draw more."""
    boards.open_round(board, 3, 1)
    appeal = {card.id: rng.uniform(0.2, 3.0) for card in cards}
    for person, invitation in present:
        # A weighted sample without replacement (Efraimidis–Spirakis keys).
        chosen = sorted(cards, key=lambda c: rng.random() ** (1 / appeal[c.id]), reverse=True)[:3]
        for card in chosen:
            boards.place_dot(person, board, invitation, card)
    boards.close_round(board)


def _walk_ins(facilitator, workshop, options, count, places, rng) -> list[Attendee]:
    added = []
    for label, profile in rng.sample(options, k=count):
        municipality_id = rng.choice(list(places.values())).id if profile == Profile.OFFICIAL else None
        consent = rng.random() < 0.7
        added.append(
            sheets.add_walk_in(facilitator, workshop, label if consent else "", profile, municipality_id, consent)
        )
    return added


def _codesign(process, facilitator, officials, cso_members, places, rng) -> None:
    login = accounts.find_by_email(f"funcionario@{DOMAIN}")
    for plan in CODESIGN:
        if db.session.scalar(select(Workshop.id).where(Workshop.title == plan["title"])) is not None:
            continue
        workshop = workshop_services.create(
            facilitator,
            process_id=process.id,
            kind=WorkshopKind.CODESIGN.value,
            title=plan["title"],
            starts_at=plan["starts_at"],
            ends_at=plan["starts_at"] + timedelta(hours=3, minutes=30),
            place=PLACE,
            description=plan["description"],
        )
        people = [login] if login is not None else []
        for name in sorted(officials):
            pool = [u for u in officials[name] if u not in people]
            people.extend(rng.sample(pool, k=min(2, len(pool))))
        for members in cso_members:
            people.extend(rng.sample(members, k=2))
        cso = [m for members in cso_members for m in members]
        present = _invite_and_sign_in(facilitator, workshop, people, rng, share=0.85, cso=cso)
        walk_ins = _walk_ins(facilitator, workshop, CODESIGN_WALK_INS, rng.randint(2, 4), places, rng)
        sheets.set_headcount(workshop, len(present) + len(walk_ins) + rng.randint(0, 3))
        for board_plan in plan["boards"]:
            board, cards = _fill_board(facilitator, workshop, board_plan, present, walk_ins, rng)
            _vote(board, cards, present, rng)
            if plan["locked"]:
                boards.set_locked(board, True)


def _expert(process, facilitator, experts, rng) -> None:
    for plan in EXPERT:
        if db.session.scalar(select(Workshop.id).where(Workshop.title == plan["title"])) is not None:
            continue
        workshop = workshop_services.create(
            facilitator,
            process_id=process.id,
            kind=WorkshopKind.EXPERT.value,
            title=plan["title"],
            starts_at=plan["starts_at"],
            ends_at=plan["starts_at"] + timedelta(hours=3),
            place=PLACE,
            description=plan["description"],
        )
        for title, presenter, organisation, notes in plan["presentations"]:
            workshop_services.save_presentation(workshop, None, title, presenter, organisation, notes)
        people = rng.sample(experts, k=min(len(experts), 5))
        present = _invite_and_sign_in(facilitator, workshop, people, rng, share=0.9)
        if not present:  # never an empty room
            person = people[0]
            sheets.check_in(facilitator, workshop, person, consent=True)
            present.append((person, workshop_services.invitation_of(person, workshop)))
        walk_ins = []
        for label in rng.sample(EXPERT_WALK_INS, k=rng.randint(1, 2)):
            consent = rng.random() < 0.8
            walk_ins.append(
                sheets.add_walk_in(facilitator, workshop, label if consent else "", Profile.EXPERT, None, consent)
            )
        sheets.set_headcount(workshop, len(present) + len(walk_ins) + rng.randint(0, 2))
        board, _cards = _fill_board(facilitator, workshop, plan["board"], present, walk_ins[:1], rng)
        if plan["locked"]:
            boards.set_locked(board, True)


def load() -> None:
    """Load the workshops' demo (after the accounts and forums floors')."""
    process = db.session.scalar(select(Process).order_by(Process.id))
    places = {m.name: m for m in db.session.scalars(select(Municipality).where(Municipality.in_commission))}
    admin = accounts.find_by_email(f"admin@{DOMAIN}")
    facilitator = accounts.find_by_email(f"facilitadora@{DOMAIN}")
    rng = random.Random(2017)
    officials = _officials(admin, places)
    cso_members = _cso_members(admin)
    experts = _experts(admin)
    _codesign(process, facilitator, officials, cso_members, places, rng)
    _expert(process, facilitator, experts, rng)
    db.session.flush()
    _date_cards(process)


def _date_cards(process) -> None:
    """Date the cards at their workshop (not when the demo was loaded), a minute apart."""
    rows = db.session.execute(
        select(Card, Workshop.starts_at)
        .join(Board, Card.board_id == Board.id)
        .join(Workshop, Board.workshop_id == Workshop.id)
        .where(Workshop.process_id == process.id, Card.contribution_id.is_not(None))
        .order_by(Card.id)
    ).all()
    for index, (card, starts_at) in enumerate(rows):
        card.created_at = starts_at + timedelta(minutes=30 + index % 90)
        db.session.get(Contribution, card.contribution_id).created_at = card.created_at
    db.session.flush()
