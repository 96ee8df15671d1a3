"""The schema comes from the migrations and matches the models; engine settings."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        from core.database import include_object

        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ (run `flask db migrate`): {diff}"


def test_schema_is_at_the_head_revision(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    with app.app_context(), db.engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        config = Config(str(app.root_path) + "/migrations/alembic.ini")
        config.set_main_option("script_location", str(app.root_path) + "/migrations")
        assert current == ScriptDirectory.from_config(config).get_current_head()


@pytest.mark.sqlite_only  # SQLite pragmas; PostgreSQL has these behaviours built in.
def test_sqlite_pragmas(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.dialect.name == "sqlite", "the SQLite pass must run on SQLite"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_pooled_connection_is_checked_only_after_sitting_idle_and_a_dead_one_replaced(app, monkeypatch):
    """core.database.ping_when_idle: no round trip for a connection just used; one that
    sat idle is checked, and if it died meanwhile (its server process ended on
    PostgreSQL, closed on SQLite) another takes its place, with no error."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from core import database

    with app.app_context():
        assert not db.engine.pool._pre_ping and db.engine.pool.dispatch.checkout, "the app's engine is set up so"
        # An engine of its own, so its pool holds only the connections made here.
        engine = create_engine(db.engine.url)
        database.ping_when_idle(engine)
        pings = []
        ping = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or ping(connection))
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            first = connection.connection.dbapi_connection
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection is first
            connection.exec_driver_sql("SELECT 1")
        assert pings == [], "just used: handed out unchecked"

        if engine.dialect.name == "postgresql":
            killer = create_engine(engine.url, poolclass=NullPool)
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.info.backend_pid})
            killer.dispose()
        else:
            first.close()
        monkeypatch.setattr(database, "PING_AFTER_IDLE", -1.0)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
            assert connection.connection.dbapi_connection is not first
        assert pings[0] is first, "checked after sitting idle, found dead, replaced"
        engine.dispose()


