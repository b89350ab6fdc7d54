"""A fake TurboSMS HTTP API on loopback (`POST /message/send.json`): checks the bearer token and the body as
TurboSMS does, records every message, answers in TurboSMS's JSON; can refuse, fail or hang on demand, so the
real adapter (bot/sms.py) is tested end to end."""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass

from aiohttp import web

TOKEN = "test-turbosms-token"


@dataclass(frozen=True)
class Sms:
    phone: str
    sender: str
    text: str

    @property
    def code(self) -> str | None:
        found = re.search(r"\b(\d{6})\b", self.text)
        return found.group(1) if found else None


class FakeTurboSms:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.url = ""  # set by the caller to what `serve` returns
        self.sent: list[Sms] = []
        self.requests = 0
        self.refuse: str | None = None  # answer with this response_status and code 103 (e.g. «NOT_ENOUGH_MONEY»)
        self.fail_500 = 0  # answer this many next requests with HTTP 500
        self.hang = 0.0  # sleep this long before answering
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/message/send.json", self._send)

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.fail_500 > 0:
            self.fail_500 -= 1
            return web.Response(status=500, text="upstream error")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"response_code": 103, "response_status": "REQUIRED_TOKEN",
                                      "response_result": None})  # fmt: skip
        body = await request.json()
        recipients, sms = body.get("recipients"), body.get("sms") or {}
        if not isinstance(recipients, list) or not recipients or not sms.get("text") or not sms.get("sender"):
            return web.json_response({"response_code": 104, "response_status": "REQUIRED_ARRAY_RECIPIENTS",
                                      "response_result": None})  # fmt: skip
        if self.refuse is not None:
            return web.json_response({"response_code": 103, "response_status": self.refuse,
                                      "response_result": None})  # fmt: skip
        results = []
        for phone in recipients:
            self.sent.append(Sms(str(phone), str(sms["sender"]), str(sms["text"])))
            results.append({"phone": phone, "response_code": 0, "message_id": f"fake-{next(self._ids)}",
                            "response_status": "OK"})  # fmt: skip
        return web.json_response(
            {"response_code": 800, "response_status": "SUCCESS_MESSAGE_ACCEPTED", "response_result": results}
        )

    def to(self, phone: str) -> list[Sms]:
        digits = re.sub(r"\D", "", phone)
        return [m for m in self.sent if re.sub(r"\D", "", m.phone) == digits]

    def last_code(self, phone: str) -> str:
        sent = self.to(phone)
        assert sent, f"no SMS was sent to {phone}"
        code = sent[-1].code
        assert code is not None, sent[-1].text
        return code

    async def serve(self) -> str:
        """Listen on a free loopback port; the base URL for SMS_API_URL. `stop` ends it."""
        from testkit.net import free_port

        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()
