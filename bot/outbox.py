"""The outbox dispatch: messages queued for citizens outside a conversation (a closed day's notice; later,
reminders) are sent by the running bot through its channels' senders.

Each run reads the due rows, then takes each citizen's as a job through the turns' pipeline (dialogs/turns.py:
under the citizen's lock, so a queued line never interleaves with their turn): claims them, sends them in order
once the claims are committed, and records the outcome:
- claim: `UPDATE outbox SET sent_at = now, attempts = attempts + 1 WHERE id = … AND sent_at IS NULL AND
  attempts < MAX_ATTEMPTS`, committed before anything is sent. Only the process whose UPDATE changed the row
  sends it, so two bot processes (PostgreSQL) never both send one message: the second UPDATE waits for the first
  to commit, then finds `sent_at` set and changes nothing.
- sent: `sent_at` becomes the moment it went out. Failed: `sent_at` goes back to NULL and the row is tried
  again by a later run, after a growing pause; after MAX_ATTEMPTS tries it is given up, with one log line.
- a crash (or a kill) between the claim and the outcome leaves the row claimed, i.e. looking sent: that message
  is never sent. We err on the side of at most once — a citizen is never told the same thing twice, and a lost
  notice is rare (it takes a crash in the second a send takes); the staff still see the cancelled booking.

Telegram and Viber rows go through the senders the bot already has (pacing, retries, blocked users); web rows
become a bot line of the citizen's message log, which the page shows in its history.

Two lanes, so a flood cannot stall what citizens are owed: the CITIZENS lane (every channel but the operator
group: an operator's reply, a closed day's notice) and the GROUP lane (the channel `operators`, paced at
Telegram's ≈20 messages a minute per group by the sender). Each lane runs on its own, one run at a time; a run of
one never waits for the other, and the request that queued a row never waits for either (`Kicker` only starts
them). The group lane claims a few rows at a time (what it can post within seconds), so a crash loses little, and
before each run it lets the queue message be brought up to date (`before`: one edit for any number of waiting
tickets, handlers/telegram/operators.py `QueueBoard`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dialogs.messages import Attachment, Button, Reply
from dialogs.turns import Pipeline
from storage.handoff import OPERATORS
from storage.outbox import Outbox
from storage.uow import UnitOfWork, UowFactory

if TYPE_CHECKING:
    from handlers.telegram.channel import TelegramChannel
    from handlers.viber.channel import ViberChannel

log = logging.getLogger(__name__)

EVERY = dt.timedelta(seconds=5)  # how often the job looks for due messages (a closed day's notice within it)
BATCH = 100  # rows looked at per run
GROUP_BATCH = 5  # operator-group rows claimed per run: ≈15 s of the group's pace, so a crash loses little
MAX_ATTEMPTS = 5
RETRY_AFTER = dt.timedelta(seconds=30)  # the pause before try n+1 is RETRY_AFTER × 2^(n-1), from the queueing
KEEP_SENT = dt.timedelta(days=30)  # sent rows (their text names a booking) are deleted after this
WEB = "web"

# Sends one reply to a citizen of one channel (their external id); True when it was delivered. Never raises
# for a delivery problem (the senders catch those); an exception counts as a failed try.
Send = Callable[[str, Reply], Awaitable[bool]]


@dataclass(frozen=True)
class Claimed:
    """A row this process claimed, copied out of its unit of work."""

    id: int
    channel: str
    external_id: str
    text: str
    buttons: list[list[dict[str, str]]] | None
    attempts: int
    media: dict[str, str] | None = None
    relayed: bool = False  # a line between a citizen and the operators: deleted once sent


def reply_of(
    text: str, buttons: list[list[dict[str, str]]] | None, media: dict[str, str] | None = None
) -> Reply:
    """The stored message as the engine would have said it (button rows as the message log keeps them)."""
    rows = tuple(
        tuple(Button(b["text"], payload=b.get("payload"), url=b.get("url")) for b in row)
        for row in buttons or []
    )
    return Reply(text, rows, attachment=Attachment.of(media))


def due_now(row: Outbox, now: dt.datetime) -> bool:
    """A row never tried is due at once; after n failed tries, once RETRY_AFTER × (2^n − 1) has passed."""
    return row.attempts == 0 or now >= row.created_at + RETRY_AFTER * (2**row.attempts - 1)


def _claimed(row: Outbox) -> Claimed:
    """A due row copied out of its unit of work, as it is once claimed (one more try)."""
    return Claimed(
        row.id, row.channel, row.external_id, row.text, row.buttons, row.attempts + 1, row.media,
        row.ticket_id is not None,
    )  # fmt: skip


async def claim(
    uows: UowFactory, channels: set[str], now: dt.datetime | None = None, *, batch: int = BATCH
) -> list[Claimed]:
    """Take the due rows of the channels this process can send to; committed before anything is sent."""
    claimed: list[Claimed] = []
    now = now or uows.clock()
    async with uows() as uow:
        rows = await uow.outbox.due(limit=batch, max_attempts=MAX_ATTEMPTS, channels=channels)
        for row in rows:
            if due_now(row, now) and await uow.outbox.claim(row.id, now, MAX_ATTEMPTS):
                claimed.append(_claimed(row))
    return claimed


async def _send(send: Send, message: Claimed) -> bool:
    try:
        return await send(message.external_id, reply_of(message.text, message.buttons, message.media))
    except Exception:
        log.exception("sending queued message %d to %s failed", message.id, message.channel)
        return False


def _citizens(due: list[Claimed]) -> dict[tuple[str, str], list[Claimed]]:
    """The due rows by whom they go to (channel, external id), each one's in the order they were queued."""
    by: dict[tuple[str, str], list[Claimed]] = {}
    for message in due:
        by.setdefault((message.channel, message.external_id), []).append(message)
    return by


