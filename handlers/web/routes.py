"""aiohttp routes of the web chat. They translate HTTP to engine calls; the engine decides."""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from importlib import resources
from typing import Any

from aiohttp import web

from dialogs.engine import Engine
from dialogs.messages import MAX_PAYLOAD_BYTES, Incoming, Reply, plain

log = logging.getLogger(__name__)

CHANNEL = "web"
ENGINE_KEY = web.AppKey("engine", Engine)
_SESSION = re.compile(r"^[\w.:-]{1,64}$")
SORRY = "Вибачте, сталася технічна помилка. Спробуйте, будь ласка, ще раз або зателефонуйте на гарячу лінію 0 800 500 459."


def reply_json(reply: Reply) -> dict[str, Any]:
    rows = [
        [{"text": b.text, "payload": b.payload} if b.payload else {"text": b.text, "url": b.url} for b in row]
        for row in reply.buttons
    ]
    out: dict[str, Any] = {"text": plain(reply.text), "buttons": rows}
    if reply.link:
        out["link"] = reply.link
    return out


_dumps = partial(json.dumps, ensure_ascii=False)  # readable Ukrainian for anyone inspecting the API


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400, dumps=_dumps)


async def chat(request: web.Request) -> web.Response:
    """POST /api/chat {"session", "text"|"payload"} -> {"replies": [...]}."""
    try:
        body = json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad("invalid JSON")
    if not isinstance(body, dict):
        return _bad("expected a JSON object")
    session = body.get("session")
    if not isinstance(session, str) or not _SESSION.match(session):
        return _bad("missing or invalid session (1-64 letters, digits, '_', '-', '.', ':')")
    text, payload = body.get("text"), body.get("payload")
    if not isinstance(text, str | None) or not isinstance(payload, str | None):
        return _bad("text and payload must be strings")
    if payload is not None and len(payload.encode()) > MAX_PAYLOAD_BYTES:
        return _bad(f"payload over {MAX_PAYLOAD_BYTES} bytes")
    message = Incoming(CHANNEL, session, text=text if payload is None else None, payload=payload)
    try:
        replies = await request.app[ENGINE_KEY].handle(message)
    except Exception:  # citizen input never yields a 500: log it and apologise kindly
        log.exception("engine failed on a web chat message")
        replies = [Reply(SORRY)]
    return web.json_response({"replies": [reply_json(r) for r in replies]}, dumps=_dumps)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def page(_: web.Request) -> web.Response:
    html = (resources.files("handlers.web") / "static" / "index.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def setup_web(app: web.Application, engine: Engine) -> None:
    """Mount the web chat on an aiohttp application."""
    app[ENGINE_KEY] = engine
    app.router.add_get("/", page)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/chat", chat)
