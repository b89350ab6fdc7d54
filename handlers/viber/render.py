"""Engine replies as Viber messages: plain text, a rich keyboard readable on a small phone, a «Меню» button."""

from __future__ import annotations

import json
from typing import Any

from viberbot.api.messages import TextMessage

from dialogs import texts
from dialogs.messages import Reply, plain
from dialogs.payloads import Action, pack
from dialogs.render import split

VIBER_TEXT_LIMIT = 7000
MAX_BUTTONS = 24  # Viber's limit for one keyboard
MENU_PAYLOAD = pack(Action.MENU)
BRAND = "#1F5FA8"
SHARE_PHONE = "📱 Надіслати мій номер"
SHARE_PHONE_BODY = "phone"
MIN_API_VERSION = 3  # share-phone buttons need it; the sender puts it on every message


def _button(text: str, payload: str, columns: int) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Rows": 1,
        "Text": f"<font color='{BRAND}'>{text}</font>" if payload != MENU_PAYLOAD else text,
        "TextSize": "regular",
        "TextHAlign": "center",
        "TextVAlign": "middle",
        "ActionType": "reply",
        "ActionBody": payload,
        "Silent": True,  # the citizen's chat shows the bot's answer, not the button's code
        "BgColor": "#FFFFFF" if payload != MENU_PAYLOAD else "#E8EEF7",
    }


def share_phone_button() -> dict[str, Any]:
    """Viber's own «share my number» button (keyboards only, API version 3): the citizen's number comes back as a
    contact message. Its ActionBody is not sent anywhere."""
    return {**_button(SHARE_PHONE, SHARE_PHONE_BODY, 6), "ActionType": "share-phone", "Text": SHARE_PHONE}


def keyboard(reply: Reply) -> dict[str, Any]:
    """Engine rows become keyboard rows (6 columns shared); a «Меню» button is always there. A reply that asks for
    the phone starts with the share-phone button."""
    buttons: list[dict[str, Any]] = [share_phone_button()] if reply.ask_contact else []
    for row in reply.buttons:
        actionable = [b for b in row if b.payload]
        width = max(1, 6 // max(1, len(actionable)))
        buttons += [_button(b.text, b.payload or "", width) for b in actionable]
    if not any(b["ActionBody"] == MENU_PAYLOAD for b in buttons):
        buttons.append(_button(texts.MENU, MENU_PAYLOAD, 6))
    if len(buttons) > MAX_BUTTONS:
        buttons = [*buttons[: MAX_BUTTONS - 1], _button(texts.MENU, MENU_PAYLOAD, 6)]
    return {"Type": "keyboard", "DefaultHeight": False, "InputFieldState": "regular", "Buttons": buttons}


TRACKING_KEY = "kb"  # tracking data: {"kb": [ActionBody, …]} of the keyboard the message carries


def tracking(board: dict[str, Any]) -> str:
    """The tracking data sent with a keyboard: the ActionBody of each of its reply buttons. Viber echoes the tracking
    data of the last message in the citizen's next message, typed or pressed, so the webhook can tell a pressed
    button (its text is one of these) from typed text that only looks like one (handlers/viber/webhook.py)."""
    bodies = [b["ActionBody"] for b in board["Buttons"] if b["ActionType"] == "reply"]
    return json.dumps({TRACKING_KEY: bodies}, ensure_ascii=False, separators=(",", ":"))


def render(reply: Reply) -> list[TextMessage]:
    """One reply as Viber text messages; the keyboard, and its tracking data, go with the last part."""
    text = plain(reply.text) + (f"\n\n{reply.link}" if reply.link else "")
    parts = split(text, limit=VIBER_TEXT_LIMIT) or [""]
    board = keyboard(reply)
    return [
        TextMessage(text=p, keyboard=board, tracking_data=tracking(board))
        if i == len(parts) - 1
        else TextMessage(text=p)
        for i, p in enumerate(parts)
    ]
