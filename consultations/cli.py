"""``flask consultations import-model FILE`` and ``flask consultations export-model ID``."""

import json

import click
from sqlalchemy import func, select

from accounts.models import Process
from consultations import bp
from consultations.versions import transfer
from consultations.versions.models import Version
from core.extensions import db


@bp.cli.command("import-model")
@click.argument("file", type=click.File("rb"))
@click.option("--process", "process_id", type=int, help="The process's id (needed when there are several).")
def import_model(file, process_id):
    """Import a model version from a JSON FILE (the format export-model writes). The whole
    file is checked first; with any problem, each is printed with its path and nothing
    changes."""
    if process_id is None:
        ids = db.session.scalars(select(Process.id).limit(2)).all()
        if len(ids) != 1:
            raise click.UsageError("There is not exactly one process: choose one with --process ID.")
        process_id = ids[0]
    elif db.session.get(Process, process_id) is None:
        raise click.UsageError(f"No process has the id {process_id}.")
    data, found = transfer.parse(file.read())
    try:
        if found:
            raise transfer.ImportRefused(found)
        version = transfer.load(data, process_id)
    except transfer.ImportRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(refused.problems)} problem(s): nothing was imported.", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Imported {version.label} ({version.status}) of “{version.model.title}” as version {version.id}.")


@bp.cli.command("export-model")
@click.argument("version_id", type=int)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="A file (default: stdout).")
def export_model(version_id, output):
    """Write version VERSION_ID as JSON (the format import-model reads)."""
    version = db.session.get(Version, version_id)
    if version is None:
        raise click.UsageError(f"No version has the id {version_id}.")
    output.write(transfer.dumps(transfer.export_version(version)))


@bp.cli.command("revision-record")
@click.argument("version_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", help="The output format.")
def revision_record(version_id, fmt):
    """Print VERSION_ID's revision record: its changes with their section keys, theme
    codes, reasons and cited contribution ids."""
    from consultations.revisions import services as revisions

    version = db.session.get(Version, version_id)
    if version is None:
        raise click.UsageError(f"No version has the id {version_id}.")
    click.echo(json.dumps(revisions.as_data(version), ensure_ascii=False, indent=2))


@bp.cli.command("summary")
@click.argument("process_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", help="The output format.")
@click.option("--by", "dimensions", multiple=True, help="Break down by group, municipality, profile, channel or month.")
@click.option("--internal", is_flag=True, help="Exact counts (otherwise counts of 1–4 people are suppressed).")
def summary(process_id, fmt, dimensions, internal):
    """Print the participation summary of PROCESS_ID: people counted once, contributions,
    spaces, overlap, headcounts, the seed's table and a breakdown."""
    from dataclasses import asdict

    from accounts.models import Process
    from consultations.tallies import services as tallies

    if db.session.get(Process, process_id) is None:
        raise click.UsageError(f"No process has the id {process_id}.")
    result = tallies.summary(process_id, tuple(dimensions) or ("group",))

    def figure(value):
        return value if internal else tallies.hide_small(value)

    participants = [[row.participants] for row in result.rows]
    shown = participants if internal else tallies.suppress(participants + [[result.participants]])[:-1]
    data = {
        "process": process_id,
        "internal": internal,
        "participants": figure(result.participants),
        "contributions": result.contributions,
        "spaces": result.spaces,
        "online_and_in_person": figure(result.overlap),
        "headcount": result.headcount,
        "named_attendees": result.named,
        "seed_table": {
            k: (figure(v) if k in ("citizens", "officials") else v)
            for k, v in asdict(tallies.seed_table(process_id)).items()
        },
        "by": list(result.dimensions),
        "rows": [
            {"key": list(row.key), "participants": cell[0], "contributions": row.contributions, "spaces": row.spaces}
            for row, cell in zip(result.rows, shown, strict=True)
        ],
    }
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@bp.cli.command("export")
@click.argument("process_id", type=int)
@click.option(
    "--table",
    type=click.Choice(["contributions", "participants", "summary", "codebook", "rounds", "changes", "open-data"]),
    default="contributions",
    help="What to export; open-data is the ZIP bundle of the tables of counts.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "ods", "json"]), default="csv", help="The format.")
@click.option("--internal", is_flag=True, help="Exact counts of people (tables of counts; not for publishing).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="A file (default: a named one here)."
)
def export(process_id, table, fmt, internal, output):
    """Write a table of PROCESS_ID to a file: people by pseudonym (names only through the
    facilitators' page, with a reason), counts of 1-4 people hidden unless --internal.
    Rows are written as they are read, with a progress bar."""
    from accounts.models import Process
    from consultations.exports import services as exports
    from consultations.tallies import services as tallies
    from core.exports import write_table
    from core.models import Contribution

    process = db.session.get(Process, process_id)
    if process is None:
        raise click.UsageError(f"No process has the id {process_id}.")
    if table == "open-data":
        path = output or exports.filename("open-data", process.title, "zip")
        with open(path, "wb") as handle:
            exports.open_data(handle, process)
        click.echo(f"Wrote the open-data bundle to {path}.")
        return
    if table in exports.PEOPLE_TABLES:
        data = exports.PEOPLE_TABLES[table](process.id, False)
    else:
        data = exports.COUNT_TABLES[table](process.id, internal)
    total = None
    if table == "contributions":
        total = db.session.scalar(select(func.count(Contribution.id)).where(Contribution.process_id == process.id))
    elif table == "participants":
        total = tallies.summary(process.id, ()).participants
    path = output or exports.filename(table, process.title, fmt)
    with open(path, "wb") as handle, click.progressbar(data.rows, length=total, label=f"{table} → {path}") as bar:
        data.rows = bar
        write_table(handle, fmt, data)
    click.echo(f"Wrote {table} to {path}.")


@bp.cli.command("rebuild-tallies")
def rebuild_tallies():
    """Refill the tally ledger (the events every summary counts) from the live tables.
    Writes through the app keep it up to date; run this after changing the database by
    other means. Summaries rebuild it by themselves when it is marked out of date."""
    from consultations.tallies import ledger

    kept = ledger.rebuild()
    db.session.commit()
    click.echo(f"Tally ledger rebuilt: {kept} events.")