class _Deliver:
    """The outbox's job for one citizen (dialogs/turns.py `Pipeline.run`): claim their due rows in the job's
    unit of work; once that commits, send them in order and record each outcome — under the citizen's lock, so
    a queued line never interleaves with their turn."""

    def __init__(self, uows: UowFactory, send: Send, due: list[Claimed], now: dt.datetime) -> None:
        self._uows, self._send, self._due, self._now = uows, send, due, now
        self.outcomes: list[tuple[Claimed, bool]] = []

    async def __call__(self, uow: UnitOfWork) -> list[tuple[Claimed, bool]]:
        claimed = [m for m in self._due if await uow.outbox.claim(m.id, self._now, MAX_ATTEMPTS)]
        if claimed:
            uow.after_commit(lambda: self._send_all(claimed))
        return self.outcomes  # filled once the claims are committed and the rows sent

    async def _send_all(self, claimed: list[Claimed]) -> None:
        outcomes = [(message, await _send(self._send, message)) for message in claimed]
        async with self._uows() as uow:
            for message, ok in outcomes:
                if ok and message.relayed:
                    await uow.outbox.drop(message.id)
                elif ok:
                    await uow.outbox.sent(message.id, self._uows.clock())
                else:
                    await uow.outbox.release(message.id)
        self.outcomes.extend(outcomes)


