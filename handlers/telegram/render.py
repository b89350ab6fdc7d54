"""Engine replies as Telegram messages: HTML with escaping, inline keyboards, parts under 4,096 characters.

A reply that asks for the citizen's phone (`Reply.ask_contact`) also carries Telegram's reply keyboard with a
«share my number» button. One message holds one markup, so when the reply has inline buttons as well they stay on
the reply's text and the reply keyboard comes with a short hint after it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from dialogs.messages import BOLD, Button, Reply
from dialogs.render import split

TELEGRAM_LIMIT = 4096
SHARE_PHONE = "📱 Надіслати мій номер"
CANCEL = "Скасувати"  # a plain reply button: it arrives as the typed word, which the engine understands
CONTACT_HINT = "📱 Номер можна надіслати кнопкою внизу екрана."
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

CONTACT_KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)], [KeyboardButton(text=CANCEL)]],
    one_time_keyboard=True,
    resize_keyboard=True,
)
REMOVE_KEYBOARD = ReplyKeyboardRemove(remove_keyboard=True)


@dataclass(frozen=True)
class OutMessage:
    text: str  # HTML
    keyboard: Markup | None = None


def to_html(text: str) -> str:
    """Escape everything, then turn the engine's **bold** marks into <b>."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _markup(reply.buttons)


@lru_cache(maxsize=4096)
def _markup(button_rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Built once per distinct keyboard (menus and cards repeat). Shared between messages: nothing may modify it.
    A button's callback_data is the engine's payload as it is; `Button` has already refused one over Telegram's
    64 bytes (dialogs.messages.MAX_PAYLOAD_BYTES)."""
    rows = []
    for row in button_rows:
        buttons = []
        for b in row:
            if b.url:
                buttons.append(InlineKeyboardButton(text=b.text, url=b.url))
            else:
                buttons.append(InlineKeyboardButton(text=b.text, callback_data=b.payload))
        rows.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def render(reply: Reply) -> list[OutMessage]:
    """One reply as one or more messages; the keyboard goes with the last part. A reply asking for the phone
    shows the contact keyboard: on its last part, or on a hint after it when the part has inline buttons."""
    # Split the plain text first so no HTML tag is ever cut; escaping can only lengthen by a bounded factor.
    parts = split(reply.text, limit=TELEGRAM_LIMIT // 2) or [""]
    out = [OutMessage(to_html(p)) for p in parts]
    if reply.link:
        out[-1] = OutMessage(
            out[-1].text + f'\n\n<a href="{html.escape(reply.link)}">{html.escape(reply.link)}</a>'
        )
    out[-1] = OutMessage(out[-1].text, keyboard(reply))
    if reply.ask_contact:
        if out[-1].keyboard is None:
            out[-1] = OutMessage(out[-1].text, CONTACT_KEYBOARD)
        else:
            out.append(OutMessage(to_html(CONTACT_HINT), CONTACT_KEYBOARD))
    return out


def with_keyboard_removed(messages: list[OutMessage]) -> list[OutMessage] | None:
    """The messages with the reply keyboard removed by the first one that has no markup of its own; None when
    each carries markup (the caller then removes it with a message of its own)."""
    for i, message in enumerate(messages):
        if message.keyboard is None:
            return [*messages[:i], OutMessage(message.text, REMOVE_KEYBOARD), *messages[i + 1 :]]
    return None
