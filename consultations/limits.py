"""Rate limits on what anyone may ask for that costs seconds to make."""

from flask import current_app
from flask_login import current_user

from core.extensions import limiter
from core.permissions import is_manager


def _downloads() -> str:
    return current_app.config["RATELIMIT_DOWNLOADS"]


#: Public files drawn from a whole process (the open-data ZIP, the report as a PDF): one
#: budget per address, shared by them. Facilitators and administrators are not limited.
downloads = limiter.shared_limit(_downloads, scope="downloads", exempt_when=lambda: is_manager(current_user))
