"""What goes into the engine and what comes out: channel-agnostic messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit; the same string is the Viber payload
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)  # the engine's only markup: **bold**


def plain(text: str) -> str:
    """The text without its **bold** marks, for channels that show plain text."""
    return BOLD.sub(r"\1", text)


@dataclass(frozen=True)
class Attachment:
    """A photo or file a citizen or an operator sent, as far as another channel can carry it: a public `url`
    (Viber gives one), or `origin`, the Telegram message it can be copied from ("<chat id>:<message id>")."""

    kind: str  # photo, document, video, audio, voice, sticker, location, other
    url: str | None = None
    origin: str | None = None
    name: str | None = None  # a file's name

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def of(cls, data: dict[str, str] | None) -> Attachment | None:
        if not data or "kind" not in data:
            return None
        return cls(data["kind"], data.get("url"), data.get("origin"), data.get("name"))


@dataclass(frozen=True)
class Incoming:
    """A citizen's message: free text, or the payload of a button they pressed."""

    channel: str
    user_id: str
    text: str | None = None
    payload: str | None = None
    contact_shared: bool = False  # the citizen shared their phone card (never stored without a purpose)
    phone: str | None = (
        None  # the number of a shared contact (Telegram contact, Viber share-phone); never logged
    )
    attachment: Attachment | None = None  # a photo, a file, a voice message… (no text of its own)
    name: str | None = None  # the display name the channel gives (for an operator's topic); never logged
    # The web client's address (handlers/web/client.py: the peer, or X-Forwarded-For from a trusted proxy) for
    # per-address caps; None on messengers. Never logged; stored only as a keyed hash (storage/people.py).
    origin: str | None = None


@dataclass(frozen=True)
class Button:
    text: str
    payload: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.url is None):
            raise ValueError("a button has either a payload or a url")
        if self.payload is not None and not 0 < len(self.payload.encode()) <= MAX_PAYLOAD_BYTES:
            # Telegram's callback_data is 1-64 bytes; the same string goes to every channel.
            raise ValueError(f"payload must be 1 to {MAX_PAYLOAD_BYTES} bytes: {self.payload!r}")
        if self.url is not None and not self.url:
            raise ValueError("a link button needs its url")


@dataclass(frozen=True)
class Reply:
    """One message of the bot: text (plain, with **bold** marks channels may render), button rows, a link."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    link: str | None = None
    replace: bool = False  # moving within a menu or a card: channels that can may edit the last message
    ask_contact: bool = False  # channels that can show their own «share my phone» button (Telegram, Viber)
    attachment: Attachment | None = None  # sent with the text as its caption (an operator's photo)
