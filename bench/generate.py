"""A realistic process of any size, for benchmarks: ``flask bench seed``.

Fills the configured database (migrated with ``flask db upgrade``) with one process the
way the platform itself would have recorded it, only bigger: the seven municipalities and
three organisations of the demo, accounts (some verified officials, some experts, the
facilitators), a citizen and a staff forum per municipality and an expert forum with
threads and posts, sessions with sign-in sheets (accounts and walk-ins), headcounts and
remarks, co-design and expert workshops with boards of cards, a model with three versions
of sections, comment rounds for every audience with comments and replies, and a codebook
with most contributions coded under one or two themes. Times spread over the process
(September 2016 to June 2018); an official verified during the process counts as a
citizen for what they said before.

    .venv/bin/flask db upgrade
    .venv/bin/flask bench seed --contributions 1000000 --participants 100000

Rows go in with Core ``insert()`` executemany in large batches, explicit ids and one
transaction (on SQLite with ``synchronous=OFF`` and foreign-key checks off for the load
only, and the full-text triggers dropped, made again and the index rebuilt once at the
end), so a million contributions take a few minutes. The same code runs on PostgreSQL.

Everything is drawn from a seeded random generator: the same :class:`Shape` gives the
same database. :func:`seed` is the entry point for other benchmarks (a forum with one very
long thread, boards of a given size: see :class:`Shape`).
"""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

#: The accounts a benchmark signs in with (role, email, display name, password).
LOGINS = [
    ("facilitator", "facilitadora@bench.cocrea.cl", "Facilitadora (benchmark)", "bench-facilita-2016"),
    ("admin", "admin@bench.cocrea.cl", "Administración (benchmark)", "bench-admin-2016"),
]
FACILITATOR_EMAIL, FACILITATOR_PASSWORD = LOGINS[0][1], LOGINS[0][3]

START = datetime(2016, 9, 1, 12, 0)
END = datetime(2018, 6, 30, 12, 0)

WORDS = (
    "el municipio publica informa consulta responde actas concejo plazo ciudadanía datos abiertos "
    "presupuesto participación cuenta pública vecinos organizaciones indicador nivel verificación "
    "registro sesión acuerdo ordenanza transparencia gestión plan acción local junta vecinal "
    "compromiso propuesta solicitud información oportuna lenguaje claro sitio web audiencia "
    "pública consejo comunal obras licitación contratos compras trámite municipal respuesta "
    "reclamo encuesta cabildo territorio barrio mesa técnica seguimiento evaluación metas"
).split()
SURNAMES = "González Muñoz Rojas Díaz Pérez Soto Contreras Silva Martínez Sepúlveda Morales Rodríguez".split()
NAMES = "Ana Camila Javiera Francisca Valentina Sofía Pedro Juan Diego Matías Tomás Benjamín Rosa Luis".split()


@dataclass
class Shape:
    """How big the process is and how it is spread. Shares are of the contributions
    (``posts``, ``remarks``, ``cards``; comments take the rest) or of the participants."""

    contributions: int = 1_000_000
    participants: int = 100_000
    posts: float = 0.60
    remarks: float = 0.12
    cards: float = 0.08
    #: Participants who are walk-ins (on a sign-in sheet without an account).
    walk_ins: float = 0.08
    officials: float = 0.06
    experts: float = 0.01
    #: Contributions coded with at least one theme (a third of those with two).
    coded: float = 0.85
    themes: int = 60
    posts_per_thread: int = 25
    remarks_per_session: int = 50
    #: Cards per board (the last board of the process takes what is left).
    board_cards: int = 200
    boards_per_workshop: int = 4
    #: One thread of this many posts by ``long_thread_authors`` people in the first
    #: citizen forum (0: none), taken from the posts' share.
    long_thread: int = 0
    long_thread_authors: int = 50
    seed: int = 2016
    batch: int = 10_000
    title: str = ""

    @property
    def process_title(self) -> str:
        return self.title or f"Proceso de referencia: {self.contributions:,} aportes".replace(",", ".")


@dataclass
class Report:
    """What :func:`seed` made: the process, row counts per table and the time it took."""

    process_id: int
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0


class Writer:
    """Buffers rows per table and writes them with executemany, parents first (so
    foreign keys hold at every statement on PostgreSQL); hands out explicit ids."""

    def __init__(self, connection, order: list, batch: int, progress: Callable[[str], None]):
        self.connection = connection
        self.order = order
        self.batch = batch
        self.progress = progress
        self.buffers: dict = {table.name: [] for table in order}
        self.tables = {table.name: table for table in order}
        self.counts: dict = {table.name: 0 for table in order}
        self.next_ids = {
            table.name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1 for table in order if "id" in table.c
        }
        self.started = time.perf_counter()
        self.reported = 0

    def new_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def add(self, table: str, row: dict) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.buffers[table.name]
            if rows:
                self.connection.execute(insert(table), rows)
                self.counts[table.name] += len(rows)
                self.buffers[table.name] = []
        done = self.counts.get("contributions", 0)
        if done - self.reported >= 100_000:
            self.reported = done
            self.progress(f"  {done:>10,} contributions  {time.perf_counter() - self.started:7.1f} s")


