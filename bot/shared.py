"""What several bot processes must share, kept in Redis (`REDIS_URL`); without it each process keeps its own.

Behind one public URL (webhook mode, PostgreSQL) any process may get any update, so these are shared:

- Telegram's pacing, overall and per chat (`RedisRate`: GCRA, the same rates as `LocalRate`);
- Viber's 100 messages an hour to a user who has not replied (`RedisQuiet`: a sliding window);
- flood control per citizen (`RedisFlood`: `dialogs.flood`'s token bucket and episodes);
- one citizen's steps one at a time (`RedisLocks`: a lock with a timeout around what `KeyedLocks` guards).

Each decision is one atomic Lua script run by Redis on its own clock (`TIME`), so processes on several machines
agree without synchronised clocks. Redis holds times and counts only, each key expiring when it no longer matters
(at most an hour later); a key is a hash of the channel and citizen id, so no id is readable there (a numeric id
could still be found by trying them all: Redis must be as private as the database, on loopback or a private
network).

Redis being unavailable never stops the bot: every call has short timeouts; on an error the decision is this
process's own (the same class as without Redis, so one process never sends faster than the configured rate), one
warning is logged, and Redis is tried again after `RETRY_AFTER` seconds (a line says when it is back). Across
processes the limits then add up until Redis is back.

What stays correct without Redis is the database's: the unique keys (a redelivered update, a taken booking
place, one open ticket), conditional updates and `FOR UPDATE SKIP LOCKED` claims hold on PostgreSQL whatever
the order. The lock only orders one citizen's messages, so that two processes do not both move the same dialog
step (the later one then sees the earlier one's state); without it (Redis down, or a holder past `LOCK_TIMEOUT`)
two quick taps in two processes could both be taken, as with no lock at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError

from dialogs.flood import DEBT, FORGET_GAP, FloodLimiter, Verdict
from dialogs.locks import KeyedLocks
from handlers.telegram.sender import RateGate
from handlers.viber.sender import HOUR, QuietLimit

log = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "viza:"
TIMEOUT = (
    0.5  # seconds for connecting to Redis and for one reply: a decision must not wait on a stalled Redis
)
RETRY_AFTER = 5.0  # seconds this process decides alone after Redis failed, before asking it again
POOL_SIZE = 100  # connections to Redis per process (redis-py's default); more calls at once wait for one
# Seconds a citizen's lock lives if its holder dies (kill -9) without releasing it: their next step waits that long
# at most. A live holder renews it every third of that, so a slow step keeps it.
LOCK_TIMEOUT = 5.0
LOCK_WAIT = (
    30.0  # seconds a step waits for another process's step of the same citizen, then goes on unordered
)
LOCK_POLL = 0.005  # seconds between two tries for a taken lock


def _pool_busy(exc: BaseException) -> bool:
    """The pool had no free connection within TIMEOUT (redis-py raises ConnectionError from the wait's timeout):
    this one call is decided alone, but Redis is not marked unavailable (that would drop the shared limits and
    order for RETRY_AFTER seconds because of a busy moment)."""
    return isinstance(exc, RedisConnectionError) and isinstance(exc.__cause__, TimeoutError)


class SharedRedis:
    """One process's Redis client and what it knows about Redis being reachable."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = PREFIX,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._prefix = prefix
        self._retry_after = retry_after
        self._clock = clock
        self._down_until: float | None = None  # set while this process decides alone

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = PREFIX,
        retry_after: float = RETRY_AFTER,
        max_connections: int = POOL_SIZE,
    ) -> SharedRedis:
        """A client with short timeouts and one immediate retry (a pooled connection Redis closed on restart);
        it connects at its first use, so Redis need not be up when the bot starts. Its pool makes a call wait
        (up to TIMEOUT) for a free connection when all are busy: redis-py's default pool raises at once, which
        under load (hundreds of citizens in one process) read as «Redis is unavailable» and dropped the shared
        order for RETRY_AFTER seconds."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=30,
        )
        return cls(Redis.from_pool(pool), prefix=prefix, retry_after=retry_after)

    def key(self, kind: str, name: str) -> str:
        """A Redis key for `name` (e.g. «telegram:12345»): hashed, so no citizen id is stored in Redis."""
        digest = hashlib.blake2b(name.encode(), digest_size=12).hexdigest()
        return f"{self._prefix}{kind}:{digest}"

    @property
    def down(self) -> bool:
        return self._down_until is not None and self._clock() < self._down_until

    async def run(self, ask: Callable[[], Awaitable[T]], alone: Callable[[], Awaitable[T]]) -> T:
        """Redis' answer, or this process's own (`alone`) while Redis is unavailable; never raises a Redis error
        (but a `LockError`, which says something about the lock, not about Redis being there)."""
        if self.down:
            return await alone()
        try:
            answer = await ask()
        except LockError:
            raise
        except (RedisError, OSError, TimeoutError) as exc:
            if _pool_busy(exc):  # Redis answers, this process has more calls at once than connections
                return await alone()
            if self._down_until is None:
                log.warning(
                    "redis is unavailable (%s): pacing, flood control and ordering are this process's own "
                    "until it answers again",
                    type(exc).__name__,
                )
            self._down_until = self._clock() + self._retry_after
            return await alone()
        if self._down_until is not None:
            self._down_until = None
            log.info("redis answers again: pacing, flood control and ordering are shared again")
        return answer

    async def close(self) -> None:
        await self.client.aclose()


# --- pacing (Telegram) -----------------------------------------------------------------------------------------

# GCRA with reservation: the key holds the theoretical arrival time (TAT) of the next message, in microseconds of
# Redis' clock. A call books the next slot and returns how long to wait for it, so waiters in every process are
# served in the order they asked, with one round trip each.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return math.floor(wait)
"""


