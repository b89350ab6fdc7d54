"""Air-raid alerts end to end, through the real channels on a fake clock: one bot with Telegram (the
telegram-test-api emulator, long polling) and Viber (signed webhooks into the app, the fake Viber REST API), the
real alerts adapter (`bot.alerts.Source`) reading the fake alerts.in.ua API (testkit/fake_alerts.py) inside a
`Watch` built as `start_alerts` builds it, the real reminders `Dispatcher` holding the appointments' reminders,
and the outbox's kicker sending the all-clear notices."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.alerts import Source, Watch, all_clear, holding
from bot.app import Bot, build
from bot.outbox import senders
from bot.reminders import Dispatcher, render_with
from bot.settings import Settings
from bot.staff import alerts_run
from dialogs.alerts.banner import BANNER
from dialogs.alerts.rules import State
from dialogs.reminders.texts import LATE_FOR_ALERT
from knowledge import Knowledge
from knowledge.search import SearchIndex
from storage.booking import Booking
from storage.clock import ManualClock
from testkit.fake_alerts import TOKEN as ALERTS_TOKEN
from testkit.fake_alerts import UID, FakeAlerts
from testkit.people import phone_for
from testkit.telegram.adapter import EmulatorAdapter
from testkit.telegram.citizen import TelegramCitizen
from testkit.telegram.emulator import start_adapter
from testkit.transcript import Seen
from testkit.viber.citizen import ViberCitizen
from testkit.viber.fake_api import FakeViberApi
from tests.e2e.telegram.conftest import _tokens

NOW = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)  # Friday 4 December 2026, 09:00 in Kyiv
SERVICE = "idp-living-allowance"  # booked at saksahan-uszn
MONDAY = "20261207"
VIBER_TOKEN = "4453b6ac1234567-test-viber-token"
HOURS = "до котрої ви працюєте"


def kyiv_monday(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 12, 7, hour - 2, minute, tzinfo=dt.UTC)  # Kyiv is UTC+2 in December


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(NOW)


@dataclass
class AlertsRig:
    bot: Bot
    settings: Settings
    adapter: EmulatorAdapter
    emulator_url: str
    token: str
    viber_api: FakeViberApi
    http: TestClient  # type: ignore[type-arg]
    alerts_api: FakeAlerts
    watch: Watch
    dispatcher: Dispatcher

    def telegram(self) -> TelegramCitizen:
        return TelegramCitizen(self.emulator_url, self.token, keyboards=self.adapter.keyboards)

    def viber(self) -> ViberCitizen:
        return ViberCitizen(self.http, self.viber_api, VIBER_TOKEN)

    async def staff(self, *argv: str) -> Any:
        out, err = io.StringIO(), io.StringIO()
        code = await alerts_run(list(argv), self.settings, clock=self.bot.uow_factory.clock, out=out, err=err)
        assert code == 0, err.getvalue()
        return json.loads(out.getvalue())


@pytest.fixture()
async def rig(
    emulator_url: str, tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock
) -> AsyncIterator[AlertsRig]:
    alerts_api = FakeAlerts()
    await alerts_api.serve()
    viber_api = FakeViberApi()
    viber_url = await viber_api.serve()
    adapter, runner, adapter_url = await start_adapter(emulator_url)
    token = f"{next(_tokens)}:TEST-TOKEN"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/alerts.sqlite3",
        telegram_bot_token=token,
        telegram_api_server=adapter_url,
        telegram_per_chat_rate=50,
        viber_auth_token=VIBER_TOKEN,
        viber_api_url=viber_url,
        viber_send_timeout=1.0,
        alerts_api_url=alerts_api.url,
        alerts_token=ALERTS_TOKEN,
        alerts_location_uid=UID,
    )
    bot = await build(settings, kb=kb, index=index, clock=clock)
    assert bot.telegram is not None and bot.viber is not None and bot.alerts is not None
    assert bot.reminders is not None and settings.alerts_token is not None and settings.alerts_location_uid
    # As `start_alerts` builds the watch (its scheduler job is the test's polls) and `python -m bot` the
    # reminders' dispatcher (its job is the test's ticks).
    source = Source(settings.alerts_api_url, settings.alerts_token.get_secret_value(), settings.alerts_location_uid,
                    timeout=0.3)  # fmt: skip
    watch = Watch(source, bot.uow_factory, bot.uow_factory.clock, every=settings.alerts_poll_seconds,
                  on_end=all_clear(bot), seen=bot.alerts.clear)  # fmt: skip
    dispatcher = Dispatcher(
        bot.uow_factory, senders(bot.uow_factory, bot.telegram, bot.viber),
        render_with(bot.uow_factory, bot.reminders), clock=clock, on_sent=bot.reminders.after_sent,
        single_process=True, held=holding(bot.uow_factory, bot.alerts),
    )  # fmt: skip
    await bot.telegram.set_commands()
    polling = asyncio.create_task(bot.telegram.run_polling())
    try:
        async with TestClient(TestServer(bot.http, host="127.0.0.1")) as http:
            yield AlertsRig(bot, settings, adapter, emulator_url, token, viber_api, http, alerts_api, watch,
                            dispatcher)  # fmt: skip
    finally:
        try:
            await bot.telegram.dispatcher.stop_polling()
        except RuntimeError:
            polling.cancel()
        await asyncio.wait_for(asyncio.gather(polling, return_exceptions=True), timeout=10)
        await watch.close()
        await bot.close()
        await adapter.close()
        await runner.cleanup()
        await viber_api.stop()
        await alerts_api.stop()


def _user_of(citizen: TelegramCitizen | ViberCitizen) -> tuple[str, str]:
    if isinstance(citizen, TelegramCitizen):
        return "telegram", str(citizen.user_id)
    return "viber", citizen.user


async def _verified(rig: AlertsRig, citizen: TelegramCitizen | ViberCitizen) -> None:
    channel, user = _user_of(citizen)
    async with rig.bot.uow_factory() as uow:
        await uow.people.verify(await uow.users.get_or_create(channel, user), phone_for(channel, user), "sms")


def _offered(seen: Seen, start: str) -> list[str]:
    return [p for _, p in seen.buttons if p.startswith(start)]


async def _book(rig: AlertsRig, citizen: TelegramCitizen | ViberCitizen, at: str, claim: str = "no") -> str:
    """Book an office appointment through the channel; its code."""
    await _verified(rig, citizen)
    await citizen.press(f"q:s:{SERVICE}")
    await citizen.press(f"q:p:{claim}")
    seen = await citizen.press(f"q:a:{at}")
    seen = await citizen.press(_offered(seen, "q:ok:")[0])
    assert "вас записано" in seen.text, seen.text
    async with rig.bot.uow_factory() as uow:
        found = await uow.session.execute(select(Booking.code).where(Booking.status == "booked").order_by(
            Booking.id.desc()).limit(1))  # fmt: skip
        return str(found.scalar_one())


async def _telegram_messages(citizen: TelegramCitizen) -> list[dict[str, Any]]:
    return [m["message"] for m in await citizen.history()]


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def _booked(rig: AlertsRig) -> dict[str, Booking]:
    async with rig.bot.uow_factory() as uow:
        rows = (await uow.session.execute(select(Booking).where(Booking.status == "booked"))).scalars()
        return {b.code: b for b in rows}


async def _settle(rig: AlertsRig) -> None:
    assert rig.bot.kicker is not None
    await rig.bot.kicker.settle()
    await asyncio.sleep(0.5)  # the emulator stores what the bot sent


async def test_an_alert_holds_the_day_and_the_all_clear_tells_each_affected_citizen_once(
    rig: AlertsRig, clock: ManualClock
) -> None:
    first, second, asker, late = rig.telegram(), rig.telegram(), rig.telegram(), rig.telegram()
    vet = rig.viber()
    try:
        # Friday: three appointments on Monday morning (the Viber citizen's with priority), one at 13:00.
        first_code = await _book(rig, first, f"{MONDAY}1000")
        vet_code = await _book(rig, vet, f"{MONDAY}1030", claim="combatant")
        second_code = await _book(rig, second, f"{MONDAY}1100")
        late_code = await _book(rig, late, f"{MONDAY}1300")
        assert (await _booked(rig))[vet_code].priority
        # Monday 09:50: the morning's reminders go as usual, the source says calm.
        clock.advance(kyiv_monday(9, 50) - clock())
        await rig.dispatcher.tick()
        assert await rig.watch.poll() is State.CALM
        calm = await asker.send_text(HOURS)
        assert calm.texts and BANNER not in calm.texts[0]
        # 09:56: the siren.
        rig.alerts_api.status = "A"
        clock.advance(kyiv_monday(9, 56) - clock())
        assert await rig.watch.poll() is State.ACTIVE
        during = await asker.send_text(HOURS)
        assert during.texts[0].startswith(BANNER), during.texts
        # Every 30 s through 11:26; the 13:00 appointment's two-hour reminder falls due at 11:00 and waits.
        late_before = len(await _telegram_messages(late))
        while clock() < kyiv_monday(11, 25):
            clock.advance(dt.timedelta(seconds=30))
            assert await rig.watch.poll() is State.ACTIVE
            if clock().minute % 5 == 0 and clock().second == 0:
                await rig.dispatcher.tick()
        await _settle(rig)
        assert len(await _telegram_messages(late)) == late_before  # held
        async with rig.bot.uow_factory() as uow:
            waiting = [r for r in await uow.reminders.listing("pending") if r.kind == "appointment"]
        assert len(waiting) == 1
        # The counts each citizen has seen before the all-clear.
        seen_before = {
            "first": len(await _telegram_messages(first)),
            "second": len(await _telegram_messages(second)),
            "late": len(await _telegram_messages(late)),
            "vet": len(rig.viber_api.to(vet.user)),
        }
        # 11:26: the all-clear; the notices go through the outbox, the held reminder goes late.
        rig.alerts_api.status = "N"
        clock.advance(kyiv_monday(11, 26) - clock())
        assert await rig.watch.poll() is State.CALM
        await rig.dispatcher.tick()
        for _ in range(3):  # the next rounds change nothing
            clock.advance(dt.timedelta(seconds=30))
            assert await rig.watch.poll() is State.CALM
            await rig.dispatcher.tick()
        await _settle(rig)
        first_new = (await _telegram_messages(first))[seen_before["first"]:]
        second_new = (await _telegram_messages(second))[seen_before["second"]:]
        late_new = (await _telegram_messages(late))[seen_before["late"]:]
        vet_new = rig.viber_api.to(vet.user)[seen_before["vet"]:]
        assert len(first_new) == 1 and len(second_new) == 1 and len(vet_new) == 1, (first_new, second_new, vet_new)
        for message, code in ((first_new[0], first_code), (second_new[0], second_code)):
            assert "Повітряну тривогу скасовано" in message["text"] and code in message["text"], message["text"]
            assert f"q:x:{code}" in _buttons(message)
            assert any(p.startswith(f"q:at:{code}:") for p in _buttons(message)), _buttons(message)
        vet_buttons = [b["ActionBody"] for b in vet_new[0]["keyboard"]["Buttons"]]
        assert "Повітряну тривогу скасовано" in vet_new[0]["text"] and vet_code in vet_new[0]["text"]
        assert any(p.startswith(f"q:at:{vet_code}:") for p in vet_buttons), vet_buttons
        assert len(late_new) == 1 and LATE_FOR_ALERT in late_new[0]["text"], late_new
        assert late_code in late_new[0]["text"] and "13:00" in late_new[0]["text"]
        # The staff's history counts the three appointments inside the alert.
        history = await rig.staff("history", "--json")
        assert [(h["start"], h["end"], h["affected"]) for h in history] == [
            ("2026-12-07T09:56:00+02:00", "2026-12-07T11:26:00+02:00", 3)
        ]
        # The buttons work: on Telegram an offered time moves the booking ...
        offered = [p for p in _buttons(first_new[0]) if p.startswith(f"q:at:{first_code}:")]
        seen = await first.press(offered[0])
        seen = await first.press(_offered(seen, "q:ok:")[0])
        assert "перенесено" in seen.text.lower(), seen.text
        # ... and on Viber the priority citizen's move keeps priority.
        offered = [p for p in vet_buttons if p.startswith(f"q:at:{vet_code}:")]
        seen = await vet.press(offered[-1])
        seen = await vet.press(_offered(seen, "q:ok:")[0])
        assert "перенесено" in seen.text.lower(), seen.text
        booked = await _booked(rig)
        assert first_code not in booked and vet_code not in booked and second_code in booked
        moved_vet = [b for b in booked.values() if b.priority_group == "combatant"]
        assert len(moved_vet) == 1 and moved_vet[0].priority and moved_vet[0].channel == "viber"
        # The all-clear's line is gone.
        after = await asker.send_text(HOURS)
        assert after.texts and BANNER not in after.texts[0]
    finally:
        for c in (first, second, asker, late):
            await c.close()


async def test_ten_minutes_of_a_failing_source_is_unknown_and_the_bot_keeps_answering(
    rig: AlertsRig, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = rig.telegram()
    try:
        clock.advance(kyiv_monday(10, 0) - clock())
        assert await rig.watch.poll() is State.CALM
        states = []
        with caplog.at_level(logging.INFO):
            for step in range(20):  # every 30 s for 10 minutes: HTTP 500, then a hang, then malformed JSON
                rig.alerts_api.fail = ("500", "hang", "nonsense")[step * 3 // 20]
                clock.advance(dt.timedelta(seconds=30))
                states.append(await rig.watch.poll())
                if step % 7 == 3:
                    seen = await citizen.send_text(HOURS)
                    assert "8:00" in seen.text, seen.text
            status = await rig.staff("status", "--json")
            seen = await citizen.send_text("/start")
            assert "Віза-бот" in seen.text
        assert State.CALM not in states[6:] and states[-1] is State.UNKNOWN
        assert status["state"] == "unknown" and status["source_ok"] is False, status
        assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
        assert "Traceback" not in caplog.text
        alerts_lines = [r.getMessage() for r in caplog.records if r.name == "bot.alerts"]
        assert sum("unknown" in line for line in alerts_lines) == 1, alerts_lines
    finally:
        await citizen.close()
