"""aiohttp routes of the web chat. They translate HTTP into turns (dialogs/turns.py); the engine decides."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Sequence
from functools import partial
from importlib import resources
from typing import Any

from aiohttp import web

from dialogs.messages import MAX_PAYLOAD_BYTES, Incoming, Reply, plain
from dialogs.payloads import Payload
from dialogs.turns import Turns
from handlers.web.client import Network, of_request
from handlers.web.security import install as install_security
from handlers.web.security import json_only, refused_log
from storage.messages import button_rows
from storage.models import MessageLog

log = logging.getLogger(__name__)

CHANNEL = "web"
TURNS_KEY = web.AppKey("turns", Turns)
PROXIES_KEY: web.AppKey[tuple[Network, ...]] = web.AppKey("proxies")  # TRUSTED_PROXIES: whose X-Forwarded-For names the client
_SESSION = re.compile(r"[\w.:-]{1,64}")  # always fullmatch: «$» would let a trailing newline through
SESSION_RULE = "missing or invalid session (1-64 letters, digits, '_', '-', '.', ':')"
HISTORY_LINES = 100  # the last lines of the message log a reloaded page shows again
SILENT_START = "/start"  # the page sends it on a first visit without showing it
_PRESSED = re.compile(r"\[(.+)\]", re.S)  # how the message log keeps a pressed button: «[payload]»
SORRY = "Вибачте, сталася технічна помилка. Спробуйте, будь ласка, ще раз або зателефонуйте на гарячу лінію 0 800 500 459."
_STATIC = resources.files("handlers.web") / "static"


def valid_session(session: object) -> bool:
    return isinstance(session, str) and _SESSION.fullmatch(session) is not None


def reply_json(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"text": plain(reply.text), "buttons": button_rows(reply.buttons)}
    if reply.link:
        out["link"] = reply.link
    if reply.ask_contact:
        out["ask_contact"] = True  # the page shows nothing for it: on the web the citizen types the number
    return out


_dumps = partial(json.dumps, ensure_ascii=False)  # readable Ukrainian for anyone inspecting the API


def _bad(message: str, status: int = 400) -> web.Response:
    """A refused request: a short JSON error and one log line (never the input itself: it may hold personal data)."""
    refused_log.info("web chat: refused a request (%d %s)", status, message)
    return web.json_response({"error": message}, status=status, dumps=_dumps)


def _is_text(value: str) -> bool:
    """Storable text: no lone surrogate (JSON's "\\ud800" decodes to one; UTF-8 cannot encode it) and no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


# Seconds to receive the body: a body sent a byte at a time does not hold a handler forever.
BODY_TIMEOUT = 10.0


async def chat(request: web.Request) -> web.Response:
    """POST /api/chat {"session", "text"|"payload"} -> {"replies": [...]}. JSON in UTF-8 only."""
    wrong_type = json_only(request)
    if wrong_type is not None:
        return _bad(wrong_type, status=415)
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            raw = await request.read()
    except TimeoutError:
        return _bad("the request body came too slowly", status=408)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, an integer over 4,300 digits, nesting too deep
        return _bad("invalid JSON")
    if not isinstance(body, dict):
        return _bad("expected a JSON object")
    session = body.get("session")
    if not isinstance(session, str) or not valid_session(session):
        return _bad(SESSION_RULE)
    text, payload = body.get("text"), body.get("payload")
    if not isinstance(text, str | None) or not isinstance(payload, str | None):
        return _bad("text and payload must be strings")
    if not all(_is_text(value) for value in (text, payload) if value is not None):
        return _bad("text and payload must be valid Unicode text")
    if payload is not None and len(payload.encode()) > MAX_PAYLOAD_BYTES:
        return _bad(f"payload over {MAX_PAYLOAD_BYTES} bytes")
    proxies = request.app[PROXIES_KEY]
    origin = of_request(request, proxies)  # for per-address caps; never logged
    message = Incoming(CHANNEL, session, text=text if payload is None else None, payload=payload, origin=origin)
    try:
        replies = await request.app[TURNS_KEY].take(message) or []
    except Exception:  # citizen input never yields a 500: log it and apologise kindly
        log.exception("engine failed on a web chat message")
        replies = [Reply(SORRY)]
    return web.json_response({"replies": [reply_json(r) for r in replies]}, dumps=_dumps)


def _pressed_label(payload: str, earlier: Sequence[dict[str, Any]]) -> str | None:
    """The label of the button with this payload, from the nearest earlier bot message that offered it."""
    for message in reversed(earlier):
        for row in message["buttons"]:
            for button in row:
                if button.get("payload") == payload:
                    return str(button["text"])
    return None


def history_json(lines: Sequence[MessageLog], parse: Callable[[str], Payload | None]) -> list[dict[str, Any]]:
    """Message-log lines as the page shows them: the bot's text and buttons, the citizen's words, and the label
    of each button the citizen pressed (the log keeps its payload, which is never shown)."""
    out: list[dict[str, Any]] = []
    for line in lines:
        if line.direction in ("out", "sys", "op"):  # the bot's answers and notices; an operator's lines
            role = "operator" if line.direction == "op" else "bot"
            out.append({"role": role, "text": plain(line.text), "buttons": line.buttons or []})
            continue
        text: str | None = line.text
        if text == SILENT_START:
            continue
        pressed = _PRESSED.fullmatch(line.text)
        if pressed and parse(pressed[1]) is not None:
            # A button whose message fell out of the window has no label left: the line is left out.
            text = _pressed_label(pressed[1], out)
        if text is not None:
            out.append({"role": "citizen", "text": text, "buttons": []})
    return out


async def history(request: web.Request) -> web.Response:
    """GET /api/chat/history?session=ID -> {"messages": [{"role", "text", "buttons"}]}: the web chat's recent
    conversation, so a reloaded page shows it again. The random session id is the only key to it."""
    session = request.query.get("session")
    if not valid_session(session):
        return _bad(SESSION_RULE)
    assert session is not None
    turns = request.app[TURNS_KEY]
    async with turns.citizen(CHANNEL, session), turns.uows() as uow:
        user = await uow.users.get(CHANNEL, session)  # never created by reading
        lines = await uow.messages.recent(user.id, HISTORY_LINES) if user is not None else []
        messages = history_json(lines, turns.conversation.parse)
    last_id = max((line.id for line in lines), default=0)  # the live connection goes on from here
    return web.json_response(
        {"messages": messages, "last_id": last_id}, dumps=_dumps, headers={"Cache-Control": "no-store"}
    )


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def page(_: web.Request) -> web.Response:
    html = (_STATIC / "index.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def favicon(_: web.Request) -> web.Response:
    svg = (_STATIC / "favicon.svg").read_text(encoding="utf-8")
    return web.Response(
        text=svg, content_type="image/svg+xml", charset="utf-8", headers={"Cache-Control": "max-age=86400"}
    )


def setup_web(
    app: web.Application,
    turns: Turns,
    frame_ancestors: Sequence[str] = (),
    proxies: Sequence[Network] = (),
) -> None:
    """Mount the web chat on an aiohttp application; its messages and history reads go through `turns`.
    Every response of the application gets security headers; `frame_ancestors` are the other sites (origins)
    that may embed the chat page; `proxies` are the reverse proxies trusted to name the client."""
    install_security(app, frame_ancestors)
    app[TURNS_KEY] = turns
    app[PROXIES_KEY] = tuple(proxies)
    app.router.add_get("/", page)
    app.router.add_get("/favicon.svg", favicon)
    app.router.add_get("/favicon.ico", favicon)  # browsers ask for it by this name on their own
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/history", history)