class RedisRate:
    """`rate` messages a second per key with bursts of `burst`, across every process (`RateGate`); `alone` is the
    gate used while Redis is unavailable (normally a `LocalRate` of the same rates)."""

    def __init__(self, shared: SharedRedis, kind: str, rate: float, burst: float, alone: RateGate) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._shared, self._kind, self._alone = shared, kind, alone
        self._interval = 1_000_000 / rate  # microseconds between two messages
        self._tolerance = (burst - 1) * self._interval  # how far ahead of the schedule a burst may run
        self._script = shared.client.register_script(_GCRA)

    async def acquire(self, key: str) -> None:
        async def ask() -> float:
            args = [f"{self._interval:.0f}", f"{self._tolerance:.0f}"]
            wait = await self._script(keys=[self._shared.key(self._kind, key)], args=args)
            return int(wait) / 1_000_000

        async def alone() -> float:
            await self._alone.acquire(key)
            return 0.0

        wait = await self._shared.run(ask, alone)
        if wait > 0:
            await asyncio.sleep(wait)


# --- Viber's quiet count -------------------------------------------------------------------------------------------

_QUIET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
"""


class RedisQuiet:
    """Viber's rule (`QuietLimit`) counted for all processes: at most `limit` messages to a user within `window`
    seconds while they have not written; `alone` counts while Redis is unavailable."""

    def __init__(
        self, shared: SharedRedis, *, limit: int = 100, window: float = HOUR, alone: QuietLimit | None = None
    ) -> None:
        self._shared, self._limit, self._window = shared, limit, window
        self._alone = alone or QuietLimit(limit=limit, window=window)
        self._script = shared.client.register_script(_QUIET)

    async def allow(self, user: str) -> bool:
        async def ask() -> bool:
            args = [f"{self._window * 1_000_000:.0f}", str(self._limit), os.urandom(8).hex()]
            return bool(await self._script(keys=[self._shared.key("viber-quiet", user)], args=args))

        async def alone() -> bool:
            return self._alone.allow(user)

        return await self._shared.run(ask, alone)

    async def heard_from(self, user: str) -> None:
        self._alone.heard_from(user)

        async def ask() -> None:
            await self._shared.client.delete(self._shared.key("viber-quiet", user))

        async def alone() -> None:
            return None

        await self._shared.run(ask, alone)


# --- flood control ---------------------------------------------------------------------------------------------

# dialogs/flood.py's bucket, field by field (t tokens, at seconds, l in an episode, f when a refused citizen's
# erasure was last let through); 0 process, 1 notice, 2 drop.
_FLOOD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local debt = tonumber(ARGV[3])
local gap = tonumber(ARGV[4])
local forget = ARGV[5] == '1'
local s = redis.call('HMGET', KEYS[1], 't', 'at', 'l', 'f')
local tokens, limited, forgot = burst, false, tonumber(s[4])
if s[1] then
  tokens = math.min(burst, tonumber(s[1]) + math.max(0, now - tonumber(s[2])) * rate)
  limited = s[3] == '1' and tokens < burst
end
local verdict = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif forget and (forgot == nil or now - forgot >= gap) then
  forgot = now
else
  tokens = math.max(-debt, tokens - 1)
  if limited then verdict = 2 else verdict = 1 end
  limited = true
end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'at', string.format('%.6f', now),
  'l', limited and '1' or '0', 'f', forgot and string.format('%.6f', forgot) or '')
redis.call('PEXPIRE', KEYS[1], math.ceil(((burst + debt) / rate + gap) * 1000))
return verdict
"""

