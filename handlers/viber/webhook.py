"""POST /viber/webhook: check the signature first, then translate Viber events into engine calls."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
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

from dialogs.messages import Attachment, Incoming, Reply
from dialogs.payloads import Payload, parse
from dialogs.turns import Turns
from handlers.viber.render import TRACKING_KEY, VIBER_TEXT_LIMIT, render
from handlers.viber.sender import ViberSender

log = logging.getLogger(__name__)

CHANNEL = "viber"
WEBHOOK_PATH = "/viber/webhook"
REPLY_WITHIN = 5.0  # seconds a callback waits for its replies to be sent before answering Viber
SIGNATURE_HEADER = "X-Viber-Content-Signature"


def signature_ok(body: bytes, signature: str | None, token: str) -> bool:
    """HMAC-SHA256 of the raw body keyed by the auth token, compared in constant time."""
    if not signature:
        return False
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


MAX_ID = 64  # users.external_id; Viber's ids are 24 characters
MAX_TRACKING = 4096  # Viber's limit for tracking data
_TOKEN = re.compile(r"[\w-]{1,40}", re.ASCII)
_PAYLOAD_LIKE = re.compile(r"^[a-z]{1,2}(:[\w.-]+)+$")


def offered(tracking_data: object) -> frozenset[str] | None:
    """The ActionBodies of the keyboard the citizen was looking at, from the tracking data Viber echoes with
    their message (handlers/viber/render.py puts them there); None when there is none of ours."""
    if not isinstance(tracking_data, str) or not tracking_data or len(tracking_data) > MAX_TRACKING:
        return None
    try:
        data = json.loads(tracking_data)
    except (ValueError, RecursionError):
        return None
    bodies = data.get(TRACKING_KEY) if isinstance(data, dict) else None
    if not isinstance(bodies, list) or not all(isinstance(b, str) for b in bodies):
        return None
    return frozenset(bodies)


def _incoming(
    user: str, text: str, tracking_data: object = None, known: Callable[[str], Payload | None] = parse
) -> Incoming:
    """A pressed reply button sends its ActionBody as the message text; Viber marks it no other way. So text is a
    button press only if it is one of the ActionBodies of the keyboard the bot last sent this citizen, which every
    message of ours carries in its tracking data and Viber echoes back: typed text that merely looks like a
    payload («q:ok:abc», «f:yes») is read as text. (Typing a current button's exact body presses it: harmless.)
    Without our tracking data (a keyboard sent before this rule, or no message of ours yet) the old rule stays:
    text shaped like a payload is a button, an old one if it does not parse, which the engine answers kindly."""
    stripped = text.strip()
    buttons = offered(tracking_data)
    if buttons is not None:
        pressed = stripped in buttons
    else:
        pressed = known(stripped) is not None or _PAYLOAD_LIKE.match(stripped) is not None
    if pressed:
        return Incoming(CHANNEL, user, payload=stripped)
    return Incoming(CHANNEL, user, text=text)


def _clean(text: str) -> str:
    """Text as it can be stored: a lone surrogate (valid JSON, invalid UTF-8) becomes «?»."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _id_ok(value: object) -> bool:
    return (
        isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable() and _clean(value) == value
    )


def _token_ok(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**64
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def problem(raw: object) -> str | None:
    """Why a signed callback cannot be handled, in words with no personal data; None when it can. viberbot trusts
    the shape (an object as the sender's id, a number as the text), so it is checked here first."""
    if not isinstance(raw, dict):
        return "not an object"
    event = raw.get("event")
    if not isinstance(event, str):
        return "no event"
    if raw.get("message_token") is not None and not _token_ok(raw["message_token"]):
        return "bad message_token"
    if not _token_ok(raw.get("timestamp")):
        return "bad timestamp"
    if event == "message":
        sender, message = raw.get("sender"), raw.get("message")
        if not isinstance(sender, dict) or not _id_ok(sender.get("id")):
            return "bad sender"
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return "bad message"
        if message["type"] == "text" and not isinstance(message.get("text"), str):
            return "text is not a string"
        if message["type"] == "contact" and not isinstance(message.get("contact"), dict | None):
            return "bad contact"
    elif event in ("subscribed", "conversation_started"):
        user = raw.get("user")
        if not isinstance(user, dict) or not _id_ok(user.get("id")):
            return "bad user"
        if raw.get("context") is not None and not isinstance(raw["context"], str):
            return "bad context"
    elif event in ("unsubscribed", "delivered", "seen", "failed") and not _id_ok(raw.get("user_id")):
        return "bad user_id"
    return None


VIBER_MEDIA = {
    "picture": "photo",
    "file": "document",
    "video": "video",
    "sticker": "sticker",
    "location": "location",
}


def viber_attachment(raw: dict[str, Any]) -> Attachment | None:
    """A picture, file, video… a citizen sent: its public `media` address (Viber keeps it for a while) is what
    another channel can fetch; a sticker or location has none worth passing on."""
    message = raw.get("message")
    if not isinstance(message, dict):
        return None
    kind = VIBER_MEDIA.get(str(message.get("type")))
    if kind is None:
        return None
    media = message.get("media")
    url = media if isinstance(media, str) and media.startswith("https://") and len(media) < 2048 else None
    name = message.get("file_name")
    return Attachment(kind, url=url, name=name[:128] if isinstance(name, str) else None)


def contact_incoming(user: str, message: ContactMessage) -> Incoming:
    """A shared contact: its number in digits only, or none when the card has none."""
    contact = message.contact
    raw = contact.phone_number if contact is not None else None
    phone = re.sub(r"\D", "", raw) if isinstance(raw, str) else ""
    return Incoming(CHANNEL, user, contact_shared=True, phone=phone or None)


class ViberWebhook:
    def __init__(
        self, token: str, turns: Turns, welcome: Callable[[], Reply], sender: ViberSender
    ) -> None:
        self._token = token
        self._turns = turns
        self._uow = turns.uows
        self._welcome = welcome  # the main menu: the first message of a conversation opened without a context
        self.sender = sender

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self._token):
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested beyond reason: Viber never sends that
            log.info("viber callback is not JSON; refused")
            return web.json_response({"error": "malformed callback"}, status=400)
        # Signed, so from Viber (or whoever holds the token): a shape we cannot handle is answered 200, since Viber
        # retries anything else and a retry would fail the same way; one line, no traceback.
        if (why := problem(raw)) is not None:
            log.warning("viber callback ignored: %s", why)
            return web.json_response({"status": "ignored"})
        if raw["event"] == "message":
            raw.setdefault("message_token", None)  # viberbot needs the field; without it, it is as if null
        try:
            event = create_request(raw)
        except Exception as exc:  # viberbot raises a bare Exception for unknown events
            log.info(
                "viber event not handled: %s", type(exc).__name__ if "not supported" not in str(exc) else exc
            )
            return web.json_response({"status": "ignored"})
        try:
            return await self._dispatch(event, raw)
        except Exception:  # a callback never answers 500: Viber would retry it for an hour
            log.exception("viber callback failed")
            return web.json_response({"status": "error"})

    def _key(self, raw: dict[str, Any], kind: str, user: str, content: str = "") -> str:
        """The callback's deduplication key: Viber's message_token. Without one (Viber always sends it; a null one
        has been seen in probes) a hash keyed by the auth token of what tells the callback apart (event, citizen,
        timestamp, content): a redelivery has the same key, two citizens' callbacks never share one (they shared
        «None»), and the key holds no personal id (processed_updates keeps keys two days, past any /forget)."""
        token = raw.get("message_token")
        if token is not None:
            return str(token)
        stamp = raw["timestamp"]  # `problem` made sure it is there
        mac = hmac.new(self._token.encode(), f"{kind}\0{user}\0{stamp}\0{content}".encode(), hashlib.sha256)
        return "h:" + mac.hexdigest()[:40]

    async def _dispatch(self, event: Any, raw: dict[str, Any]) -> web.Response:
        if isinstance(event, ViberConversationStartedRequest):
            # The only message Viber lets us send before the user subscribes goes in this very response.
            first = self._welcome()
            if (
                isinstance(event.context, str) and event.context.strip()
            ):  # a deep link: viber://pa?…&context=…
                context = _clean(event.context.strip()[:64])
                key = self._key(raw, "started", event.user.id, context)
                first = await self._started_with(key, event.user.id, context) or first
            (welcome,) = render(first)[-1:]
            return web.json_response(self.sender.payload(welcome))
        if isinstance(event, ViberMessageRequest):
            await self._message(event, raw)
        elif isinstance(event, ViberSubscribedRequest):
            # viberbot keeps no message_token for this event; the raw callback has it.
            key = self._key(raw, "subscribed", event.user.id)
            await self._converse(key, Incoming(CHANNEL, event.user.id, text="/start"))
        elif isinstance(event, ViberUnsubscribedRequest):
            async with self._uow() as uow:
                await uow.users.deactivate(CHANNEL, event.user_id)
                await uow.reminders.cancel_user_channel(CHANNEL, event.user_id)  # nobody to send them to
        elif isinstance(event, ViberDeliveredRequest | ViberSeenRequest | ViberFailedRequest):
            status = {ViberDeliveredRequest: "delivered", ViberSeenRequest: "seen"}.get(type(event), "failed")
            if raw.get("message_token") is not None:  # a report about no message tells nothing
                async with self._uow() as uow:
                    await uow.deliveries.record(CHANNEL, str(event.message_token), status)
        return web.json_response({"status": "ok"})

    async def _message(self, event: ViberMessageRequest, raw: dict[str, Any]) -> None:
        user = event.sender.id
        await self.sender.heard_from(user)
        message = event.message
        if isinstance(message, ContactMessage):
            # The number goes to the engine, which keeps it only where the citizen agreed to give it (a callback
            # request); the message log never sees it. Viber does not say whose number a contact is: the
            # share-phone button sends the citizen's own.
            incoming = contact_incoming(user, message)
            await self._converse(self._key(raw, "contact", user, incoming.phone or ""), incoming)
            return
        text = message.text if isinstance(message, TextMessage) and isinstance(message.text, str) else ""
        text = _clean(text[:VIBER_TEXT_LIMIT])  # a client sends at most that much
        tracking_data = getattr(message, "tracking_data", None)
        incoming = _incoming(user, text, tracking_data, self._turns.conversation.parse)
        name = event.sender.name if isinstance(event.sender.name, str) else None
        incoming = replace(incoming, attachment=viber_attachment(raw), name=(name or "")[:64] or None)
        await self._converse(self._key(raw, "message", user, text), incoming)

    async def _converse(self, token: str, incoming: Incoming) -> None:
        """One turn per message_token (Viber redelivers for an hour); the replies are sent after the commit."""
        await self._turns.take(
            incoming, key=token, send=lambda replies: self._send_later(incoming.user_id, replies)
        )

    async def _started_with(self, token: str, user: str, context: str) -> Reply | None:
        """A conversation opened from a link with a context: the engine's answer to `/start <context>`, whose
        first reply becomes the welcome message (the only one Viber allows before the user subscribes)."""
        replies = await self._turns.take(Incoming(CHANNEL, user, text=f"/start {context}"), key=token)
        return replies[0] if replies else None

    async def _send_later(self, user: str, replies: list[Reply]) -> None:
        """Send the replies, in the citizen's order, before Viber gets its 200, but wait for them REPLY_WITHIN
        seconds at most (a slow Viber API must not hold the callback: they go on in the background then). Sending
        before answering keeps the window in which a killed process has saved a step but not sent its reply to
        milliseconds (docs/BENCHMARKS.md, the load benchmark's kill), and keeps one citizen's replies in order across
        processes (the next step waits for the lock)."""
        await asyncio.wait({self.sender.schedule(user, replies)}, timeout=REPLY_WITHIN)
