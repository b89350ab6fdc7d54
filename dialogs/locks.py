"""One conversation step at a time per citizen: two quick taps must not race on the same dialog state.

`Locks` is what the turns' pipeline holds around everything done to one citizen (dialogs/turns.py: their
messages and the workers' jobs). `KeyedLocks` is the one process's implementation; several processes share a
Redis one (bot/shared.py `RedisLocks`), which holds a `KeyedLocks` too, so one process's own waiters queue here
and only one of them at a time asks Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class Locks(Protocol):
    """One holder per key at a time; `len()` counts the keys held or waited for (nothing left behind: 0)."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...

    def __len__(self) -> int: ...


class KeyedLocks:
    """An asyncio lock per key, dropped when nobody holds or waits for it (process-local)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
