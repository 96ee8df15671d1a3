"""Fixtures in the style of Flask's tutorial and Indico: a session-scoped app migrated
with Flask-Migrate, a clean database after every test, personas per role, factories and
a query counter.

The database is SQLite in a temporary directory unless ``COCREA_TEST_DATABASE_URL``
names another (``scripts/with-postgres.sh`` sets it to a throwaway PostgreSQL cluster).

Fixtures that build rows (``places``, ``personas``, the demo, the bigger worlds of some
modules) go through :class:`Snapshots`: built once per test session (per xdist worker),
their rows are kept and put back in one transaction for each later test that asks for
them, on the same emptied tables.
"""

import copy
import email
import email.policy
import os
import re
import secrets
import socket
import tempfile
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import Integer, and_, create_engine, event, func, literal, make_url, select, text, union_all

from app import create_app
from consultations.tallies.models import TallyState
from core import migrations
from core.extensions import db, limiter
from core.pagecache import SiteState
from core.roles import Role

PASSWORD = "correct horse battery"


def _database_url(tmp_path_factory) -> str:
    """SQLite in a temporary folder, or ``COCREA_TEST_DATABASE_URL``; with pytest-xdist,
    each worker gets a database of its own on that server."""
    url = os.environ.get("COCREA_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_app(database_url: str, **overrides):
    """A test application on ``database_url``, with the schema made by the migrations."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        mail_dir = Path(url.database).parent / "mail"
    else:
        mail_dir = Path(tempfile.gettempdir()) / f"cocrea-test-mail-{os.getpid()}"
    config = {
        # Mails without a server are written as .eml files: beside the test database,
        # never into the repository's instance/.
        "MAIL_FILE_DIR": str(mail_dir),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Every read of the tally ledger is checked against the live events.
        "TALLY_VERIFY": True,
    }
    config.update(overrides)
    application = create_app(config)
    migrations.ready(application)
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _no_sync)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        # No rows yet, so the tally ledger is complete (see clean_database).
        with db.engine.begin() as connection:
            connection.execute(TallyState.__table__.update().values(events_built=True))
    return application


def _no_sync(dbapi_connection, _record):
    """A throwaway test database need not reach the disk at each commit (in WAL mode a
    commit otherwise waits for an fsync; ``scripts/with-postgres.sh`` runs PostgreSQL
    with fsync off for the same reason)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, migrated once per test session; the first test starts on the
    same emptied tables as every other (the migrations leave a row or two)."""
    application = make_app(_database_url(tmp_path_factory))
    clean_database(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def _counts():
    """One statement: each table's rows, and its largest id (None without a single
    integer key)."""
    parts = []
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        largest = func.max(keys[0]) if len(keys) == 1 and isinstance(keys[0].type, Integer) else literal(None)
        parts.append(select(literal(table.name), func.count(), largest).select_from(table))
    return union_all(*parts)


def clean_database(application) -> None:
    """Delete every row of every table (children first; the empty ones are left alone)."""
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            filled = {name for name, count, _largest in connection.execute(_counts()) if count}
            for table in reversed(db.metadata.sorted_tables):
                if table.name in filled:
                    connection.execute(table.delete())
            # Empty tables, so the (empty) tally ledger is complete: each test's writes
            # keep it up to date, and TALLY_VERIFY checks them at every read.
            connection.execute(
                TallyState.__table__.insert().values(id=1, token=secrets.token_hex(16), events_built=True)
            )


@pytest.fixture(autouse=True)
def _isolation(request):
    """Each test starts with empty tables and fresh rate limits."""
    yield
    if "app" in request.fixturenames:
        application = request.getfixturevalue("app")
        clean_database(application)
        with application.app_context():
            # limits' memory storage expires keys in a timer thread that reads the dicts
            # reset() clears (a KeyError in that thread otherwise, now and then): let the
            # pending expiry finish first.
            timer = getattr(limiter.storage, "timer", None)
            if timer is not None:
                timer.join()
            limiter.reset()


@pytest.fixture
def client(app):
    """A test client (cookies kept between its requests)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests that read or write the database directly."""
    with app.app_context():
        yield
        db.session.remove()


@dataclass
class Persona:
    """A test person: enough to sign in and to find the account again."""

    id: int
    email: str
    name: str
    role: str
    password: str = PASSWORD


class Factory:
    """Creates rows, committed, and returns plain values, not live objects."""

    def __init__(self, application):
        self.app = application
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def municipality(self, name=None, region="Región Metropolitana de Santiago") -> int:
        from accounts.models import Municipality

        with self.app.app_context():
            m = Municipality(name=name or f"Comuna {self._next()}", region=region, in_commission=True)
            db.session.add(m)
            db.session.commit()
            return m.id

    def organisation(self, name=None, kind="coordinator", acronym="") -> int:
        from accounts.models import Organisation

        with self.app.app_context():
            o = Organisation(name=name or f"Organización {self._next()}", kind=kind, acronym=acronym)
            db.session.add(o)
            db.session.commit()
            return o.id

    def process(self, title=None) -> int:
        from accounts.models import Phase, Process

        with self.app.app_context():
            p = Process(title=title or f"Proceso {self._next()}", starts_on=date(2016, 9, 1), ends_on=date(2018, 6, 30))
            p.phases.append(Phase(name="Fase 1", starts_on=date(2016, 9, 1), ends_on=date(2017, 1, 31)))
            db.session.add(p)
            db.session.commit()
            return p.id

    def user(self, role=Role.CITIZEN, name=None, email=None, municipality_id=None, organisation_id=None, locale=None):
        """Register an account and grant ``role``; returns a :class:`Persona`."""
        from accounts import services

        n = self._next()
        email = email or f"persona{n}@example.org"
        name = name or f"Persona {n}"
        with self.app.app_context():
            user = services.register_user(email, name, PASSWORD, municipality_id=municipality_id, locale=locale)
            if role != Role.CITIZEN:
                services.grant_role(user, user, role, municipality_id=municipality_id, organisation_id=organisation_id)
            db.session.commit()
            return Persona(id=user.id, email=email, name=name, role=str(role))

    def staff_request(self, user_id: int, municipality_id: int, position="Unidad de Transparencia") -> int:
        from accounts.models import StaffRequest

        with self.app.app_context():
            r = StaffRequest(user_id=user_id, municipality_id=municipality_id, position=position)
            db.session.add(r)
            db.session.commit()
            return r.id

    def forum(self, kind="citizen", municipality_id=None, process_id=None, status="open", title=None) -> int:
        from forums.discussions.models import Forum

        process_id = process_id or self.process()
        with self.app.app_context():
            forum = Forum(
                process_id=process_id,
                kind=kind,
                municipality_id=municipality_id,
                title=title or f"Foro {self._next()}",
                status=status,
            )
            db.session.add(forum)
            db.session.commit()
            return forum.id

    def member(self, forum_id: int, user_id: int) -> int:
        from forums.discussions.models import Forum, ForumMember

        with self.app.app_context():
            member = ForumMember(forum_id=forum_id, user_id=user_id)
            db.session.add(member)
            db.session.get(Forum, forum_id).member_count += 1
            db.session.commit()
            return member.id

    def thread(self, forum_id: int, author_id: int, posts: int = 1, title=None, text="Mensaje número {n}") -> int:
        """A thread with ``posts`` posts by ``author_id``, written in bulk."""
        from core.models import Contribution
        from core.spaces import SpaceKind
        from core.text import render_markdown
        from forums.discussions.models import Forum, Post, Thread

        with self.app.app_context():
            forum = db.session.get(Forum, forum_id)
            thread = Thread(
                forum_id=forum_id, title=title or f"Hilo {self._next()}", author_id=author_id, post_count=posts
            )
            db.session.add(thread)
            forum.thread_count += 1
            db.session.flush()
            contributions = []
            for n in range(1, posts + 1):
                body = text.format(n=n)
                contributions.append(
                    Contribution(
                        process_id=forum.process_id,
                        space_kind=SpaceKind.THREAD.value,
                        space_id=thread.id,
                        author_id=author_id,
                        municipality_id=forum.municipality_id,
                        body_source=body,
                        body_html=render_markdown(body),
                    )
                )
            db.session.add_all(contributions)
            db.session.flush()
            db.session.add_all(
                Post(
                    thread_id=thread.id,
                    number=n,
                    contribution_id=c.id,
                    reply_to_id=None,
                )
                for n, c in enumerate(contributions, start=1)
            )
            db.session.commit()
            return thread.id

    def meeting(self, forum_id: int, title="Sesión", starts_at=None, status="scheduled") -> int:
        """A session of a forum (scheduled unless told otherwise)."""
        from datetime import datetime

        from forums.meetings.models import Meeting

        with self.app.app_context():
            meeting = Meeting(
                forum_id=forum_id, title=title, starts_at=starts_at or datetime(2017, 4, 5, 21, 30), status=status
            )
            db.session.add(meeting)
            db.session.commit()
            return meeting.id

    def remark(self, meeting_id: int, text="Dicho en la sala", attendee_id=None) -> int:
        """A remark written down at a session, through the sheet's rule; returns the
        contribution's id."""
        from accounts.models import User
        from core.spaces import SpaceKind
        from forums.meetings.models import Meeting
        from forums.sheets import services as sheets

        with self.app.app_context():
            meeting = db.session.get(Meeting, meeting_id)
            actor = db.session.scalar(db.select(User).limit(1))
            remark = sheets.add_remark(actor, meeting, SpaceKind.MEETING, attendee_id, text)
            db.session.commit()
            return remark.id

    def workshop(self, process_id=None, kind="codesign", title=None, invite=()) -> int:
        """A workshop; ``invite`` lists the accounts invited as participants."""
        from datetime import datetime

        from forums.workshops.models import Workshop, WorkshopInvitation

        process_id = process_id or self.process()
        with self.app.app_context():
            workshop = Workshop(
                process_id=process_id,
                kind=kind,
                title=title or f"Taller {self._next()}",
                starts_at=datetime(2017, 5, 10),
            )
            db.session.add(workshop)
            db.session.flush()
            db.session.add_all(WorkshopInvitation(workshop_id=workshop.id, user_id=user_id) for user_id in invite)
            db.session.commit()
            return workshop.id

    def board(self, workshop_id: int, title="Muro") -> int:
        """A board with the template's columns."""
        from forums.workshops.boards import services as boards
        from forums.workshops.models import Workshop

        with self.app.app_context():
            board = boards.create_board(db.session.get(Workshop, workshop_id), title)
            db.session.commit()
            return board.id

    def card(self, board_id: int, author_id: int, text="Una idea", column=0) -> tuple[int, int]:
        """A card in the ``column``-th column, by an invited author (or a facilitator);
        returns ``(card id, contribution id)``."""
        from accounts.models import User
        from forums.workshops import services as workshops
        from forums.workshops.boards import services as boards
        from forums.workshops.boards.models import Board

        with self.app.app_context():
            board = db.session.get(Board, board_id)
            author = db.session.get(User, author_id)
            invitation = workshops.invitation_of(author, board.workshop)
            card = boards.add_card(author, board, invitation, boards.columns(board)[column], text)
            db.session.commit()
            return card.id, card.contribution_id

    #: A small model: an introduction, dimension T with levels 1–3 (T.3 has an
    #: indicator), dimension P with level 1, the factor I with one aspect.
    SECTIONS = (
        ("introduccion", "Introducción", "Texto de la introducción."),
        ("T", "Transparencia", "La dimensión de transparencia."),
        ("T.1", "Nivel 1", "Publica lo que la ley exige."),
        ("T.2", "Nivel 2", "Publica a tiempo."),
        ("T.3", "Nivel 3", "Publica las actas oportunamente."),
        ("T.3.a", "Actas publicadas", "Porcentaje de actas publicadas."),
        ("P", "Participación", "La dimensión de participación."),
        ("P.1", "Nivel 1", "Informa a la comunidad."),
        ("I", "Innovación", "Factor transversal."),
        ("I.1", "Innovación tecnológica", "Herramientas digitales."),
    )

    def version(
        self,
        process_id=None,
        label="v0.1",
        sections=SECTIONS,
        published=True,
        model_id=None,
        based_on_id=None,
        title="Borrador",
    ) -> int:
        """A version of a model (a new model of ``process_id`` unless ``model_id``) with
        ``sections`` ((key, title, body), in order); published unless ``published`` is false."""
        from consultations.versions import services as versions
        from consultations.versions.models import ConsultationModel, Version

        with self.app.app_context():
            if model_id is None:
                model = versions.create_model(process_id or self.process(), f"Modelo {self._next()}")
            else:
                model = db.session.get(ConsultationModel, model_id)
            based_on = db.session.get(Version, based_on_id) if based_on_id else None
            version = versions.new_version(model, label, title, "Resumen.", None, based_on)
            if based_on is None:
                for key, section_title, body in sections:
                    versions.add_section(version, key, section_title, body)
            if published:
                versions.publish(version, None)
            db.session.commit()
            return version.id

    def round(
        self,
        version_id: int,
        audience="public",
        opens_in_days=-1,
        closes_in_days=30,
        title="Ronda",
        municipality_ids=(),
        members=(),
    ) -> int:
        """A comment round on a published version, open by default (opened a day ago);
        ``members`` are invited accounts."""
        from datetime import timedelta

        from accounts.models import User
        from consultations.rounds import services as rounds
        from consultations.versions.models import Version
        from core.models import utcnow

        with self.app.app_context():
            now = utcnow()
            round_ = rounds.create_round(
                db.session.get(Version, version_id),
                audience,
                title,
                "¿Qué cambiaría?",
                now + timedelta(days=opens_in_days),
                now + timedelta(days=closes_in_days),
                None,
                municipality_ids,
            )
            for user_id in members:
                rounds.invite(round_, db.session.get(User, user_id))
            db.session.commit()
            return round_.id

    def comment(
        self,
        round_id: int,
        author_id: int,
        key="T.3",
        text="Un comentario",
        stance=None,
        parent_id=None,
        on_behalf=False,
    ) -> tuple[int, int]:
        """A comment (or reply) by ``author_id``, who must be in the audience of an open
        round; with ``on_behalf``, entered by a facilitator as sent in writing (any time
        after the round opened). Returns ``(comment id, contribution id)``."""
        from accounts.models import User
        from consultations.rounds import services as rounds
        from consultations.rounds.models import Comment, CommentRound

        with self.app.app_context():
            round_ = db.session.get(CommentRound, round_id)
            author = db.session.get(User, author_id)
            entered_by = db.session.scalar(db.select(User).limit(1)) if on_behalf else None
            comment = rounds.add_comment(
                round_,
                author,
                key,
                text,
                stance,
                parent=db.session.get(Comment, parent_id) if parent_id else None,
                entered_by=entered_by,
                channel="written" if on_behalf else "online",
            )
            db.session.commit()
            return comment.id, comment.contribution_id


