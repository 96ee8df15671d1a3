"""What every consultation feature shares: the error services raise, text limits, the
platform's days as conditions on stored times, and a page of rows counted in the same
statement."""

from datetime import datetime, time, timedelta

from flask_babel import to_utc
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func, literal, select


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


class CountedPagination(SelectPagination):
    """Flask-SQLAlchemy's page of a ``select`` whose rows also bring the total (the same
    select counted in a scalar subquery), so a page and its count are one statement; the
    count runs alone only for an empty page after the first.

    Made with the ``select``, ``session``, ``page``, ``per_page`` and ``error_out`` of
    ``db.paginate``, and optionally:

    - ``count_select``: the same rows without what is only shown (outer joins, extra
      columns), counted instead of ``select``;
    - ``cap``: count no further than that many rows (or, deeper in, the end of this
      page), so a queue of a million rows is not counted on every request;
      :attr:`capped` then says :attr:`total` only means "more than :attr:`counted_to`".

    The items are the select's rows (tuples: an entity and what is shown beside it)."""

    def _count_statement(self):
        counted = self._query_args.get("count_select", self._query_args["select"])
        counted = counted.with_only_columns(literal(1), maintain_column_froms=True)
        cap = self._query_args.get("cap")
        if cap is None:
            counted = counted.order_by(None)
        else:
            #: The rows counted at most; one more says there are more.
            self.counted_to = max(cap, self._query_offset + self.per_page)
            # In the page's order, so they are read along the index that serves it and
            # the reading stops there (unordered, a planner may gather every match first).
            counted = counted.limit(self.counted_to + 1)
        return select(func.count()).select_from(counted.subquery())

    def _query_items(self) -> list:
        statement = (
            self._query_args["select"]
            .add_columns(self._count_statement().scalar_subquery())
            .limit(self.per_page)
            .offset(self._query_offset)
        )
        rows = self._query_args["session"].execute(statement).all()
        self._counted = rows[0][-1] if rows else (0 if self.page == 1 else None)
        return [tuple(row)[:-1] for row in rows]

    def _query_count(self) -> int:
        if self._counted is None:
            self._counted = self._query_args["session"].scalar(self._count_statement())
        return self._counted

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted (:attr:`total` is then one more
        than :attr:`counted_to`)."""
        return self._query_args.get("cap") is not None and self.total > self.counted_to
