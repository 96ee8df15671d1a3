"""Consultations: the model under revision, comment rounds, themes, the revision record.

One blueprint; a subpackage per feature, laid out like ``forums/`` (``models.py``,
``services.py``, ``forms.py``, ``views.py``): ``home`` (the landing page), ``versions``
(models, versions, sections, import and export, diffs) and ``rounds`` (comment rounds and
their comments), ``coding`` (the codebook, the coding workbench); later ``revisions``,
``tallies``. This floor may read what ``forums``
produced, through the contribution record and the ``core`` registries.
"""

from flask import Blueprint

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

# Routes register on import; spaces and privacy register with the core's registries.
from consultations import cli as _cli  # noqa: E402,F401
from consultations import privacy as _privacy  # noqa: E402,F401
from consultations import spaces as _spaces  # noqa: E402,F401
from consultations.coding import views as _coding  # noqa: E402,F401
from consultations.exports import views as _exports  # noqa: E402,F401
from consultations.home import views as _home  # noqa: E402,F401
from consultations.reports import views as _reports  # noqa: E402,F401
from consultations.revisions import views as _revisions  # noqa: E402,F401
from consultations.rounds import views as _rounds  # noqa: E402,F401
from consultations.tallies import views as _tallies  # noqa: E402,F401
from consultations.verdicts import views as _verdicts  # noqa: E402,F401
from consultations.versions import views as _versions  # noqa: E402,F401