@pytest.fixture
def factory(app):
    """Factories for municipalities, organisations, processes, accounts and requests."""
    return Factory(app)


# Snapshots of what fixtures build ----------------------------------------------------------

#: Tables of one row whose token changes at every write; a snapshot puts them back with
#: a new token, so nothing cached under an earlier one is used again.
_TOKENED = (TallyState.__table__, SiteState.__table__)


@dataclass
class _Layer:
    """What one build changed: rows added, rows changed (their new values) and rows
    deleted, per table; the value the build returned; the factory's counter after it."""

    added: dict
    changed: dict
    deleted: dict
    value: object
    counter: int


class Snapshots:
    """Build rows once per test session, then put the same rows back for each later test.

    ``layer(name, build)`` runs ``build()`` the first time and keeps what it changed in
    the database, with its return value. A later test on the same starting point (the
    factory's counter, the application's settings, and each table's count and largest
    id: an empty database, or the layers before this one put back the same way) gets
    those rows back in one transaction and a copy of the value, without running
    ``build`` again. Use it for builds that only write rows (no mail, no files, no
    settings, no requests), whose result depends on nothing else than ``name`` and that
    starting point. The tests then read and write the same rows as if each had built
    them; the tally ledger's and the page cache's tokens are new each time.
    """

    def __init__(self, application, factory: Factory, kept: dict):
        self.app = application
        self.factory = factory
        self.kept = kept

    def layer(self, name: Hashable, build: Callable[[], object]):
        """What ``build()`` returns, built now or put back as it was built (a copy).
        Raises what ``build`` raises."""
        with self.app.app_context(), db.engine.connect() as connection:
            start = (name, self.factory._counter, _settings(self.app), tuple(connection.execute(_counts()).tuples()))
        layer = self.kept.get(start)
        if layer is not None:
            self._apply(layer)
            self.factory._counter = layer.counter
            return copy.deepcopy(layer.value)
        before = self._rows()
        value = build()
        after = self._rows()
        layer = _Layer({}, {}, {}, copy.deepcopy(value), self.factory._counter)
        for table in db.metadata.sorted_tables:
            old, new = before[table], after[table]
            layer.added[table] = [row for key, row in new.items() if key not in old]
            layer.changed[table] = [row for key, row in new.items() if key in old and old[key] != row]
            layer.deleted[table] = [key for key in old if key not in new]
        self.kept[start] = layer
        return value

    def _rows(self) -> dict:
        """Every row of every table, by primary key."""
        with self.app.app_context(), db.engine.connect() as connection:
            rows = {}
            for table in db.metadata.sorted_tables:
                keys = list(table.primary_key.columns)
                result = connection.execute(select(table).order_by(*keys)).mappings()
                rows[table] = {tuple(row[k.name] for k in keys): dict(row) for row in result}
            return rows

    def _apply(self, layer: _Layer) -> None:
        with self.app.app_context(), db.engine.begin() as connection:
            for table in db.metadata.sorted_tables:
                if layer.added[table]:
                    connection.execute(table.insert(), layer.added[table])
            for table in db.metadata.sorted_tables:
                for row in layer.changed[table]:
                    key = tuple(row[column.name] for column in table.primary_key.columns)
                    connection.execute(table.update().where(_is(table, key)).values(row))
            for table in reversed(db.metadata.sorted_tables):
                for key in layer.deleted[table]:
                    connection.execute(table.delete().where(_is(table, key)))
            for table in _TOKENED:
                connection.execute(table.update().values(token=secrets.token_hex(16)))