def test_a_forked_process_opens_its_own_connections_and_leaves_the_parents_open(app):
    """core.database.new_connections_after_fork: a process forked from one with pooled
    connections (a gunicorn worker forked from the master, gunicorn.conf.py) opens its
    own; the parent's pooled connection stays open and in its pool."""
    from sqlalchemy import create_engine

    from core import database

    with app.app_context():
        engine = create_engine(db.engine.url)
    database.new_connections_after_fork(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        first = connection.connection.dbapi_connection
    assert engine.pool.checkedin() == 1
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked process reports through the pipe
        answer = b"error"
        try:
            with engine.connect() as connection:
                own = connection.connection.dbapi_connection is not first
                works = connection.exec_driver_sql("SELECT 1").scalar() == 1
            answer = b"own" if own and works else b"shared"
        finally:
            os.write(write, answer)
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(child, 0)
    assert answer == b"own"
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is first
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()


def test_on_postgresql_reads_run_on_their_own_and_writes_in_one_transaction(app):
    """core.database.reads_outside_transactions: no BEGIN for reads; the first write, a
    SELECT … FOR UPDATE or a server-side cursor opens the transaction, which holds every
    later statement until the commit or rollback; AUTOCOMMIT asked for stays so. On
    SQLite nothing is changed."""
    from sqlalchemy import create_engine, func, select

    from accounts.models import Municipality
    from core import database

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            other = create_engine(db.engine.url)
            database.reads_outside_transactions(other)
            assert not other.pool.dispatch.checkout and not other.dispatch.before_cursor_execute
            other.dispose()
            return
        from psycopg.pq import TransactionStatus

        session = db.session
        session.execute(select(Municipality.id)).all()
        raw = session.connection().connection.dbapi_connection
        assert raw.pgconn.transaction_status == TransactionStatus.IDLE, "a read opens no transaction"

        session.add(Municipality(name="Escrita", region="RM"))
        session.flush()
        assert raw.pgconn.transaction_status == TransactionStatus.INTRANS
        session.execute(select(Municipality.id)).all()
        session.add(Municipality(name="Segunda", region="RM"))
        session.flush()
        session.rollback()
        named = select(func.count()).where(Municipality.name.in_(["Escrita", "Segunda"]))
        assert session.scalar(named) == 0, "both writes were in the transaction rolled back"

        session.execute(select(Municipality.id).with_for_update()).all()
        raw = session.connection().connection.dbapi_connection
        assert raw.pgconn.transaction_status == TransactionStatus.INTRANS, "a lock lasts to the end"
        session.rollback()

        streamed = session.execute(select(Municipality.id).execution_options(yield_per=2)).scalars().all()
        assert streamed == session.scalars(select(Municipality.id)).all()
        session.rollback()

        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM site_state"))  # refused inside a transaction


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from accounts.models import Consent

    with app.app_context():
        db.session.add(Consent(user_id=999999, document="privacy_notice", version="x"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_constraint_names_follow_the_convention(app):
    from sqlalchemy import inspect

    with app.app_context():
        inspector = inspect(db.engine)
        uniques = inspector.get_unique_constraints("municipalities")
        assert any(u["name"] == "uq_municipalities_name" for u in uniques)
        fks = inspector.get_foreign_keys("users")
        assert any(fk["name"] == "fk_users_municipality_id_municipalities" for fk in fks)


def _fresh_database_url(app, tmp_path) -> str:
    """A second, empty database on the engine under test (a new SQLite file, or a new
    database on the PostgreSQL server)."""
    from sqlalchemy import create_engine, make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    name = f"{url.database}_migrations"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_migration_0006_gives_old_contributions_their_process_and_new_kinds(app, tmp_path):
    """Rows written before 0006 (old space kinds, no process) come out with the process of
    their space, the new kind names, no dangling attendee link, and searchable text."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    other = make_app(_fresh_database_url(app, tmp_path))  # at the head revision
    with other.app_context():
        downgrade(revision="0005_workshops")
        statements = [
            "INSERT INTO processes (id, title, description, starts_on, ends_on) "
            "VALUES (7, 'Proceso', '', '2016-09-01', '2018-06-30')",
            "INSERT INTO forums (id, process_id, kind, title, description_source, description_html, status, "
            "created_at, thread_count, member_count) "
            "VALUES (3, 7, 'citizen', 'Foro', '', '', 'open', '2017-01-01', 1, 0)",
            "INSERT INTO threads (id, forum_id, title, created_at, last_post_at, post_count) "
            "VALUES (5, 3, 'Hilo', '2017-01-01', '2017-01-01', 1)",
            "INSERT INTO meetings (id, forum_id, title, starts_at, place, online_url, agenda_source, agenda_html, "
            "status, minutes_source, minutes_html, minutes_published, created_at, registered_count) "
            "VALUES (6, 3, 'Sesión', '2017-01-01', '', '', '', '', 'held', '', '', false, '2017-01-01', 0)",
            "INSERT INTO workshops (id, process_id, kind, title, starts_at, place, description_source, "
            "description_html, status, created_at) "
            "VALUES (8, 7, 'codesign', 'Taller', '2017-01-01', '', '', '', 'held', '2017-01-01')",
            "INSERT INTO boards (id, workshop_id, title, status, version, structure_version, created_at) "
            "VALUES (9, 8, 'Muro', 'open', 0, 0, '2017-01-01')",
        ]
        for kind, space, contribution_id, attendee in (
            ("forum_thread", 5, 1, "NULL"),
            ("forum_session", 6, 2, "4242"),
            ("workshop_board", 9, 3, "NULL"),
        ):
            statements.append(
                "INSERT INTO contributions (id, space_kind, space_id, attendee_id, channel, body_source, body_html, "
                "created_at, hidden_reason) "
                f"VALUES ({contribution_id}, '{kind}', {space}, {attendee}, 'online', 'transparencia activa', "
                "'<p>transparencia activa</p>', '2017-01-01', '')"
            )
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, space_kind, process_id, attendee_id FROM contributions ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [(1, "thread", 7, None), (2, "meeting", 7, None), (3, "board", 7, None)]
        from forums.discussions.services import _matching_contributions

        assert set(db.session.scalars(_matching_contributions(["transparencia"]))) == {1, 2, 3}
        db.session.remove()
        db.engine.dispose()


def test_the_web_app_does_not_load_the_migration_tools(tmp_path):
    """Alembic and Mako (about 10 MB) stay out of a web worker; ``flask db`` loads them."""
    import subprocess
    import sys

    code = (
        "import sys; from app import create_app; "
        f"app = create_app({{'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/w.sqlite3'}}); "
        "app.test_client().get('/forums/'); "
        "print(sorted(m for m in ('alembic', 'flask_migrate', 'mako') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_flask_db_commands_still_work(app):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(
        os.environ,
        FLASK_APP="app",
        COCREA_SECRET_KEY="x",
        COCREA_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([flask, "db", "current"], capture_output=True, text=True, env=env, cwd=app.root_path)
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout
