"""The one way anything is sent to Viber: async (aiohttp) with timeouts, retries and Viber's per-user limit.

viberbot sends with `requests`, synchronously and with no timeout, which would block the event loop or hang on a
stalled API; its message models build the payloads here, and aiohttp posts them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import ClientError, ClientSession, ClientTimeout
from viberbot.api.messages import TextMessage

from dialogs.locks import KeyedLocks
from dialogs.messages import Reply
from handlers.viber.render import MIN_API_VERSION, render

log = logging.getLogger(__name__)

UNSUBSCRIBED = {5, 6}  # receiver not registered / not subscribed
HOUR = 3600.0


@dataclass
class QuietLimit:
    """Viber allows at most 100 messages to a user per hour while they have not replied."""

    limit: int = 100
    window: float = HOUR
    clock: Callable[[], float] = time.monotonic
    _sent: dict[str, list[float]] = field(default_factory=dict)

    def heard_from(self, user: str) -> None:
        """The user wrote: the count starts again."""
        self._sent.pop(user, None)

    def allow(self, user: str) -> bool:
        now = self.clock()
        recent = [t for t in self._sent.get(user, []) if now - t < self.window]
        if len(recent) >= self.limit:
            self._sent[user] = recent
            return False
        recent.append(now)
        self._sent[user] = recent
        if len(self._sent) > 1024:  # forget users with nothing inside the window, so the map stays small
            self._sent = {u: ts for u, ts in self._sent.items() if ts and now - ts[-1] < self.window}
        return True


class SharedQuiet(Protocol):
    """The same count shared by several processes (bot/shared.py `RedisQuiet`)."""

    async def allow(self, user: str) -> bool: ...

    async def heard_from(self, user: str) -> None: ...


OnResult = Callable[[str, str | None, int], Awaitable[None]]  # (user, message_token or None, status)


def _unmetered(event: str) -> None:
    """No monitoring attached."""


class ViberSender:
    def __init__(
        self,
        api_url: str,
        auth_token: str,
        bot_name: str,
        on_result: OnResult,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
        quiet_limit: QuietLimit | None = None,
        shared_quiet: SharedQuiet | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self._url = api_url.rstrip("/")
        self._headers = {"X-Viber-Auth-Token": auth_token}
        self._name = bot_name
        self._on_result = on_result
        self._timeout = ClientTimeout(total=timeout)
        self._attempts, self._backoff = attempts, backoff
        self.quiet = quiet_limit or QuietLimit()  # this process's count; `shared_quiet` replaces it when set
        self.shared_quiet = shared_quiet
        self._session: ClientSession | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._order = KeyedLocks()
        # Monitoring's hook (bot/metrics.py): "ok" or "failed" per message sent.
        self.note: Callable[[str], None] = note or _unmetered

    def payload(self, message: TextMessage, receiver: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sender": {"name": self._name},
            "min_api_version": MIN_API_VERSION,
            **message.to_dict(),
        }
        if receiver is not None:
            body["receiver"] = receiver
        return {k: v for k, v in body.items() if v is not None}

    async def heard_from(self, user: str) -> None:
        """The user wrote: Viber's count starts again (here and, when shared, for every process)."""
        self.quiet.heard_from(user)
        if self.shared_quiet is not None:
            await self.shared_quiet.heard_from(user)

    async def _allowed(self, user: str) -> bool:
        if self.shared_quiet is not None:
            return await self.shared_quiet.allow(user)
        return self.quiet.allow(user)

    def schedule(self, user: str, replies: list[Reply]) -> asyncio.Task[bool]:
        """Send in a task of its own, kept until done (the caller may wait for it or not); True when all went.
        One user's sends go out in the order they were scheduled, retries included."""
        task = asyncio.create_task(self._in_order(user, replies))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _in_order(self, user: str, replies: list[Reply]) -> bool:
        async with self._order.hold(user):  # asyncio locks are fair: first scheduled, first sent
            return await self.send_replies(user, replies)

    async def send_replies(self, user: str, replies: list[Reply]) -> bool:
        ok = True
        for reply in replies:
            for message in render(reply):
                sent = await self.send(user, message)
                self.note("ok" if sent else "failed")
                ok = sent and ok
        return ok

    async def send(self, user: str, message: TextMessage) -> bool:
        """One message; never raises. False if refused, unsubscribed, over the limit or unreachable."""
        if not await self._allowed(user):
            log.warning("viber: 100 messages this hour without a reply from a user; message dropped")
            return False
        body = self.payload(message, receiver=user)
        for attempt in range(1, self._attempts + 1):
            try:
                data = await self._post("send_message", body)
            except (TimeoutError, ClientError, _ServerError) as exc:
                log.warning("viber send failed (%s), attempt %d", type(exc).__name__, attempt)
                if attempt < self._attempts:
                    await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
                continue
            except Exception:
                log.exception("unexpected error while sending to viber")
                return False
            status = int(data.get("status", -1))
            await self._report(user, data.get("message_token"), status)
            if status != 0:
                log.info("viber refused a message: status %s", status)
            return status == 0
        return False

    async def set_webhook(self, url: str) -> dict[str, Any]:
        """Point Viber at our webhook (one per account)."""
        events = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]
        return await self._post("set_webhook", {"url": url, "event_types": events, "send_name": True})

    async def _post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._session is None:
            self._session = ClientSession(timeout=self._timeout)
        async with self._session.post(f"{self._url}/{method}", json=body, headers=self._headers) as resp:
            if resp.status >= 500:
                raise _ServerError(resp.status)
            data: dict[str, Any] = await resp.json(content_type=None)
            return data

    async def _report(self, user: str, token: object, status: int) -> None:
        try:
            await self._on_result(user, str(token) if token is not None else None, status)
        except Exception:
            log.exception("could not record a viber send result")

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._session:
            await self._session.close()


class _ServerError(Exception):
    """Viber answered 5xx: worth another try."""
