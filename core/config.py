"""Configuration from environment variables with the ``COCREA_`` prefix.

=========================  ==========================================================
``COCREA_ENV``             ``development`` (default) or ``production``
``COCREA_DATABASE_URL``    SQLAlchemy URL; default SQLite at ``instance/cocrea.sqlite3``
``COCREA_SECRET_KEY``      session signing key; else read from ``instance/secret_key``
``COCREA_REDIS_URL``       storage for rate limits and cached fragments; default in-memory
``COCREA_DEFAULT_LOCALE``  ``es`` (default) or ``en``
``COCREA_TIMEZONE``        default ``America/Santiago``
``COCREA_BASE_URL``        the site's address for links in mails (``https://...``);
                           default: the address a request came to
``COCREA_MAIL_SERVER``     SMTP host; unset: mails are written to ``COCREA_MAIL_DIR``
``COCREA_MAIL_PORT``       default 25 (587 with STARTTLS, 465 with SSL)
``COCREA_MAIL_USERNAME``   SMTP login, if the server asks for one
``COCREA_MAIL_PASSWORD``   its password
``COCREA_MAIL_USE_TLS``    ``true``: STARTTLS after connecting
``COCREA_MAIL_USE_SSL``    ``true``: SMTP over TLS from the start
``COCREA_MAIL_SENDER``     the From address, e.g. ``Cocrea <no-reply@example.org>``
``COCREA_MAIL_DIR``        where mails go without a server; default ``instance/mail``
=========================  ==========================================================
"""

import os
from datetime import timedelta
from pathlib import Path

PREFIX = "COCREA_"
SECRET_FILE = "secret_key"


class ConfigError(RuntimeError):
    """The configuration cannot run as given."""


def _env(name: str, default=None):
    return os.environ.get(PREFIX + name, default)


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_config(app, test_config: dict | None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``test_config``.

    Raises :class:`ConfigError` in production mode when no secret key is configured.
    """
    instance = Path(app.instance_path)
    environment = _env("ENV", "development")
    production = environment == "production"
    app.config.from_mapping(
        ENV_NAME=environment,
        SQLALCHEMY_DATABASE_URI=_env("DATABASE_URL", f"sqlite:///{instance / 'cocrea.sqlite3'}"),
        # Pooled connections are checked only after sitting idle (core.database.ping_when_idle).
        SQLALCHEMY_ENGINE_OPTIONS={},
        BABEL_DEFAULT_LOCALE=_env("DEFAULT_LOCALE", "es"),
        BABEL_DEFAULT_TIMEZONE=_env("TIMEZONE", "America/Santiago"),
        BABEL_TRANSLATION_DIRECTORIES=str(Path(app.root_path) / "translations"),
        RATELIMIT_STORAGE_URI=_env("REDIS_URL", "memory://"),
        # Rendered fragments (core.cache): shared in Redis when there is one.
        CACHE_REDIS_URL=_env("REDIS_URL"),
        RATELIMIT_HEADERS_ENABLED=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        # The interface language cookie (``lang``): HttpOnly always, Secure in production.
        LANGUAGE_COOKIE_SECURE=production,
        # Sent on every response in production only (development and tests serve http).
        STRICT_TRANSPORT_SECURITY="max-age=31536000; includeSubDomains" if production else None,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        # Changing the notice means a new version: everyone is asked to consent again.
        PRIVACY_NOTICE_VERSION="2026-12.2",
        USERS_PER_PAGE=25,
        AUDIT_PER_PAGE=50,
        THREADS_PER_PAGE=20,
        POSTS_PER_PAGE=20,
        MEMBERS_PER_PAGE=50,
        SEARCH_PER_PAGE=20,
        NOTIFICATIONS_PER_PAGE=30,
        # How often an open workshop board asks for changes, in milliseconds.
        BOARD_POLL_MS=3000,
        RATELIMIT_POST="6 per minute",
        RATELIMIT_LOGIN_ADDRESS="30 per minute",
        RATELIMIT_LOGIN_ACCOUNT="5 per minute",
        # Per address: accounts created (a room of 40 on one Wi-Fi must fit), and forms
        # sent (mistakes included), which keeps probing for registered addresses slow.
        RATELIMIT_REGISTER="60 per hour",
        RATELIMIT_REGISTER_ATTEMPTS="200 per hour",
        RATELIMIT_PASSWORD_ADDRESS="20 per minute",
        # Per address, shared by the public files made from a whole process (open-data
        # ZIP, report PDF): each takes seconds at a million contributions.
        RATELIMIT_DOWNLOADS="20 per hour",
        RATELIMIT_PASSWORD_ACCOUNT="5 per minute",
        RATELIMIT_PASSWORD_RESET_ADDRESS="10 per hour",
        RATELIMIT_PASSWORD_RESET_EMAIL="3 per hour",
        RATELIMIT_CONFIRMATION="3 per hour",
        RATELIMIT_EMAIL_CHANGE="5 per hour",
        BASE_URL=_env("BASE_URL"),
        # E-mail (core.mail): SMTP through Flask-Mail when a server is set, else .eml files.
        MAIL_SERVER=_env("MAIL_SERVER"),
        MAIL_PORT=int(_env("MAIL_PORT", "25")),
        MAIL_USERNAME=_env("MAIL_USERNAME"),
        MAIL_PASSWORD=_env("MAIL_PASSWORD"),
        MAIL_USE_TLS=_flag("MAIL_USE_TLS"),
        MAIL_USE_SSL=_flag("MAIL_USE_SSL"),
        MAIL_DEFAULT_SENDER=_env("MAIL_SENDER", "Cocrea <no-reply@localhost>"),
        # Flask-Mail suppresses sending under TESTING; core.mail decides instead.
        MAIL_SUPPRESS_SEND=False,
        MAIL_FILE_DIR=_env("MAIL_DIR", str(instance / "mail")),
        MAIL_TIMEOUT=10,
        MAIL_MAX_ATTEMPTS=8,
        MAIL_RETRY_SECONDS=60,
        MAIL_CLAIM_SECONDS=900,
        MAIL_BATCH=20,
        #: A person gets at most one summary of notifications in this many hours.
        NOTIFICATION_DIGEST_HOURS=20,
        # How long the links sent by mail work.
        PASSWORD_RESET_MAX_AGE=3600,
        EMAIL_CONFIRMATION_MAX_AGE=7 * 24 * 3600,
    )
    secret = _env("SECRET_KEY")
    if not secret and (instance / SECRET_FILE).is_file():
        secret = (instance / SECRET_FILE).read_text().strip()
    if test_config:
        app.config.update(test_config)
        secret = test_config.get("SECRET_KEY", secret)
    if not secret:
        if production:
            raise ConfigError(
                "COCREA_SECRET_KEY is not set and instance/secret_key does not exist; "
                "refusing to start in production without a secret key."
            )
        secret = os.urandom(32).hex()
        app.logger.warning("No secret key configured: sessions will not survive a restart.")
    app.config["SECRET_KEY"] = secret
    if production and not app.config.get("BASE_URL"):
        app.logger.warning("COCREA_BASE_URL is not set: links in mails use the Host of each request.")
    if production and not app.config.get("MAIL_SERVER"):
        app.logger.warning("COCREA_MAIL_SERVER is not set: mails are written to %s.", app.config["MAIL_FILE_DIR"])
