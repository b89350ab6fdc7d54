"""Statistics: daily counts of what citizens' messages turned out to be, and the queries of the console's
statistics page. No citizen identifier is stored here or returned, and every query aggregates in SQL (a year of
a busy Center is 300,000 messages and 50,000 bookings).

- `ConsultationDay`: how many messages of a channel on a Kyiv day were of a kind (dialogs/outcome.py);
  `ConsultationTopic`: how many on a Kyiv day were about a situation, a service or an intent. A key per day, not
  per channel and step: a year is ~10^4 rows each, not the ~10^5 a (day, channel, kind, target) rollup made.
  A unit of work adds its turn's outcome (`Consultations`); the counts are upserted before a commit, so a
  rolled-back turn counts nothing, gathered in a `CountBuffer` and written in batches (an upsert per turn cost
  ~0.4 ms of a 0.6 ms dialog step, docs/BENCHMARKS.md).
- `Stats`: read-only aggregates over a UTC range [start, end) (the console turns Kyiv days into it).
Never commits (the unit of work does).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, Table, func, literal_column, select, type_coerce
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from storage.booking import Booking
from storage.clock import Clock
from storage.handoff import Ticket
from storage.models import Base
from storage.reminders import Reminder
from storage.surveys import VisitSurvey

KYIV = ZoneInfo("Europe/Kyiv")
MAX_KEY = 120


class ConsultationDay(Base):
    """Messages of a channel on a Kyiv day by what they turned out to be."""

    __tablename__ = "consultation_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # Kyiv day
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # dialogs.outcome.Kind
    count: Mapped[int] = mapped_column(Integer, default=0)


class ConsultationTopic(Base):
    """Messages on a Kyiv day about one situation, service or intent (all channels together)."""

    __tablename__ = "consultation_topics"

    # In this order, so a range's GROUP BY kind, key walks the primary key without sorting.
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # TOPICS
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)  # a situation, service or intent id
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


_DAYS = cast(Table, ConsultationDay.__table__)
_TOPICS = cast(Table, ConsultationTopic.__table__)
SITUATION, SERVICE, INTENT = "situation", "service", "intent"
TOPICS = (SITUATION, SERVICE, INTENT)


def topic(kind: str, target: str) -> tuple[str, str] | None:
    """What an outcome (dialogs/outcome.py) was about, if a situation, a service or an intent: a card or a facet
    of a service, a follow-up about the one in focus ("<facet>:service:<id>"), a situation, an intent."""
    if kind == "card" or kind == "situation" or kind == "intent":
        return (SERVICE if kind == "card" else kind, target) if target else None
    if kind == "facet" and ":" in target:
        return SERVICE, target.split(":", 1)[1]
    if kind == "follow-up":
        parts = target.split(":", 2)
        if len(parts) == 3 and parts[1] in (SERVICE, SITUATION) and parts[2]:
            return parts[1], parts[2]
    return None


def _upsert(insert: Any, table: Table) -> Any:
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[c for c in table.primary_key.columns],
        set_={"count": table.c["count"] + statement.excluded["count"]},
    )


# Built once (constructing a statement costs more than running it on SQLite); executed with many rows.
_UPSERT = {
    (dialect, table.name): _upsert(insert, table)
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
    for table in (_DAYS, _TOPICS)
}
Key = tuple[dt.date, str, str, str]  # (day, channel, kind, key)


class CountBuffer:
    """Counts of committed turns not written yet, where units of work run one at a time (SQLite, like the message
    log's `LogBuffer`): a unit of work writes them with its own once BATCH turns or MAX_AGE seconds have gathered;
    the log writer's periodic job and shutdown write the rest (`UnitOfWorkFactory.write_log`). A crash loses at
    most that many seconds' counts, never anything a citizen sees."""

    BATCH = 256
    MAX_AGE = 10.0  # seconds

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: Counter[Key] = Counter()
        self._turns = 0
        self._since = 0.0

    def __len__(self) -> int:
        return len(self._counts)

    def due(self) -> bool:
        return self._turns >= self.BATCH or (bool(self._counts) and self._clock() - self._since >= self.MAX_AGE)

    def merge(self, counts: Counter[Key]) -> None:
        if counts and not self._counts:
            self._since = self._clock()
        self._counts.update(counts)
        self._turns += sum(counts.values())

    def take(self) -> Counter[Key]:
        counts, self._counts, self._turns = self._counts, Counter(), 0
        return counts


class Consultations:
    """The turn's outcome counted for statistics (no citizen id): written before the commit (`flush`), with a
    buffer only when it is due."""

    def __init__(self, session: AsyncSession, clock: Clock, buffer: CountBuffer | None = None) -> None:
        self._s = session
        self._clock = clock
        self._buffer = buffer
        self._pending: Counter[Key] = Counter()
        self._taken: Counter[Key] = Counter()  # buffered counts written in this transaction, not yet committed

    def add(self, channel: str, kind: str, key: str) -> None:
        day = self._clock().astimezone(KYIV).date()
        pending, counted = self._pending, (day, channel[:16], kind[:12], key[:MAX_KEY])
        pending[counted] = pending.get(counted, 0) + 1  # as `+= 1`, without Counter's __missing__ call

    async def flush(self, *, everything: bool = False) -> None:
        if self._buffer is not None and not (everything or self._buffer.due()):
            return
        taken = self._buffer.take() if self._buffer is not None else Counter()
        self._taken.update(taken)
        rows = taken + self._pending
        self._pending = Counter()
        if not rows:
            return
        dialect = self._s.get_bind().dialect.name
        days: Counter[tuple[dt.date, str, str]] = Counter()
        topics: Counter[tuple[dt.date, str, str]] = Counter()
        for (day, channel, kind, key), n in rows.items():
            days[(day, channel, kind)] += n
            if (about := topic(kind, key)) is not None:
                topics[(day, *about)] += n
        await self._s.execute(_UPSERT[(dialect, _DAYS.name)],
                              [{"day": d, "channel": c, "kind": k, "count": n} for (d, c, k), n in days.items()])
        if topics:
            await self._s.execute(_UPSERT[(dialect, _TOPICS.name)],
                                  [{"day": d, "kind": k, "key": key[:MAX_KEY], "count": n}
                                   for (d, k, key), n in topics.items()])  # fmt: skip

    def committed(self) -> None:
        if self._taken:
            self._taken = Counter()
        if self._pending:  # a turn that counted nothing changes nothing in the buffer
            if self._buffer is not None:
                self._buffer.merge(self._pending)  # copied into the buffer's own counts
            self._pending.clear()

    def rolled_back(self) -> None:
        if self._buffer is not None and self._taken:
            self._buffer.merge(self._taken)
        self._taken, self._pending = Counter(), Counter()


LONG_RANGE = dt.timedelta(days=62)
STEP = 6  # seconds: the resolution of a ticket's wait and talk (a tenth of a minute)


def _seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """later − earlier in seconds, in SQL (SQLite keeps datetimes as text; PostgreSQL as timestamptz)."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    # julianday is a float of days: 300 s comes back as 299.99999…; milliseconds are precise enough.
    return func.round((func.julianday(later) - func.julianday(earlier)) * literal_column("86400.0"), 3)


class Stats:
    """Aggregates for the statistics page; `start`/`end` are aware UTC instants, `first`/`last` Kyiv days."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    @property
    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    def _scanned(self, column: Any, name: str, start: dt.datetime, end: dt.datetime) -> Any:
        """The time column a range is filtered on; on SQLite over a long range `+column`, so the planner
        walks the covering index in GROUP BY order instead of seeking by time and sorting the rows."""
        if self._dialect == "sqlite" and end - start > LONG_RANGE:
            return type_coerce(literal_column(f"+{name}"), column.type)
        return column

    async def consultations_by_day(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str, int]]:
        """(day, channel, messages) for each day and channel that had any."""
        c = ConsultationDay
        rows = await self._s.execute(
            select(c.day, c.channel, func.sum(c.count))
            .where(c.day >= first, c.day <= last)
            .group_by(c.day, c.channel)
            .order_by(c.day, c.channel)
        )
        return [(day, channel, int(n)) for day, channel, n in rows.all()]

    async def consultations_by_kind(self, first: dt.date, last: dt.date) -> list[tuple[str, int]]:
        """(kind, messages) over the range, all channels together."""
        c = ConsultationDay
        rows = await self._s.execute(
            select(c.kind, func.sum(c.count)).where(c.day >= first, c.day <= last).group_by(c.kind)
        )
        return [(kind, int(n)) for kind, n in rows.all()]

    async def topics(self, first: dt.date, last: dt.date) -> list[tuple[str, str, int]]:
        """(situation | service | intent, id, messages) over the range."""
        c = ConsultationTopic
        rows = await self._s.execute(
            select(c.kind, c.key, func.sum(c.count)).where(c.day >= first, c.day <= last).group_by(c.kind, c.key)
        )
        return [(kind, key, int(n)) for kind, key, n in rows.all()]

    async def bookings(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, str, bool, int]]:
        """(kind, office, status, priority, count) of bookings whose time falls in the range; home-visit
        requests, which have no time, by when they were made. Long ranges are counted from the covering index
        ix_bookings_stats in its order: on SQLite `+start` keeps the planner from seeking ix_bookings_start
        and sorting tens of thousands of rows for the GROUP BY."""
        b = Booking
        columns = (b.kind, b.office, b.status, b.priority)
        when = self._scanned(b.start, "bookings.start", start, end)
        timed = select(*columns, func.count()).where(when >= start, when < end).group_by(*columns)
        untimed = (
            select(*columns, func.count())
            .where(b.start.is_(None), b.created_at >= start, b.created_at < end)
            .group_by(*columns)
        )
        found = [*(await self._s.execute(timed)).all(), *(await self._s.execute(untimed)).all()]
        return [(kind, office, status, bool(priority), int(n)) for kind, office, status, priority, n in found]

    async def durations(self, start: dt.datetime, end: dt.datetime, what: str) -> list[tuple[int, int, float]]:
        """The wait (created → taken, `what`="wait") or the talk (taken → closed) of tickets created in the range,
        as a histogram of STEP-second buckets: (bucket, tickets, their seconds summed). Medians and shares come
        from it (dialogs/console/stats.py) to STEP seconds, without a ticket's row leaving the database."""
        t = Ticket
        later, earlier = (t.taken_at, t.created_at) if what == "wait" else (t.closed_at, t.taken_at)
        # Each ticket's seconds computed once (MATERIALIZED: else SQLite inlines the expression three times).
        timed = (
            select(_seconds(later, earlier, self._dialect).label("s"))
            .where(t.created_at >= start, t.created_at < end, later.is_not(None), earlier.is_not(None))
            .cte("timed")
            .prefix_with("MATERIALIZED")
        )
        step: Any = literal_column(str(STEP))
        seconds = timed.c.s / step
        bucket = func.floor(seconds) if self._dialect == "postgresql" else cast_(seconds, Integer)
        rows = await self._s.execute(select(bucket, func.count(), func.sum(timed.c.s)).group_by(bucket))
        return [(max(0, int(b)), int(n), max(0.0, float(total))) for b, n, total in rows.all()]

    async def tickets(self, start: dt.datetime, end: dt.datetime) -> list[tuple[bool, bool, int | None, int]]:
        """(priority, taken by an operator, rating or None, count) of tickets created in the range."""
        t = Ticket
        taken = t.taken_at.is_not(None)
        rows = await self._s.execute(
            select(t.priority, taken, t.rating, func.count())
            .where(t.created_at >= start, t.created_at < end)
            .group_by(t.priority, taken, t.rating)
        )
        return [(bool(p), bool(k), None if r is None else int(r), int(n)) for p, k, r, n in rows.all()]

    async def visit_scores(self, first: dt.date, last: dt.date) -> list[tuple[int | None, int]]:
        """(score or None, visits) of the visits on the Kyiv days in the range whose citizen was asked."""
        v = VisitSurvey
        rows = await self._s.execute(
            select(v.score, func.count())
            .where(v.visit_day >= first, v.visit_day <= last, v.asked_at.is_not(None))
            .group_by(v.score)
        )
        return [(None if s is None else int(s), int(n)) for s, n in rows.all()]

    async def reminders(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, int]]:
        """(kind, status, count) of reminders due in the range."""
        r = Reminder
        when = self._scanned(r.due_at, "reminders.due_at", start, end)
        rows = await self._s.execute(
            select(r.kind, r.status, func.count())
            .where(when >= start, when < end)
            .group_by(r.kind, r.status)
        )
        return [(kind, status, int(n)) for kind, status, n in rows.all()]
