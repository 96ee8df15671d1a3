"""The schema comes from the migrations and matches the models; engine settings."""

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