async def dispatch(
    uows: UowFactory, senders: Mapping[str, Send], now: dt.datetime | None = None, *, batch: int = BATCH,
    pipeline: Pipeline | None = None,
) -> int:  # fmt: skip
    """One run of the job: send what is due (of the channels of `senders`), citizen by citizen through
    `pipeline` (the bot's; a test's own by default); returns how many were delivered."""
    pipeline = pipeline or Pipeline(uows)
    now = now or uows.clock()
    async with uows() as uow:
        rows = await uow.outbox.due(limit=batch, max_attempts=MAX_ATTEMPTS, channels=set(senders))
        due = [_claimed(row) for row in rows if due_now(row, now)]
    outcomes: list[tuple[Claimed, bool]] = []
    for (channel, external_id), theirs in _citizens(due).items():
        job = _Deliver(uows, senders[channel], theirs, now)
        outcomes += await pipeline.run(channel, external_id, job, name="outbox")
    if not outcomes:
        return 0
    delivered = sum(ok for _, ok in outcomes)
    for message, ok in outcomes:
        if not ok and message.attempts >= MAX_ATTEMPTS:
            log.warning(
                "queued message %d to %s not delivered after %d tries; given up",
                message.id, message.channel, message.attempts,
            )  # fmt: skip
    routine = all(message.relayed for message, _ in outcomes)  # a conversation's lines: not news for the log
    log.log(
        logging.DEBUG if routine else logging.INFO,
        "%d of %d queued message(s) sent",
        delivered,
        len(outcomes),
    )
    return delivered


async def purge_sent(uows: UowFactory, keep: dt.timedelta = KEEP_SENT) -> int:
    async with uows() as uow:
        return await uow.outbox.purge_sent_before(uows.clock() - keep)


def web_sender(uows: UowFactory) -> Send:
    """The web chat has no push: the message becomes a bot line of the citizen's log, shown by the page's
    history (on the next load). A citizen who erased their data meanwhile has nowhere to get it: done."""

    async def send(session: str, reply: Reply) -> bool:
        async with uows() as uow:
            user = await uow.users.get(WEB, session)
            if user is not None:
                uow.messages.add(user.id, "sys", reply.text, reply.buttons)
        return True

    return send


Before = Callable[[], Awaitable[object]]  # what a lane does before each run (the group's queue message)


