"""SMS through TurboSMS's HTTP API (Ukrainian operators), for the verify room's one-time codes
(dialogs/verify/sms.py `SmsGateway`), and the choice of gateway for the settings.

`POST {SMS_API_URL}/message/send.json` with `Authorization: Bearer {SMS_TOKEN}` and
`{"recipients": ["380…"], "sms": {"sender": SMS_SENDER, "text": …}}`; the answer is JSON with `response_code`
(0 or 800-803: accepted) and `response_result`, one entry per recipient with its own `response_code` (0: OK).
A failure of any kind (timeout, HTTP error, a refusal in the JSON) is logged without the number or the text and
returns False: the citizen gets a polite reply, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.settings import Settings
from dialogs.verify.sms import DevelopmentSms, SmsGateway

log = logging.getLogger(__name__)

ACCEPTED = frozenset({0, 800, 801, 802, 803})  # the request's codes that mean «accepted» (with or without notes)
TIMEOUT = ClientTimeout(total=10, connect=5)


class TurboSms:
    """The real provider: one request per code."""

    development = False

    def __init__(self, base_url: str, token: str, sender: str, *, timeout: ClientTimeout = TIMEOUT) -> None:
        self.url = base_url.rstrip("/") + "/message/send.json"
        self._token, self.sender, self._timeout = token, sender, timeout
        self._session: ClientSession | None = None

    async def send(self, phone: str, text: str) -> bool:
        body = {"recipients": [phone], "sms": {"sender": self.sender, "text": text}}
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            if self._session is None or self._session.closed:
                self._session = ClientSession(timeout=self._timeout)
            async with self._session.post(self.url, json=body, headers=headers) as response:
                if response.status != 200:
                    log.warning("sms: TurboSMS answered HTTP %d", response.status)
                    return False
                answer: Any = await response.json(content_type=None)
        except (ClientError, TimeoutError, ValueError) as error:
            log.warning("sms: TurboSMS unreachable or unreadable (%s)", type(error).__name__)
            return False
        return _accepted(answer)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _accepted(answer: Any) -> bool:
    if not isinstance(answer, dict) or answer.get("response_code") not in ACCEPTED:
        status = answer.get("response_status") if isinstance(answer, dict) else None
        log.warning("sms: TurboSMS refused the message (%s)", str(status)[:60])
        return False
    results = answer.get("response_result")
    if isinstance(results, list) and results:
        first = results[0]
        if not isinstance(first, dict) or first.get("response_code") not in (0, None):
            status = first.get("response_status") if isinstance(first, dict) else None
            log.warning("sms: TurboSMS refused the recipient (%s)", str(status)[:60])
            return False
    return True


def gateway(settings: Settings) -> SmsGateway | None:
    """TurboSMS with SMS_TOKEN; without it the development gateway (the code in the log), refused (None) when
    PUBLIC_URL is set: a public bot never writes codes to its log, its web citizens verify in a messenger."""
    token = settings.sms_token.get_secret_value() if settings.sms_token else ""
    if token:
        return TurboSms(settings.sms_api_url, token, settings.sms_sender)
    if settings.public_url:
        log.warning("sms: SMS_TOKEN is unset and PUBLIC_URL is set: web phone verification is unavailable")
        return None
    log.warning("sms: DEVELOPMENT MODE (SMS_TOKEN unset): SMS codes are written to this log, not sent")
    return DevelopmentSms()