class Pick:
    """Random choices, some skewed (a few people say a lot)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def person(self, pool: list):
        """Half uniform (so nearly everyone takes part), half skewed towards the start of
        the (shuffled) pool."""
        r = self.rng.random()
        if r < 0.5:
            return pool[int(len(pool) * self.rng.random())]
        return pool[int(len(pool) * self.rng.random() ** 3)]

    def time(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 1)
        return (start + timedelta(seconds=int(self.rng.random() * span))).replace(microsecond=0)


def _bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """A pool of (markdown, sanitized HTML) texts, rendered by the platform's own renderer
    (so stored HTML is exactly what a form would have stored)."""
    from core.text import render_markdown

    found = []
    for n in range(count):
        paragraphs = []
        for _ in range(1 + (n % 3 == 0) + (n % 7 == 0)):
            words = [rng.choice(WORDS) for _ in range(int(rng.triangular(6, 90, 25)))]
            if n % 5 == 0:
                words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
            paragraphs.append(" ".join(words).capitalize() + ".")
        if n % 11 == 0:
            paragraphs.append("\n".join(f"- {rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(3)))
        source = "\n\n".join(paragraphs)
        found.append((source, render_markdown(source)))
    return found


def _section_keys() -> list[str]:
    """The model's keys: three dimensions with five levels of three indicators each, the
    Innovation factor and its three aspects, and an introduction."""
    found = ["introduccion"]
    for dimension in "TPR":
        found.append(dimension)
        for level in range(1, 6):
            found.append(f"{dimension}.{level}")
            found.extend(f"{dimension}.{level}.{letter}" for letter in "abc")
    found += ["I", "I.1", "I.2", "I.3"]
    return found


def _tables():
    from accounts.models import Consent, RoleAssignment, User
    from consultations.coding.models import Coding, Theme, ThemeSection
    from consultations.rounds.models import Comment, CommentRound, RoundMember
    from consultations.versions.models import ConsultationModel, Section, Version
    from core.models import Contribution
    from forums.discussions.models import Forum, ForumMember, Post, Thread
    from forums.meetings.models import Meeting
    from forums.sheets.models import Attendee
    from forums.workshops.boards.models import Board, BoardColumn, Card
    from forums.workshops.models import Workshop, WorkshopInvitation

    models = [
        User,
        Consent,
        RoleAssignment,
        Forum,
        ForumMember,
        Thread,
        Meeting,
        Workshop,
        WorkshopInvitation,
        Board,
        BoardColumn,
        Attendee,
        ConsultationModel,
        Version,
        Section,
        CommentRound,
        RoundMember,
        Theme,
        ThemeSection,
        Contribution,
        Post,
        Card,
        Comment,
        Coding,
    ]
    return [model.__table__ for model in models]


def _setup(shape: Shape):
    """The places, organisations, the process and the sign-in accounts (through the
    ordinary services, a handful of rows). Returns (process, municipality ids,
    organisation ids by acronym, login users)."""
    from accounts import services
    from accounts.demo import MUNICIPALITIES, ORGANISATIONS, PHASES
    from accounts.models import Municipality, Organisation, Phase, Process
    from core.extensions import db
    from core.roles import Role

    if db.session.scalar(select(Process.id).where(Process.title == shape.process_title)) is not None:
        raise ValueError(f"A process called “{shape.process_title}” exists already: use another database or title.")
    places = []
    for name, region in MUNICIPALITIES:
        place = db.session.scalar(select(Municipality).where(Municipality.name == name))
        if place is None:
            place = Municipality(name=name, region=region, in_commission=True)
            db.session.add(place)
        places.append(place)
    organisations = {}
    for name, acronym, kind in ORGANISATIONS:
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = Organisation(name=name, acronym=acronym, kind=kind.value)
            db.session.add(organisation)
        organisations[acronym or name] = organisation
    db.session.flush()
    process = Process(
        title=shape.process_title,
        description="Un proceso generado para medir el rendimiento (flask bench seed).",
        starts_on=START.date(),
        ends_on=END.date(),
        coordinator_id=organisations["CPLT"].id,
    )
    process.phases.extend(Phase(name=n, starts_on=s, ends_on=e) for n, s, e in PHASES)
    db.session.add(process)
    logins = []
    admin = None
    for role, email, name, password in reversed(LOGINS):
        user = services.find_by_email(email)
        if user is None:
            user = services.register_user(email, name, password)
        if not user.has_role(Role(role)):
            organisation_id = organisations["CPLT"].id if role == Role.FACILITATOR.value else None
            services.grant_role(admin or user, user, Role(role), organisation_id=organisation_id)
        admin = admin or user
        logins.append(user)
    db.session.flush()
    return process, [p.id for p in places], {k: o.id for k, o in organisations.items()}, logins


def seed(shape: Shape, progress: Callable[[str], None] = print) -> Report:
    """Fill the database with one process of ``shape``'s size; commits. Raises
    :class:`ValueError` if a process with its title exists already."""
    from core.extensions import db

    started = time.perf_counter()
    sqlite = db.engine.dialect.name == "sqlite"
    connection = db.session.connection()
    triggers = []
    if sqlite:
        # Outside any transaction yet: foreign keys off and no fsync for the load only.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contributions'"
        ).all()
    process, municipalities, organisations, logins = _setup(shape)
    connection = db.session.connection()
    for name, _sql in triggers:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    writer = Writer(connection, _tables(), shape.batch, progress)
    progress(f"Seeding “{shape.process_title}”: {shape.contributions:,} contributions, {shape.participants:,} people")
    World(shape, writer, process.id, municipalities, organisations, logins).build()
    writer.flush()
    if triggers:
        progress(f"  rebuilding the full-text index  {time.perf_counter() - started:7.1f} s")
        for _name, sql in triggers:
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql("INSERT INTO contributions_fts(contributions_fts) VALUES ('rebuild')")
    if not sqlite:
        for table in writer.order:
            if "id" in table.c:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
    # Rows went in through the connection: summaries remembered before are stale, and
    # the tally ledger is filled from the live tables (as a migration's first read would).
    from consultations.tallies import cache, ledger

    cache.changed()
    progress(f"  filling the tally ledger  {time.perf_counter() - started:7.1f} s")
    ledger.rebuild()
    db.session.commit()
    if sqlite:
        connection = db.session.connection()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.exec_driver_sql("ANALYZE")
        db.session.commit()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    seconds = time.perf_counter() - started
    progress(f"Done in {seconds:.1f} s: process {process.id}")
    return Report(process.id, {k: v for k, v in writer.counts.items() if v}, seconds)


class World:
    """Draws the process's spaces, people and contributions and hands rows to the writer."""

    def __init__(self, shape: Shape, writer: Writer, process_id: int, municipalities, organisations, logins):
        self.shape = shape
        self.w = writer
        self.process_id = process_id
        self.municipalities = municipalities
        self.organisations = organisations
        self.facilitators = [u.id for u in logins]
        self.rng = random.Random(shape.seed)
        self.pick = Pick(self.rng)
        self.bodies = _bodies(self.rng, 4000)
        n = shape.contributions
        self.n_posts = int(n * shape.posts)
        self.n_remarks = int(n * shape.remarks)
        self.n_cards = int(n * shape.cards)
        self.n_comments = n - self.n_posts - self.n_remarks - self.n_cards
        self.n_walk_ins = int(shape.participants * shape.walk_ins)
        self.n_accounts = max(shape.participants - self.n_walk_ins, 20)
        self.keys = _section_keys()

    # People -----------------------------------------------------------------------

    def people(self) -> None:
        """Accounts (one password hash for all: they never sign in), their consent,
        and roles: officials verified during the first half of the process, experts."""
        from flask import current_app
        from werkzeug.security import generate_password_hash

        from accounts.services import PRIVACY_NOTICE
        from core.roles import Role

        rng, w = self.rng, self.w
        password = generate_password_hash(secrets.token_hex(8), method="pbkdf2:sha256:1000")
        notice = current_app.config["PRIVACY_NOTICE_VERSION"]
        self.by_place = {m: [] for m in self.municipalities}
        self.officials = {m: [] for m in self.municipalities}
        self.granted: dict[int, datetime] = {}
        self.experts: list[int] = []
        self.place_of: dict[int, int] = {}
        n_officials = int(self.n_accounts * self.shape.officials)
        n_experts = max(int(self.n_accounts * self.shape.experts), 5)
        admin = self.facilitators[-1]
        for n in range(self.n_accounts):
            user_id = w.new_id("users")
            place = self.municipalities[min(int(rng.random() ** 1.3 * 7), 6)]
            created = self.pick.time(START - timedelta(days=30), START + timedelta(days=300))
            w.add(
                "users",
                {
                    "id": user_id,
                    "email": f"persona{user_id}@bench.cocrea.cl",
                    "display_name": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)} {user_id}",
                    "password_hash": password,
                    "municipality_id": place,
                    "auth_token": secrets.token_hex(16),
                    "created_at": created,
                    "blocked_reason": "",
                },
            )
            w.add(
                "consents",
                {
                    "id": w.new_id("consents"),
                    "user_id": user_id,
                    "document": PRIVACY_NOTICE,
                    "version": notice,
                    "given_at": created,
                },
            )
            self.by_place[place].append(user_id)
            self.place_of[user_id] = place
            role = None
            if n < n_officials:
                role, granted = Role.STAFF, self.pick.time(datetime(2016, 6, 1), datetime(2017, 2, 28))
                self.officials[place].append(user_id)
            elif n < n_officials + n_experts:
                role, granted = Role.EXPERT, self.pick.time(datetime(2016, 6, 1), datetime(2016, 8, 31))
                self.experts.append(user_id)
            if role is not None:
                self.granted[user_id] = granted
                w.add(
                    "role_assignments",
                    {
                        "id": w.new_id("role_assignments"),
                        "user_id": user_id,
                        "role": role.value,
                        "municipality_id": place if role == Role.STAFF else None,
                        "organisation_id": None,
                        "granted_by_id": admin,
                        "granted_at": granted,
                    },
                )
        self.everyone = [u for pool in self.by_place.values() for u in pool]
        for pool in [*self.by_place.values(), *self.officials.values(), self.experts, self.everyone]:
            rng.shuffle(pool)
        for m in self.municipalities:
            if not self.officials[m]:
                self.officials[m] = self.by_place[m][:1] or self.everyone[:1]

    # Contributions ---------------------------------------------------------------

    def contribution(
        self, *, kind, space_id, at, author=None, attendee=None, municipality=None, channel="online", section=None
    ) -> int:
        source, html = self.bodies[int(self.rng.random() * len(self.bodies))]
        cid = self.w.new_id("contributions")
        self.w.add(
            "contributions",
            {
                "id": cid,
                "process_id": self.process_id,
                "space_kind": kind,
                "space_id": space_id,
                "section_key": section,
                "author_id": author,
                "attendee_id": attendee,
                "municipality_id": municipality,
                "channel": channel,
                "body_source": source,
                "body_html": html,
                "created_at": at,
                "hidden_reason": "",
            },
        )
        self.code(cid, at, section)
        return cid

    def code(self, contribution_id: int, at: datetime, section: str | None) -> None:
        rng = self.rng
        if rng.random() >= self.shape.coded:
            return
        pool = self.theme_pools.get((section or "")[:1]) or self.children
        first = pool[int(rng.random() ** 2 * len(pool))]
        chosen = [first]
        if rng.random() < 0.35:
            second = self.children[int(rng.random() * len(self.children))]
            if second != first:
                chosen.append(second)
        for theme in chosen:
            self.w.add(
                "codings",
                {
                    "id": self.w.new_id("codings"),
                    "contribution_id": contribution_id,
                    "theme_id": theme,
                    "coder_id": self.facilitators[0],
                    "created_at": min(at + timedelta(days=rng.randint(1, 40)), END + timedelta(days=30)),
                },
            )

    # The codebook and the model ---------------------------------------------------

    def codebook(self) -> None:
        from core.text import render_markdown

        w, rng = self.w, self.rng
        names = {"T": "Transparencia", "P": "Participación", "R": "Rendición de cuentas", "I": "Innovación"}
        self.theme_pools: dict[str, list[int]] = {}
        self.children = []
        parents = {}
        for letter, name in names.items():
            parents[letter] = w.new_id("themes")
            w.add("themes", self._theme(parents[letter], f"{letter}-GEN", name, None, render_markdown))
        per = max((self.shape.themes - len(parents)) // len(parents), 1)
        for letter in names:
            for n in range(per):
                theme_id = w.new_id("themes")
                word = rng.choice(WORDS)
                w.add(
                    "themes",
                    self._theme(
                        theme_id,
                        f"{letter}-{n + 1:02d}",
                        f"{names[letter]}: {word} {n + 1}",
                        parents[letter],
                        render_markdown,
                    ),
                )
                key = f"{letter}.{n % 5 + 1}" if letter != "I" else f"I.{n % 3 + 1}"
                w.add("theme_sections", {"id": w.new_id("theme_sections"), "theme_id": theme_id, "section_key": key})
                self.theme_pools.setdefault(letter, []).append(theme_id)
                self.children.append(theme_id)

    def _theme(self, theme_id, code, name, parent, render):
        description = f"Aportes sobre {name.lower()}."
        return {
            "id": theme_id,
            "process_id": self.process_id,
            "code": code,
            "name": name[:120],
            "description_source": description,
            "description_html": render(description),
            "parent_id": parent,
            "created_at": START + timedelta(days=60),
            "created_by_id": self.facilitators[0],
        }

    def model(self) -> None:
        """A model with v0.1 and v0.2 (superseded) and v1.0 (published), each with every
        section, and a comment round per audience on each."""
        from consultations.versions.keys import parse
        from core.text import render_markdown

        w = self.w
        model_id = w.new_id("consultation_models")
        description = "El modelo que el proceso escribe, versión tras versión."
        w.add(
            "consultation_models",
            {
                "id": model_id,
                "process_id": self.process_id,
                "title": "Modelo de Gobierno Abierto Municipal",
                "description_source": description,
                "description_html": render_markdown(description),
                "created_at": START,
            },
        )
        self.rounds = []
        based_on = None
        plan = [
            ("v0.1", "Borrador inicial", datetime(2016, 12, 1), "superseded"),
            ("v0.2", "Versión preliminar", datetime(2017, 6, 1), "superseded"),
            ("v1.0", "Versión final", datetime(2018, 3, 1), "published"),
        ]
        texts = self.bodies[:200]
        for label, title, published, status in plan:
            version_id = w.new_id("model_versions")
            w.add(
                "model_versions",
                {
                    "id": version_id,
                    "model_id": model_id,
                    "label": label,
                    "title": title,
                    "summary_source": "",
                    "summary_html": "",
                    "status": status,
                    "published_at": published,
                    "based_on_id": based_on,
                    "created_at": published - timedelta(days=30),
                    "created_by_id": self.facilitators[0],
                },
            )
            based_on = version_id
            for position, key in enumerate(self.keys):
                source, html = texts[(position * 7 + version_id) % len(texts)]
                w.add(
                    "model_sections",
                    {
                        "id": w.new_id("model_sections"),
                        "version_id": version_id,
                        "key": key,
                        "kind": parse(key).kind.value,
                        "title": f"Sección {key}",
                        "body_source": source,
                        "body_html": html,
                        "position": position,
                    },
                )
            for number, audience in enumerate(("committee", "experts", "staff", "public")):
                round_id = w.new_id("comment_rounds")
                opens = published + timedelta(days=3 + number)
                closes = opens + timedelta(days=45)
                question = f"¿Qué cambiaría de la {label}?"
                w.add(
                    "comment_rounds",
                    {
                        "id": round_id,
                        "version_id": version_id,
                        "audience": audience,
                        "title": f"Ronda {label}: {audience}",
                        "question_source": question,
                        "question_html": render_markdown(question),
                        "opens_at": opens,
                        "closes_at": closes,
                        "created_at": opens - timedelta(days=7),
                        "created_by_id": self.facilitators[0],
                    },
                )
                self.rounds.append((round_id, audience, opens, closes))

    # Forums, threads and posts ---------------------------------------------------

    def forums(self) -> None:
        from core.text import render_markdown

        w = self.w
        self.citizen_forums, self.staff_forums = {}, {}
        description = "Un espacio para conversar sobre el modelo."
        html = render_markdown(description)
        for kind, target in (("citizen", self.citizen_forums), ("staff", self.staff_forums)):
            for m in self.municipalities:
                forum_id = w.new_id("forums")
                target[m] = forum_id
                w.add("forums", self._forum(forum_id, kind, m, description, html))
        self.expert_forum = w.new_id("forums")
        w.add("forums", self._forum(self.expert_forum, "expert", None, description, html))

    def _forum(self, forum_id, kind, municipality, description, html):
        return {
            "id": forum_id,
            "process_id": self.process_id,
            "municipality_id": municipality,
            "kind": kind,
            "title": f"Foro {kind} {forum_id}",
            "description_source": description,
            "description_html": html,
            "status": "open",
            "created_at": START,
            "created_by_id": self.facilitators[0],
            "thread_count": 0,
            "member_count": 0,
        }

    def posts(self) -> None:
        """Threads of a few to a hundred posts (mean ``posts_per_thread``): three quarters
        in citizen forums, a fifth in staff forums (officials, after their verification),
        the rest in the expert forum; and the long thread, if asked for."""
        rng, w = self.rng, self.w
        members: dict[int, set] = {}
        left = self.n_posts
        if self.shape.long_thread and left >= self.shape.long_thread:
            forum = self.citizen_forums[self.municipalities[0]]
            authors = self.by_place[self.municipalities[0]][: self.shape.long_thread_authors] or self.everyone[:50]
            self.thread(forum, self.municipalities[0], authors, self.shape.long_thread, START, members, uniform=True)
            left -= self.shape.long_thread
        mean = self.shape.posts_per_thread
        forum_counts = {}
        while left > 0:
            size = min(left, 1 + int(rng.expovariate(1 / (mean - 1))) if mean > 1 else 1)
            left -= size
            r = rng.random()
            m = self.municipalities[min(int(rng.random() ** 1.3 * 7), 6)]
            if r < 0.75:
                forum, pool, earliest = self.citizen_forums[m], self.by_place[m], START
            elif r < 0.95:
                forum, pool, earliest = self.staff_forums[m], self.officials[m], datetime(2017, 3, 1)
            else:
                forum, pool, earliest, m = self.expert_forum, self.experts, START, None
            self.thread(forum, m, pool, size, earliest, members)
            forum_counts[forum] = forum_counts.get(forum, 0) + 1
        for forum, people in members.items():
            for user_id in people:
                w.add(
                    "forum_members",
                    {"id": w.new_id("forum_members"), "forum_id": forum, "user_id": user_id, "joined_at": START},
                )
        self.forum_counts = (forum_counts, {f: len(p) for f, p in members.items()})

    def thread(self, forum, municipality, pool, size, earliest, members, uniform=False) -> None:
        w, rng = self.w, self.rng
        thread_id = w.new_id("threads")
        opened = self.pick.time(earliest, END - timedelta(days=20))
        last = min(opened + timedelta(days=rng.randint(1, 90)), END)
        times = sorted(self.pick.time(opened, last) for _ in range(size - 1))
        times.insert(0, opened)
        authors = [pool[n % len(pool)] if uniform else self.pick.person(pool) for n in range(size)]
        members.setdefault(forum, set()).update(authors)
        w.add(
            "threads",
            {
                "id": thread_id,
                "forum_id": forum,
                "title": " ".join(rng.choice(WORDS) for _ in range(5)).capitalize(),
                "author_id": authors[0],
                "created_at": opened,
                "last_post_at": times[-1],
                "post_count": size,
            },
        )
        for n, (at, author) in enumerate(zip(times, authors, strict=True)):
            cid = self.contribution(kind="thread", space_id=thread_id, at=at, author=author, municipality=municipality)
            w.add(
                "posts",
                {
                    "id": w.new_id("posts"),
                    "thread_id": thread_id,
                    "number": n + 1,
                    "contribution_id": cid,
                    "created_at": at,
                },
            )

    # Sessions, sign-in sheets and remarks -----------------------------------------

    def sheets(self) -> None:
        """Sessions of the citizen and staff forums (two thirds citizen), each with a
        sign-in sheet of accounts and walk-ins and about ``remarks_per_session``
        remarks; a third record a headcount above the named attendees."""
        rng, w = self.rng, self.w
        n_meetings = max(len(self.municipalities) * 2, math.ceil(self.n_remarks / self.shape.remarks_per_session))
        walk_ins_left = int(self.n_walk_ins * 0.8)
        remarks_left = self.n_remarks
        for n in range(n_meetings):
            m = self.municipalities[n % len(self.municipalities)]
            staff = n % 3 == 2
            forum = self.staff_forums[m] if staff else self.citizen_forums[m]
            pool = self.officials[m] if staff else self.by_place[m]
            starts = self.pick.time(datetime(2017, 3, 1) if staff else START, END - timedelta(days=1))
            meeting_id = w.new_id("meetings")
            accounts = {self.pick.person(pool) for _ in range(rng.randint(8, 30))}
            walk_ins = 0 if staff else min(walk_ins_left, math.ceil(walk_ins_left / max(n_meetings - n, 1)))
            walk_ins_left -= walk_ins
            named = len(accounts) + walk_ins
            w.add(
                "meetings",
                {
                    "id": meeting_id,
                    "forum_id": forum,
                    "title": f"Sesión {n + 1}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "place": "Sala del concejo",
                    "online_url": "",
                    "agenda_source": "",
                    "agenda_html": "",
                    "status": "held",
                    "headcount": named + rng.randint(1, 15) if n % 3 == 0 else None,
                    "minutes_source": "",
                    "minutes_html": "",
                    "minutes_published": False,
                    "created_at": starts - timedelta(days=14),
                    "registered_count": 0,
                },
            )
            attendees = self.sheet("meeting_id", meeting_id, starts, accounts, walk_ins, m)
            count = min(remarks_left, math.ceil(remarks_left / max(n_meetings - n, 1)))
            remarks_left -= count
            for _ in range(count):
                at = starts + timedelta(minutes=rng.randint(5, 115))
                if rng.random() < 0.05:
                    who = (None, None)
                else:
                    who = attendees[int(rng.random() * len(attendees))]
                self.contribution(
                    kind="meeting",
                    space_id=meeting_id,
                    at=at,
                    author=who[1],
                    attendee=who[0],
                    municipality=m,
                    channel="in_person",
                )
        self.walk_ins_left = walk_ins_left + (self.n_walk_ins - int(self.n_walk_ins * 0.8))

    def sheet(self, key, gathering_id, at, accounts, walk_ins, municipality) -> list[tuple[int, int | None]]:
        """Sign-in sheet rows; returns [(attendee id, account id or None)]."""
        w, rng = self.w, self.rng
        found = []
        for user_id in accounts:
            attendee_id = w.new_id("attendees")
            w.add(
                "attendees",
                self._attendee(
                    attendee_id,
                    key,
                    gathering_id,
                    at,
                    user_id,
                    self._profile(user_id, at),
                    self.place_of.get(user_id),
                    "",
                ),
            )
            found.append((attendee_id, user_id))
        for _ in range(walk_ins):
            attendee_id = w.new_id("attendees")
            r = rng.random()
            profile = "citizen" if r < 0.8 else "cso" if r < 0.9 else "official" if r < 0.97 else "expert"
            name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}" if rng.random() < 0.6 else ""
            place = municipality or self.municipalities[int(rng.random() * len(self.municipalities))]
            w.add("attendees", self._attendee(attendee_id, key, gathering_id, at, None, profile, place, name))
            found.append((attendee_id, None))
        return found

    def _attendee(self, attendee_id, key, gathering_id, at, user_id, profile, place, name):
        return {
            "id": attendee_id,
            "meeting_id": gathering_id if key == "meeting_id" else None,
            "workshop_id": gathering_id if key == "workshop_id" else None,
            "user_id": user_id,
            "name": name,
            "profile": profile,
            "municipality_id": place,
            "consent": bool(name) or user_id is not None and self.rng.random() < 0.7,
            "checked_in_at": at,
            "added_by_id": self.facilitators[0],
        }

    def _profile(self, user_id: int, at: datetime) -> str:
        """What the sheet records for an account: its roles at the time."""
        granted = self.granted.get(user_id)
        if granted is None or granted > at:
            return "citizen"
        return "expert" if user_id in self.expert_set else "official"

    # Workshops, boards and cards ---------------------------------------------------

    def workshops(self) -> None:
        """Co-design and expert workshops (alternately) of ``boards_per_workshop`` boards
        of ``board_cards`` cards; each workshop invites people and signs them in with
        some walk-ins; cards are written down for attendees (in person) or by invited
        accounts (online)."""
        rng, w = self.rng, self.w
        n_boards = max(math.ceil(self.n_cards / self.shape.board_cards), 1)
        n_workshops = max(6, math.ceil(n_boards / self.shape.boards_per_workshop))
        cards_left = self.n_cards
        walk_ins_left = self.walk_ins_left
        columns = [
            ("Transparencia", "T"),
            ("Participación y colaboración", "P"),
            ("Rendición de cuentas", "R"),
            ("Innovación", "I"),
            ("Otros", None),
        ]
        board_number = 0
        for n in range(n_workshops):
            kind = "codesign" if n % 2 == 0 else "expert"
            starts = self.pick.time(START + timedelta(days=30), END - timedelta(days=5))
            workshop_id = w.new_id("workshops")
            w.add(
                "workshops",
                {
                    "id": workshop_id,
                    "process_id": self.process_id,
                    "kind": kind,
                    "title": f"Taller {n + 1}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=4),
                    "place": "Santiago",
                    "description_source": "",
                    "description_html": "",
                    "status": "held",
                    "headcount": None,
                    "created_at": starts - timedelta(days=20),
                    "created_by_id": self.facilitators[0],
                },
            )
            pool = self.experts if kind == "expert" else self.everyone
            invited = list({self.pick.person(pool) for _ in range(rng.randint(20, 40))})
            for user_id in invited:
                w.add(
                    "workshop_invitations",
                    {
                        "id": w.new_id("workshop_invitations"),
                        "workshop_id": workshop_id,
                        "user_id": user_id,
                        "role": "participant",
                        "invited_at": starts - timedelta(days=10),
                        "invited_by_id": self.facilitators[0],
                    },
                )
            walk_ins = min(walk_ins_left, math.ceil(walk_ins_left / max(n_workshops - n, 1)))
            walk_ins_left -= walk_ins
            attendees = self.sheet(
                "workshop_id", workshop_id, starts, invited[: int(len(invited) * 0.8)], walk_ins, None
            )
            places = {a: self.place_of.get(u) for a, u in attendees}
            for _ in range(self.shape.boards_per_workshop):
                if cards_left <= 0 and board_number > 0:
                    break
                board_id = w.new_id("boards")
                board_number += 1
                size = min(cards_left, self.shape.board_cards)
                cards_left -= size
                w.add(
                    "boards",
                    {
                        "id": board_id,
                        "workshop_id": workshop_id,
                        "title": f"Tablero {board_number}",
                        "status": "locked",
                        "version": size + 1,
                        "structure_version": 1,
                        "created_at": starts,
                    },
                )
                column_ids = []
                for position, (title, key) in enumerate(columns):
                    column_id = w.new_id("board_columns")
                    column_ids.append((column_id, key))
                    w.add(
                        "board_columns",
                        {
                            "id": column_id,
                            "board_id": board_id,
                            "title": title,
                            "position": position,
                            "section_key": key,
                        },
                    )
                for version in range(1, size + 1):
                    column_id, key = column_ids[int(rng.random() * len(column_ids))]
                    at = starts + timedelta(minutes=rng.randint(10, 230))
                    if rng.random() < 0.7 or not invited:
                        attendee_id, author = attendees[int(rng.random() * len(attendees))]
                        place = places.get(attendee_id) or self.municipalities[attendee_id % 7]
                        channel = "in_person"
                    else:
                        attendee_id, author = None, invited[int(rng.random() * len(invited))]
                        place, channel = self.place_of.get(author), "online"
                    cid = self.contribution(
                        kind="board",
                        space_id=board_id,
                        at=at,
                        author=author,
                        attendee=attendee_id,
                        municipality=place,
                        channel=channel,
                        section=key,
                    )
                    w.add(
                        "board_cards",
                        {
                            "id": w.new_id("board_cards"),
                            "board_id": board_id,
                            "column_id": column_id,
                            "contribution_id": cid,
                            "dots": rng.randint(0, 6),
                            "version": version,
                            "created_at": at,
                        },
                    )

    # Comment rounds ----------------------------------------------------------------

    def comments(self) -> None:
        """Comments in every round (the public rounds take most), on a section or the
        whole version; one in seven answers an earlier one; a few entered by a
        facilitator on someone's behalf (written, by letter)."""
        rng, w = self.rng, self.w
        weights = {"committee": 1, "experts": 2, "staff": 6, "public": 21}
        committee = self.experts[:40] + self.everyone[:20]
        officials = [u for pool in self.officials.values() for u in pool]
        pools = {"committee": committee, "experts": self.experts, "staff": officials, "public": self.everyone}
        total = sum(weights[a] for _, a, _, _ in self.rounds)
        left = self.n_comments
        for index, (round_id, audience, opens, closes) in enumerate(self.rounds):
            if audience == "committee":
                for user_id in committee:
                    w.add(
                        "round_members",
                        {
                            "id": w.new_id("round_members"),
                            "round_id": round_id,
                            "user_id": user_id,
                            "invited_at": opens,
                        },
                    )
            count = left if index == len(self.rounds) - 1 else int(self.n_comments * weights[audience] / total)
            left -= count
            pool = pools[audience]
            tops = []
            for _ in range(count):
                at = self.pick.time(opens, closes)
                section = self.keys[int(rng.random() * len(self.keys))] if rng.random() < 0.8 else None
                on_behalf = rng.random() < 0.03
                author = None if on_behalf else self.pick.person(pool)
                cid = self.contribution(
                    kind="round",
                    space_id=round_id,
                    at=at,
                    author=author,
                    municipality=self.place_of.get(author),
                    section=section,
                    channel="written" if on_behalf else "online",
                )
                comment_id = w.new_id("round_comments")
                parent = tops[int(rng.random() * len(tops))] if tops and rng.random() < 1 / 7 else None
                if parent is None:
                    tops.append(comment_id)
                w.add(
                    "round_comments",
                    {
                        "id": comment_id,
                        "round_id": round_id,
                        "contribution_id": cid,
                        "parent_id": parent,
                        "stance": rng.choice(("agree", "disagree", "change", None)),
                        "wording_source": "",
                        "wording_html": "",
                        "said_by": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}" if on_behalf else "",
                        "entered_by_id": self.facilitators[0] if on_behalf else None,
                    },
                )

    def build(self) -> None:
        self.people()
        self.expert_set = set(self.experts)
        self.codebook()
        self.model()
        self.forums()
        self.posts()
        self.sheets()
        self.workshops()
        self.comments()
        self.w.flush()
        self.counters()

    def counters(self) -> None:
        """Forums' thread and member counts, as the services keep them."""
        from forums.discussions.models import Forum

        threads, members = self.forum_counts
        table = Forum.__table__
        for forum_id in set(threads) | set(members):
            self.w.connection.execute(
                table.update()
                .where(table.c.id == forum_id)
                .values(thread_count=threads.get(forum_id, 0), member_count=members.get(forum_id, 0))
            )
