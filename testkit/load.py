"""Load: citizens at once walking life situations, reminders and booking through the real channels, on two bot
processes (PostgreSQL + Redis, webhook mode behind nginx) against one process on SQLite, in the same run; then the
same load with one of the two processes killed (SIGKILL) part-way.

The harness of the load benchmark (bench/load.py) and of tests/scale/test_kill.py (a small kill phase).

What runs, all on loopback:
- `python -m bot` processes as deployed: TELEGRAM_MODE=webhook, Viber, an operator group; flood control off and
  Telegram's pacing raised (FLOOD_BURST=0, TELEGRAM_*_RATE), so the figures are the bot's work, not the limits.
- nginx with the shipped site (deploy/nginx/viza-bot.conf, rewritten for loopback ports exactly as
  tests/test_deploy.py does, with testkit/servers.py) in front of them, over TLS.
- Telegram: the telegram-test-api emulator with the test adapter in front (testkit/telegram/adapter.py). The
  emulator calls the webhook without Telegram's secret header, numbers updates only after the webhook answers
  (so updates in flight at once share an update_id), and crashes on a failed webhook; so its webhook goes to
  `Relay`, which does what Telegram does: a unique update_id per update, the secret header, and the update sent
  again (same id) until a process answers 200.
- Viber: citizens post signed callbacks to nginx (message_token unique, sent again until 200, as Viber does),
  echoing the tracking data of the bot's last message as the Viber client does; replies land in the fake Viber
  API (testkit/viber/fake_api.py).

Half the citizens are on Telegram, half on Viber. Each one: /start; a situation in their words; its questions
answered (random buttons); half of them ask for its deadline reminders; a typed «хочу записатися на прийом»,
a random topic, service, day and time (another if taken), confirmed; «прописка» typed; one in five then asks for
an operator (out of hours: leaves a question; in hours: queues). A step's latency runs from the citizen's send to
the reply's last message with buttons (on Telegram the step also waits for the process's 200 to the relay, which
comes after the replies are sent); then the citizen waits THINK seconds and goes on. Errors: a reply that never comes (15 s), a send that
never gets 200, a walk that gets stuck (no expected button), an apology for a technical error, a traceback in a
process's log.

After each phase the database is checked against what citizens were acknowledged: every Telegram update_id and
Viber message_token that got a 200 is in processed_updates (saved in the step's own transaction); every booking
code shown exists, active; every citizen told «нагадаю» has reminders; every question acknowledged has a ticket;
no place holds more bookings than its windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from knowledge import load_knowledge
from storage.booking import Booking
from storage.handoff import Ticket
from storage.models import ProcessedUpdate, User
from storage.reminders import Reminder
from testkit.net import free_port
from testkit.people import phone_for
from testkit.servers import nginx_args, site_config, throwaway_postgres, throwaway_redis, wait_for
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.emulator import start_emulator
from testkit.viber.citizen import sign
from testkit.viber.fake_api import FakeViberApi

PROFILE = bool(os.environ.get("LOAD_PROFILE"))  # cProfile each bot process into <workdir>/<phase>-<n>.prof
GROUP = -1001234567890
OPERATOR = 501
SECRET = "load-bench-secret"
VIBER_TOKEN = "load-bench-viber-token"
TELEGRAM_CONNECTIONS = 40  # Telegram's default for a webhook's simultaneous connections
THINK = 0.1  # seconds a citizen takes between a reply and their next message
PRESSES = 30  # booking presses before a citizen gives up (500 citizens race for the same places)
PATIENCE = 15.0  # seconds to wait for a reply
QUIET = 0.3  # Viber: seconds without a new message that end a reply
SORRY = "технічна помилка"
SITUATIONS = ("народження дитини", "народилася донька що робити", "помер батько", "втрата близької людини",
              "я ветеран", "померла мама, що оформити")  # fmt: skip
CODE = re.compile(r"Код запису: (?:\*\*|<b>)?([A-Z0-9]{3}-[A-Z0-9]{3})")


@dataclass
class Msg:
    at: float
    text: str
    buttons: list[tuple[str, str]]  # (label, payload): callback_data on Telegram, ActionBody on Viber
    tracking: str | None = None


class Inbox:
    """What the bot sent each chat, in order, with a wake-up for whoever waits on it."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Msg]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self.waiting: set[str] = set()  # chats whose citizen is in a step
        self.late = 0

    def add(self, chat: str, msg: Msg) -> None:
        self.messages.setdefault(chat, []).append(msg)
        if chat not in self.waiting:
            self.late += 1  # arrived while its citizen was not waiting: after the reply was taken as whole
        self.event(chat).set()

    def event(self, chat: str) -> asyncio.Event:
        return self._events.setdefault(chat, asyncio.Event())

    def count(self, chat: str) -> int:
        return len(self.messages.get(chat, []))

    def since(self, chat: str, start: int) -> list[Msg]:
        return self.messages.get(chat, [])[start:]


