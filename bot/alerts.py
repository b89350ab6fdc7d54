"""Watching the air-raid alerts source (the alerts.in.ua API) for the Center's location.

`Source` reads one location's status over aiohttp: the IoT endpoint `/v1/iot/active_air_raid_alerts/{uid}.json`
(a one-letter answer), or the full list `/v1/alerts/active.json` when the IoT endpoint does not know the location
(404). The token goes in the Authorization header; answers are cached with If-Modified-Since (a 304 repeats the
last answer). `Watch.poll` asks once, adds the answer up (dialogs/alerts/rules.py) and writes the state and the
alert's period (storage/alerts.py); when an alert ends, `on_end` hears of the period (the rebooking of the
appointments inside it).

The API's terms ask clients to poll sparingly: every ALERTS_POLL_SECONDS (30 s by default), and with Redis one
process of all polls (a key held for two periods; the others read the state from the database). A source that
fails is logged once per failure streak, one line, never a traceback; it never stops the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.shared import SharedRedis
from dialogs.alerts import rules
from dialogs.alerts.banner import AlertBoard
from dialogs.alerts.rules import Nonsense, State, Tracker
from dialogs.booking.after_alert import tell_after_alert
from storage.alerts import AlertPeriod
from storage.clock import Clock
from storage.reminders import APPOINTMENT
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.alerts.in.ua"
TIMEOUT = 5.0  # seconds for one request
LEADER_KEY = "alerts-poller"


class SourceError(Exception):
    """The source did not answer sensibly (said in one line)."""


@dataclass
class _Cached:
    last_modified: str
    body: bytes


@dataclass
class Source:
    base_url: str
    token: str
    uid: str
    timeout: float = TIMEOUT
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)
    _cache: dict[str, _Cached] = field(default_factory=dict, repr=False)

    async def active(self) -> bool:
        """Whether the location is under an alert now; SourceError when the source cannot say."""
        try:
            found = await self._get(f"/v1/iot/active_air_raid_alerts/{self.uid}.json")
            if found is not None:
                return rules.read_iot(found)
            listing = await self._get("/v1/alerts/active.json")
            if listing is None:
                raise SourceError("the source knows neither the location nor the list of alerts (404)")
            return rules.read_active(listing, self.uid)
        except Nonsense as exc:
            raise SourceError(f"the source answered nonsense: {exc}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SourceError(f"the source is unreachable: {type(exc).__name__}") from None

    async def _get(self, path: str) -> bytes | None:
        """The body at `path` (a 304 gives the cached one), None on 404."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        cached = self._cache.get(path)
        if cached is not None:
            headers["If-Modified-Since"] = cached.last_modified
        async with self._session.get(self.base_url.rstrip("/") + path, headers=headers) as response:
            if response.status == 304 and cached is not None:
                return cached.body
            if response.status == 404:
                return None
            if response.status != 200:
                raise SourceError(f"the source answered HTTP {response.status}")
            body = await response.read()
            modified = response.headers.get("Last-Modified")
            if modified:
                self._cache[path] = _Cached(modified, body)
            return body

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class Asking(Protocol):
    """What `Watch` needs of a source."""

    async def active(self) -> bool: ...


OnEnd = Callable[[AlertPeriod], Awaitable[object]]


