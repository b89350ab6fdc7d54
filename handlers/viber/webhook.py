"""POST /viber/webhook: check the signature first, then translate Viber events into engine calls."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from viberbot.api.messages import ContactMessage, TextMessage
from viberbot.api.viber_requests import (
    ViberConversationStartedRequest,
    ViberDeliveredRequest,
    ViberFailedRequest,
    ViberMessageRequest,
    ViberSeenRequest,
    ViberSubscribedRequest,
    ViberUnsubscribedRequest,
    create_request,
)

from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from dialogs.payloads import parse
from handlers.viber.render import render
from handlers.viber.sender import ViberSender
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CHANNEL = "viber"
WEBHOOK_PATH = "/viber/webhook"
SIGNATURE_HEADER = "X-Viber-Content-Signature"


def signature_ok(body: bytes, signature: str | None, token: str) -> bool:
    """HMAC-SHA256 of the raw body keyed by the auth token, compared in constant time."""
    if not signature:
        return False
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


_PAYLOAD_LIKE = re.compile(r"^[a-z]{1,2}(:[\w.-]+)+$")


def _incoming(user: str, text: str) -> Incoming:
    """A button press arrives as the button's payload in the message text (ActionBody). Text shaped like a
    payload (`x:y`) is one too, an old or forged button, which the engine answers kindly."""
    stripped = text.strip()
    if parse(stripped) is not None or _PAYLOAD_LIKE.match(stripped):
        return Incoming(CHANNEL, user, payload=stripped)
    return Incoming(CHANNEL, user, text=text)


def contact_incoming(user: str, message: ContactMessage) -> Incoming:
    """A shared contact: its number in digits only, or none when the card has none."""
    contact = message.contact
    raw = contact.phone_number if contact is not None else None
    phone = re.sub(r"\D", "", raw) if isinstance(raw, str) else ""
    return Incoming(CHANNEL, user, contact_shared=True, phone=phone or None)


class ViberWebhook:
    def __init__(
        self, token: str, engine: Engine, uow_factory: Callable[[], UnitOfWork], sender: ViberSender
    ) -> None:
        self._token = token
        self._engine = engine
        self._uow = uow_factory
        self.sender = sender

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self._token):
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            raw = json.loads(body)
            event = create_request(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            return web.json_response({"error": "malformed callback"}, status=400)
        except Exception as exc:  # viberbot raises a bare Exception for unknown events
            if "not supported" in str(exc):
                log.info("viber event not handled: %s", exc)
                return web.json_response({"status": "ignored"})
            return web.json_response({"error": "malformed callback"}, status=400)
        try:
            return await self._dispatch(event, raw)
        except Exception:  # a callback never answers 500: Viber would retry it for an hour
            log.exception("viber callback failed")
            return web.json_response({"status": "error"})

    async def _dispatch(self, event: Any, raw: dict[str, Any]) -> web.Response:
        if isinstance(event, ViberConversationStartedRequest):
            # The only message Viber lets us send before the user subscribes goes in this very response.
            first = self._engine.views.main_menu()[0]
            if (
                isinstance(event.context, str) and event.context.strip()
            ):  # a deep link: viber://pa?…&context=…
                key = str(raw.get("message_token") or f"started:{event.user.id}:{raw.get('timestamp')}")
                first = await self._started_with(key, event.user.id, event.context.strip()[:64]) or first
            (welcome,) = render(first)[-1:]
            return web.json_response(self.sender.payload(welcome))
        if isinstance(event, ViberMessageRequest):
            await self._message(event)
        elif isinstance(event, ViberSubscribedRequest):
            # viberbot keeps no message_token for this event; the raw callback has it (or its timestamp does).
            key = str(raw.get("message_token") or f"subscribed:{event.user.id}:{raw.get('timestamp')}")
            await self._converse(key, Incoming(CHANNEL, event.user.id, text="/start"))
        elif isinstance(event, ViberUnsubscribedRequest):
            async with self._uow() as uow:
                await uow.users.deactivate(CHANNEL, event.user_id)
                await uow.reminders.cancel_user_channel(CHANNEL, event.user_id)  # nobody to send them to
        elif isinstance(event, ViberDeliveredRequest | ViberSeenRequest | ViberFailedRequest):
            status = {ViberDeliveredRequest: "delivered", ViberSeenRequest: "seen"}.get(type(event), "failed")
            async with self._uow() as uow:
                await uow.deliveries.record(CHANNEL, str(event.message_token), status)
        return web.json_response({"status": "ok"})

    async def _message(self, event: ViberMessageRequest) -> None:
        user = event.sender.id
        self.sender.quiet.heard_from(user)
        message = event.message
        if isinstance(message, ContactMessage):
            # The number goes to the engine, which keeps it only where the citizen agreed to give it (a callback
            # request); the message log never sees it. Viber does not say whose number a contact is: the
            # share-phone button sends the citizen's own.
            await self._converse(str(event.message_token), contact_incoming(user, message))
            return
        text = message.text if isinstance(message, TextMessage) else ""
        await self._converse(str(event.message_token), _incoming(user, text or ""))

    async def _converse(self, token: str, incoming: Incoming) -> None:
        """Run the engine once per message_token (Viber redelivers for an hour), send after commit."""
        try:
            async with self._engine.locks.hold(f"{CHANNEL}:{incoming.user_id}"), self._uow() as uow:
                uow.updates.mark(CHANNEL, token)
                replies = await self._engine.handle_in(uow, incoming)
                uow.after_commit(lambda: self._send_later(incoming.user_id, replies))
        except IntegrityError:
            log.info("viber message_token %s delivered again; skipped", token)

    async def _started_with(self, token: str, user: str, context: str) -> Reply | None:
        """A conversation opened from a link with a context: the engine's answer to `/start <context>`, whose
        first reply becomes the welcome message (the only one Viber allows before the user subscribes)."""
        try:
            async with self._engine.locks.hold(f"{CHANNEL}:{user}"), self._uow() as uow:
                uow.updates.mark(CHANNEL, token)
                replies = await self._engine.handle_in(uow, Incoming(CHANNEL, user, text=f"/start {context}"))
        except IntegrityError:
            return None
        return replies[0] if replies else None

    async def _send_later(self, user: str, replies: list[Reply]) -> None:
        self.sender.schedule(user, replies)