class Lane:
    """One lane of the outbox: its channels, sent by runs one at a time. `kick` starts a run in the background
    and returns at once; a kick during a run makes one more run after it (so a line queued meanwhile goes)."""

    def __init__(
        self, name: str, pipeline: Pipeline, channels: Mapping[str, Send], *, batch: int = BATCH,
        before: Before | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.pipeline = pipeline
        self.channels = dict(channels)
        self.batch = batch
        self.before = before
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def kick(self) -> None:
        self._again = True
        if not self.running and (self.channels or self.before is not None):
            self._task = asyncio.get_running_loop().create_task(self._runs(), name=f"outbox-{self.name}")

    async def _runs(self) -> None:
        while self._again:
            self._again = False
            await self.run_once()

    async def run_once(self) -> int:
        """One run: the lane's `before`, then its due rows (until a run finds fewer than a batch)."""
        try:
            if self.before is not None:
                await self.before()
            sent = 0
            while self.channels:
                pipeline = self.pipeline
                done = await dispatch(pipeline.uows, self.channels, batch=self.batch, pipeline=pipeline)
                sent += done
                if done < self.batch:
                    break
            return sent
        except Exception:
            log.exception("sending queued messages (%s) failed; the periodic run will try again", self.name)
            return 0

    async def idle(self) -> None:
        """Until no run of this lane is going (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


def lanes(channels: Mapping[str, Send]) -> tuple[dict[str, Send], dict[str, Send]]:
    """The channels split into the citizens' lane and the operator group's."""
    citizens = {name: send for name, send in channels.items() if name != OPERATORS}
    group = {name: send for name, send in channels.items() if name == OPERATORS}
    return citizens, group


class Kicker:
    """Starts the outbox's lanes now, after a unit of work queued something that should not wait for the next
    periodic run (a line between a citizen and an operator, a ticket for the queue message). It never waits for
    a send: the request that queued the row is answered at once. Runs of one lane go one at a time, so lines keep
    their order; the two lanes never wait for each other. Each citizen's rows go through `pipeline` (their
    lock).

    Its senders are the one thing of the bot's object graph bound after construction, once (`connect`): the
    graph has a cycle no order of construction breaks — the handoff service queues a line and kicks (so it
    needs the kicker), the operator group's lane sends through Telegram's topic poster and refreshes its
    queue message, and both ask the handoff service (the context card, the queue: handlers/telegram/
    operators.py). A kicker given its senders at construction (tests, a process without that cycle) is
    complete; one that is not gets them exactly once (a second `connect` raises), and a kick before then
    sends nothing (the rows wait for the next run)."""

    def __init__(
        self, pipeline: Pipeline, channels: Mapping[str, Send] | None = None, *, board: Before | None = None
    ) -> None:
        self.citizens = Lane("citizens", pipeline, {})
        self.group = Lane("group", pipeline, {}, batch=GROUP_BATCH)
        self.connected = False
        if channels is not None:
            self.connect(channels, board=board)

    @property
    def channels(self) -> dict[str, Send]:
        return {**self.citizens.channels, **self.group.channels}

    def connect(self, channels: Mapping[str, Send], *, board: Before | None = None) -> None:
        """The channels it sends through and what brings the operator group's queue message up to date:
        once."""
        if self.connected:
            raise RuntimeError("the outbox's kicker is connected to its senders once")
        self.connected = True
        self.citizens.channels, self.group.channels = lanes(channels)
        self.group.before = board

    async def __call__(self) -> None:
        self.citizens.kick()
        self.group.kick()

    async def settle(self) -> None:
        """Until both lanes are idle (tests; shutdown sends what is under way)."""
        while self.citizens.running or self.group.running:
            await self.citizens.idle()
            await self.group.idle()

    def cancel(self) -> None:
        self.citizens.cancel()
        self.group.cancel()


def senders(
    uows: UowFactory, telegram: TelegramChannel | None = None, viber: ViberChannel | None = None
) -> dict[str, Send]:
    """The channels this bot process can send to: the web chat always, Telegram and Viber when enabled, and
    the operator group when it is configured."""
    out: dict[str, Send] = {WEB: web_sender(uows)}
    if telegram is not None and telegram.topics is not None:
        out[OPERATORS] = telegram.topics.send
    if telegram is not None:
        tg = telegram.sender

        async def send_telegram(chat_id: str, reply: Reply) -> bool:
            return await tg.send_replies(int(chat_id), [reply])

        out["telegram"] = send_telegram
    if viber is not None:
        vb = viber.sender

        async def send_viber(user: str, reply: Reply) -> bool:
            return await vb.send_replies(user, [reply])

        out["viber"] = send_viber
    return out


def start_outbox(
    scheduler: AsyncIOScheduler,
    uows: UowFactory,
    channels: Mapping[str, Send],
    *,
    kicker: Kicker | None = None,
    pipeline: Pipeline | None = None,
) -> None:
    """Add the dispatch job (every EVERY, first run now) and a daily purge of old sent rows to a running
    scheduler (the housekeeping one: its job lines are already quiet). With the bot's `kicker`, the job kicks its
    lanes (each goes on its own, the group's pace never holds the citizens' back); without one, one run of
    both lanes side by side, through `pipeline` (a pipeline of its own by default)."""
    pipeline = pipeline or Pipeline(uows)

    async def tick() -> None:
        if kicker is not None:
            await kicker()
            return
        citizens, group = lanes(channels)
        await asyncio.gather(
            Lane("citizens", pipeline, citizens).run_once(),
            Lane("group", pipeline, group, batch=GROUP_BATCH).run_once(),
        )

    scheduler.add_job(
        tick, "interval", seconds=EVERY.total_seconds(), id="outbox",
        next_run_time=dt.datetime.now(dt.UTC), coalesce=True, max_instances=1,
    )  # fmt: skip
    scheduler.add_job(
        purge_sent, "interval", days=1, args=[uows], id="outbox-purge",
        next_run_time=dt.datetime.now(dt.UTC), coalesce=True, max_instances=1,
    )  # fmt: skip
