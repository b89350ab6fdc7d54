"""A fake Viber REST API on loopback: records what the bot sends, can fail, refuse or hang on demand."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import web


class FakeViberApi:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # every send_message body, in order
        self.webhooks: list[dict[str, Any]] = []
        self.auth_tokens: set[str] = set()
        self.fail_500 = 0  # answer this many next sends with HTTP 500
        self.refuse_status: int | None = None  # answer sends with this Viber status (e.g. 6: not subscribed)
        self.hang: float = 0.0  # sleep this long before answering
        self._tokens = itertools.count(5_000_000_000)
        self.app = web.Application()
        self.app.router.add_post("/pa/send_message", self._send)
        self.app.router.add_post("/pa/set_webhook", self._set_webhook)

    async def _send(self, request: web.Request) -> web.Response:
        self.auth_tokens.add(request.headers.get("X-Viber-Auth-Token", ""))
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.fail_500 > 0:
            self.fail_500 -= 1
            return web.Response(status=500, text="upstream error")
        body = await request.json()
        if self.refuse_status is not None:
            return web.json_response({"status": self.refuse_status, "status_message": "notSubscribed"})
        self.sent.append(body)
        return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self._tokens)})

    async def _set_webhook(self, request: web.Request) -> web.Response:
        self.webhooks.append(await request.json())
        return web.json_response({"status": 0, "status_message": "ok", "event_types": ["delivered"]})

    def to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("receiver") == user]

    async def serve(self) -> str:
        """Listen on a free loopback port; the base URL for VIBER_API_URL. `stop` ends it."""
        from testkit.net import free_port

        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}/pa"

    async def stop(self) -> None:
        await self._runner.cleanup()
