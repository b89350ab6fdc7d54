"""What the alerts source's answers add up to (dialogs/alerts/rules.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.alerts.rules import TRUST_FOR, Nonsense, State, Tracker, read_active, read_iot

T0 = dt.datetime(2026, 12, 4, 7, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("body", "active"), [(b'"A"', True), (b'"P"', True), (b'"N"', False)])
def test_the_iot_letters(body: bytes, active: bool) -> None:
    assert read_iot(body) is active


@pytest.mark.parametrize("body", [b"", b"{", b'"X"', b'"AN"', b"null", b"1", b'["A"]', b"\xff\xfe", b"[" * 5000])
def test_anything_else_is_nonsense_never_calm(body: bytes) -> None:
    with pytest.raises(Nonsense):
        read_iot(body)


def test_the_list_counts_only_an_unfinished_air_raid_alert_over_the_location() -> None:
    alert = {"location_uid": "1293", "alert_type": "air_raid", "finished_at": None}
    assert read_active(b'{"alerts": []}', "1293") is False
    assert read_active(f'{{"alerts": [{_j(alert)}]}}'.encode(), "1293") is True
    assert read_active(f'{{"alerts": [{_j({**alert, "location_uid": 1293})}]}}'.encode(), "1293") is True
    assert read_active(f'{{"alerts": [{_j({**alert, "location_uid": "12"})}]}}'.encode(), "1293") is False
    other = {**alert, "alert_type": "artillery_shelling"}
    assert read_active(f'{{"alerts": [{_j(other)}]}}'.encode(), "1293") is False
    over = {**alert, "finished_at": "2026-12-04T08:00:00.000Z"}
    assert read_active(f'{{"alerts": [{_j(over)}]}}'.encode(), "1293") is False
    for bad in (b"[]", b'{"alerts": 1}', b'{"alerts": [1]}', b"{"):
        with pytest.raises(Nonsense):
            read_active(bad, "1293")


def _j(value: object) -> str:
    import json

    return json.dumps(value)


def test_a_failing_source_holds_the_last_answer_a_few_minutes_then_is_unknown() -> None:
    tracker = Tracker()
    assert tracker.state is State.UNKNOWN
    change = tracker.answered(False, T0)
    assert change is not None and (change.before, change.after) == (State.UNKNOWN, State.CALM)
    assert tracker.source_ok
    assert tracker.failed(T0 + dt.timedelta(seconds=30)) is None
    assert tracker.state is State.CALM and not tracker.source_ok
    assert tracker.failed(T0 + TRUST_FOR - dt.timedelta(seconds=1)) is None
    change = tracker.failed(T0 + TRUST_FOR)
    assert change is not None and change.after is State.UNKNOWN and tracker.since == T0 + TRUST_FOR
    assert tracker.failed(T0 + dt.timedelta(minutes=10)) is None  # unknown stays unknown, said once
    assert tracker.answered(True, T0 + dt.timedelta(minutes=11)) is not None
    assert tracker.state is State.ACTIVE and tracker.source_ok


def test_a_source_that_never_answered_is_unknown_at_once() -> None:
    tracker = Tracker()
    assert tracker.failed(T0) is None  # it was unknown already: no change
    assert tracker.state is State.UNKNOWN


def test_the_same_answer_again_changes_nothing() -> None:
    tracker = Tracker()
    tracker.answered(True, T0)
    assert tracker.answered(True, T0 + dt.timedelta(minutes=1)) is None
    assert tracker.since == T0
