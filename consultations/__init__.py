"""Consultations: the model under revision, comment rounds, themes, the revision record.

One blueprint; a subpackage per feature, laid out like ``forums/`` (``models.py``,
``services.py``, ``forms.py``, ``views.py``): ``home`` today, then ``versions``,
``rounds``, ``coding``, ``revisions``, ``tallies``. This floor may read what ``forums``
produced, through the contribution record and the ``core`` registries.
"""

from flask import Blueprint

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

from consultations.home import views as _home  # noqa: E402,F401  (routes register on import)
