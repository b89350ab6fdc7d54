"""The one way anything is sent to Telegram: paced per chat and globally, 429-aware, never raising.

Everything the bot sends — replies, and later reminders and operator messages — goes through `TelegramSender`,
injected where needed (never a global Bot). The pacing is two `RateGate`s, one per chat and one overall: this
process's own (`LocalRate`) by default, shared by several processes through Redis (bot/shared.py `RedisRate`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiolimiter import AsyncLimiter

from dialogs.messages import Attachment, Reply
from handlers.telegram.render import (
    REMOVE_KEYBOARD,
    Markup,
    OutMessage,
    render,
    with_keyboard_removed,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
REMOVER_TEXT = "⌨️"  # a message that only takes the contact keyboard away, deleted at once
OnBlocked = Callable[[int], Awaitable[None]]
T = TypeVar("T")


def _unmetered(event: str) -> None:
    """No monitoring attached."""


class RateGate(Protocol):
    """Pacing per key: `acquire` returns when one more message under `key` may go."""

    async def acquire(self, key: str) -> None: ...


class LocalRate:
    """This process's pacing: `burst` messages at once per key, then `rate` a second (a leaky bucket per key; the
    least recently used keys are forgotten beyond `max_keys`, a forgotten key starting with a full burst)."""

    def __init__(self, rate: float, burst: float, *, max_keys: int = 10_000) -> None:
        self.rate, self.burst, self._max_keys = rate, burst, max_keys
        self._keys: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def acquire(self, key: str) -> None:
        limiter = self._keys.pop(key, None) or AsyncLimiter(self.burst, self.burst / self.rate)
        self._keys[key] = limiter  # most recently used last; the oldest are forgotten
        while len(self._keys) > self._max_keys:
            self._keys.popitem(last=False)
        await limiter.acquire()


def global_burst(global_rate: float) -> float:
    """The overall burst: a tenth of a second's messages. A bucket of a whole second's messages would let a full
    second go out at once after a quiet moment, and Telegram counts such a bunch against the limit (429s)."""
    return max(1.0, global_rate / 10)


OVERALL = "all"  # the global gate's one key
PER_CHAT_BURST = 3  # messages at once to one chat, then the per-chat rate
GROUP_BURST = 3  # calls at once into a group (the operators'), then the group's rate


def is_group(chat_id: int) -> bool:
    """Groups and supergroups have negative chat ids; a citizen's private chat a positive one."""
    return chat_id < 0


class TelegramSender:
    """Sends with ≈1 message/s per chat (bursts of a few allowed), ≈20 a minute into a group and ≈30/s overall,
    like Telegram asks. A group's pace holds only the coroutine that writes there: a citizen's message waits for
    its own chat and the overall gate, never for the group's."""

    def __init__(
        self,
        bot: Bot,
        on_blocked: OnBlocked,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = PER_CHAT_BURST,
        global_rate: float = 30.0,
        group_rate: float = 20.0,
        max_chats: int = 10_000,
        global_gate: RateGate | None = None,
        chat_gate: RateGate | None = None,
        group_gate: RateGate | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        """The gates default to this process's own pacing at the rates given (then the rates are theirs);
        `group_rate` is per minute."""
        self.bot = bot
        self._on_blocked = on_blocked
        self._global = global_gate or LocalRate(global_rate, global_burst(global_rate), max_keys=1)
        self._chats = chat_gate or LocalRate(per_chat_rate, per_chat_burst, max_keys=max_chats)
        self._groups = group_gate or LocalRate(group_rate / 60, GROUP_BURST, max_keys=100)
        self._max_chats = max_chats
        # Chats showing the contact keyboard; the next reply that does not ask for the phone takes it away. In
        # memory: after a restart a forgotten keyboard stays (one-time: it hides itself once used).
        self._contact_keyboard: OrderedDict[int, None] = OrderedDict()
        # Monitoring's hook (bot/metrics.py): "ok" or "failed" per message sent, "429" when asked to wait.
        self.note: Callable[[str], None] = note or _unmetered

    async def _pace(self, chat_id: int) -> None:
        """Wait for this chat's turn (a group's pace first), then for the overall one."""
        if is_group(chat_id):
            await self._groups.acquire(str(chat_id))
        await self._chats.acquire(str(chat_id))
        await self._global.acquire(OVERALL)

    async def send_replies(self, chat_id: int, replies: list[Reply]) -> bool:
        """Send the engine's replies in order; False if something could not be delivered."""
        ok = True
        asks = any(r.ask_contact for r in replies)  # a turn that asks for the phone keeps the keyboard
        for reply in replies:
            if reply.attachment is not None:  # an operator's file: copied, or fetched from its address
                ok = await self.send_attachment(chat_id, reply.attachment) and ok
            messages = render(reply)
            if not asks and chat_id in self._contact_keyboard:
                messages = await self._removing_keyboard(chat_id, messages)
            for message in messages:
                sent = await self.send_text(chat_id, message.text, message.keyboard)
                self.note("ok" if sent else "failed")
                ok = sent and ok
                if sent:
                    self._note_keyboard(chat_id, message.keyboard)
        return ok

    async def _removing_keyboard(self, chat_id: int, messages: list[OutMessage]) -> list[OutMessage]:
        """The contact keyboard goes away with the first message that has no markup; when every message has
        inline buttons, a message of its own takes it away and is deleted at once."""
        removing = with_keyboard_removed(messages)
        if removing is not None:
            return removing
        remover = await self._send_message(chat_id, REMOVER_TEXT, REMOVE_KEYBOARD, disable_notification=True)
        if remover is not None:
            self._note_keyboard(chat_id, REMOVE_KEYBOARD)
            await self._delete(chat_id, remover.message_id)
        return messages

    def _note_keyboard(self, chat_id: int, keyboard: Markup | None) -> None:
        if isinstance(keyboard, ReplyKeyboardMarkup):
            self._contact_keyboard.pop(chat_id, None)
            self._contact_keyboard[chat_id] = None
            while len(self._contact_keyboard) > self._max_chats:
                self._contact_keyboard.popitem(last=False)
        elif isinstance(keyboard, ReplyKeyboardRemove):
            self._contact_keyboard.pop(chat_id, None)

    async def _delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self._pace(chat_id)
            await self.bot.delete_message(chat_id, message_id)
        except Exception as exc:  # a stray «⌨️» is harmless
            log.info("could not delete the keyboard remover (%s)", exc)

    async def send_text(self, chat_id: int, html: str, keyboard: Markup | None = None) -> bool:
        """One message; retries after 429 and transient errors; never raises."""
        return await self._send_message(chat_id, html, keyboard) is not None

    async def _send_message(
        self, chat_id: int, html: str, keyboard: Markup | None, *, disable_notification: bool | None = None
    ) -> Message | None:
        """The sent message, or None if it could not be delivered; never raises."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self._pace(chat_id)
                return await self.bot.send_message(
                    chat_id, html, parse_mode="HTML", reply_markup=keyboard,
                    disable_notification=disable_notification,
                )  # fmt: skip
            except TelegramRetryAfter as exc:
                log.warning("telegram asks to wait %ss (attempt %d)", exc.retry_after, attempt)
                self.note("429")
                await asyncio.sleep(exc.retry_after)
            except TelegramForbiddenError:
                log.info("a user blocked the bot; marking them inactive")
                await self._safe_on_blocked(chat_id)
                return None
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("telegram send failed (%s), attempt %d", type(exc).__name__, attempt)
                await asyncio.sleep(min(2**attempt, 10))
            except TelegramBadRequest:
                log.exception("telegram refused a message")
                return None
            except Exception:
                log.exception("unexpected error while sending to telegram")
                return None
        return None

    async def edit_or_send(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message's text and keyboard; a new message if it cannot be edited (too old, deleted), or
        when the contact keyboard comes or goes (an edit can carry inline buttons only)."""
        parts = render(reply)
        inline = parts[0].keyboard
        if (
            len(parts) == 1
            and isinstance(inline, InlineKeyboardMarkup | None)
            and chat_id not in self._contact_keyboard
        ):
            try:
                await self._pace(chat_id)
                await self.bot.edit_message_text(
                    text=parts[0].text, chat_id=chat_id, message_id=message_id,
                    parse_mode="HTML", reply_markup=inline,
                )  # fmt: skip
                self.note("ok")
                return True
            except TelegramBadRequest as exc:
                if "not modified" in str(exc):
                    return True
                log.info("could not edit a message (%s); sending a new one", exc)
            except Exception:
                log.exception("edit failed; sending a new message")
        return await self.send_replies(chat_id, [reply])

    async def call(self, chat_id: int, make: Callable[[], Awaitable[T]]) -> T | None:
        """Any other API call, paced for this chat and overall, retried after 429 and transient errors; None
        when it failed. A TelegramBadRequest is the caller's to handle (it says something about the request,
        e.g. a forum topic deleted by hand)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self._pace(chat_id)
                return await make()
            except TelegramRetryAfter as exc:
                log.warning("telegram asks to wait %ss (attempt %d)", exc.retry_after, attempt)
                self.note("429")
                await asyncio.sleep(exc.retry_after)
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("telegram call failed (%s), attempt %d", type(exc).__name__, attempt)
                await asyncio.sleep(min(2**attempt, 10))
            except TelegramForbiddenError:
                log.info("telegram refused a call: the bot was blocked or removed")
                return None
        return None

    async def send_attachment(
        self, chat_id: int, attachment: Attachment, *, thread: int | None = None, caption: str | None = None
    ) -> bool:
        """A file another chat sent: copied when it came from Telegram, else fetched by Telegram from its
        public address (a photo as a photo, anything else as a document)."""

        async def send() -> object:
            if attachment.origin:
                from_chat, _, message_id = attachment.origin.partition(":")
                return await self.bot.copy_message(
                    chat_id, int(from_chat), int(message_id), message_thread_id=thread, caption=caption
                )
            if attachment.kind == "photo":
                return await self.bot.send_photo(
                    chat_id, attachment.url or "", caption=caption, message_thread_id=thread
                )
            return await self.bot.send_document(
                chat_id, attachment.url or "", caption=caption, message_thread_id=thread
            )

        try:
            return await self.call(chat_id, send) is not None
        except TelegramBadRequest as exc:
            if thread is not None:
                raise
            log.info("telegram refused a file (%s)", exc)
            return False

    async def _safe_on_blocked(self, chat_id: int) -> None:
        try:
            await self._on_blocked(chat_id)
        except Exception:
            log.exception("could not mark a blocked user inactive")
