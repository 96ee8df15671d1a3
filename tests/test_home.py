"""The home page shows the process: its current phase and dates, the municipalities with
their forums, sessions and workshops coming, open comment rounds and the latest published
version; a fixed number of queries."""

from datetime import timedelta

from accounts.models import Phase, Process
from core.extensions import db
from core.models import utcnow
from forums.workshops.models import Workshop
from tests.conftest import login

EN = {"Accept-Language": "en"}


def _running_process(app, title="Modelo de Gobierno Abierto Municipal") -> int:
    """A process under way today, in its second phase."""
    today = utcnow().date()
    with app.app_context():
        process = Process(title=title, starts_on=today - timedelta(days=100), ends_on=today + timedelta(days=200))
        process.phases.extend(
            [
                Phase(
                    name="Levantamiento de insumos",
                    starts_on=today - timedelta(days=100),
                    ends_on=today - timedelta(days=31),
                ),
                Phase(
                    name="Redacción del modelo",
                    starts_on=today - timedelta(days=30),
                    ends_on=today + timedelta(days=30),
                ),
                Phase(name="Implementación", starts_on=today + timedelta(days=31), ends_on=today + timedelta(days=200)),
            ]
        )
        db.session.add(process)
        db.session.commit()
        return process.id


def _move(app, model, ident, starts_at):
    with app.app_context():
        db.session.get(model, ident).starts_at = starts_at
        db.session.commit()


def _world(app, factory, n=1, tag=""):
    """A process under way; ``n`` municipalities with a citizen forum, a session coming in
    each and one past, a workshop coming, an open round; and Santo Domingo without a forum."""
    process_id = _running_process(app, title=f"Proceso en curso {n}{tag}")
    soon = utcnow() + timedelta(days=3)
    for i in range(n):
        municipality = factory.municipality(f"Talagante {i}{tag}")
        forum = factory.forum(
            municipality_id=municipality, process_id=process_id, title=f"Foro ciudadano de Talagante {i}{tag}"
        )
        factory.meeting(forum, title=f"Sesión próxima {i}", starts_at=soon + timedelta(hours=i))
        factory.meeting(forum, title=f"Sesión pasada {i}", starts_at=utcnow() - timedelta(days=3))
        workshop = factory.workshop(process_id=process_id, title=f"Taller de codiseño {i}")
        _move(app, Workshop, workshop, soon + timedelta(days=1, hours=i))
        version = factory.version(process_id=process_id, label=f"v0.{i + 1}{tag}", title=f"Borrador {i}")
        factory.round(version, title=f"Ronda pública {i}")
    factory.municipality(f"Santo Domingo{tag}")
    return process_id


def test_home_shows_the_process(app, client, factory):
    _world(app, factory)
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Proceso en curso 1" in page
    assert "Current phase: Redacción del modelo" in page
    assert 'aria-current="step"' in page
    # Municipalities with their forums, and one without.
    assert "Talagante 0" in page
    assert "Foro ciudadano de Talagante 0" in page
    assert "Santo Domingo" in page
    assert "No forum yet in this municipality." in page
    # What is coming, and what is not.
    assert "Sesión próxima 0" in page
    assert "Sesión pasada 0" not in page
    assert "Taller de codiseño 0" in page
    assert "Ronda pública 0" in page
    assert "v0.1 · Borrador 0" in page


def test_home_in_spanish_by_default(app, client, factory):
    _world(app, factory)
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="es"' in response.get_data(as_text=True)


def test_a_municipality_without_a_forum_says_so(client, factory):
    factory.municipality("Santo Domingo")
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Santo Domingo" in page
    assert "No forum yet in this municipality." in page
    assert "No process yet." in page
    assert "No session scheduled." in page
    assert "No workshop scheduled." in page
    assert "No comment round is open now." in page
    assert "No version of the model published yet." in page


def test_a_finished_process_says_when_it_ended(client, factory):
    factory.process("Proceso 2016–2018")  # 1 September 2016 to 30 June 2018
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Proceso 2016–2018" in page
    assert "The process ended on Saturday, 30 June 2018." in page


def test_home_hides_what_the_viewer_may_not_see(app, client, factory, places):
    process_id = _running_process(app)
    staff_forum = factory.forum(
        kind="staff", municipality_id=places["home"], process_id=process_id, title="Foro interno"
    )
    factory.meeting(staff_forum, title="Sesión interna", starts_at=utcnow() + timedelta(days=2))
    version = factory.version(process_id=process_id)
    factory.round(version, audience="experts", title="Ronda de expertos")
    draft = factory.version(process_id=process_id, label="v0.9", title="Borrador sin publicar", published=False)
    assert draft
    page = client.get("/", headers=EN).get_data(as_text=True)
    for hidden in ("Foro interno", "Sesión interna", "Ronda de expertos", "Borrador sin publicar"):
        assert hidden not in page
    assert "v0.1 · Borrador" in page


def test_staff_see_their_staff_forum_on_the_home(app, client, factory, places, personas):
    process_id = _running_process(app)
    factory.forum(kind="staff", municipality_id=places["home"], process_id=process_id, title="Foro interno")
    login(client, personas["staff"])
    assert "Foro interno" in client.get("/", headers=EN).get_data(as_text=True)


def test_cancelled_sessions_are_not_coming(app, client, factory, places):
    process_id = _running_process(app)
    forum = factory.forum(municipality_id=places["home"], process_id=process_id)
    factory.meeting(forum, title="Sesión suspendida", starts_at=utcnow() + timedelta(days=2), status="cancelled")
    assert "Sesión suspendida" not in client.get("/", headers=EN).get_data(as_text=True)


def test_home_uses_a_fixed_number_of_queries(app, client, factory, personas, count_queries):
    """The same few queries (at most 8, issue 13) with one municipality and with many,
    signed in or not."""
    _world(app, factory, n=1)
    with count_queries as few:
        assert client.get("/").status_code == 200
    _world(app, factory, n=12, tag="b")
    with count_queries as many:
        assert client.get("/").status_code == 200
    assert few.count > 0
    assert many.count == few.count <= 8, many.statements
    login(client, personas["staff"])
    with count_queries as signed_in:
        assert client.get("/").status_code == 200
    _world(app, factory, n=3, tag="c")
    with count_queries as signed_in_more:
        assert client.get("/").status_code == 200
    assert signed_in_more.count == signed_in.count <= 8, signed_in_more.statements