class Watch:
    """Polls the source, keeps the state and the alert periods; with `shared`, only the process holding the
    leader key polls."""

    def __init__(
        self,
        source: Asking,
        uows: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        every: float = 30.0,
        shared: SharedRedis | None = None,
        on_end: OnEnd | None = None,
        seen: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.uows = uows
        self.clock = clock
        self.every = every
        self.shared = shared
        self.on_end = on_end
        self.seen = seen  # told after every write (this process's AlertBoard reads the state again)
        self.tracker = Tracker()
        self.polls = 0  # how many times this process asked the source
        self._me = secrets.token_hex(8)

    async def _lead(self) -> bool:
        """Whether this process polls this round: it holds (or takes) the leader key; alone without Redis."""
        if self.shared is None:
            return True
        shared = self.shared
        key = shared.key("alerts", LEADER_KEY)
        hold_ms = int(self.every * 2000)

        async def ask() -> bool:
            if await shared.client.set(key, self._me, nx=True, px=hold_ms):
                return True
            if (await shared.client.get(key)) in (self._me, self._me.encode()):
                await shared.client.pexpire(key, hold_ms)
                return True
            return False

        async def alone() -> bool:
            return True  # Redis is unavailable: better every process asks than none

        return await shared.run(ask, alone)

    async def poll(self) -> State | None:
        """One round: ask, add up, write. Returns the state, None when another process polls. Never raises."""
        try:
            if not await self._lead():
                return None
            return await self._poll()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never stop the bot over alerts; one line, no traceback
            log.warning("alerts: a round failed: %s: %s", type(exc).__name__, str(exc)[:200])
            return None

    async def _poll(self) -> State:
        now = self.clock()
        failing = self.tracker.failing_since is not None
        self.polls += 1
        try:
            active = await self.source.active()
        except SourceError as exc:
            if not failing:
                log.warning("alerts: %s; the state holds for %s, then is unknown", exc, rules.TRUST_FOR)
            self.tracker.failed(now)
        else:
            if failing:
                log.info("alerts: the source answers again")
            self.tracker.answered(active, now)
        state = self.tracker.state
        ended = None
        async with self.uows() as uow:
            await uow.alerts.put_status(state.value, self.tracker.since, self.tracker.source_ok)
            if state is State.ACTIVE:
                await uow.alerts.begin(self.tracker.since or now)
            elif state is State.CALM:
                ended = await uow.alerts.end(now)
        if self.seen is not None:
            self.seen()
        if ended is not None:
            log.info("alerts: the all-clear; %d appointment(s) fell inside the alert", ended.affected)
            if self.on_end is not None:
                await self.on_end(ended)
        return state

    async def close(self) -> None:
        if isinstance(self.source, Source):
            await self.source.close()

    def start(self, scheduler: AsyncIOScheduler) -> None:
        scheduler.add_job(
            self.poll, "interval", seconds=self.every, id="alerts-poll", coalesce=True, max_instances=1,
            next_run_time=dt.datetime.now(dt.UTC),  # APScheduler's timer, not the clock of what the job does
        )  # fmt: skip


def all_clear(bot: Bot) -> OnEnd | None:
    """What follows an alert's end: every citizen whose appointment fell inside it is told once, with times."""
    booking = bot.booking
    if booking is None:
        return None

    async def tell(period: AlertPeriod) -> None:
        async with bot.uow_factory() as uow:
            told = await tell_after_alert(booking, uow, period, uow.clock())
        if told.told and bot.kicker is not None:
            await bot.kicker()
        log.info("alerts: %d citizen(s) told after the all-clear, %d kept their place", told.told, told.kept)

    return tell


def start_alerts(settings: Settings, bot: Bot, scheduler: AsyncIOScheduler) -> Watch | None:
    """Watch the alerts when a token and a location are configured; otherwise say once that it is off."""
    if settings.alerts_token is None or not settings.alerts_location_uid:
        log.info("alerts: off (ALERTS_TOKEN or ALERTS_LOCATION_UID unset): no air-raid alerts are watched")
        return None
    source = Source(settings.alerts_api_url, settings.alerts_token.get_secret_value(), settings.alerts_location_uid)
    watch = Watch(source, bot.uow_factory, bot.uow_factory.clock, every=settings.alerts_poll_seconds,
                  shared=bot.shared, on_end=all_clear(bot), seen=bot.alerts.clear if bot.alerts else None)  # fmt: skip
    watch.start(scheduler)
    log.info("alerts: watching location %s every %g s", settings.alerts_location_uid, settings.alerts_poll_seconds)
    return watch


def holding(uows: Callable[[], UnitOfWork], board: AlertBoard) -> Callable[[], Awaitable[Collection[str]]]:
    """For the reminders dispatcher: while an alert is on, the appointments' reminders wait for the all-clear (a
    reminder that says «чекаємо вас о 10:30» during a siren is wrong); the others go as usual."""

    async def held() -> Collection[str]:
        async with uows() as uow:
            await board.refresh(uow)
        return (APPOINTMENT,) if board.active else ()

    return held
