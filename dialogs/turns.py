"""One way through for everything done to a citizen: their messages, whatever the channel, and workers' jobs.

A turn is: hold the citizen's lock → open a unit of work → mark the delivery key (a redelivered update fails
its unique key at commit and is dropped) → the engine (flood control first, then the room or scenario) →
commit → send. Channels only translate their events into an `Incoming` and say how to send the replies;
observers (metrics) hear how long each turn took, so nothing subclasses the engine to count.

A worker (the reminders dispatcher, the outbox, the handoff sweep) hands `Pipeline.run` a job for one citizen:
the same lock, one unit of work, what the job registered with `uow.after_commit` (its sends) once it commits —
still under the lock — and the observers. So a reminder or a sweep's message never interleaves with the same
citizen's turn. The locks live here (the composition root builds one `Pipeline` and its `Turns`); the engine
has none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError

from dialogs.locks import KeyedLocks, Locks
from dialogs.messages import Incoming, Reply
from dialogs.payloads import Payload
from storage.uow import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

# Sends one turn's replies once the unit of work has committed.
SendReplies = Callable[[list[Reply]], Awaitable[object]]
T = TypeVar("T")
# A worker's job for one citizen: what it does in the unit of work `Pipeline.run` opened for it (its sends
# registered with `uow.after_commit`); its result is `run`'s.
Job = Callable[[UnitOfWork], Awaitable[T]]


class Conversation(Protocol):
    """What a turn runs inside its unit of work: the engine (dialogs/engine.py)."""

    async def handle_in(self, uow: UnitOfWork, message: Incoming) -> list[Reply]: ...

    def parse(self, raw: str) -> Payload | None:
        """The payload if `raw` is one of ours (a core or a room's prefix), else None."""
        ...


class TurnObserver(Protocol):
    def turn_taken(self, channel: str, seconds: float) -> None:
        """One message of `channel` went through (committed, refused as a redelivery, or failed) in `seconds`,
        from waiting for the citizen's lock to the commit."""
        ...

    def job_done(self, job: str, seconds: float) -> None:
        """A worker's `job` for one citizen (e.g. "reminder") went through in `seconds`, from waiting for the
        citizen's lock to the end of its sends."""
        ...


@dataclass
class Turn:
    """A turn under way: its unit of work, and whether the delivery turned out to be a redelivery."""

    uow: UnitOfWork
    channel: str
    duplicate: bool = field(default=False)
    stepped: bool = field(default=False)  # the conversation ran (not every update of a channel is a message)


class Pipeline:
    """The frame everything done to a citizen goes through: their lock, a unit of work, sends after the
    commit, observers. The workers take this; `Turns` adds the conversation for incoming messages."""

    def __init__(
        self, uows: UowFactory, *, locks: Locks | None = None, observers: Sequence[TurnObserver] = ()
    ) -> None:
        self.uows = uows
        # One step per citizen at a time; with several processes a shared implementation (bot/shared.py)
        # orders them across processes as well.
        self.locks: Locks = KeyedLocks() if locks is None else locks
        self.observers = list(observers)

    def turns(self, conversation: Conversation) -> Turns:
        """The turns of `conversation` through this pipeline: the same locks, units of work and observers."""
        return Turns(conversation, self.uows, locks=self.locks, observers=self.observers)

    async def run(self, channel: str, external_id: str, job: Job[T], *, name: str) -> T:
        """A worker's `job` for one citizen: under their lock, in one unit of work; what it registered with
        `uow.after_commit` runs once that commits (still under the lock), nothing of it if it raises. The
        observers hear `name`."""
        started = time.perf_counter()
        try:
            async with self.locks.hold(f"{channel}:{external_id}"), self.uows() as uow:
                return await job(uow)
        finally:
            seconds = time.perf_counter() - started
            for observer in self.observers:
                observer.job_done(name, seconds)

class Turns(Pipeline):
    """The pipeline every channel's messages take (see the module docstring)."""

    def __init__(
        self,
        conversation: Conversation,
        uows: UowFactory,
        *,
        locks: Locks | None = None,
        observers: Sequence[TurnObserver] = (),
    ) -> None:
        super().__init__(uows, locks=locks, observers=observers)
        self.conversation = conversation

    def citizen(self, channel: str, external_id: str) -> AbstractAsyncContextManager[None]:
        """Hold one citizen's lock: their steps, and reads of their conversation (history, live lines)."""
        return self.locks.hold(f"{channel}:{external_id}")

    @asynccontextmanager
    async def open(self, channel: str, lock_key: str, key: str | None = None) -> AsyncIterator[Turn]:
        """A turn's frame for a channel whose handlers run inside it (Telegram's middleware): lock, unit of
        work, delivery key. A redelivered key rolls the whole turn back at commit: `duplicate` is then set and
        nothing registered with `uow.after_commit` runs."""
        started = time.perf_counter()
        turn: Turn | None = None
        try:
            async with self.locks.hold(f"{channel}:{lock_key}"), self.uows() as uow:
                turn = Turn(uow, channel)
                if key is not None:
                    uow.updates.mark(channel, key)
                yield turn
        except IntegrityError:
            if turn is None or key is None:
                raise
            turn.duplicate = True
            log.info("%s delivery %s was handled before; this copy is dropped", channel, key)
        finally:
            if turn is not None and turn.stepped:
                seconds = time.perf_counter() - started
                for observer in self.observers:
                    observer.turn_taken(channel, seconds)

    async def take(
        self, message: Incoming, *, key: str | None = None, send: SendReplies | None = None
    ) -> list[Reply] | None:
        """One incoming message through the whole turn; its replies (sent with `send` after the commit), or
        None when `key` shows it was handled before."""
        async with self.open(message.channel, message.user_id, key) as turn:
            replies = await self.step(turn, message, send)
        return None if turn.duplicate else replies

    async def step(self, turn: Turn, message: Incoming, send: SendReplies | None = None) -> list[Reply]:
        """The conversation's part of a turn already open; `send` gets the replies once it commits."""
        turn.stepped = True
        replies = await self.conversation.handle_in(turn.uow, message)
        if send is not None:
            turn.uow.after_commit(lambda: send(replies))
        return replies
