"""Hostile-input generators (hypothesis strategies) and the real app they are thrown at, shared by the bounded fuzz
in the suite (tests/test_fuzz.py) and the 100,000-input benchmark (bench/fuzz.py).

The app is `bot.app.build` on a temporary SQLite file with all three channels on: the web chat and the Viber
webhook are reached over HTTP on loopback (a fake Viber REST API records what the bot sends), Telegram updates are
fed to the bot's real aiogram Dispatcher with a fake session. Every outcome says what came back and how long it
took; a logging handler collects every record that carries a traceback or is an error."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge
from knowledge.search import SearchIndex
from testkit.clocks import test_clock
from testkit.fake_telegram import FakeSession
from testkit.viber.citizen import sign
from testkit.viber.fake_api import FakeViberApi

VIBER_TOKEN = "fuzz-viber-token-0123456789abcdef"
TELEGRAM_TOKEN = "4242:FUZZ"

# --- generators ----------------------------------------------------------------------------------------------

# Text as hostile clients send it: any code point, lone surrogates included, plus pieces the bot knows.
KNOWN_WORDS = [
    "/start",
    "/help",
    "/my",
    "/reminders",
    "/forget",
    "прописка",
    "паспорт",
    "не знаю",
    "так",
    "ні",
    "меню",
    "назад",
    "оператор",
    "контакти",
    "/start tr_abc",
    "/start birth",
    "дякую",
]
PAYLOADS = [
    "m",
    "m:svc",
    "m:sit",
    "s:birth",
    "s:ya-veteran",
    "a:birth:married:yes",
    "n:birth:married",
    "b",
    "r",
    "c",
    "w",
    "f",
    "f:yes",
    "v:municipal-nanny",
    "v:municipal-nanny:term",
    "o",
    "o:live",
    "q:ok:abc",
    "k:book",
    "x" * 64,
    "ї" * 32,
    ":::",
    "a:" + "x" * 70,
]
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
huge_ints = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 5, max_value=2**64 + 5),
    st.integers(min_value=10**20, max_value=10**200),
    st.integers(max_value=-(2**63)),
)
scalars = st.one_of(st.none(), st.booleans(), huge_ints, st.floats(), any_text, st.sampled_from(KNOWN_WORDS))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(
    strategy: st.SearchStrategy[Any], junk: st.SearchStrategy[Any] = json_values
) -> st.SearchStrategy[Any]:
    """Mostly what the field should hold, sometimes (about one time in 16) anything at all."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        return draw(junk) if draw(st.integers(0, 15)) == 7 else draw(strategy)  # not an end: those come often

    return build()


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight (hypothesis' one_of favours the first)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    table.append(choices[0][1])  # hypothesis draws both ends of a range often: let both be the usual choice

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        return draw(table[draw(st.integers(0, len(table) - 1))])

    return build()


texts = weighted(
    (3, any_text),
    (3, st.sampled_from(KNOWN_WORDS)),
    (2, st.sampled_from(PAYLOADS)),
    (1, st.text(max_size=3000)),
    (2, st.builds(lambda w, t: w + t, st.sampled_from(KNOWN_WORDS), any_text)),
)


def _mangled(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The dict with some keys dropped and unknown ones added."""
    out = dict(base)
    for key in list(out):
        if draw(st.integers(0, 15)) == 7:
            del out[key]
    out.update(draw(st.dictionaries(st.text(max_size=12), json_values, max_size=2)))
    return out


def with_extras(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with some keys dropped and unknown ones added."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return _mangled(draw, draw(strategy))

    return build()


def encode(value: Any, ascii_only: bool) -> bytes:
    """JSON bytes: with ASCII escapes a lone surrogate is a valid «\\ud800»; without, it is invalid UTF-8."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def _nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(1, 5000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = '{"session":"fuzz-1","text":"прописка"}' if draw(st.booleans()) else "1"
    return (opener * depth + inner + closer * depth).encode()


@st.composite
def _huge_literal(draw: st.DrawFn) -> bytes:
    digits = "9" * draw(st.integers(1, 20000))
    field_name = draw(st.sampled_from(["text", "payload", "session", "x"]))
    return f'{{"session":"fuzz-1","{field_name}":{digits}}}'.encode()


sessions = weighted(
    (6, st.integers(1, 300).map(lambda n: f"fuzz-{n}")),  # many citizens: flood control calms a busy one
    (2, st.from_regex(r"[\w.:-]{1,64}", fullmatch=True)),
    (1, st.text(max_size=70)),
    (1, st.sampled_from(["fuzz-1\n", "x" * 65, "", " "])),
    (1, json_values),
)
chat_objects = with_extras(
    st.fixed_dictionaries(
        {"session": sessions},
        optional={"text": maybe(texts), "payload": maybe(st.one_of(st.sampled_from(PAYLOADS), texts))},
    )
)
web_bodies = weighted(
    (6, chat_objects.map(lambda v: encode(v, True))),
    (2, chat_objects.map(lambda v: encode(v, False))),
    (1, json_values.map(lambda v: encode(v, True))),
    (1, _nested()),
    (1, _huge_literal()),
    (1, st.binary(max_size=300)),
    (1, st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass"))),
)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json; charset=rot13",
    "application/json; charset=latin-1",
    "application/json;charset=",
    "application/json; charset=utf-16",
    'application/json; charset="utf-8"',
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/problem+json",
    "application/json; boundary=;;;",
    "*/*",
    "",
]


content_types = weighted(
    (10, st.sampled_from(["application/json", "application/json; charset=utf-8"])),
    (1, st.none()),  # no Content-Type header at all
    (2, st.sampled_from(CONTENT_TYPES)),
    (1, st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)),
)


@dataclass(frozen=True)
class WebInput:
    body: bytes
    content_type: str | None


web_inputs = st.builds(WebInput, web_bodies, content_types)

viber_users = weighted(
    (6, st.integers(1, 300).map(lambda n: f"fuzz-v-{n}==")),
    (1, st.text(max_size=70)),
    (1, json_values),
)
viber_tokens = weighted((6, st.integers(min_value=1, max_value=2**63)), (1, st.none()), (1, json_values))
viber_stamps = maybe(st.integers(min_value=0, max_value=2**53))
viber_messages = with_extras(
    st.fixed_dictionaries(
        {
            "type": maybe(
                weighted(
                    (6, st.just("text")),
                    (
                        2,
                        st.sampled_from(
                            ["contact", "picture", "file", "location", "sticker", "url", "video"]
                        ),
                    ),
                )
            ),
            "text": maybe(weighted((3, texts), (1, st.sampled_from(PAYLOADS)))),
        },
        optional={
            "tracking_data": maybe(
                st.one_of(st.text(max_size=100), st.just(json.dumps({"b": PAYLOADS[:5]})))
            ),
            "contact": maybe(
                st.fixed_dictionaries(
                    {
                        "name": maybe(st.text(max_size=20)),
                        "phone_number": maybe(st.from_regex(r"\+?[0-9 ()-]{0,16}", fullmatch=True)),
                    }
                )
            ),
            "media": maybe(st.sampled_from(["https://example.invalid/a.jpg", ""])),
            "file_name": maybe(st.text(max_size=30)),
            "size": maybe(huge_ints),
        },
    )
)
viber_senders = with_extras(
    st.fixed_dictionaries(
        {"id": maybe(viber_users)},
        optional={
            "name": maybe(st.text(max_size=30)),
            "language": maybe(st.just("uk")),
            "api_version": maybe(st.integers(0, 20)),
        },
    )
)
VIBER_EVENTS = [
    "message",
    "subscribed",
    "unsubscribed",
    "conversation_started",
    "delivered",
    "seen",
    "failed",
    "webhook",
    "client_status",
    "action",
]


@st.composite
def _viber_event(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(weighted((8, st.just("message")), (4, st.sampled_from(VIBER_EVENTS)), (1, json_values)))
    raw: dict[str, Any] = {
        "event": event,
        "timestamp": draw(viber_stamps),
        "message_token": draw(viber_tokens),
    }
    if event == "message" or draw(st.integers(0, 7)) == 0:
        raw["sender"] = draw(maybe(viber_senders))
        raw["message"] = draw(maybe(viber_messages))
    if event in ("subscribed", "conversation_started") or draw(st.integers(0, 7)) == 0:
        raw["user"] = draw(maybe(viber_senders))
        if draw(st.booleans()):
            raw["context"] = draw(
                maybe(st.one_of(st.text(max_size=80), st.sampled_from(["tr_abc", "birth", " "])))
            )
    if event in ("unsubscribed", "delivered", "seen", "failed") or draw(st.integers(0, 7)) == 0:
        raw["user_id"] = draw(maybe(viber_users))
    return _mangled(draw, raw)


viber_events = _viber_event()


@dataclass(frozen=True)
class ViberInput:
    body: bytes
    signature: str | None  # None: the header is left out


@st.composite
def _viber_input(draw: st.DrawFn) -> ViberInput:
    body = draw(
        st.one_of(
            viber_events.map(lambda v: encode(v, True)),
            viber_events.map(lambda v: encode(v, False)),
            json_values.map(lambda v: encode(v, True)),
            _nested(),
            st.binary(max_size=200),
        )
    )
    how = draw(st.sampled_from(["good"] * 8 + ["bad", "none", "other token"]))
    printable = st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=70
    )  # a header's value
    signature = {
        "good": sign(body, VIBER_TOKEN),
        "bad": draw(printable),
        "none": None,
        "other token": sign(body, "another-token"),
    }[how]
    return ViberInput(body, signature)


viber_inputs = _viber_input()

_update_ids = itertools.count(1)
tg_ids = weighted((4, st.integers(1, 300)), (1, huge_ints))
tg_users = with_extras(
    st.fixed_dictionaries(
        {"id": maybe(tg_ids), "is_bot": maybe(st.booleans()), "first_name": maybe(st.text(max_size=30))},
        optional={
            "username": maybe(st.text(max_size=20)),
            "language_code": maybe(st.sampled_from(["uk", "ru", "en"])),
        },
    )
)
tg_chats = with_extras(
    st.fixed_dictionaries(
        {
            "id": maybe(tg_ids),
            "type": maybe(st.sampled_from(["private", "private", "group", "supergroup", "channel"])),
        },
        optional={"is_forum": maybe(st.booleans()), "title": maybe(st.text(max_size=20))},
    )
)
tg_entities = st.lists(
    st.fixed_dictionaries(
        {
            "type": maybe(st.sampled_from(["bot_command", "bold", "url", "mention"])),
            "offset": maybe(st.integers(-5, 100)),
            "length": maybe(st.integers(-5, 100)),
        }
    ),
    max_size=3,
)
tg_messages = with_extras(
    st.fixed_dictionaries(
        {
            "message_id": maybe(st.integers(0, 2**31)),
            "date": maybe(st.integers(0, 2**33)),
            "chat": maybe(tg_chats),
        },
        optional={
            "from": maybe(tg_users),
            "text": maybe(texts),
            "entities": maybe(tg_entities),
            "caption": maybe(texts),
            "contact": maybe(
                st.fixed_dictionaries(
                    {
                        "phone_number": maybe(st.from_regex(r"\+?[0-9]{0,15}", fullmatch=True)),
                        "first_name": maybe(st.text(max_size=10)),
                        "user_id": maybe(tg_ids),
                    }
                )
            ),
            "photo": maybe(st.just([{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}])),
            "document": maybe(
                st.fixed_dictionaries(
                    {
                        "file_id": st.just("f"),
                        "file_unique_id": st.just("u"),
                        "file_name": maybe(st.text(max_size=20)),
                    }
                )
            ),
            "sticker": maybe(
                st.just(
                    {
                        "file_id": "f",
                        "file_unique_id": "u",
                        "type": "regular",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                    }
                )
            ),
            "message_thread_id": maybe(st.integers(0, 100)),
            "is_topic_message": maybe(st.booleans()),
        },
    )
)
tg_callbacks = with_extras(
    st.fixed_dictionaries(
        {
            "id": maybe(st.text(max_size=10)),
            "from": maybe(tg_users),
            "chat_instance": maybe(st.text(max_size=10)),
        },
        optional={
            "data": maybe(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=70))),
            "message": maybe(tg_messages),
        },
    )
)


@st.composite
def _telegram_update(draw: st.DrawFn) -> dict[str, Any]:
    update_id = draw(st.one_of(st.just(None), st.just(None), st.just(None), huge_ints))
    update: dict[str, Any] = {"update_id": next(_update_ids) if update_id is None else update_id}
    kind = draw(
        st.sampled_from(
            [
                "message",
                "message",
                "callback_query",
                "callback_query",
                "edited_message",
                "channel_post",
                "my_chat_member",
                "other",
            ]
        )
    )
    if kind in ("message", "edited_message", "channel_post"):
        update[kind] = draw(tg_messages)
    elif kind == "callback_query":
        update[kind] = draw(tg_callbacks)
    else:
        update.update(draw(st.dictionaries(st.text(max_size=15), json_values, max_size=2)))
    return update


telegram_inputs = _telegram_update()

# --- the app -------------------------------------------------------------------------------------------------


class Errors(logging.Handler):
    """Every log record with a traceback or at ERROR and above."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@dataclass
class Outcome:
    target: str
    status: int  # HTTP status; for a Telegram update 200 (handled) or 0 (refused by aiogram's model)
    body: Any  # the parsed JSON answer, or None
    seconds: float
    raw: bytes = b""


@dataclass
class FuzzRig:
    bot: Bot
    api: FakeViberApi
    client: TestClient  # type: ignore[type-arg]
    session: FakeSession
    errors: Errors = field(default_factory=Errors)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (target, status) → inputs
    _probes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def start(
        cls, tmp_path: Path, kb: Knowledge | None = None, index: SearchIndex | None = None
    ) -> FuzzRig:
        api = FakeViberApi()
        api_url = await api.serve()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/fuzz.sqlite3",
            viber_auth_token=VIBER_TOKEN,
            viber_api_url=api_url,
            viber_send_timeout=2.0,
            telegram_bot_token=TELEGRAM_TOKEN,
            telegram_per_chat_rate=100_000,
            telegram_global_rate=100_000,
        )
        bot = await build(settings, kb=kb, index=index, clock=test_clock())
        assert bot.telegram is not None and bot.viber is not None
        session = FakeSession()
        bot.telegram.bot.session = session
        client = TestClient(TestServer(bot.http, host="127.0.0.1"))
        await client.start_server()
        rig = cls(bot, api, client, session)
        root = logging.getLogger()
        root.addHandler(rig.errors)
        return rig

    async def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        await self.client.close()
        await self.bot.close()
        await self.api.stop()

    async def settle(self) -> None:
        """Wait for what the Viber sender does in the background (no sleeping: it keeps its tasks)."""
        assert self.bot.viber is not None
        while tasks := list(self.bot.viber.sender._tasks):
            await asyncio.gather(*tasks, return_exceptions=True)

    async def web(self, item: WebInput) -> Outcome:
        headers = {} if item.content_type is None else {"Content-Type": item.content_type}
        start = time.perf_counter()
        resp = await self.client.post(
            "/api/chat", data=item.body, headers=headers, skip_auto_headers=["Content-Type"]
        )
        raw = await resp.read()
        self.statuses["web", resp.status] += 1
        return Outcome("web", resp.status, _json(raw), time.perf_counter() - start, raw)

    async def viber(self, item: ViberInput) -> Outcome:
        headers = {"Content-Type": "application/json"}
        if item.signature is not None:
            headers["X-Viber-Content-Signature"] = item.signature
        start = time.perf_counter()
        resp = await self.client.post("/viber/webhook", data=item.body, headers=headers)
        raw = await resp.read()
        await self.settle()
        self.statuses["viber", resp.status] += 1
        return Outcome("viber", resp.status, _json(raw), time.perf_counter() - start, raw)

    async def telegram(self, update: dict[str, Any]) -> Outcome:
        assert self.bot.telegram is not None
        tg = self.bot.telegram
        start = time.perf_counter()
        try:
            parsed = Update.model_validate(update, context={"bot": tg.bot})
            parsed.event_type  # noqa: B018 - an update of no known type: aiogram only warns and drops it
        except (ValidationError, ValueError, TypeError, OverflowError, UpdateTypeLookupError):
            self.statuses["telegram", 0] += 1
            return Outcome("telegram", 0, None, time.perf_counter() - start)  # aiogram refuses it before us
        await tg.dispatcher.feed_update(tg.bot, parsed)
        self.statuses["telegram", 200] += 1
        return Outcome("telegram", 200, None, time.perf_counter() - start)

    # --- «still answers a normal message» ---------------------------------------------------------------------

    async def web_answers(self) -> bool:
        session = f"probe-{next(self._probes)}"
        resp = await self.client.post("/api/chat", json={"session": session, "text": "прописка"})
        if resp.status != 200:
            return False
        return bool((await resp.json())["replies"])

    async def viber_answers(self) -> bool:
        user = f"probe-{next(self._probes)}=="
        event = {
            "event": "message",
            "timestamp": int(time.time() * 1000),
            "message_token": 10**15 + next(self._probes),
            "sender": {"id": user, "name": "Громадянин"},
            "message": {"type": "text", "text": "прописка"},
        }
        body = json.dumps(event).encode()
        headers = {"X-Viber-Content-Signature": sign(body, VIBER_TOKEN), "Content-Type": "application/json"}
        resp = await self.client.post("/viber/webhook", data=body, headers=headers)
        await self.settle()
        return resp.status == 200 and bool(self.api.to(user))

    async def telegram_answers(self) -> bool:
        chat = 7_000_000 + next(self._probes)
        before = len(self.session.sent())
        update = {
            "update_id": 10**12 + chat,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "прописка",
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "П"},
            },
        }
        await self.telegram(update)
        return any(int(m.chat_id) == chat for m in self.session.sent()[before:])


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def shape_problem(out: Outcome) -> str | None:
    """What is wrong with an answer, or None: never a 5xx; on the web and Viber always a JSON object —
    {"replies": [{"text", "buttons"}]} or {"error"} on the web, Viber's own shapes on its webhook."""
    if out.status >= 500:
        return f"{out.target}: HTTP {out.status}"
    if out.target == "telegram":
        return None
    body = out.body
    if not isinstance(body, dict):
        return f"{out.target}: HTTP {out.status} with a body that is not a JSON object: {out.raw[:120]!r}"
    if out.target == "web":
        if out.status == 200:
            replies = body.get("replies")
            if not isinstance(replies, list):
                return "web: 200 without a list of replies"
            for r in replies:
                if not (
                    isinstance(r, dict)
                    and isinstance(r.get("text"), str)
                    and isinstance(r.get("buttons"), list)
                ):
                    return f"web: a reply of a wrong shape: {r!r}"
                if not all(
                    isinstance(row, list)
                    and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in row)
                    for row in r["buttons"]
                ):
                    return f"web: buttons of a wrong shape: {r['buttons']!r}"
        elif not isinstance(body.get("error"), str):
            return f"web: HTTP {out.status} without an error message: {body!r}"
        return None
    if out.status == 200:
        if not ("status" in body or "text" in body or "type" in body):  # ok/ignored, or the welcome message
            return f"viber: 200 of a wrong shape: {body!r}"
    elif not isinstance(body.get("error"), str):
        return f"viber: HTTP {out.status} without an error message: {body!r}"
    return None


def traceback_lines(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()[:200]}"
        + (f" [{r.exc_info[0].__name__}]" if r.exc_info and r.exc_info[0] else "")
        for r in records
    ]


Target = Callable[[Any], Any]
