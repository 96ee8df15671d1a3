"""Downloads of a process's contributions and participants."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Process
from consultations import bp
from consultations.exports import services as exports
from core import audit
from core.exports import csv_response, json_response, xlsx_response
from core.extensions import db
from core.permissions import managers_only
from forums.moderation.forms import ReasonForm


@bp.route(
    "/processes/<int:process_id>/export/contributions.<any(csv, xlsx, json):fmt>",
    methods=["GET", "POST"],
    defaults={"table": "contributions"},
)
@bp.route(
    "/processes/<int:process_id>/export/participants.<any(csv, xlsx, json):fmt>",
    methods=["GET", "POST"],
    defaults={"table": "participants"},
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
    if table == "contributions":
        header, keys = exports.contribution_header(), exports.CONTRIBUTION_KEYS
        rows = exports.contribution_rows(process.id, names)
        name = exports.filename(_("contributions"), process.title, fmt)
    else:
        header, keys = exports.participant_header(), exports.PARTICIPANT_KEYS
        rows = exports.participant_rows(process.id, names)
        name = exports.filename(_("participants"), process.title, fmt)
    if fmt == "csv":
        return csv_response(name, header, rows)
    if fmt == "json":
        return json_response(name, keys, rows)
    return xlsx_response(name, header, rows)
