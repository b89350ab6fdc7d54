"""A citizen in Viber: signed callbacks into the real app, replies read from the fake Viber API."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient

from testkit.transcript import Seen
from testkit.viber.fake_api import FakeViberApi

QUIET, PATIENCE = 0.25, 10.0
PHONE = "+380670000002"  # the test citizen's own number


def sign(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ViberCitizen:
    _tokens = itertools.count(7_000_000_000)
    _ids = itertools.count(1)

    def __init__(self, client: TestClient, api: FakeViberApi, token: str) -> None:  # type: ignore[type-arg]
        self.client, self.api, self.token = client, api, token
        self.user = f"viber-user-{next(self._ids)}=="
        self.phone = PHONE

    async def post(self, event: dict[str, Any], *, sign_with: str | None = None) -> Any:
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {
            "X-Viber-Content-Signature": sign(body, sign_with or self.token),
            "Content-Type": "application/json",
        }
        return await self.client.post("/viber/webhook", data=body, headers=headers)

    def message_event(self, message: dict[str, Any], token: int | None = None) -> dict[str, Any]:
        return {
            "event": "message", "timestamp": int(time.time() * 1000),
            "message_token": token if token is not None else next(self._tokens),
            "sender": {"id": self.user, "name": "Громадянин", "language": "uk", "api_version": 10},
            "message": message,
        }  # fmt: skip

    async def _act(self, event: dict[str, Any]) -> Seen:
        before = len(self.api.to(self.user))
        resp = await self.post(event)
        assert resp.status == 200, await resp.text()
        count, last_change, deadline = before, time.monotonic(), time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            await asyncio.sleep(0.03)
            now = len(self.api.to(self.user))
            if now != count:
                count, last_change = now, time.monotonic()
            elif count > before and time.monotonic() - last_change >= QUIET:
                break
        return self.seen(self.api.to(self.user)[before:])

    @staticmethod
    def seen(messages: list[dict[str, Any]]) -> Seen:
        buttons = [
            (b["Text"], b["ActionBody"])
            for m in messages
            for b in (m.get("keyboard") or {}).get("Buttons", [])
        ]
        return Seen([m.get("text", "") for m in messages], buttons)

    async def send_text(self, text: str) -> Seen:
        return await self._act(self.message_event({"type": "text", "text": text}))

    def keyboard(self) -> list[dict[str, Any]]:
        """The buttons of the keyboard the bot sent last (Viber shows the newest one)."""
        for message in reversed(self.api.to(self.user)):
            if message.get("keyboard"):
                return list(message["keyboard"].get("Buttons", []))
        return []

    async def send_contact(self, phone: str | None = None) -> Seen:
        """Share a phone number as Viber's share-phone button does: a contact message."""
        contact = {"name": "Громадянин", "phone_number": phone or self.phone}
        return await self._act(self.message_event({"type": "contact", "contact": contact}))

    async def verify(self) -> Seen:
        """Prove the phone as the verify room asks: Viber's share-phone button."""
        return await self.send_contact()

    async def press(self, payload: str) -> Seen:
        """Press the button with this ActionBody: a reply button sends it as text, a share-phone one the
        citizen's number as a contact."""
        pressed = next((b for b in self.keyboard() if b.get("ActionBody") == payload), None)
        if pressed is not None and pressed.get("ActionType") == "share-phone":
            return await self.send_contact()
        return await self._act(self.message_event({"type": "text", "text": payload}))
