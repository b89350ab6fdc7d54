"""The web chat's live connection: Server-Sent Events with the lines written to a citizen's log outside their
own requests (an operator's messages, a ticket's notices, reminders), so the page shows them without a reload.

`GET /api/chat/live?session=ID&after=N` streams every such line with id > N as an event `message` (its id is the
event id, so a reconnecting browser resumes after the last one it got, by `Last-Event-ID`). Whoever writes such a
line in this process calls `LiveHub.notify` after commit and the stream wakes at once; lines another process
wrote are found by a poll every POLL seconds."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import suppress

from aiohttp import web

from dialogs.messages import plain
from dialogs.turns import Turns
from handlers.web.routes import CHANNEL, SESSION_RULE, valid_session
from storage.models import MessageLog

log = logging.getLogger(__name__)

POLL = 5.0  # seconds between looks at the database for lines another process wrote
KEEPALIVE = 25.0  # a comment line this often keeps proxies from closing a quiet stream
OUT_OF_BAND = ("op", "sys")  # an operator's line; a bot line not answering a request (notices, reminders)
MAX_STREAMS = 2000  # live connections at once; more are refused (the page still works by reloading)


class LiveHub:
    """Wakes the live streams of a web session when new lines were written for it."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def subscribe(self, session: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting.setdefault(session, set()).add(event)
        return event

    def unsubscribe(self, session: str, event: asyncio.Event) -> None:
        events = self._waiting.get(session)
        if events is not None:
            events.discard(event)
            if not events:
                del self._waiting[session]

    def streams(self) -> int:
        return sum(len(e) for e in self._waiting.values())

    async def notify(self, channel: str, session: str) -> None:
        if channel != CHANNEL:
            return
        for event in self._waiting.get(session, ()):
            event.set()


HUB_KEY = web.AppKey("live_hub", LiveHub)


def line_json(line: MessageLog) -> dict[str, object]:
    role = "operator" if line.direction == "op" else "bot"
    return {"id": line.id, "role": role, "text": plain(line.text), "buttons": line.buttons or []}


async def _lines(
    turns: Turns, session: str, after: int
) -> list[MessageLog]:
    async with turns.citizen(CHANNEL, session), turns.uows() as uow:
        user = await uow.users.get(CHANNEL, session)
        if user is None:
            return []
        await uow.messages.flush(everything=True)  # lines still buffered (SQLite mode) are written first
        return await uow.messages.after(user.id, after, OUT_OF_BAND)


def setup_live(app: web.Application, turns: Turns, hub: LiveHub | None = None) -> LiveHub:
    """Mount `GET /api/chat/live` on `hub` (a new one by default: writers built before the app get it first);
    returns the hub writers notify."""
    hub = hub or LiveHub()
    app[HUB_KEY] = hub

    async def live(request: web.Request) -> web.StreamResponse:
        session = request.query.get("session")
        if not valid_session(session):
            return web.json_response({"error": SESSION_RULE}, status=400)
        assert session is not None
        raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
        after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
        if hub.streams() >= MAX_STREAMS:
            return web.json_response({"error": "too many live connections"}, status=503)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        wake = hub.subscribe(session)
        waited = 0.0
        try:
            await response.write(b"retry: 3000\n\n")
            while True:
                for line in await _lines(turns, session, after):
                    data = json.dumps(line_json(line), ensure_ascii=False)
                    await response.write(f"id: {line.id}\nevent: message\ndata: {data}\n\n".encode())
                    after = line.id
                wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), POLL)
                waited = 0.0 if wake.is_set() else waited + POLL
                if waited >= KEEPALIVE:
                    await response.write(b": keep-alive\n\n")
                    waited = 0.0
        except ConnectionResetError:  # the page went away
            pass
        finally:
            hub.unsubscribe(session, wake)
        return response

    app.router.add_get("/api/chat/live", live)
    return hub
