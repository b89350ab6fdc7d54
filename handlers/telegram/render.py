"""Engine replies as Telegram messages: HTML with escaping, inline keyboards, parts under 4,096 characters."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.messages import BOLD, Button, Reply
from dialogs.render import split
from handlers.telegram.callbacks import to_callback

TELEGRAM_LIMIT = 4096


@dataclass(frozen=True)
class OutMessage:
    text: str  # HTML
    keyboard: InlineKeyboardMarkup | None = None


def to_html(text: str) -> str:
    """Escape everything, then turn the engine's **bold** marks into <b>."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


@lru_cache(maxsize=4096)
def callback_data(payload: str) -> str:
    """The packed CallbackData of an engine payload (validated once per distinct payload)."""
    return to_callback(payload).pack()


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _markup(reply.buttons)


@lru_cache(maxsize=4096)
def _markup(button_rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Built once per distinct keyboard (menus and cards repeat). Shared between messages: nothing may modify it."""
    rows = []
    for row in button_rows:
        buttons = []
        for b in row:
            if b.url:
                buttons.append(InlineKeyboardButton(text=b.text, url=b.url))
            else:
                buttons.append(
                    InlineKeyboardButton(text=b.text, callback_data=callback_data(b.payload or ""))
                )
        rows.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def render(reply: Reply) -> list[OutMessage]:
    """One reply as one or more messages; the keyboard goes with the last part."""
    # Split the plain text first so no HTML tag is ever cut; escaping can only lengthen by a bounded factor.
    parts = split(reply.text, limit=TELEGRAM_LIMIT // 2) or [""]
    out = [OutMessage(to_html(p)) for p in parts]
    if reply.link:
        out[-1] = OutMessage(
            out[-1].text + f'\n\n<a href="{html.escape(reply.link)}">{html.escape(reply.link)}</a>'
        )
    out[-1] = OutMessage(out[-1].text, keyboard(reply))
    return out
