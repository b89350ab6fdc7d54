"""The console's pure rules: roles, the login lock, the idle timeout, what a change of an office may say."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.console import rules
from dialogs.offices import OfficeView
from storage.clock import ManualClock
from testkit.clocks import TEST_NOW


def test_roles() -> None:
    assert rules.may("admin", "offices.edit") and rules.may("registrar", "offices.edit")
    assert rules.may("operator", "offices.view") and not rules.may("operator", "offices.edit")
    assert not rules.may("registrar", "users") and rules.may("admin", "users")
    assert not rules.may("nobody", "offices.view")
    assert rules.nav("operator") == [
        ("/staff/offices", "Офіси"), ("/staff/callbacks", "Дзвінки й виїзди"), ("/staff/inbox", "Звернення"),
    ]  # fmt: skip
    assert ("/staff/inbox", "Звернення") not in rules.nav("registrar")
    assert [path for path, _ in rules.nav("registrar")] == ["/staff/offices", "/staff/today", "/staff/callbacks"]


def test_the_fifth_failure_locks_for_15_minutes() -> None:
    clock = ManualClock(TEST_NOW)
    failed, until = 0, None
    for _ in range(rules.MAX_FAILED - 1):
        failed, until = rules.after_failure(failed, clock())
        assert until is None
    failed, until = rules.after_failure(failed, clock())
    assert until == TEST_NOW + dt.timedelta(minutes=15) and failed == 0
    assert rules.locked(until, clock.advance(dt.timedelta(minutes=14, seconds=59)))
    assert not rules.locked(until, clock.advance(dt.timedelta(seconds=1)))
    assert not rules.locked(None, clock())


def test_idle_timeout_is_8_hours_of_no_use() -> None:
    clock = ManualClock(TEST_NOW)
    seen = clock()
    assert not rules.idle(seen, clock.advance(dt.timedelta(hours=7, minutes=59)))
    assert rules.idle(seen, clock.advance(dt.timedelta(minutes=1)))


OPEN = OfficeView("visa-main", "open", None, "пл. Молодіжна, 1", None)


def test_office_patch_validates_and_names_the_field() -> None:
    closed = rules.office_patch({"status": "closed", "note": "  Пошкоджено,  приймаємо на Святителя 16а "}, OPEN)
    assert closed == OfficeView("visa-main", "closed", "Пошкоджено, приймаємо на Святителя 16а", OPEN.address, None)
    assert not closed.bookable and OPEN.bookable
    assert not rules.office_patch({"address": "  "}, OPEN).bookable  # no address: no bookings
    for body, field in [
        ({"status": "shut"}, "status"),
        ({"status": "closed"}, "note"),  # closing says why
        ({"address": 5}, "address"),
        ({"hours": "x" * 501}, "hours"),
        ({"colour": "red"}, "colour"),
        ([], "body"),
        ({}, "body"),
    ]:
        with pytest.raises(rules.Invalid) as caught:
            rules.office_patch(body, OPEN)
        assert caught.value.field == field, body
