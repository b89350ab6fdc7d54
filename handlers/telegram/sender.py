"""The one way anything is sent to Telegram: paced per chat and globally, 429-aware, never raising.

Everything the bot sends — replies, and later reminders and operator messages — goes through `TelegramSender`,
injected where needed (never a global Bot).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiolimiter import AsyncLimiter

from dialogs.messages import Reply
from handlers.telegram.render import render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
OnBlocked = Callable[[int], Awaitable[None]]


class TelegramSender:
    """Sends with ≈1 message/s per chat (bursts of a few allowed) and ≈30/s overall, like Telegram asks."""

    def __init__(
        self,
        bot: Bot,
        on_blocked: OnBlocked,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        global_rate: float = 30.0,
        max_chats: int = 10_000,
    ) -> None:
        self.bot = bot
        self._on_blocked = on_blocked
        self._global = AsyncLimiter(global_rate, 1)
        self._per_chat_rate, self._per_chat_burst = per_chat_rate, per_chat_burst
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self._max_chats = max_chats

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(
            self._per_chat_burst, self._per_chat_burst / self._per_chat_rate
        )
        self._chats[chat_id] = limiter  # most recently used last; the oldest are forgotten
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        return limiter

    async def send_replies(self, chat_id: int, replies: list[Reply]) -> bool:
        """Send the engine's replies in order; False if something could not be delivered."""
        ok = True
        for reply in replies:
            for message in render(reply):
                ok = await self.send_text(chat_id, message.text, message.keyboard) and ok
        return ok

    async def send_text(self, chat_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None) -> bool:
        """One message; retries after 429 and transient errors; never raises."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self._chat_limiter(chat_id), self._global:
                    await self.bot.send_message(chat_id, html, parse_mode="HTML", reply_markup=keyboard)
                return True
            except TelegramRetryAfter as exc:
                log.warning("telegram asks to wait %ss (attempt %d)", exc.retry_after, attempt)
                await asyncio.sleep(exc.retry_after)
            except TelegramForbiddenError:
                log.info("a user blocked the bot; marking them inactive")
                await self._safe_on_blocked(chat_id)
                return False
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("telegram send failed (%s), attempt %d", type(exc).__name__, attempt)
                await asyncio.sleep(min(2**attempt, 10))
            except TelegramBadRequest:
                log.exception("telegram refused a message")
                return False
            except Exception:
                log.exception("unexpected error while sending to telegram")
                return False
        return False

    async def edit_or_send(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message's text and keyboard; a new message if it cannot be edited (too old, deleted)."""
        parts = render(reply)
        if len(parts) == 1:
            try:
                async with self._chat_limiter(chat_id), self._global:
                    await self.bot.edit_message_text(
                        text=parts[0].text, chat_id=chat_id, message_id=message_id,
                        parse_mode="HTML", reply_markup=parts[0].keyboard,
                    )  # fmt: skip
                return True
            except TelegramBadRequest as exc:
                if "not modified" in str(exc):
                    return True
                log.info("could not edit a message (%s); sending a new one", exc)
            except Exception:
                log.exception("edit failed; sending a new message")
        return await self.send_replies(chat_id, [reply])

    async def _safe_on_blocked(self, chat_id: int) -> None:
        try:
            await self._on_blocked(chat_id)
        except Exception:
            log.exception("could not mark a blocked user inactive")