class LoadAdapter(EmulatorAdapter):
    """The test adapter, telling the inbox what the bot sends or edits in a private chat."""

    def __init__(self, emulator_url: str, inbox: Inbox) -> None:
        super().__init__(emulator_url)
        self.inbox = inbox
        self.app.middlewares.append(self.note)

    async def _message_exists(self, token: str, chat_id: str, message_id: str) -> bool:
        """Every edit is taken: the adapter's check reads the emulator's whole history, which grows with the load
        (thousands of messages) and made each edit cost more than the bot's step. Citizens here press buttons of
        the newest message, which exists."""
        return True

    @web.middleware
    async def note(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if request.match_info.get("method", "").lower() in ("sendmessage", "editmessagetext"):
            params: dict[str, Any] = dict(await request.post())
            chat = str(params.get("chat_id"))
            if not chat.startswith("-"):
                markup = params.get("reply_markup") or "{}"
                markup = json.loads(markup) if isinstance(markup, str) else markup
                buttons = [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
                           for b in row]  # fmt: skip
                self.inbox.add(chat, Msg(time.monotonic(), str(params.get("text", "")), buttons))
        return response


class LoadViberApi(FakeViberApi):
    """The fake Viber API, telling the inbox what the bot sends each citizen."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        buttons = [
            (b.get("Text", ""), b.get("ActionBody", ""))
            for b in (body.get("keyboard") or {}).get("Buttons", [])
        ]
        self.inbox.add(str(body.get("receiver")), Msg(time.monotonic(), body.get("text", ""), buttons,
                                                      body.get("tracking_data")))  # fmt: skip
        return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self._tokens)})


@dataclass
class Tally:
    """One phase's figures."""

    latencies: list[float] = field(default_factory=list)  # ms per step
    errors: Counter[str] = field(default_factory=Counter)
    resent: Counter[str] = field(default_factory=Counter)  # deliveries sent again after a failure, by channel
    acked_updates: dict[str, set[str]] = field(default_factory=lambda: {"telegram": set(), "viber": set()})
    codes: set[str] = field(default_factory=set)  # booking codes shown to citizens
    reminded: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) told «нагадаю»
    questions: set[tuple[str, str]] = field(
        default_factory=set
    )  # (channel, id) whose ticket was acknowledged
    walks_done: int = 0
    steps: int = 0
    in_flight_at_kill: Counter[str] = field(default_factory=Counter)
    waiting_at_kill: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) in a step at the kill
    resent_ids: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) with a delivery sent again
    lost_ids: set[tuple[str, str]] = field(default_factory=set)  # (channel, id) whose saved step got no reply
    samples: dict[str, str] = field(default_factory=dict)  # an example of each error


class NoReply(Exception):
    pass


class ReplyLost(NoReply):
    """The step was acknowledged (so saved), and its reply never came."""


