"""A room's typed state: its own choices while the citizen is inside it, the defaults anywhere else."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.booking.base import STATE, Choices
from dialogs.rooms import RoomState
from storage.models import DialogState


@dataclass
class Parcel:
    address: str = ""
    size: str = ""


def _state(**kwargs: object) -> DialogState:
    fields: dict[str, object] = {"scenario": None, "step": None, "answers": {}, "history": [], "misses": 0}
    return DialogState(**{**fields, **kwargs})


def test_choices_are_saved_loaded_and_left() -> None:
    room = RoomState("parcels", Parcel)
    state = _state(scenario="birth", step="q1", answers={"married": "yes"}, history=["start"])
    assert room.load(state) == Parcel()  # elsewhere: nothing chosen, the other dialog's answers unseen
    room.save(state, Parcel(size="S"), "address")
    assert (state.scenario, state.step, state.answers, state.history) == (
        "parcels",
        "address",
        {"size": "S"},
        [],
    )
    choices = room.load(state)
    choices.address = "вул. Святогорська, 1"
    room.save(state, choices)
    assert room.load(state) == Parcel("вул. Святогорська, 1", "S") and state.step == "address"
    room.leave(state)
    assert (state.scenario, state.step, state.answers) == (None, None, {})


def test_a_booking_saved_before_the_typed_state_reads_the_same() -> None:
    """Dialog states written by the earlier code (plain keys, an empty «prio») load into the model."""
    state = _state(scenario="booking", step="time", answers={"svc": "41-11", "office": "visa-main", "prio": "",
                                                             "day": "20261207"})  # fmt: skip
    assert STATE.load(state) == Choices(svc="41-11", office="visa-main", day="20261207")
    leaving = _state(scenario="reminders", step="ready-date", answers={"target": "41-11"})
    STATE.leave(leaving)  # not the booking's: untouched
    assert leaving.scenario == "reminders"