_VERDICTS = (Verdict.PROCESS, Verdict.NOTICE, Verdict.DROP)


class RedisFlood:
    """`dialogs.flood`'s rules with one bucket per citizen for all processes (`FloodGate`); `alone` decides while
    Redis is unavailable and counts and logs the refusals either way (metrics and log lines stay per process)."""

    def __init__(self, shared: SharedRedis, alone: FloodLimiter) -> None:
        self._shared, self._alone = shared, alone
        self.rate, self.burst = alone.rate, alone.burst
        self._script = shared.client.register_script(_FLOOD)

    async def verdict(self, channel: str, user_id: str, *, forget: bool = False) -> Verdict:
        if not self.burst:
            return Verdict.PROCESS  # flood control is off

        async def ask() -> Verdict:
            args = [repr(self.rate), repr(self.burst), repr(DEBT), repr(FORGET_GAP), "1" if forget else "0"]
            code = await self._script(keys=[self._shared.key("flood", f"{channel}:{user_id}")], args=args)
            verdict = _VERDICTS[int(code)]
            if verdict is not Verdict.PROCESS:
                self._alone.count_refused(channel, verdict)
            return verdict

        async def alone() -> Verdict:
            return self._alone.check(channel, user_id, forget=forget)

        return await self._shared.run(ask, alone)


# --- one citizen's steps in order ------------------------------------------------------------------------------


class RedisLocks:
    """`Locks` across processes: this process's `KeyedLocks` first (its own waiters queue fairly there, and only
    one of them at a time asks Redis), then a Redis lock that expires after `timeout` seconds should its holder
    die, renewed every `timeout / 3` while the step runs. A step that waited `wait` seconds, or finds Redis
    unavailable, goes on with the process's lock only."""

    def __init__(
        self, shared: SharedRedis, *, timeout: float = LOCK_TIMEOUT, wait: float = LOCK_WAIT
    ) -> None:
        self._shared, self._timeout, self._wait = shared, timeout, wait
        self._local = KeyedLocks()
        self._renewals: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._local.hold(key):
            lock = self._shared.client.lock(
                self._shared.key("lock", key),
                timeout=self._timeout,
                sleep=LOCK_POLL,
                blocking_timeout=self._wait,
                thread_local=False,
            )

            async def alone() -> bool | None:
                return None  # Redis is unavailable: this process's lock alone

            held = await self._shared.run(lock.acquire, alone)
            if held is False:
                log.warning(
                    "a citizen's step waited %g s for another process; going on unordered", self._wait
                )
            done = asyncio.Event()
            if held:
                renewal = asyncio.create_task(self._keep(lock, done))
                self._renewals.add(renewal)
                renewal.add_done_callback(self._renewals.discard)
            try:
                yield
            finally:
                # The step never waits for the renewal: it stops at its next turn (a cancel alone is not enough:
                # asyncio.wait_for inside the Redis client may swallow it, and the lock was then renewed forever).
                done.set()
                if held:
                    await self._release(lock.release)

    async def _keep(self, lock: Lock, done: asyncio.Event) -> None:
        """Renew the lock to its whole timeout until the step is done: it outlives its holder by `timeout` at most."""

        async def alone() -> bool | None:
            return None  # Redis is unavailable: it expires by itself, and the step goes on

        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=self._timeout / 3)
            if done.is_set():
                return
            try:
                await self._shared.run(lock.reacquire, alone)
            except LockError:  # it expired or vanished meanwhile: the release will say so, once
                return
            except Exception:  # never silently: the lock would then expire under a live step
                log.exception("renewing a citizen's lock failed")
                return

    async def _release(self, release: Callable[[], Awaitable[None]]) -> None:
        async def alone() -> None:
            return None  # it expires by itself

        try:
            await self._shared.run(release, alone)
        except LockError:  # held longer than its timeout: another step may have run meanwhile
            log.warning("a citizen's step outlived its lock (%g s)", self._timeout)

    def __len__(self) -> int:
        return len(self._local)
