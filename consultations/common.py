"""What every consultation feature shares: the error services raise, text limits, and the
platform's days as conditions on stored times."""

from datetime import datetime, time, timedelta

from flask_babel import to_utc


class ConsultationError(Exception):
    """A rule of the consultations floor was broken; the message is translated (lazily)
    and safe to show to the person who tried."""


#: Longest section or version title, guiding question, round title.
TITLE_MAX = 200
#: Longest section body, comment or proposed wording (markdown source).
BODY_MAX = 20_000
#: Longest comment (markdown source).
COMMENT_MAX = 5_000


def between_days(column, since, until) -> list:
    """SQL conditions keeping a stored UTC time ``column`` within the platform's days
    ``since`` and ``until`` (each a date or ``None``), both included."""
    conditions = []
    if since:
        conditions.append(column >= to_utc(datetime.combine(since, time.min)))
    if until:
        conditions.append(column < to_utc(datetime.combine(until + timedelta(days=1), time.min)))
    return conditions
