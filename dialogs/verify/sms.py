"""How the verify room sends a one-time code: an `SmsGateway` (the HTTP adapter lives in bot/sms.py: dialogs/
never imports aiohttp), and the development gateway that writes the code to the bot's log instead.

The development gateway is for a local run without SMS settings only: the composition root refuses it when
PUBLIC_URL is set (the bot then says web verification is unavailable and offers Telegram or Viber)."""

from __future__ import annotations

import logging
from typing import Protocol

from dialogs.typed import masked_phone as masked

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    """Sends one text message to one number."""

    # True: nothing leaves the machine (the development mode); a phone verified through it is marked «dev».
    development: bool

    async def send(self, phone: str, text: str) -> bool:
        """Send `text` to `phone` (digits, 380XXXXXXXXX). False when it could not be sent (never raises for a
        provider's failure: the citizen is told politely)."""
        ...


class DevelopmentSms:
    """SMS_TOKEN unset, a local run: the code goes to the bot's log, clearly marked, and nowhere else."""

    development = True

    async def send(self, phone: str, text: str) -> bool:
        log.warning("DEVELOPMENT MODE, no SMS sent (SMS_TOKEN is unset): SMS code for %s: %s", masked(phone), text)
        return True
