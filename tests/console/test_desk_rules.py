"""The pure rules of the Today and Callbacks pages (dialogs/console/desk.py): marks, days, walk-ins, request
states and the masked phone."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.console import desk
from dialogs.console.rules import Invalid

TODAY = dt.date(2026, 12, 7)


def test_marks_and_buttons() -> None:
    assert desk.mark({"mark": "no_show"}) == ("no-show", None)
    assert desk.mark({"mark": "arrived", "priority": "refused"}) == ("arrived", "refused")
    assert desk.button("arrived:confirmed") == ("arrived", "confirmed") and desk.button("no_show") == ("no-show", None)
    for body, field in (([], "body"), ({"mark": "no-show"}, "mark"), ({"mark": "arrived", "priority": "yes"}, "priority"),
                        ({"mark": "no_show", "priority": "refused"}, "priority"), ({"mark": "arrived", "x": 1}, "x")):  # fmt: skip
        with pytest.raises(Invalid) as caught:
            desk.mark(body)
        assert caught.value.field == field, body


def test_days_and_walk_ins() -> None:
    assert desk.day(None, TODAY) == TODAY and desk.day("2026-12-31", TODAY) == dt.date(2026, 12, 31)
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        desk.day("31.12.2026", TODAY)
    assert desk.walk_in("a", "  two   words ", {"a"}) == ("a", "two words")
    assert desk.walk_in("a", "   ", {"a"}) == ("a", None)
    with pytest.raises(Invalid) as caught:
        desk.walk_in("b", None, {"a"})
    assert caught.value.field == "service"
    with pytest.raises(Invalid) as caught:
        desk.walk_in("a", "x" * (desk.MAX_WALK_IN_NOTE + 1), {"a"})
    assert caught.value.field == "note"


def test_request_states() -> None:
    agreed = desk.request_change({"status": "visit_agreed", "visit_day": "2026-12-07", "note": " з 10 "}, TODAY)
    assert agreed == desk.RequestChange("visit_agreed", "з 10", TODAY)
    assert desk.request_change({"status": "called", "visit_day": ""}, TODAY).visit_day is None
    with pytest.raises(Invalid) as caught:
        desk.request_change({"status": "visit_agreed", "visit_day": "2026-12-08"}, TODAY, "callback")
    assert caught.value.field == "status" and "visit_agreed" not in desk.statuses("callback")
    for body, field in (({"status": "visit_agreed"}, "visit_day"), ({"status": "visit_agreed", "visit_day": "2026-12-06"},
                        "visit_day"), ({"status": "done", "visit_day": "2026-12-09"}, "visit_day"),
                        ({"status": "closed"}, "status"), ({"status": "done", "note": 5}, "note")):  # fmt: skip
        with pytest.raises(Invalid) as caught:
            desk.request_change(body, TODAY)
        assert caught.value.field == field, body


def test_a_masked_phone_keeps_only_its_last_two_digits() -> None:
    assert desk.masked("+380 67 123-45-67") == "••••••••••67"
    assert desk.masked(None) == "—" and desk.masked("") == "—"
    assert "4567" not in desk.masked("0671234567")
