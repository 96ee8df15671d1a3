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
@click.option("--table", type=click.Choice(["contributions", "participants"]), default="contributions")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", help="The file's format.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="A file (default: a named one here)."
)
def export(process_id, table, fmt, output):
    """Write PROCESS_ID's contributions or participants to a file, people by pseudonym
    (names only through the facilitators' page, with a reason). Rows are written as they
    are read, with a progress bar."""
    import csv

    from accounts.models import Process
    from consultations.exports import services as exports
    from consultations.tallies import services as tallies
    from core.exports import safe_cell
    from core.models import Contribution

    process = db.session.get(Process, process_id)
    if process is None:
        raise click.UsageError(f"No process has the id {process_id}.")
    if table == "contributions":
        header, keys = exports.contribution_header(), exports.CONTRIBUTION_KEYS
        rows = exports.contribution_rows(process.id, names=False)
        total = db.session.scalar(select(func.count(Contribution.id)).where(Contribution.process_id == process.id))
    else:
        header, keys = exports.participant_header(), exports.PARTICIPANT_KEYS
        rows = exports.participant_rows(process.id, names=False)
        total = tallies.summary(process.id, ()).participants
    path = output or exports.filename(table, process.title, fmt)
    with (
        open(path, "w", encoding="utf-8", newline="") as handle,
        click.progressbar(rows, length=total, label=f"{table} → {path}") as bar,
    ):
        if fmt == "csv":
            handle.write("\ufeff")
            writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
            writer.writerow([safe_cell(h) for h in header])
            for row in bar:
                writer.writerow([safe_cell(cell) for cell in row])
        else:
            handle.write("[")
            for number, row in enumerate(bar):
                handle.write(
                    ("," if number else "") + "\n" + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
                )
            handle.write("\n]\n")
    click.echo(f"Wrote {total} {table} to {path}.")
