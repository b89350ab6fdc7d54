"""Unit of work: one transaction, the repositories that share it, commit on success, rollback on error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import cached_property
from types import TracebackType
from typing import Protocol

from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
)

from storage import sqlite
from storage.alerts import Alerts
from storage.audit import Audit
from storage.booking import BookingCache, Bookings
from storage.citizens import CitizenCache, DialogStates, Users
from storage.clock import Clock
from storage.codes import PhoneCodes
from storage.deliveries import Deliveries, ProcessedUpdates
from storage.desk import Desk
from storage.handoff import HoldCache, Tickets
from storage.messages import LogBuffer, MessageLogs
from storage.outbox import OutboxRepo
from storage.people import DEV_SECRET, People
from storage.phrasings import Phrasings
from storage.reminders import Reminders
from storage.sqlite import SCRUB_AFTER_COMMIT
from storage.staff import OfficeCache, Offices, Staff
from storage.stats import Consultations, CountBuffer, Stats
from storage.surveys import Surveys
from storage.transfer import Transfers
from storage.unanswered import UnansweredQuestions

log = logging.getLogger(__name__)

# The repositories a unit of work makes on first use (`UnitOfWork`'s cached properties).
_LAZY = frozenset((
    "states", "deliveries", "bookings", "outbox", "reminders", "transfers", "unanswered", "people", "audit",
    "alerts", "codes", "staff", "offices", "surveys", "phrasings", "desk", "stats",
))  # fmt: skip


class UnitOfWork:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: asyncio.Lock | None = None,
        citizens: CitizenCache | None = None,
        log_buffer: LogBuffer | None = None,
        connection: Callable[[], Awaitable[AsyncConnection]] | None = None,
        bookings: BookingCache | None = None,
        holds: HoldCache | None = None,
        *,
        clock: Clock,
        secret: bytes = DEV_SECRET,
        offices: OfficeCache | None = None,
        counts: CountBuffer | None = None,
    ) -> None:
        self.clock = clock
        self._counts = counts
        self.secret = secret  # the key of person and client hashes (storage/people.py)
        self._office_cache = offices
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._citizens = citizens
        self._booking_cache = bookings
        self._hold_cache = holds
        self._log_buffer = log_buffer
        self._connection = connection

    async def __aenter__(self) -> UnitOfWork:
        if self._gate:
            await self._gate.acquire()
        try:
            bind = await self._connection() if self._connection else None
        except BaseException:
            if self._gate:
                self._gate.release()
            raise
        self.session = self._sessionmaker(bind=bind) if bind else self._sessionmaker()
        for name in _LAZY & self.__dict__.keys():  # entered again: fresh repositories on its new session
            del self.__dict__[name]
        clock = self.clock
        # What commit and rollback always touch is made here; the rest when a turn first asks for it (below).
        self.messages = MessageLogs(self.session, clock, self._log_buffer)
        self.tickets = Tickets(self.session, self._hold_cache)
        self.users = Users(self.session, clock, self._citizens, self.messages, self.tickets)
        self.updates = ProcessedUpdates(self.session, clock)
        self.consultations = Consultations(self.session, clock, self._counts)  # for statistics, no citizen id
        self._after_commit: list[Callable[[], Awaitable[object]]] = []
        return self

    # The other repositories, made on first use in this unit of work (most turns need two or three of them).
    @cached_property
    def states(self) -> DialogStates:
        return DialogStates(self.session, self.clock)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self.session, self.clock)

    @cached_property
    def bookings(self) -> Bookings:
        return Bookings(self.session, self.clock, cache=self._booking_cache)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self.session, self.clock)

    @cached_property
    def reminders(self) -> Reminders:
        return Reminders(self.session, self.clock)

    @cached_property
    def transfers(self) -> Transfers:
        return Transfers(self.session)

    @cached_property
    def unanswered(self) -> UnansweredQuestions:
        return UnansweredQuestions(self.session, self.clock)

    @cached_property
    def people(self) -> People:
        return People(self.session, self.clock, self.secret)

    @cached_property
    def audit(self) -> Audit:
        return Audit(self.session, self.clock)

    @cached_property
    def alerts(self) -> Alerts:
        """Air-raid alerts as the bot saw them (bot/alerts.py)."""
        return Alerts(self.session, self.clock)

    @cached_property
    def codes(self) -> PhoneCodes:
        """SMS one-time codes (dialogs/verify/)."""
        return PhoneCodes(self.session, self.clock)

    @cached_property
    def staff(self) -> Staff:
        """Console users and sessions (dialogs/console/)."""
        return Staff(self.session, self.clock)

    @cached_property
    def offices(self) -> Offices:
        """The offices' status as staff set it."""
        return Offices(self.session, self.clock, self._office_cache)

    @cached_property
    def surveys(self) -> Surveys:
        """After a visit: the score and comment (dialogs/survey/)."""
        return Surveys(self.session)

    @cached_property
    def phrasings(self) -> Phrasings:
        """Attached / dismissed unanswered questions."""
        return Phrasings(self.session, self.clock)

    @cached_property
    def desk(self) -> Desk:
        """Walk-ins and request marks (the console's Today and Callbacks)."""
        return Desk(self.session, self.clock)

    @cached_property
    def stats(self) -> Stats:
        """The console's statistics (read only)."""
        return Stats(self.session)

    async def _scrub(self) -> None:
        """After a commit that erased a citizen: truncate the WAL (`storage.sqlite.truncate_wal`), on the held
        connection if there is one (still under the gate), else on one of the pool's."""
        bind = self.session.bind
        if isinstance(bind, AsyncConnection):
            await sqlite.truncate_wal(bind)
        elif isinstance(bind, AsyncEngine):
            async with bind.connect() as conn:
                await sqlite.truncate_wal(conn)

    def _rolled_back(self) -> None:
        if self._booking_cache is not None:
            self._booking_cache.clear()  # it may hold what this transaction read of its own, now undone, writes
        if self._office_cache is not None:
            self._office_cache.clear()
        if self._hold_cache is not None:
            self._hold_cache.clear()
        self.users.forget_served()  # its changes to cached objects never reached the database
        self.messages.rolled_back()
        self.consultations.rolled_back()

    def savepoint(self) -> AsyncSessionTransaction:
        """A nested transaction: what runs inside it can be undone alone (`await savepoint.rollback()`)."""
        return self.session.begin_nested()

    def after_commit(self, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action` once the transaction is committed (e.g. send the replies); never if it rolls back."""
        self._after_commit.append(action)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                try:
                    await self.updates.flush()
                    await self.messages.flush()
                    await self.consultations.flush()
                    scrub = self.session.info.pop(SCRUB_AFTER_COMMIT, False)
                    await self.session.commit()
                except BaseException:
                    self._rolled_back()
                    raise
                self.messages.committed()
                self.consultations.committed()
                if scrub:
                    await self._scrub()
            else:
                self._rolled_back()
                await self.session.rollback()
        finally:
            try:
                await self.session.close()
            finally:
                if self._gate:
                    self._gate.release()
        if exc_type is None:
            for action in self._after_commit:
                try:
                    await action()
                except Exception:  # one failed follow-up must not hide the others
                    log.exception("after-commit action failed")


class UowFactory(Protocol):
    """What workers and channels take: makes units of work, and tells the time they run at."""

    clock: Clock

    def __call__(self) -> UnitOfWork: ...


class UnitOfWorkFactory:
    """Makes a fresh unit of work per incoming message (injected, never global).

    With `serialize`, units of work of this process run one at a time. SQLite has one writer at a time
    anyway, and makes the others sleep and retry; queueing them here instead keeps throughput steady. It also
    makes a citizen cache valid (`CitizenCache`) and lets the message log be written in batches (`LogBuffer`),
    so a serialized factory keeps both: together they save most of a dialog step's statements."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        serialize: bool = False,
        clock: Clock,
        secret: bytes = DEV_SECRET,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.secret = secret  # PERSON_KEY_SECRET: the key of person and client hashes
        self.clock = clock  # the time of every unit of work it makes (storage/clock.py)
        self._gate = asyncio.Lock() if serialize else None
        self.citizens = CitizenCache() if serialize else None
        self.booking_cache = BookingCache() if serialize else None
        # Also with several processes: its TTL bounds how late another process's change is seen.
        self.office_cache = OfficeCache()
        self.hold_cache = HoldCache() if serialize else None
        self.log_buffer = LogBuffer() if serialize else None
        # Statistics' counts, written every few seconds; also with several processes, so that turns do not
        # queue for the same (day, channel, kind) row on PostgreSQL.
        self.count_buffer: CountBuffer | None = CountBuffer()
        engine = sessionmaker.kw.get("bind")
        # One unit of work at a time needs one connection: it is held, not checked out of the pool each time.
        self._engine = engine if serialize and isinstance(engine, AsyncEngine) else None
        self._held: AsyncConnection | None = None
        self._driver: sqlite.LoopConnection | None = None  # under the held connection, on SQLite
        self._data_version = -1

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessionmaker,
            self._gate,
            self.citizens,
            self.log_buffer,
            self._connection if self._engine else None,
            self.booking_cache,
            self.hold_cache,
            clock=self.clock,
            secret=self.secret,
            offices=self.office_cache,
            counts=self.count_buffer,
        )

    async def _connection(self) -> AsyncConnection:
        """The held connection (called under the gate); a new one if it was closed or broke."""
        assert self._engine is not None
        if self._held is None or self._held.closed or self._held.invalidated:
            self._held = await self._engine.connect()
            self._driver = (
                await sqlite.driver_of(self._held) if self._engine.dialect.name == "sqlite" else None
            )
        if self._driver is not None and self.citizens is not None:
            # Another connection committed (a hand edit, another tool): what is cached may be out of date.
            version = self._driver.data_version()
            if version != self._data_version:
                self.citizens.clear()
                if self.booking_cache is not None:
                    self.booking_cache.clear()
                self.office_cache.clear()
                if self.hold_cache is not None:
                    self.hold_cache.clear()
                self._data_version = version
        return self._held

    async def close(self) -> None:
        """Write what the log buffer holds and let the held connection go (before the engine is disposed).
        Units of work after this (a late send's follow-up) use the pool and write their lines at once."""
        try:
            await self.write_log()
        finally:
            self._engine, self.log_buffer, self.count_buffer = None, None, None
            if self._held is not None:
                held, self._held = self._held, None
                await held.close()

    async def write_log(self) -> None:
        """Write the message-log lines still buffered (periodically, at shutdown, in tests before reading the
        table directly)."""
        if self.log_buffer or self.count_buffer:
            async with self() as uow:
                await uow.messages.flush(everything=True)
                await uow.consultations.flush(everything=True)