def _settings(application) -> tuple:
    """The application's plain settings (a test may change one, such as the default
    language, before a build)."""
    plain = (str, int, float, bool, type(None))
    return tuple(sorted((key, value) for key, value in application.config.items() if isinstance(value, plain)))


def _is(table, key: tuple):
    """The condition that picks the row of ``table`` with primary key ``key``."""
    return and_(*(column == value for column, value in zip(table.primary_key.columns, key, strict=True)))


@pytest.fixture(scope="session")
def _kept_layers():
    return {}


@pytest.fixture
def snapshots(app, factory, _kept_layers):
    """:class:`Snapshots` for this test (what was built is kept for the session)."""
    return Snapshots(app, factory, _kept_layers)


@pytest.fixture
def places(factory, snapshots):
    """Two municipalities and a coordinating organisation."""
    return snapshots.layer(
        "places",
        lambda: {
            "home": factory.municipality("Talagante"),
            "other": factory.municipality("Vitacura"),
            "cplt": factory.organisation("Consejo para la Transparencia", acronym="CPLT"),
        },
    )


@pytest.fixture
def personas(factory, places, snapshots):
    """One account per role, plus an official of another municipality."""
    return snapshots.layer(
        "personas",
        lambda: {
            "citizen": factory.user(Role.CITIZEN, municipality_id=places["home"]),
            "staff": factory.user(Role.STAFF, municipality_id=places["home"]),
            "staff_other": factory.user(Role.STAFF, municipality_id=places["other"]),
            "facilitator": factory.user(Role.FACILITATOR, organisation_id=places["cplt"]),
            "expert": factory.user(Role.EXPERT),
            "admin": factory.user(Role.ADMIN),
        },
    )