class Relay:
    """Telegram's webhook delivery, between the emulator and nginx (see the module's docstring)."""

    def __init__(self, target: str, tally: Tally, waiters: dict[str, asyncio.Future[float]]) -> None:
        self.target, self.tally, self.waiters = target, tally, waiters
        # Telegram opens at most setWebhook's max_connections (40 by default) to a bot at once; the rest wait.
        self.connections = asyncio.Semaphore(TELEGRAM_CONNECTIONS)
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_post("/telegram/webhook", self.deliver)
        self.http: ClientSession | None = None

    async def deliver(self, request: web.Request) -> web.Response:
        update = await request.json()
        update["update_id"] = next(self._ids)
        if "callback_query" in update:
            update["callback_query"].setdefault("chat_instance", "load-bench")
            chat = str(update["callback_query"]["from"]["id"])
        else:
            chat = str(update["message"]["chat"]["id"])
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert self.http is not None
        deadline, pause = time.monotonic() + 60, 0.05
        while True:
            try:
                async with self.connections, self.http.post(self.target, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        self.tally.acked_updates["telegram"].add(str(update["update_id"]))
                        waiter = self.waiters.pop(chat, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(time.monotonic())
                        return web.json_response({"ok": True})
                    why = f"http {resp.status}"
            except (TimeoutError, ClientError) as exc:
                why = type(exc).__name__
            self.tally.resent["telegram"] += 1
            self.tally.resent_ids.add(("telegram", chat))
            if time.monotonic() > deadline:
                self.tally.errors["telegram update never acknowledged"] += 1
                self.tally.samples.setdefault("telegram update never acknowledged", why)
                return web.json_response({"ok": True})  # the emulator must not see a failure: it would crash
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


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


# ---- the processes -------------------------------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_by_name(*names: str) -> float:
    """CPU seconds of every live process whose command is one of `names` (PostgreSQL's backends, nginx's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                total += cpu_seconds(int(entry.name))
    return total


@dataclass
class Stack:
    """Shared for all phases: the emulator, its adapter, the fake Viber API, the inbox."""

    emulator: str
    adapter_url: str
    viber_url: str
    inbox: Inbox
    viber: LoadViberApi
    emulator_pid: int


def bot_env(
    port: int, database_url: str, redis_url: str | None, stack: Stack, token: str, relay: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "VIBER_", "REDIS_", "OPERATOR_"))
    }
    env.update({
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_SERVER": stack.adapter_url, "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": relay,
        "TELEGRAM_PER_CHAT_RATE": "50", "TELEGRAM_GLOBAL_RATE": "5000",
        "VIBER_AUTH_TOKEN": VIBER_TOKEN, "VIBER_API_URL": stack.viber_url,
        "OPERATOR_CHAT_ID": str(GROUP), "OPERATOR_IDS": str(OPERATOR), "FLOOD_BURST": "0",
    })  # fmt: skip
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


async def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    until = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}") from None
            if time.monotonic() > until:
                raise RuntimeError(f"{what} did not come up") from None
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def nginx_in_front(ports: list[int]) -> Iterator[tuple[int, Path]]:
    """The shipped nginx site for these bot ports (a second, dead port when there is one process): its HTTPS port
    and its folder (the access log is viza-bot.access.log there)."""
    root = Path(tempfile.mkdtemp(prefix="viza-load-nginx-"))
    https = free_port()
    conf = site_config(root, http_port=free_port(), https_port=https, bot_port=ports[0],
                       dead_port=ports[1] if len(ports) > 1 else free_port())  # fmt: skip
    # 500 citizens hold ~1,000 connections through nginx; the tests' 256 are too few.
    conf.write_text(conf.read_text().replace("worker_connections 256;", "worker_connections 4096;"))
    proc = subprocess.Popen(nginx_args(root, conf, " daemon off;"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(https, proc, "nginx")  # nothing on this event loop waits for nginx meanwhile
        yield https, root
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def run_phase(
    name: str, stack: Stack, citizens: int, database_url: str, redis_url: str | None, processes: int,
    kill_after: float | None, workdir: Path, seed: int,
) -> tuple[Tally, float, dict[str, Any]]:  # fmt: skip
    tally = Tally()
    token = f"{900 + seed}:LOAD-{name}"
    ports = [free_port() for _ in range(processes)]
    waiters: dict[str, asyncio.Future[float]] = {}
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # nginx's self-signed certificate
    with nginx_in_front(ports) as (https, nginx_root):
        front = f"https://127.0.0.1:{https}"
        relay = Relay(f"{front}/telegram/webhook", tally, waiters)
        async with (
            serving(relay.app) as relay_url,
            ClientSession(
                connector=TCPConnector(limit=0, ssl=insecure), timeout=ClientTimeout(total=40)
            ) as tls,
            # The emulator (node) closes a connection idle for 5 s: reuse them for less than that.
            ClientSession(
                connector=TCPConnector(limit=0, keepalive_timeout=2), timeout=ClientTimeout(total=40)
            ) as plain,
        ):
            relay.http = tls
            procs, logs = [], []
            for i, port in enumerate(ports):
                log = workdir / f"{name}-{i}.log"
                logs.append(log)
                env = bot_env(port, database_url, redis_url, stack, token, relay_url)
                with log.open("wb") as out:
                    profile = ["-m", "cProfile", "-o", str(workdir / f"{name}-{i}.prof")] if PROFILE else []
                    procs.append(subprocess.Popen([sys.executable, *profile, "-m", "bot"], cwd=workdir, env=env,
                                                  stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
                await wait_listening(port, procs[-1], f"bot process {i}")  # one by one: migrations first
            await asyncio.sleep(1.0)  # webhooks set, schedulers started
            start = asyncio.Event()
            people: list[Citizen] = []
            for i in range(citizens):
                if i % 2 == 0:
                    people.append(TelegramCitizen(10_000_000 * (seed + 1) + i, stack.inbox, tally, stack.emulator,
                                                  token, plain, waiters))  # fmt: skip
                else:
                    people.append(
                        ViberCitizen(f"load{seed}-{i}==", stack.inbox, tally, f"{front}/viber/webhook", tls)
                    )
            tasks = [
                asyncio.create_task(citizen_task(c, seed * 100_000 + i, tally, start))
                for i, c in enumerate(people)
            ]
            late = stack.inbox.late
            servers = ("postgres", "redis-server", "nginx")
            cpu0 = {"harness": time.process_time(), "emulator": cpu_seconds(stack.emulator_pid),
                    "servers": cpu_by_name(*servers)}  # fmt: skip
            bots0 = [cpu_seconds(p.pid) for p in procs]  # start-up (imports, the search index) is not a step
            t0 = time.monotonic()
            start.set()
            killed: dict[str, Any] = {}
            if kill_after is not None:
                expected = citizens * 16
                while tally.steps < expected * kill_after and not all(t.done() for t in tasks):
                    await asyncio.sleep(0.01)
                busy = Counter(c.channel for c in people if c.busy)
                tally.waiting_at_kill = {(c.channel, c.id) for c in people if c.busy}
                procs[0].send_signal(signal.SIGKILL)
                killed = {"at_step": tally.steps, "at_s": round(time.monotonic() - t0, 1),
                          "citizens_waiting": dict(busy)}  # fmt: skip
                tally.in_flight_at_kill.update(busy)
            await asyncio.gather(*tasks)
            wall = time.monotonic() - t0
            cpu = {f"bot process {i}": cpu_seconds(p.pid) - bots0[i] for i, p in enumerate(procs)}
            cpu["harness (citizens, adapter, relay, fake Viber)"] = time.process_time() - cpu0["harness"]
            cpu["emulator"] = cpu_seconds(stack.emulator_pid) - cpu0["emulator"]
            cpu["postgres, redis, nginx"] = cpu_by_name(*servers) - cpu0["servers"]
            cpu_per_kstep = {k: round(v / max(tally.steps, 1) * 1000, 1) for k, v in cpu.items()}
            await asyncio.sleep(2.0)  # let the last outbox rows go out
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            tracebacks = sum(log.read_text(errors="replace").count("Traceback") for log in logs)
            if tracebacks:
                tally.errors["tracebacks in the processes' logs"] += tracebacks
            killed["late_messages"] = stack.inbox.late - late
            killed["nginx"] = nginx_figures(nginx_root / "viza-bot.access.log", ports)
            killed["cpu_s_per_1000_steps"] = cpu_per_kstep
            killed["verify"] = await verify(database_url, tally)
    return tally, wall, killed


def nginx_figures(log: Path, ports: list[int]) -> dict[str, int]:
    """From nginx's access log: requests answered by each process, those that died with a process (502: the
    process was killed after it got them), and those passed on after a refused connection (two upstreams)."""
    figures: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        found = re.search(r'" (\d{3}) \d+ [\d.]+ "([^"]*)"', line)
        if found is None:
            continue
        status, upstreams = found.group(1), found.group(2)
        if status == "502":
            figures["502: lost with the killed process, sent again by the messenger"] += 1
        if "," in upstreams:
            figures["refused by the dead process, passed to the other"] += 1
        last = upstreams.split(",")[-1].strip()
        for i, port in enumerate(ports):
            if last.endswith(f":{port}") and status == "200":
                figures[f"answered 200 by process {i}"] += 1
    return dict(figures)


async def verify(database_url: str, tally: Tally) -> dict[str, Any]:
    """What the database holds of what citizens were acknowledged."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as db:
            missing: dict[str, int] = {}
            for channel, keys in tally.acked_updates.items():
                stored = set(
                    (
                        await db.scalars(
                            select(ProcessedUpdate.key).where(ProcessedUpdate.channel == channel)
                        )
                    ).all()
                )
                missing[f"{channel} updates acknowledged, not saved"] = len(keys - stored)
            active = set((await db.scalars(select(Booking.code).where(Booking.status == "booked"))).all())
            missing["booking codes shown, not active"] = len(tally.codes - active)

            async def citizens_with(model: type[Reminder] | type[Ticket]) -> set[tuple[str, str]]:
                query = select(User.channel, User.external_id).join(model, model.user_id == User.id)
                return {(channel, ident) for channel, ident in (await db.execute(query)).all()}

            missing["citizens told «нагадаю», without reminders"] = len(
                tally.reminded - await citizens_with(Reminder)
            )
            missing["questions acknowledged, without a ticket"] = len(
                tally.questions - await citizens_with(Ticket)
            )
            kb = load_knowledge()
            assert kb.booking is not None
            windows = {(o.office, g.id): g.windows for o in kb.booking.offices for g in o.groups}
            rows = (await db.execute(
                select(Booking.office, Booking.resource, Booking.start, func.count(), func.max(Booking.place))
                .where(Booking.status == "booked", Booking.kind == "office")
                .group_by(Booking.office, Booking.resource, Booking.start)
            )).all()  # fmt: skip
            missing["slots with more bookings than windows"] = sum(
                1
                for office, group, _, n, top in rows
                if n > windows[(office, group)] or top >= windows[(office, group)]
            )
            missing["bookings in the database"] = int(
                (await db.scalar(select(func.count()).select_from(Booking))) or 0
            )
            return missing
    finally:
        await engine.dispose()


def summary(name: str, tally: Tally, wall: float) -> dict[str, Any]:
    lat = sorted(tally.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 100 else [float("nan")] * 99
    return {
        "phase": name, "steps": tally.steps, "walks_done": tally.walks_done, "wall_s": round(wall, 1),
        "steps_per_s": round(tally.steps / wall, 1), "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1),
        "max_ms": round(lat[-1], 1) if lat else None, "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors), "resent": dict(tally.resent), "bookings_shown": len(tally.codes),
        "samples": tally.samples,
    }  # fmt: skip


@contextlib.asynccontextmanager
async def harness() -> AsyncIterator[Stack]:
    """The emulator with its adapter and the fake Viber API, for as many phases as needed."""
    inbox = Inbox()
    viber = LoadViberApi(inbox)
    proc, emulator = await start_emulator()
    adapter = LoadAdapter(emulator, inbox)
    try:
        async with serving(adapter.app) as adapter_url:
            viber_url = await viber.serve()
            try:
                yield Stack(emulator, adapter_url, viber_url, inbox, viber, proc.pid)
            finally:
                await viber.stop()
    finally:
        await adapter.close()
        assert proc.stdin is not None
        proc.stdin.close()
        proc.terminate()
        await proc.wait()


async def phase(
    name: str, stack: Stack, citizens: int, workdir: Path, seed: int, kill_after: float = 0.3
) -> dict[str, Any]:
    """One phase by name: sqlite (one process), postgres or postgres+redis (one process), pair (two processes,
    PostgreSQL + Redis), kill (pair, one of them killed after `kill_after` of the expected steps)."""
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/{name}-{seed}.sqlite3"  # update ids restart with every phase
        tally, wall, extra = await run_phase(name, stack, citizens, url, None, 1, None, workdir, seed)
    else:
        with throwaway_postgres("viza-load-pg-") as url, throwaway_redis() as (redis_url, _, _):
            if name in ("postgres", "postgres+redis"):  # one process: what PostgreSQL and Redis cost
                shared = redis_url if name == "postgres+redis" else None
                tally, wall, extra = await run_phase(
                    name, stack, citizens, url, shared, 1, None, workdir, seed
                )
            elif name in ("pair", "kill"):
                kill = kill_after if name == "kill" else None
                tally, wall, extra = await run_phase(
                    name, stack, citizens, url, redis_url, 2, kill, workdir, seed
                )
            else:
                raise ValueError(f"unknown phase {name!r}")
    row = {**summary(name, tally, wall), **extra}
    if tally.in_flight_at_kill:
        row["in_flight_at_kill"] = dict(tally.in_flight_at_kill)
        # A reply can be lost only to a citizen whose request the kill caught: on Telegram one sent again (the
        # 200 comes after the replies), on Viber one waiting for replies at the kill (they are sent after the 200).
        row["replies_lost"] = len(tally.lost_ids)
        row["replies_lost_outside_the_kill"] = sum(
            1
            for channel, ident in tally.lost_ids
            if (channel, ident) not in (tally.resent_ids if channel == "telegram" else tally.waiting_at_kill)
        )
    return row
