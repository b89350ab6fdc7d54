"""Every engine button as an aiogram CallbackData class; the packed string equals the engine payload.

The engine's payload grammar (dialogs.payloads) is `prefix:arg:…`, which is exactly how CallbackData packs,
so the same string works on Telegram (callback_data, ≤ 64 bytes) and as the Viber payload.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from dialogs.payloads import Action


class MenuCb(CallbackData, prefix=Action.MENU.value):
    """The main menu."""


class MenuSectionCb(CallbackData, prefix=Action.MENU.value):
    section: str


class MenuItemCb(CallbackData, prefix=Action.MENU.value):
    section: str
    item: str


class WordingCb(CallbackData, prefix=Action.WORDING.value):
    """The exact wording of the documents of the checklist on screen."""


class SituationCb(CallbackData, prefix=Action.SITUATION.value):
    scenario: str


class AnswerCb(CallbackData, prefix=Action.ANSWER.value):
    scenario: str
    step: str
    value: str


class NextCb(CallbackData, prefix=Action.NEXT.value):
    scenario: str
    step: str


class BackCb(CallbackData, prefix=Action.BACK.value):
    pass


class RestartCb(CallbackData, prefix=Action.RESTART.value):
    pass


class ResumeCb(CallbackData, prefix=Action.RESUME.value):
    pass


class ServiceCb(CallbackData, prefix=Action.SERVICE.value):
    service: str


class ServiceSectionCb(CallbackData, prefix=Action.SERVICE.value):
    service: str
    section: str


class ForgetCb(CallbackData, prefix=Action.FORGET.value):
    pass


class ForgetAnswerCb(CallbackData, prefix=Action.FORGET.value):
    answer: str


class QueueCb(CallbackData, prefix=Action.QUEUE.value):
    """The booking room's entry (`q`)."""


class QueueVerbCb(CallbackData, prefix=Action.QUEUE.value):
    """A booking step without an argument: `q:my`, `q:cb`, `q:v`, `q:y`."""

    verb: str


class QueueArgCb(CallbackData, prefix=Action.QUEUE.value):
    """A booking step with one argument: `q:s:<service>`, `q:d:<yyyymmdd>`, `q:ok:<token>`, `q:x:<code>`, …"""

    verb: str
    arg: str


class QueueArg2Cb(CallbackData, prefix=Action.QUEUE.value):
    """A booking step with two arguments (the widest the booking room uses)."""

    verb: str
    arg: str
    arg2: str


class RemindVerbCb(CallbackData, prefix=Action.REMIND.value):
    """A reminders step without an argument: `h:my`, `h:xa`, `h:web`."""

    verb: str


class RemindArgCb(CallbackData, prefix=Action.REMIND.value):
    """A reminders step with one argument: `h:r:<service>`, `h:e:<situation>`, `h:x:<id>`, `h:come:<code>`."""

    verb: str
    arg: str


class RemindArg2Cb(CallbackData, prefix=Action.REMIND.value):
    """A reminders step with two arguments: `h:rd:<service>:<yyyymmdd>`, `h:ed:<situation>:<yyyymmdd>`."""

    verb: str
    arg: str
    arg2: str


class OperatorCb(CallbackData, prefix=Action.OPERATOR.value):
    """«👤 Оператор»: ask for a person (`o`)."""


class OperatorVerbCb(CallbackData, prefix=Action.OPERATOR.value):
    """A handoff step: `o:end`, `o:q`, `o:p`, `o:wait`, `o:skip`."""

    verb: str


class OperatorRateCb(CallbackData, prefix=Action.OPERATOR.value):
    """A rating of a closed ticket: `o:r:<ticket>:<1-5>`."""

    verb: str
    ticket: str
    rating: str


class TicketCb(CallbackData, prefix="tk"):
    """An operator's button on a ticket's card in the operator group: `tk:take|pass|close:<ticket>`."""

    verb: str
    ticket: str


CALLBACKS: tuple[type[CallbackData], ...] = (
    MenuCb, MenuSectionCb, MenuItemCb, WordingCb, SituationCb, AnswerCb, NextCb, BackCb, RestartCb, ResumeCb,
    ServiceCb, ServiceSectionCb, ForgetCb, ForgetAnswerCb,
    QueueCb, QueueVerbCb, QueueArgCb, QueueArg2Cb, RemindVerbCb, RemindArgCb, RemindArg2Cb,
    OperatorCb, OperatorVerbCb, OperatorRateCb, TicketCb,
)  # fmt: skip


_BY_SHAPE: dict[tuple[str, int], type[CallbackData]] = {
    (cls.__prefix__, len(cls.model_fields)): cls for cls in CALLBACKS
}
if len(_BY_SHAPE) != len(CALLBACKS):  # two classes of one prefix must differ in their number of fields
    raise RuntimeError("ambiguous CallbackData classes")


def to_callback(payload: str) -> CallbackData:
    """The CallbackData for an engine payload; ValueError if no class fits (a bug in the engine)."""
    prefix, *args = payload.split(":")
    cls = _BY_SHAPE.get((prefix, len(args)))
    if cls is None:
        raise ValueError(f"no CallbackData class for payload {payload!r}")
    cb = cls.unpack(payload)
    if cb.pack() != payload:
        raise ValueError(f"payload {payload!r} does not round-trip through {cls.__name__}")
    return cb
