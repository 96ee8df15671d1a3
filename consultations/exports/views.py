"""Downloads of a process's participation: its tables for facilitators, in CSV, XLSX,
ODS or JSON, and the open-data bundle for anyone."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Process
from consultations import bp
from consultations.exports import services as exports
from consultations.limits import downloads
from consultations.tallies import ledger
from core import audit
from core.exports import file_response, table_response, temporary_file
from core.extensions import db
from core.permissions import managers_only
from forums.moderation.forms import ReasonForm


@bp.route(
    "/processes/<int:process_id>/export/<any(contributions, participants):table>.<any(csv, xlsx, ods, json):fmt>",
    methods=["GET", "POST"],
)
@managers_only
def export(process_id, table, fmt):
    """Contributions (one row each) or participants (each counted once), by pseudonym;
    ``POST`` with a reason, which goes to the audit log, gives names (of accounts, and of
    walk-ins who agreed to be named)."""
    process = db.get_or_404(Process, process_id)
    names = request.method == "POST"
    if names:
        form = ReasonForm()
        if not form.validate_on_submit():
            flash(_("Say why you need the names, in at most 500 characters."), "error")
            return redirect(url_for("consultations.participation", process_id=process.id), code=303)
        audit.record("export.names", actor=current_user, note=form.reason.data.strip(), process=process.id, table=table)
    data = exports.PEOPLE_TABLES[table](process.id, names)
    return _send(exports.filename(exports.file_stem(table), process.title, fmt), fmt, data, process.id)


@bp.get(
    "/processes/<int:process_id>/export/<any(summary, codebook, rounds, changes):table>.<any(csv, xlsx, ods, json):fmt>"
)
@managers_only
def export_counts(process_id, table, fmt):
    """A table of counts: people suppressed as in public figures, unless ``?internal=1``
    (then exact, and the file's name says "internal")."""
    process = db.get_or_404(Process, process_id)
    internal = request.args.get("internal") == "1"
    data = exports.COUNT_TABLES[table](process.id, internal)
    stem = exports.file_stem(table) + ("-" + _("internal") if internal else "")
    return _send(exports.filename(stem, process.title, fmt), fmt, data, process.id)


def _send(filename, fmt, data, process_id):
    """A table as a download. The rows read the database as they are iterated, so a CSV
    is sent as it is written (:func:`core.exports.streamed_csv_response`), after this
    request commits: the tally ledger they read is brought up to date first, here, so
    that what that takes is written and committed with the request."""
    if fmt == "csv":
        ledger.ready(process_id)
    return table_response(filename, fmt, data, stream=True)


@bp.get("/processes/<int:process_id>/open-data.zip")
@downloads
def open_data(process_id):
    """The open-data bundle: a ZIP with one CSV per table of counts (people suppressed),
    the data dictionary, a read-me with the method, the licence and a Frictionless Data
    ``datapackage.json``. Nobody is named or pseudonymised in it: it is for anyone."""
    process = db.get_or_404(Process, process_id)
    handle = temporary_file()
    try:
        exports.open_data(handle, process)
    except BaseException:
        handle.close()
        raise
    return file_response(handle, exports.filename(_("open-data"), process.title, "zip"), "zip")
