"""Flask-Migrate, bound only when something needs it.

Alembic and Mako take about 10 MB that a web worker never uses, so the application does
not import them: ``flask db ...`` loads Flask-Migrate when the command line asks for it,
and code that migrates from Python (the tests' fixtures) calls :func:`ready` first.
"""

import click
from flask import Flask, current_app, g

from core.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(_Commands())


def ready(app: Flask | None = None) -> None:
    """Bind Flask-Migrate to ``app`` (the current one by default), once."""
    app = app or current_app._get_current_object()
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, render_as_batch=True)


def _options(directory, x_arg):
    # What Flask-Migrate's own group does with its options (read by Migrate.get_config).
    g.directory = directory
    g.x_arg = x_arg


class _Commands(click.Group):
    """``flask db``: Flask-Migrate's own commands, imported on first use, under a group
    with the options of Flask-Migrate's."""

    def __init__(self):
        super().__init__(
            "db",
            help="Perform database migrations (Flask-Migrate).",
            callback=_options,
            params=[
                click.Option(
                    ["-d", "--directory"], default=None, help='Migration script directory (default is "migrations")'
                ),
                click.Option(
                    ["-x", "--x-arg"], multiple=True, help="Additional arguments consumed by custom env.py scripts"
                ),
            ],
        )

    def list_commands(self, ctx):
        from flask_migrate.cli import db as commands

        return commands.list_commands(ctx)

    def get_command(self, ctx, name):
        ready()
        from flask_migrate.cli import db as commands

        return commands.get_command(ctx, name)
