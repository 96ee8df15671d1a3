"""Demo data for the accounts floor: the seed's places, its process and one account per
role. Idempotent: running it again adds only what is missing."""

from datetime import date

from sqlalchemy import select

from accounts import services
from accounts.models import (
    Municipality,
    Organisation,
    OrganisationKind,
    Phase,
    Process,
    RequestStatus,
    StaffRequest,
)
from core.extensions import db
from core.models import utcnow
from core.roles import Role

METROPOLITANA = "Región Metropolitana de Santiago"
VALPARAISO = "Región de Valparaíso"

MUNICIPALITIES = [
    ("Cerro Navia", METROPOLITANA),
    ("Peñalolén", METROPOLITANA),
    ("Providencia", METROPOLITANA),
    ("Recoleta", METROPOLITANA),
    ("Santo Domingo", VALPARAISO),
    ("Talagante", METROPOLITANA),
    ("Vitacura", METROPOLITANA),
]

ORGANISATIONS = [
    ("Consejo para la Transparencia", "CPLT", OrganisationKind.COORDINATOR),
    ("Chile Transparente", "", OrganisationKind.CSO),
    ("Fundación Ciudadano Inteligente", "FCI", OrganisationKind.CSO),
]

PROCESS_TITLE = "Modelo de Gobierno Abierto Municipal"
PROCESS_DESCRIPTION = (
    "Co-creación de un Modelo de Gobierno Abierto para municipios, junto a siete comunas, "
    "dos organizaciones de la sociedad civil y el Consejo para la Transparencia como coordinador."
)
PHASES = [
    ("Co-creación del modelo", date(2016, 9, 1), date(2017, 9, 30)),
    ("Autodiagnóstico municipal", date(2017, 10, 1), date(2017, 12, 15)),
    ("Planes locales de acción", date(2017, 12, 16), date(2018, 3, 31)),
    ("Socialización", date(2018, 4, 1), date(2018, 5, 31)),
    ("Autoevaluación", date(2018, 6, 1), date(2018, 6, 30)),
]

#: (role, email, display name, password, municipality, organisation)
ACCOUNTS = [
    (Role.ADMIN, "admin@demo.cocrea.cl", "Administración", "demo-admin-2016", None, None),
    (Role.FACILITATOR, "facilitadora@demo.cocrea.cl", "Facilitadora CPLT", "demo-facilita-2016", None, "CPLT"),
    (Role.STAFF, "funcionario@demo.cocrea.cl", "Funcionario de Talagante", "demo-funciona-2016", "Talagante", None),
    (Role.EXPERT, "experta@demo.cocrea.cl", "Experta del comité asesor", "demo-experta-2016", None, None),
    (Role.CITIZEN, "vecina@demo.cocrea.cl", "Vecina de Providencia", "demo-vecina-2016", "Providencia", None),
]
#: A citizen whose request to be verified as an official waits in the queue.
PENDING_REQUEST = ("postulante@demo.cocrea.cl", "Postulante de Peñalolén", "demo-postula-2016", "Peñalolén")


def _get_or_create(model, lookup: dict, **values):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
    return obj


def _account(email, name, password, municipality):
    user = services.find_by_email(email)
    if user is None:
        user = services.register_user(email, name, password, municipality_id=municipality.id if municipality else None)
        # Demo addresses receive no mail: count them as confirmed, so no reminder shows.
        user.email_confirmed_at = utcnow()
    return user


def load() -> list[tuple[str, str, str]]:
    """Load the accounts floor's demo; returns (role, email, password) for each login."""
    places = {
        name: _get_or_create(Municipality, {"name": name}, region=region, in_commission=True)
        for name, region in MUNICIPALITIES
    }
    organisations = {
        (acronym or name): _get_or_create(Organisation, {"name": name}, acronym=acronym, kind=kind.value)
        for name, acronym, kind in ORGANISATIONS
    }
    process = _get_or_create(
        Process,
        {"title": PROCESS_TITLE},
        description=PROCESS_DESCRIPTION,
        starts_on=date(2016, 9, 1),
        ends_on=date(2018, 6, 30),
        coordinator_id=organisations["CPLT"].id,
    )
    if not process.phases:
        process.phases.extend(Phase(name=n, starts_on=s, ends_on=e) for n, s, e in PHASES)

    admin = None
    logins = []
    for role, email, name, password, municipality, organisation in ACCOUNTS:
        user = _account(email, name, password, places.get(municipality))
        if role == Role.ADMIN:
            admin = user
        if not user.has_role(role):
            services.grant_role(
                admin or user,
                user,
                role,
                municipality_id=places[municipality].id if role == Role.STAFF else None,
                organisation_id=organisations[organisation].id if organisation else None,
            )
        logins.append((role.value, email, password))

    email, name, password, municipality = PENDING_REQUEST
    applicant = _account(email, name, password, places[municipality])
    has_request = db.session.scalar(select(StaffRequest.id).where(StaffRequest.user_id == applicant.id))
    if has_request is None:
        db.session.add(
            StaffRequest(
                user_id=applicant.id,
                municipality_id=places[municipality].id,
                position="Oficina de Transparencia",
                status=RequestStatus.PENDING.value,
            )
        )
    logins.append(("citizen", email, password))
    db.session.flush()
    return logins
