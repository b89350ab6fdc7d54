"""The TurboSMS adapter (bot/sms.py) against the fake TurboSMS on loopback: the request TurboSMS expects, and
every failure (a refusal in the JSON, a wrong token, HTTP 500, a hang, nobody listening) as False, never raised,
logged without the number or the text; the gateway chosen for the settings."""

from __future__ import annotations

import logging

import pytest
from aiohttp import ClientTimeout
from pydantic import SecretStr

from bot.settings import Settings
from bot.sms import TurboSms, gateway
from dialogs.verify.sms import DevelopmentSms
from testkit.fake_sms import FakeTurboSms
from testkit.net import free_port

TEXT = "Код 123456 для запису в ЦНАП «Віза»."


async def test_a_message_is_sent_as_turbosms_expects(fake_sms: FakeTurboSms) -> None:
    sms = TurboSms(fake_sms.url + "/", fake_sms.token, "Viza")
    try:
        assert await sms.send("380671234567", TEXT)
    finally:
        await sms.close()
    (sent,) = fake_sms.sent
    assert (sent.phone, sent.sender, sent.text, sent.code) == ("380671234567", "Viza", TEXT, "123456")


@pytest.mark.parametrize("trouble", ["refused", "token", "http500", "hang", "nobody"])
async def test_every_failure_is_false_and_a_line_without_personal_data(
    fake_sms: FakeTurboSms, caplog: pytest.LogCaptureFixture, trouble: str
) -> None:
    caplog.set_level(logging.DEBUG)
    url, token = fake_sms.url, fake_sms.token
    if trouble == "refused":
        fake_sms.refuse = "NOT_ENOUGH_MONEY"
    elif trouble == "token":
        token = "wrong"
    elif trouble == "http500":
        fake_sms.fail_500 = 1
    elif trouble == "hang":
        fake_sms.hang = 2.0
    else:
        url = f"http://127.0.0.1:{free_port()}"
    sms = TurboSms(url, token, "Viza", timeout=ClientTimeout(total=0.3))
    try:
        assert await sms.send("380671234567", TEXT) is False
    finally:
        await sms.close()
    assert not fake_sms.sent
    assert "sms: TurboSMS" in caplog.text and "Traceback" not in caplog.text
    assert "380671234567" not in caplog.text and "123456" not in caplog.text


def _settings(**more: object) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///:memory:", _env_file=None, **more)  # type: ignore[arg-type]


def test_the_gateway_for_the_settings() -> None:
    assert isinstance(gateway(_settings(sms_token=SecretStr("t"), public_url="https://viza.example")), TurboSms)
    assert isinstance(gateway(_settings()), DevelopmentSms)  # a local run: the development mode
    assert gateway(_settings(public_url="https://viza.example")) is None  # public, no token: refused
