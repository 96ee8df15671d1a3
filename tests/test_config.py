"""Configuration from COCREA_ variables; no work at import; production needs a secret."""

import importlib
import sys

import pytest

from core.config import ConfigError


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("COCREA_ENV", "production")
    monkeypatch.delenv("COCREA_SECRET_KEY", raising=False)
    monkeypatch.setattr("flask.Flask.instance_path", str(tmp_path), raising=False)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_secret_is_read_from_the_instance_folder(monkeypatch, tmp_path):
    from flask import Flask

    from core.config import load_config

    (tmp_path / "secret_key").write_text("from-the-file\n")
    monkeypatch.delenv("COCREA_SECRET_KEY", raising=False)
    app = Flask("t", instance_path=str(tmp_path))
    load_config(app, None)
    assert app.config["SECRET_KEY"] == "from-the-file"


def test_environment_variables_with_prefix(monkeypatch, tmp_path):
    from flask import Flask

    from core.config import load_config

    monkeypatch.setenv("COCREA_DATABASE_URL", "postgresql+psycopg://u@/db?host=/tmp")
    monkeypatch.setenv("COCREA_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("COCREA_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("COCREA_DEFAULT_LOCALE", "en")
    app = Flask("t", instance_path=str(tmp_path))
    load_config(app, None)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@/db?host=/tmp"
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"


def test_default_database_is_sqlite_in_instance(monkeypatch, tmp_path):
    from flask import Flask

    from core.config import load_config

    monkeypatch.delenv("COCREA_DATABASE_URL", raising=False)
    app = Flask("t", instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'cocrea.sqlite3'}"


def test_importing_the_app_does_no_work(tmp_path, monkeypatch):
    """Importing app.py creates no files, no database and no secret."""
    monkeypatch.chdir(tmp_path)
    for name in [m for m in sys.modules if m == "app"]:
        del sys.modules[name]
    module = importlib.import_module("app")
    assert callable(module.create_app)
    assert list(tmp_path.iterdir()) == []


def test_production_cookie_and_transport_settings(monkeypatch, tmp_path):
    from flask import Flask

    from core.config import load_config

    monkeypatch.setenv("COCREA_ENV", "production")
    monkeypatch.setenv("COCREA_SECRET_KEY", "k" * 40)
    app = Flask("t", instance_path=str(tmp_path))
    load_config(app, None)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["LANGUAGE_COOKIE_SECURE"] is True
    assert app.config["STRICT_TRANSPORT_SECURITY"] == "max-age=31536000; includeSubDomains"


def test_development_serves_plain_http(monkeypatch, tmp_path):
    from flask import Flask

    from core.config import load_config

    monkeypatch.delenv("COCREA_ENV", raising=False)
    app = Flask("t", instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False
    assert app.config["LANGUAGE_COOKIE_SECURE"] is False
    assert app.config["STRICT_TRANSPORT_SECURITY"] is None
