"""The reminder tests' engine: the real engine and database with the reminder and booking rooms and a clock the
tests move (tests/reminders/test_flow.py, test_hostile.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Bot
from dialogs.booking.flow import BUTTONS, BookingRoom
from dialogs.booking.service import BookingService
from dialogs.engine import Engine
from dialogs.reminders.flow import ReminderRoom
from dialogs.reminders.service import ReminderService
from storage.clock import ManualClock

NOW = dt.datetime(2026, 12, 28, 8, 0, tzinfo=dt.UTC)  # Monday 28 December 2026, 10:00 in Kyiv


@pytest.fixture()
def clock() -> ManualClock:
    """Overrides the shared clock: the `bot` fixture and this package's engine run on it."""
    return ManualClock(NOW)


@pytest.fixture()
def engine(bot: Bot, clock: ManualClock) -> Engine:
    e = bot.engine
    booking = BookingService(e.kb, martial_law=True)
    reminders = ReminderService(e.kb, holidays_are_days_off=False, booking_buttons=BUTTONS)
    rooms = [
        BookingRoom(e.kb, booking, reminders),
        ReminderRoom(
            reminders, transfer_links=(("Telegram", "https://t.me/viza_test_bot?start=tr_{token}"),)
        ),
    ]
    return Engine(e.kb, e.index, e.scenarios, bot.uow_factory, clock=clock, rooms=rooms)
