"""Statistics: the daily count of what citizens' messages turned out to be, and the queries of the console's
statistics page. No citizen identifier is stored here or returned: a count row is (Kyiv day, channel, kind, key),
and every query aggregates in SQL (a year of a busy Center is 300,000 messages and 50,000 bookings).

- `ConsultationDay`: how many messages of a channel on a Kyiv day were of a kind (dialogs/outcome.py) with a key
  (a card, a situation, an intent…). A unit of work adds its turn's outcome; the counts are upserted before the
  commit, so a rolled-back turn counts nothing; on SQLite they gather in a `CountBuffer` and are written in
  batches (a statement per turn cost ~0.1 ms of a 0.6 ms dialog step).
- `Stats`: read-only aggregates over a UTC range [start, end) (the console turns Kyiv days into it).
Never commits (the unit of work does).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, Table, case, func, select
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
    __tablename__ = "consultation_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # Kyiv day
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # dialogs.outcome.Kind
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)  # the outcome's target ("" if none)
    count: Mapped[int] = mapped_column(Integer, default=0)


_DAYS = cast(Table, ConsultationDay.__table__)


def _upsert(insert: Any) -> Any:
    statement = insert(_DAYS)
    return statement.on_conflict_do_update(
        index_elements=[_DAYS.c.day, _DAYS.c.channel, _DAYS.c.kind, _DAYS.c.key],
        set_={"count": _DAYS.c["count"] + statement.excluded["count"]},
    )


# Built once (constructing a statement costs more than running it on SQLite); executed with many rows.
_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
Key = tuple[dt.date, str, str, str]


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
        self._pending[(day, channel[:16], kind[:12], key[:MAX_KEY])] += 1

    async def flush(self, *, everything: bool = False) -> None:
        if self._buffer is not None and not (everything or self._buffer.due()):
            return
        taken = self._buffer.take() if self._buffer is not None else Counter()
        self._taken.update(taken)
        rows = taken + self._pending
        self._pending = Counter()
        if rows:
            await self._s.execute(
                _UPSERT[self._s.get_bind().dialect.name],
                [{"day": d, "channel": c, "kind": k, "key": key, "count": n} for (d, c, k, key), n in rows.items()],
            )

    def committed(self) -> None:
        self._taken = Counter()
        if self._buffer is not None:
            self._buffer.merge(self._pending)
        self._pending = Counter()

    def rolled_back(self) -> None:
        if self._buffer is not None and self._taken:
            self._buffer.merge(self._taken)
        self._taken, self._pending = Counter(), Counter()


BOUNDS = (60, 300, 900, 3600)  # seconds: a ticket's wait or handle time under 1, 5, 15, 60 minutes


@dataclass(frozen=True)
class Durations:
    count: int
    mean: float  # seconds
    median: float
    p90: float
    under: tuple[int, ...]  # how many under each of BOUNDS


def _seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """later − earlier in seconds, in SQL (SQLite keeps datetimes as text; PostgreSQL as timestamptz)."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    # julianday is a float of days: 300 s comes back as 299.99999…; milliseconds are precise enough.
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


class Stats:
    """Aggregates for the statistics page; `start`/`end` are aware UTC instants, `first`/`last` Kyiv days."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._dialect = session.get_bind().dialect.name

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

    async def consultations_by_key(self, first: dt.date, last: dt.date) -> list[tuple[str, str, int]]:
        """(kind, key, messages) over the range, all channels together."""
        c = ConsultationDay
        rows = await self._s.execute(
            select(c.kind, c.key, func.sum(c.count))
            .where(c.day >= first, c.day <= last)
            .group_by(c.kind, c.key)
        )
        return [(kind, key, int(n)) for kind, key, n in rows.all()]

    async def bookings(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, str, bool, int]]:
        """(kind, office, status, priority, count) of bookings whose time falls in the range; home-visit
        requests (no time) by when they were made."""
        b = Booking
        when = func.coalesce(b.start, b.created_at)
        rows = await self._s.execute(
            select(b.kind, b.office, b.status, b.priority, func.count())
            .where(when >= start, when < end)
            .group_by(b.kind, b.office, b.status, b.priority)
        )
        return [(kind, office, status, bool(priority), int(n)) for kind, office, status, priority, n in rows.all()]

    async def durations(self, start: dt.datetime, end: dt.datetime, what: str) -> Durations:
        """For tickets created in the range: "wait" (created → taken) or "handle" (taken → closed) in seconds,
        summarized in SQL: how many, the mean, the median and the 90th percentile (nearest rank), and how many
        fall under each of `BOUNDS`."""
        t = Ticket
        later, earlier = (t.taken_at, t.created_at) if what == "wait" else (t.closed_at, t.taken_at)
        seconds = _seconds(later, earlier, self._dialect)
        where = (t.created_at >= start, t.created_at < end, later.is_not(None), earlier.is_not(None))
        under = [func.coalesce(func.sum(case((seconds < bound, 1), else_=0)), 0) for bound in BOUNDS]
        row = (await self._s.execute(select(func.count(), func.avg(seconds), *under).where(*where))).one()
        n = int(row[0])
        if n == 0:
            return Durations(0, 0.0, 0.0, 0.0, tuple(0 for _ in BOUNDS))

        async def rank(share: float) -> float:
            offset = max(0, math.ceil(share * n) - 1)
            found = await self._s.scalar(select(seconds).where(*where).order_by(seconds).offset(offset).limit(1))
            return max(0.0, float(found or 0.0))

        return Durations(n, max(0.0, float(row[1])), await rank(0.5), await rank(0.9),
                         tuple(int(x) for x in row[2:]))  # fmt: skip

    async def tickets(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int, int]:
        """(tickets created in the range, of them taken by an operator, of them priority)."""
        t = Ticket
        row = (
            await self._s.execute(
                select(
                    func.count(),
                    func.count(t.taken_at),
                    func.coalesce(func.sum(case((t.priority.is_(True), 1), else_=0)), 0),
                ).where(t.created_at >= start, t.created_at < end)
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def ticket_ratings(self, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
        """{rating: tickets} for rated tickets created in the range."""
        t = Ticket
        rows = await self._s.execute(
            select(t.rating, func.count())
            .where(t.created_at >= start, t.created_at < end, t.rating.is_not(None))
            .group_by(t.rating)
        )
        return {int(r or 0): int(n) for r, n in rows.all()}

    async def visit_scores(self, first: dt.date, last: dt.date) -> tuple[int, dict[int, int]]:
        """(visits asked about, {score: answers}) for visits on the Kyiv days in the range."""
        v = VisitSurvey
        asked = await self._s.scalar(
            select(func.count()).where(v.visit_day >= first, v.visit_day <= last, v.asked_at.is_not(None))
        )
        rows = await self._s.execute(
            select(v.score, func.count())
            .where(v.visit_day >= first, v.visit_day <= last, v.score.is_not(None))
            .group_by(v.score)
        )
        return int(asked or 0), {int(s or 0): int(n) for s, n in rows.all()}

    async def reminders(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, int]]:
        """(kind, status, count) of reminders due in the range."""
        r = Reminder
        rows = await self._s.execute(
            select(r.kind, r.status, func.count())
            .where(r.due_at >= start, r.due_at < end)
            .group_by(r.kind, r.status)
        )
        return [(kind, status, int(n)) for kind, status, n in rows.all()]
