"""What every feature of the forums floor shares: its error, text limits, form hints and
how its pages load the accounts they name."""

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy.orm import lazyload

from accounts.models import User

#: The most a post, remark or description may say.
BODY_MAX = 20_000
#: The most a title may say.
TITLE_MAX = 200

BODY_HINT = _l("You can format the text: **bold**, *italics*, lists with -, links as [text](https://…).")
#: What a ``datetime-local`` field sends (with or without seconds).
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class ForumError(ValueError):
    """A forums rule was broken; the message is translated and safe to show."""


def local_time(value):
    """A stored UTC time as the naive local time a ``datetime-local`` field shows."""
    return to_user_timezone(value).replace(tzinfo=None) if value else None


def account_load(load):
    """``load``, a loader option that joins an account for what a page prints of it (the
    name, whether it is blocked or deleted), without the roles and municipality the
    account class loads by default: the roles would cost a query of their own."""
    return load.options(lazyload(User.role_assignments), lazyload(User.municipality))
