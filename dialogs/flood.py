"""Flood control: whether one citizen's message is processed, decided before anything is read or written.

A token bucket per (channel, citizen): `burst` messages at once, refilled at `rate` per second. People never meet
it: a burst of a few button presses, an album of ten photos or a long text the messenger split into parts all fit
in the bucket, and nobody reads the answers faster than one a second for long. A script does meet it:

- the first message refused gets one polite notice (`Verdict.NOTICE`), the next ones are dropped quietly
  (`Verdict.DROP`) — no reply, no log line, no database statement. Nothing was processed, so no dialog progress is
  lost: the citizen sends it again;
- a refused message still costs the sender: the bucket goes up to `DEBT` below empty, so a script that keeps
  sending at least `rate` messages a second stays refused (and calm) for as long as it keeps sending, while a person
  who stops is heard again within a few seconds, as the notice promises;
- the episode (one notice) ends when the bucket is full again: the citizen was calm for about `burst / rate`
  seconds. A citizen who floods again later gets one notice again.

`f:yes` (erase my data) is never dropped for being one message too many: the right to be forgotten must not depend
on how fast somebody pressed buttons before, and it is the last message of the conversation anyway. A refused
citizen's `f:yes` is processed unless another one of theirs was within `FORGET_GAP` seconds: that one has just
erased everything, so dropping a repeat loses nothing, and a script cannot make a database write per message out
of it.

Memory is bounded: at most `capacity` citizens are remembered, the least recently heard forgotten first (a
forgotten citizen starts with a full bucket, as a new one does). `FloodLimiter` is process-local and never persists
anything; its keys stay in memory only while the citizen writes. Several processes share one bucket per citizen
through Redis instead (bot/shared.py `RedisFlood`, the same rules in one atomic script, this limiter its fallback):
the engine asks a `FloodGate` and knows neither. Logging is aggregated: a line when an episode
begins, at most one per `LOG_EVERY` seconds for the whole process, with counts and channels only — no citizen id.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

# What the citizen reads once per episode (Ukrainian).
NOTICE = (
    "Ви надсилаєте повідомлення надто часто. Зачекайте, будь ласка, кілька секунд — і я знову відповідатиму."
)

DEFAULT_RATE = 1.0  # messages a second, sustained
# Messages at once. Generous on purpose: a citizen may forward a pile of messages or three albums of scans in one
# go, and a scripted test walks a whole conversation in a fraction of a second.
DEFAULT_BURST = 60
DEFAULT_CAPACITY = 20_000  # citizens remembered (≈ 200 bytes each)
DEBT = 3.0  # how far below empty refused messages push the bucket
FORGET_GAP = 10.0  # seconds between two erasures a refused citizen may ask for
LOG_EVERY = 60.0  # seconds between two log lines about floods, for the whole process


class Verdict(enum.Enum):
    PROCESS = "process"  # handle the message as usual
    NOTICE = "notice"  # answer with NOTICE only: the first message refused in this episode
    DROP = "drop"  # refused quietly: no reply, nothing read or written


class FloodGate(Protocol):
    """What the engine asks first about every message (`Engine.flood`)."""

    rate: float  # messages a second, sustained
    burst: float  # messages at once; 0: flood control is off

    async def verdict(self, channel: str, user_id: str, *, forget: bool = False) -> Verdict: ...


class _Bucket:
    __slots__ = ("at", "forgot_at", "limited", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at  # when `tokens` was last brought up to date
        self.limited = False  # inside an episode: the notice was given
        self.forgot_at: float | None = None  # when a refused citizen's erasure was last let through


class FloodLimiter:
    """The decision per incoming message; pure but for its injected clock (monotonic seconds). `burst=0`: off."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 0 or capacity < 1:
            raise ValueError("rate must be positive, burst at least 0 (off) and capacity at least 1")
        self.rate, self.burst, self.capacity = rate, float(burst), capacity
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        # Totals since start (for metrics) and what the next log line reports.
        self.episodes = 0
        self.refused = 0
        self._unlogged_episodes: Counter[str] = Counter()
        self._unlogged_refused = 0
        self._logged_at: float | None = None

    def check(self, channel: str, user_id: str, *, forget: bool = False) -> Verdict:
        """Whether to process this message of `user_id` on `channel`; `forget`: it is an erasure (`f:yes`)."""
        if not self.burst:
            return Verdict.PROCESS  # flood control is off
        now = self._clock()
        key = f"{channel}:{user_id}"
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            if len(self._buckets) > self.capacity:
                self._buckets.popitem(last=False)  # the citizen heard from least recently
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= self.burst:
                bucket.limited = False  # calm long enough: the episode is over
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.PROCESS
        if forget and (bucket.forgot_at is None or now - bucket.forgot_at >= FORGET_GAP):
            bucket.forgot_at = now
            return Verdict.PROCESS
        bucket.tokens = max(-DEBT, bucket.tokens - 1.0)
        verdict = Verdict.DROP if bucket.limited else Verdict.NOTICE
        bucket.limited = True
        self.count_refused(channel, verdict, now)
        return verdict

    async def verdict(self, channel: str, user_id: str, *, forget: bool = False) -> Verdict:
        """`check` as the engine asks it (`FloodGate`)."""
        return self.check(channel, user_id, forget=forget)

    def count_refused(self, channel: str, verdict: Verdict, now: float | None = None) -> None:
        """Counts a refused message, logging as described above; a shared gate reports its verdicts here too."""
        self.refused += 1
        self._unlogged_refused += 1
        if verdict is Verdict.NOTICE:
            self.episodes += 1
            self._unlogged_episodes[channel] += 1
            self._log(self._clock() if now is None else now)

    def _log(self, now: float) -> None:
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY:
            return
        channels = ", ".join(f"{name} {n}" for name, n in sorted(self._unlogged_episodes.items()))
        log.warning(
            "flood control: %d citizen(s) sent too fast (%s); %d message(s) refused since the last such line",
            sum(self._unlogged_episodes.values()),
            channels,
            self._unlogged_refused,
        )
        self._logged_at = now
        self._unlogged_episodes.clear()
        self._unlogged_refused = 0

    def __len__(self) -> int:
        return len(self._buckets)
