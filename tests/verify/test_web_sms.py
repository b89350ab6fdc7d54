"""Phone verification on the web, through the real app (POST /api/chat) and the real TurboSMS adapter talking to
a fake TurboSMS on loopback (testkit/fake_sms.py), on a ManualClock: the code's rules (6 digits, 5 minutes, 3
wrong entries, a new one after 60 s, 5 a number a day, a cap per address an hour), a code never in the log or the
history, and a booking that goes on once the phone is verified."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Bot, build
from bot.settings import Settings
from dialogs.verify import rules, texts
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.booking import Booking
from storage.clock import ManualClock
from storage.codes import PhoneCode
from storage.db import make_sessionmaker
from storage.models import MessageLog
from storage.people import VerifiedPhone
from testkit.fake_sms import FakeTurboSms

SERVICE = "idp-living-allowance"
PHONE = "380671234567"  # typed as «067 123 45 67»


@pytest.fixture()
async def client(sms_bot: Bot) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(sms_bot.http, host="127.0.0.1")) as c:
        yield c


class Web:
    """One web chat session over HTTP."""

    def __init__(self, client: TestClient, session: str) -> None:  # type: ignore[type-arg]
        self.client, self.session = client, session
        self.texts: list[str] = []
        self.payloads: list[str] = []
        self.urls: list[str] = []

    async def post(self, **body: str) -> str:
        resp = await self.client.post("/api/chat", json={"session": self.session, **body})
        assert resp.status == 200, await resp.text()
        replies = (await resp.json())["replies"]
        self.texts = [r["text"] for r in replies]
        buttons = [b for r in replies for row in r["buttons"] for b in row]
        self.payloads = [b["payload"] for b in buttons if b.get("payload")]
        self.urls = [b["url"] for b in buttons if b.get("url")]
        return "\n".join(self.texts)

    async def say(self, text: str) -> str:
        return await self.post(text=text)

    async def press(self, payload: str) -> str:
        return await self.post(payload=payload)

    def first(self, prefix: str) -> str:
        return next(p for p in self.payloads if p.startswith(prefix))


async def _verified(bot: Bot, session: str) -> VerifiedPhone | None:
    async with bot.uow_factory() as uow:
        user = await uow.users.get("web", session)
        return await uow.people.verified(user) if user is not None else None


async def _asked_code(web: Web, phone_text: str = "067 123 45 67") -> str:
    text = await web.press(f"q:s:{SERVICE}")
    assert "Щоб місце отримала реальна людина" in text and "мобільний номер" in text
    text = await web.say(phone_text)
    assert "Надіслали SMS з кодом на +380 67 ••• •• 67" in text, text
    return text


async def test_a_web_citizen_books_after_the_sms_code(
    sms_bot: Bot, client: TestClient, fake_sms: FakeTurboSms  # type: ignore[type-arg]
) -> None:
    web = Web(client, "w-book")
    await _asked_code(web)
    (sms,) = fake_sms.sent  # the real adapter's request, as TurboSMS receives it
    assert sms.phone == PHONE and sms.sender == "Viza" and sms.code is not None and len(sms.code) == 6
    text = await web.say(f"мій код {sms.code[:3]} {sms.code[3:]}")
    assert "✅ Номер +380 67 ••• •• 67 підтверджено." in text
    assert "Чи належите ви до однієї з цих категорій" in text  # the booking goes on in the same turn
    found = await _verified(sms_bot, "w-book")
    assert found is not None and found.phone == PHONE and found.how == "sms"
    await web.press("q:p:no")
    await web.press(web.first("q:d:"))
    await web.press(web.first("q:t:"))
    assert "вас записано" in await web.press(web.first("q:ok:"))
    async with make_sessionmaker(sms_bot.db)() as s:
        (booking,) = (await s.scalars(select(Booking))).all()
    assert booking.service == SERVICE and booking.status == "booked"
    # verified once: the next booking asks nothing
    assert "реальна людина" not in await web.press("q:s:kartka-kryvorizhtsia")


async def test_three_wrong_codes_need_a_new_one(
    sms_bot: Bot, client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    web = Web(client, "w-wrong")
    await _asked_code(web)
    right = fake_sms.last_code(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    assert "залишилось спроб: 2" in await web.say(wrong)
    assert "залишилось спроб: 1" in await web.say(wrong)
    assert texts.FAILED in await web.say(wrong)
    assert texts.FAILED in await web.say(right)  # the right code no longer works either
    assert await _verified(sms_bot, "w-wrong") is None
    clock.advance(dt.timedelta(seconds=61))
    assert "Надіслали SMS" in await web.say("не пришел код")  # a new code, to the same number
    assert len(fake_sms.to(PHONE)) == 2
    assert "підтверджено" in await web.say(fake_sms.last_code(PHONE))


async def test_a_resend_waits_a_minute(
    client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    web = Web(client, "w-resend")
    await _asked_code(web)
    clock.advance(dt.timedelta(seconds=20))
    assert "Новий код можна надіслати через 40 с" in await web.press("pv:r")
    assert "через 10 с" in (clock.advance(dt.timedelta(seconds=30)) and await web.say("надіслати ще раз"))
    assert len(fake_sms.sent) == 1
    clock.advance(dt.timedelta(seconds=10))
    assert "Надіслали SMS" in await web.say("отправить ещё раз")
    first, second = fake_sms.to(PHONE)
    assert "підтверджено" not in await web.say(first.code or "")  # an earlier code stops working
    assert "підтверджено" in await web.say(second.code or "")


async def test_a_code_expires_after_five_minutes(
    sms_bot: Bot, client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    web = Web(client, "w-late")
    await _asked_code(web)
    clock.advance(rules.CODE_TTL + dt.timedelta(seconds=1))
    assert texts.EXPIRED in await web.say(fake_sms.last_code(PHONE))
    assert await _verified(sms_bot, "w-late") is None
    assert "Надіслали SMS" in await web.press("pv:r")
    clock.advance(rules.CODE_TTL - dt.timedelta(seconds=1))  # just in time
    assert "підтверджено" in await web.say(fake_sms.last_code(PHONE))


async def test_the_sixth_code_a_day_to_one_number_is_refused_kindly(
    sms_bot: Bot, client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    """Five codes a number a day, whichever sessions ask: the sixth is refused with what to do instead."""
    for n in range(5):
        web = Web(client, f"w-day-{n % 2}")  # two sessions, one number
        await web.press(f"q:s:{SERVICE}")
        assert "Надіслали SMS" in await web.say("0671234567")
        clock.advance(dt.timedelta(minutes=2))
    web = Web(client, "w-day-third")
    await web.press(f"q:s:{SERVICE}")
    text = await web.say("+38 (067) 123-45-67")
    assert "вже надіслано 5 кодів" in text and "Telegram чи Viber" in text
    assert len(fake_sms.sent) == 5
    clock.advance(rules.DAY)
    await web.press(f"q:s:{SERVICE}")
    assert "Надіслали SMS" in await web.say("0671234567")  # a day later
    assert len(fake_sms.sent) == 6


async def test_one_address_asks_for_a_bounded_number_of_codes_an_hour(
    client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    """SMS pumping: fresh sessions and fresh numbers from one address stop at the per-address cap."""
    for n in range(rules.PER_ADDRESS):
        web = Web(client, f"w-pump-{n}")
        await web.press(f"q:s:{SERVICE}")
        assert "Надіслали SMS" in await web.say(f"06712300{n:02d}")
    web = Web(client, "w-pump-last")
    await web.press(f"q:s:{SERVICE}")
    assert "забагато кодів" in await web.say("0671239999")
    assert len(fake_sms.sent) == rules.PER_ADDRESS
    clock.advance(rules.ADDRESS_WINDOW + dt.timedelta(seconds=1))
    await web.press(f"q:s:{SERVICE}")
    assert "Надіслали SMS" in await web.say("0671239999")


async def test_the_code_is_never_stored_logged_or_in_the_history(
    sms_bot: Bot,
    client: TestClient,  # type: ignore[type-arg]
    fake_sms: FakeTurboSms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    web = Web(client, "w-secret")
    await _asked_code(web)
    code = fake_sms.last_code(PHONE)
    async with make_sessionmaker(sms_bot.db)() as s:
        (row,) = (await s.scalars(select(PhoneCode))).all()
    assert code not in (row.digest, row.phone) and len(row.digest) == 64
    await web.say("12")  # a wrong reply: re-asked, never kept for the Center either
    await web.say(code)
    await sms_bot.uow_factory.write_log()
    async with make_sessionmaker(sms_bot.db)() as s:
        lines = (await s.scalars(select(MessageLog.text))).all()
        (row,) = (await s.scalars(select(PhoneCode))).all()
    assert row.state == "used" and row.phone == ""  # the number went with the used code
    history = await client.get("/api/chat/history", params={"session": "w-secret"})
    shown = await history.text()
    for secret in (code, "1234567", "123 45 67"):
        assert not any(secret in line for line in lines), secret
        assert secret not in shown and secret not in caplog.text, secret
    assert "[особисті дані не збережено]" in lines


@pytest.mark.parametrize(("refuse", "fail_500"), [("NOT_ENOUGH_MONEY", 0), (None, 1)])
async def test_a_provider_failure_is_a_polite_reply(
    sms_bot: Bot,
    client: TestClient,  # type: ignore[type-arg]
    fake_sms: FakeTurboSms,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    refuse: str | None,
    fail_500: int,
) -> None:
    fake_sms.refuse, fake_sms.fail_500 = refuse, fail_500
    web = Web(client, "w-down")
    await web.press(f"q:s:{SERVICE}")
    text = await web.say("067 123 45 67")
    assert "не вдалося надіслати" in text and "Traceback" not in caplog.text
    assert fake_sms.requests == 1 and not fake_sms.sent
    async with make_sessionmaker(sms_bot.db)() as s:
        assert not (await s.scalars(select(PhoneCode))).all()  # nothing sent: nothing counted
    fake_sms.refuse = None
    assert "Надіслали SMS" in await web.say("067 123 45 67")  # the number again, once it works


async def test_the_citizen_can_give_up_or_change_the_number(
    sms_bot: Bot, client: TestClient, fake_sms: FakeTurboSms, clock: ManualClock  # type: ignore[type-arg]
) -> None:
    web = Web(client, "w-change")
    await web.press(f"q:s:{SERVICE}")
    assert texts.BAD_MOBILE in await web.say("мій номер 12345")
    assert texts.BAD_MOBILE in await web.say("0442345678")  # a landline gets no SMS
    await web.say("0671234567")
    assert texts.NOT_CODE in await web.say("а де мій код?")
    assert texts.ASK_MOBILE in await web.say("інший номер")
    clock.advance(dt.timedelta(seconds=61))
    assert "+380 50 ••• •• 67" in await web.say("050 123 45 67")
    assert "номер не підтверджуємо" in await web.say("скасувати")
    assert "підтверджено" not in await web.say(fake_sms.last_code("380501234567"))
    assert await _verified(sms_bot, "w-change") is None


async def _bot(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock, **settings: Any) -> Bot:
    url = f"sqlite+aiosqlite:///{tmp_path}/{len(list(tmp_path.iterdir()))}.sqlite3"
    return await build(
        Settings(database_url=url, _env_file=None, **settings),  # type: ignore[call-arg]
        kb=kb,
        index=index,
        clock=clock,
    )


async def test_the_development_gateway_writes_the_code_to_the_log(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot = await _bot(tmp_path, kb, index, clock)  # no SMS_TOKEN, no PUBLIC_URL: a local run
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
            web = Web(client, "w-dev")
            await web.press(f"q:s:{SERVICE}")
            assert "Режим розробки" in await web.say("067 123 45 67")
            (line,) = [r.getMessage() for r in caplog.records if "SMS code for" in r.getMessage()]
            assert line.startswith("DEVELOPMENT MODE") and "+380 67 ••• •• 67" in line
            code = rules.read_code(line.split(":")[-1])
            assert code is not None and "підтверджено" in await web.say(code)
        found = await _verified(bot, "w-dev")
        assert found is not None and found.how == "dev"
    finally:
        await bot.close()


async def test_no_development_codes_on_a_public_bot_the_messengers_instead(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> None:
    bot = await _bot(
        tmp_path, kb, index, clock, public_url="https://viza.example", telegram_bot_username="viza_test_bot"
    )
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as client:
            web = Web(client, "w-public")
            text = await web.press(f"q:s:{SERVICE}")
            assert "через SMS на сайті зараз неможливо" in text and "Telegram" in text
            (link,) = web.urls
            assert link.startswith("https://t.me/viza_test_bot?start=tr_")
            assert not any(p.startswith("q:") for p in web.payloads if p != "m")
            assert "Надіслали SMS" not in await web.say("067 123 45 67")  # out of the room: no code asked
            assert await _verified(bot, "w-public") is None
    finally:
        await bot.close()
