"""Application factory. Importing this module does no work; ``create_app`` does."""

import gc

from flask import Flask, has_request_context, render_template
from flask_babel import format_number, get_locale
from flask_login import current_user

from core import cache, database, dates, i18n, migrations, pagecache
from core import extensions as ext
from core.config import load_config
from core.errors import register_error_handlers
from core.i18n import LANGUAGE_NAMES, select_locale, select_timezone
from core.security import set_security_headers
from core.transactions import commit_or_rollback
from core.urls import IdConverter
from core.verdicts import badge as verdict_badge
from core.visibility import seen


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application.

    ``test_config`` overrides configuration (tests pass the database URL and a secret).
    Raises :class:`core.config.ConfigError` when production runs without a secret key.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    load_config(app, test_config)

    database.configure_engine_events()
    ext.db.init_app(app)
    with app.app_context():
        for engine in ext.db.engines.values():
            database.ping_when_idle(engine)
            database.reads_outside_transactions(engine)
            database.new_connections_after_fork(engine)
    migrations.init_app(app)
    cache.init_app(app)
    ext.csrf.init_app(app)
    pagecache.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    i18n.init_app(app, ext.babel)
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)
    ext.mail.init_app(app)

    from accounts import admin_bp
    from accounts import bp as accounts_bp
    from accounts.services import configure_login
    from consultations import bp as consultations_bp
    from forums import bp as forums_bp

    configure_login(ext.login_manager)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(forums_bp)
    app.register_blueprint(consultations_bp)

    register_error_handlers(app)
    app.after_request(commit_or_rollback)
    app.after_request(set_security_headers)

    @app.context_processor
    def inject_globals():
        from core.notifications import unread_count

        # Mails are rendered outside a request too (a cron command): nobody is signed in.
        signed_in = has_request_context() and current_user.is_authenticated
        unread = unread_count(current_user.id) if signed_in else 0
        return {
            "unread_notifications": unread,
            "language_names": LANGUAGE_NAMES,
            "current_user": current_user,
            "current_locale": str(get_locale() or "es"),
        }

    app.add_template_global(seen, "seen")
    app.add_template_global(verdict_badge, "verdict_badge")
    app.add_template_filter(format_number, "format_number")
    dates.register(app)

    @app.get("/")
    def index():
        """The home page: the process at a glance (a fixed number of queries)."""
        from consultations.home.services import home

        return render_template("index.html", home=home(current_user))

    @app.get("/privacy")
    def privacy_notice():
        """The privacy notice people consent to when they register."""
        return render_template("privacy.html")

    _register_cli(app)
    # What is made so far (modules, templates' code, the app) lives as long as the worker:
    # kept out of the collector's full passes, which took 50-90 ms at a time on a busy
    # worker and made most of the pages' p99.
    gc.freeze()
    return app


def _register_cli(app: Flask) -> None:
    """``flask demo``: load the demo scenario, floor by floor; safe to run again."""
    import click
    from flask.cli import AppGroup

    @app.cli.command("demo")
    def demo_command():
        """Load (or top up) the demo: places, the process and one account per role."""
        from accounts import demo as accounts_demo
        from consultations import demo as consultations_demo
        from forums.discussions import demo as forums_demo
        from forums.workshops import demo as workshop_demo

        logins = accounts_demo.load()
        forums_demo.load()
        workshop_demo.load()
        consultations_demo.load()
        ext.db.session.commit()
        click.echo("Demo loaded. Logins (email / password):")
        for role, email, password in logins:
            click.echo(f"  {role:<12} {email:<32} {password}")

    bench = AppGroup("bench", help="Benchmark data: a large, realistic process (see bench/).")

    @bench.command("seed")
    @click.option("--contributions", default=1_000_000, show_default=True, help="Contributions to make.")
    @click.option(
        "--participants", default=100_000, show_default=True, help="People taking part (accounts and walk-ins)."
    )
    @click.option("--long-thread", default=0, show_default=True, help="Posts of one long thread (0: none).")
    @click.option("--board-cards", default=200, show_default=True, help="Cards per workshop board.")
    @click.option("--seed", "random_seed", default=2016, show_default=True, help="Seed of the random generator.")
    def bench_seed(contributions, participants, long_thread, board_cards, random_seed):
        """Fill the (migrated) database with one process of that size, in a few minutes."""
        from bench import generate

        shape = generate.Shape(
            contributions=contributions,
            participants=participants,
            long_thread=long_thread,
            board_cards=board_cards,
            seed=random_seed,
        )
        try:
            report = generate.seed(shape, progress=click.echo)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        for table, count in report.rows.items():
            click.echo(f"  {table:<24} {count:>12,}")
        click.echo(f"Process {report.process_id} seeded in {report.seconds:.0f} s.")

    app.cli.add_command(bench)

    from core.mail import cli as mail_cli

    app.cli.add_command(mail_cli)
