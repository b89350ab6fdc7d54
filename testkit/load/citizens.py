"""The citizens of the load harness (testkit/load): a Telegram or Viber citizen sends a message or a press and
waits for the whole reply, and `walk` is one citizen's visit (a situation, its questions, a reminder, a booking
raced for, a question to an operator), raising on anything a citizen would see as a failure."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientError, ClientSession

from testkit.load.wire import (
    VIBER_TOKEN,
    Inbox,
    Msg,
    NoReply,
    ReplyLost,
    Tally,
)
from testkit.people import phone_for
from testkit.viber.citizen import sign

THINK = 0.1  # seconds a citizen takes between a reply and their next message
PRESSES = 30  # booking presses before a citizen gives up (500 citizens race for the same places)
PATIENCE = 15.0  # seconds to wait for a reply
QUIET = 0.3  # Viber: seconds without a new message that end a reply
SORRY = "технічна помилка"
SITUATIONS = ("народження дитини", "народилася донька що робити", "помер батько", "втрата близької людини",
              "я ветеран", "померла мама, що оформити")  # fmt: skip
CODE = re.compile(r"Код запису: (?:\*\*|<b>)?([A-Z0-9]{3}-[A-Z0-9]{3})")



class Citizen:
    channel = ""

    def __init__(self, ident: str, inbox: Inbox, tally: Tally) -> None:
        self.id, self.inbox, self.tally = ident, inbox, tally
        self.buttons: list[tuple[str, str]] = []
        self.text = ""
        self.busy = False

    async def _send(self, text: str | None, payload: str | None, phone: str | None = None) -> float | None:
        """Post one message or press (or share the citizen's own `phone` as the channel's contact); the moment
        it was acknowledged when the channel says (Telegram)."""
        raise NotImplementedError

    async def step(
        self,
        text: str | None = None,
        payload: str | None = None,
        until: Callable[[list[Msg]], bool] | None = None,
        phone: str | None = None,
    ) -> None:
        """Send, and wait for the whole reply: on Telegram the 200 (sent after the replies); on Viber, `until` the
        messages so far satisfy it, or else the first message with buttons and QUIET seconds of nothing more."""
        start_count = self.inbox.count(self.id)
        t0 = time.monotonic()
        self.busy = True
        self.inbox.waiting.add(self.id)
        try:
            acked = await self._send(text, payload, phone)
            msgs = await self._reply(start_count, acked, until)
        finally:
            self.busy = False
            self.inbox.waiting.discard(self.id)
        last = max(m.at for m in msgs if m.buttons)
        self.tally.latencies.append((last - t0) * 1000)
        self.tally.steps += 1
        self.text = "\n".join(m.text for m in msgs)
        self.buttons = next(m.buttons for m in reversed(msgs) if m.buttons)
        if SORRY in self.text:
            raise RuntimeError("an apology for a technical error")
        await asyncio.sleep(THINK)

    async def _reply(
        self, start: int, acked: float | None, until: Callable[[list[Msg]], bool] | None
    ) -> list[Msg]:
        deadline = time.monotonic() + PATIENCE
        event = self.inbox.event(self.id)
        while True:
            msgs = self.inbox.since(self.id, start)
            if acked is not None and any(m.buttons for m in msgs):
                return msgs  # Telegram: every reply was sent before the 200
            if acked is None and until is not None and until(msgs):
                return msgs
            if acked is None and until is None and any(m.buttons for m in msgs):
                # Viber sends in the background, a message at a time: the reply is whole once nothing more
                # arrives for QUIET seconds (what a person sees, too).
                await asyncio.sleep(QUIET)
                if len(self.inbox.since(self.id, start)) == len(msgs):
                    return msgs
                continue
            event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplyLost("its step acknowledged (saved), its reply never came")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=left)

    def payloads(self, prefix: str) -> list[str]:
        return [p for _, p in self.buttons if p.startswith(prefix)]


class TelegramCitizen(Citizen):
    channel = "telegram"

    def __init__(self, ident: int, inbox: Inbox, tally: Tally, emulator: str, token: str, http: ClientSession,
                 waiters: dict[str, asyncio.Future[float]]) -> None:  # fmt: skip
        super().__init__(str(ident), inbox, tally)
        self.user = {"id": ident, "is_bot": False, "first_name": "Громадянин", "language_code": "uk"}
        self.chat = {"id": ident, "type": "private", "first_name": "Громадянин"}
        self.emulator, self.token, self.http, self.waiters = emulator, token, http, waiters

    async def _send(self, text: str | None, payload: str | None, phone: str | None = None) -> float | None:
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[self.id] = waiter
        now = int(time.time())
        if phone is not None:  # «share my number»: the contact is the sender's own
            contact = {"phone_number": phone, "first_name": "Громадянин", "user_id": self.user["id"]}
            route, body = "sendMessage", {"from": self.user, "chat": self.chat, "date": now, "contact": contact}
        elif payload is not None:
            message = {"message_id": 1, "date": now, "chat": self.chat, "text": ""}
            route, body = (
                "sendCallback",
                {"from": self.user, "message": message, "data": payload, "date": now},
            )
        else:
            assert text is not None
            body = {"from": self.user, "chat": self.chat, "date": now, "text": text}
            route = "sendMessage"
            if text.startswith("/"):
                body["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
                route = "sendCommand"
        async with self.http.post(f"{self.emulator}/{route}", json={**body, "botToken": self.token}) as resp:
            await resp.read()
        try:
            return await asyncio.wait_for(waiter, timeout=PATIENCE * 4)
        except TimeoutError:
            raise NoReply("never acknowledged") from None


class ViberCitizen(Citizen):
    channel = "viber"
    _tokens = itertools.count(8_000_000_000)

    def __init__(self, ident: str, inbox: Inbox, tally: Tally, webhook: str, http: ClientSession) -> None:
        super().__init__(ident, inbox, tally)
        self.webhook, self.http = webhook, http

    async def _send(self, text: str | None, payload: str | None, phone: str | None = None) -> float | None:
        message: dict[str, Any] = {"type": "text", "text": payload if payload is not None else text}
        if phone is not None:  # the share-phone button: a contact message with the account's own number
            message = {"type": "contact", "contact": {"name": "Громадянин", "phone_number": phone}}
        last = self.inbox.messages.get(self.id, [])
        tracking = next((m.tracking for m in reversed(last) if m.tracking), None)
        if tracking:
            message["tracking_data"] = tracking  # the Viber client echoes the last message's tracking data
        event = {"event": "message", "timestamp": int(time.time() * 1000), "message_token": next(self._tokens),
                 "sender": {"id": self.id, "name": "Громадянин", "language": "uk", "api_version": 10},
                 "message": message}  # fmt: skip
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {"X-Viber-Content-Signature": sign(body, VIBER_TOKEN), "Content-Type": "application/json"}
        deadline, pause = time.monotonic() + 60, 0.05
        while True:
            try:
                async with self.http.post(self.webhook, data=body, headers=headers) as resp:
                    answer = await resp.read()
                    if resp.status == 200 and b'"ok"' in answer:
                        self.tally.acked_updates["viber"].add(str(event["message_token"]))
                        return None
                    why = f"http {resp.status} {answer[:60]!r}"
            except (TimeoutError, ClientError) as exc:
                why = type(exc).__name__
            self.tally.resent["viber"] += 1
            self.tally.resent_ids.add(("viber", self.id))
            if time.monotonic() > deadline:
                self.tally.samples.setdefault("viber callback never acknowledged", why)
                raise RuntimeError("viber callback never acknowledged")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


def asked(msgs: list[Msg]) -> bool:
    return any(p.startswith("a:") for m in msgs for _, p in m.buttons) or any(
        "Ваш перелік" in m.text for m in msgs
    )


async def walk(c: Citizen, rng: random.Random) -> None:
    """One citizen's visit; raises on anything a citizen would see as a failure."""
    await c.step(text="/start")
    # A situation starts with an introduction (with buttons of its own) and then its first question.
    await c.step(text=rng.choice(SITUATIONS), until=asked)
    for _ in range(8):
        answers = c.payloads("a:")
        if not answers:
            break
        await c.step(payload=rng.choice(answers))
    remind = c.payloads("h:e:")
    if remind and rng.random() < 0.5:
        await c.step(payload=remind[0])
        await c.step(payload=c.payloads("h:ed:")[0])
        if "нагадаю" not in c.text:
            raise LookupError("no «нагадаю» after a reminder date")
        c.tally.reminded.add((c.channel, c.id))
    await c.step(text="хочу записатися на прийом")
    await c.step(payload=rng.choice(c.payloads("q:g:")))
    for _ in range(PRESSES):
        if "вас записано" in c.text:
            found = CODE.search(c.text)
            if found is None:
                raise LookupError("a booking without a code")
            c.tally.codes.add(found.group(1))
            break
        if c.payloads("pv:"):  # a booking needs a verified phone: the channel's own «share my number»
            await c.step(phone=phone_for(c.channel, c.id))
            continue
        offices = [p for p in c.payloads("q:o:") if p != "q:o:ya-veteran"]  # that one is for veterans only
        if offices:
            await c.step(payload=rng.choice(offices))
            continue
        for prefix in ("q:ok:", "q:t:", "q:a:", "q:d:", "q:p:no", "q:s:"):
            if options := c.payloads(prefix):
                await c.step(payload=rng.choice(options))
                break
        else:
            raise LookupError("booking: no button to go on")
    else:
        raise LookupError(f"booking: no place after {PRESSES} presses")
    await c.step(text="прописка")
    if rng.random() < 0.2:
        await c.step(text="/operator")
        if c.payloads("o:q"):  # out of hours: leave a question
            await c.step(payload="o:q")
            await c.step(text="Чи можна подати заяву без паспорта, лише з ID-карткою?")
            if "передано" not in c.text:
                raise LookupError("no «передано» after a question")
            c.tally.questions.add((c.channel, c.id))
        elif "черз" in c.text:  # in hours: queued for a live operator
            c.tally.questions.add((c.channel, c.id))
        else:
            raise LookupError("/operator: neither a queue nor a question offered")


async def citizen_task(c: Citizen, seed: int, tally: Tally, start: asyncio.Event) -> None:
    await start.wait()
    try:
        await walk(c, random.Random(seed))
        tally.walks_done += 1
    except NoReply as exc:
        key = f"{c.channel}: no reply: {exc}"
        tally.errors[key] += 1
        if isinstance(exc, ReplyLost):
            tally.lost_ids.add((c.channel, c.id))
        tally.samples.setdefault(key, f"after: {c.text[:80]!r}")
    except Exception as exc:
        key = f"{c.channel}: {exc}"
        tally.errors[key] += 1
        tally.samples.setdefault(key, f"{c.text[:160]!r} {[p for _, p in c.buttons][:8]}")

