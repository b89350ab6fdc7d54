"""The reminder tests' engine: the real engine and database with the reminder and booking rooms and a clock the
tests move (tests/reminders/test_flow.py, test_hostile.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Bot
from dialogs.booking.flow import BookingRoom
from dialogs.booking.service import BookingService
from dialogs.engine import Engine
from dialogs.reminders.flow import ReminderRoom
from dialogs.reminders.service import ReminderService

NOW = dt.datetime(2026, 12, 28, 8, 0, tzinfo=dt.UTC)  # Monday 28 December 2026, 10:00 in Kyiv


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture()
def engine(bot: Bot) -> Engine:
    e = bot.engine
    booking = BookingService(e.kb, martial_law=True)
    reminders = ReminderService(e.kb, booking, holidays_are_days_off=False)
    rooms = [
        ReminderRoom(
            reminders, transfer_links=(("Telegram", "https://t.me/viza_test_bot?start=tr_{token}"),)
        ),
        BookingRoom(e.kb, booking, reminders),
    ]
    return Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=Clock(), rooms=rooms)