@pytest.fixture
def demo(app, snapshots) -> None:
    """The demo scenario (``flask demo``), loaded once per test session and put back for
    each test that asks for it (tests/test_demo.py runs the command itself)."""

    def load():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output

    snapshots.layer("demo", load)


def without_csrf(page: str) -> str:
    """``page`` with its CSRF tokens blanked: a token is signed with the second it was
    made in, so two answers a second apart differ there and nowhere else."""
    return re.sub(r'(name="csrf_token" value=")[^"]*"', r'\1"', page)


def login(client, persona_or_email, password=PASSWORD):
    """Sign ``client`` in; returns the response of the login POST."""
    email = getattr(persona_or_email, "email", persona_or_email)
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def auth():
    """The sign-in helper, as a fixture for tests that prefer it."""
    return login


class QueryCounter:
    """Counts SQL statements sent to the database inside ``with counter:``."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        self.count = 0
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        return False


@pytest.fixture
def count_queries(app):
    """A :class:`QueryCounter` on the application's engine."""
    with app.app_context():
        engine = db.engine
    return QueryCounter(engine)


@contextmanager
def csrf_enabled(application):
    """Turn CSRF protection on for the duration of a block (it is off in tests by default)."""
    application.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        application.config["WTF_CSRF_ENABLED"] = False


# E-mail: a real SMTP server on loopback (aiosmtpd) -----------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the loopback SMTP server received, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def only(self, address: str):
        received = self.to(address)
        assert len(received) == 1, [m["Subject"] for m in self.messages]
        return received[0]


def text_of(message) -> str:
    """The plain-text part of a received mail."""
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    """The HTML part of a received mail."""
    return message.get_body(preferencelist=("html",)).get_content()


@contextmanager
def mail_config(app, **values):
    """Change settings of ``app`` for the block."""
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1, with the app's mail settings pointing at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port):
            yield inbox
    finally:
        controller.stop()
