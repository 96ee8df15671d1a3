"""What became of a contribution: the verdict's vocabulary, shown on the contribution.

The consultations floor decides verdicts and publishes them in batches; the published one
is copied onto the :class:`~core.models.Contribution` (``verdict_status`` and the version
and change it went into), so that every page that prints a contribution can show its
badge without another query (the ``contribution_body`` macro).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.enums import LabelledEnum


class VerdictStatus(LabelledEnum):
    """What became of a contribution."""

    RECEIVED = "received", _l("Received")
    CONSIDERING = "considering", _l("Under consideration")
    TAKEN = "taken", _l("Taken into the model")
    NOT_TAKEN = "not_taken", _l("Not taken")
    OUT_OF_SCOPE = "out_of_scope", _l("Out of scope")


def badge(contribution) -> tuple[str, str | None] | None:
    """``(text, link)`` of the published verdict of ``contribution`` for its badge, or
    ``None`` when nothing was published beyond "received"."""
    status = contribution.verdict_status
    if not status or status == VerdictStatus.RECEIVED.value:
        return None
    if status == VerdictStatus.TAKEN.value and contribution.verdict_version_id:
        text = _(
            "Taken into %(version)s · change %(number)d",
            version=contribution.verdict_version_label,
            number=contribution.verdict_change_number or 0,
        )
        link = (
            f"/consultations/versions/{contribution.verdict_version_id}/revisions"
            f"#change-{contribution.verdict_change_number}"
        )
        return text, link
    # The reason is the author's to read in "Mis aportes"; others see the status alone.
    return str(VerdictStatus(status).label), None
