"""Unit of work: one transaction, the repositories that share it, commit on success, rollback on error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import Deliveries, DialogStates, MessageLogs, ProcessedUpdates, Users

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], gate: asyncio.Lock | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate

    async def __aenter__(self) -> UnitOfWork:
        if self._gate:
            await self._gate.acquire()
        self.session = self._sessionmaker()
        self.users = Users(self.session)
        self.states = DialogStates(self.session)
        self.messages = MessageLogs(self.session)
        self.updates = ProcessedUpdates(self.session)
        self.deliveries = Deliveries(self.session)
        self._after_commit: list[Callable[[], Awaitable[object]]] = []
        return self

    def after_commit(self, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action` once the transaction is committed (e.g. send the replies); never if it rolls back."""
        self._after_commit.append(action)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.updates.flush()
                await self.messages.flush()
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
            if self._gate:
                self._gate.release()
        if exc_type is None:
            for action in self._after_commit:
                try:
                    await action()
                except Exception:  # one failed follow-up must not hide the others
                    log.exception("after-commit action failed")


class UnitOfWorkFactory:
    """Makes a fresh unit of work per incoming message (injected, never global).

    With `serialize`, units of work of this process run one at a time. SQLite has one writer at a time
    anyway, and makes the others sleep and retry; queueing them here instead keeps throughput steady."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, serialize: bool = False) -> None:
        self.sessionmaker = sessionmaker
        self._gate = asyncio.Lock() if serialize else None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessionmaker, self._gate)
