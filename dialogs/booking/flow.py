"""The booking room the engine sees (dialogs.rooms): its payloads `q:…`, the BOOKING intent, `/my` and the
other commands, its buttons on the menu, a card and a checklist; a press or a typed text goes to the part of the
conversation it belongs to (`steps`, `mine`, `requests`).

Its place in the dialog is `DialogState.scenario == "booking"`, the step in `state.step` and the choices a typed
`Choices` (base.py) kept through `dialogs.rooms.RoomState`: short strings only; a phone is never kept there (it goes
straight into the booking it was given for), a home visit's address only until the request is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from dialogs import typed
from dialogs.booking import texts
from dialogs.booking.answers import TypedAnswers
from dialogs.booking.base import (
    BUTTONS,
    MENU,
    NAME,
    PASS_THROUGH,
    PERSONAL_STEPS,
    PREFIX,
    STATE,
    Buttons,
    _b,
    _moment,
    normalize_phone,
)
from dialogs.booking.requests import Requests
from dialogs.messages import Reply
from dialogs.outcome import Kind
from dialogs.rooms import QuietRoom, Row, Turn
from knowledge.schema import LifeSituation, Service
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.models import DialogState

__all__ = ["BUTTONS", "BookingRoom", "Buttons", "normalize_phone"]


class BookingRoom(TypedAnswers, Requests, QuietRoom):
    """Office appointments, hotline callbacks and home-visit requests on every channel."""

    prefix = PREFIX
    name = NAME
    holds = False
    intents = frozenset({Intent.BOOKING, Intent.CANCEL_BOOKING, Intent.MOVE_BOOKING})
    commands: ClassVar[dict[str, tuple[str, ...]]] = {
        "/my": ("my",),
        "мої записи": ("my",),
        "мои записи": ("my",),
        "мій запис": ("my",),
        "скасувати запис": ("cancel",),  # typed wishes: the bookings with their buttons (answers.py)
        "перенести запис": ("move",),
        "отменить запись": ("cancel",),
        "перенести запись": ("move",),
        "передзвоніть мені": ("cb",),
        "перезвоните мне": ("cb",),
        "замовити дзвінок": ("cb",),
        "заказать звонок": ("cb",),
    }

    def personal(self, state: DialogState) -> bool:
        return state.scenario == NAME and state.step in PERSONAL_STEPS

    # --- its buttons elsewhere ------------------------------------------------------------------------

    def menu_rows(self) -> tuple[Row, ...]:
        return ((_b(texts.BOOK), _b(texts.MY, "my")),)

    def card_rows(self, service: Service) -> tuple[Row, ...]:
        return ((_b(texts.BOOK, "s", service.id),),)

    def checklist_rows(self, situation: LifeSituation | None, services: Sequence[Service]) -> tuple[Row, ...]:
        """The next step: book it (one service) or choose which to book."""
        args = ("s", services[0].id) if len(services) == 1 else ()
        return ((_b(texts.BOOK, *args),),)

    async def forget(self, turn: Turn) -> None:
        """Upcoming bookings of a citizen who asked to be forgotten are cancelled: nobody could use them."""
        for booking in await self.booking.cancel_all(turn.uow, turn.user, turn.now):
            if self.events is not None:
                await self.events.cancelled(turn.uow, booking.code)

    # --- entry points ----------------------------------------------------------------------------------

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        if intent in (Intent.CANCEL_BOOKING, Intent.MOVE_BOOKING):
            return await self._change(turn, intent)
        said = turn.message.text or ""
        if typed.asks_mine(said):  # «на коли я записаний»: the bookings the citizen has
            return await self._mine(turn)
        # the service the wish names, if it names one: «записатись на реєстрацію народження»
        service = self._meant_service(turn, said, hit)
        if service is not None:  # and the day it names, once the steps before it are answered
            day, _ = typed.read_when(said, typed.kyiv_today(turn.now), window=self.booking.data.horizon_days)
            return await self._service(turn, service, day=day)
        return self._groups(turn.state)

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        state = turn.state
        verb, *rest = args or ("",)
        arg = rest[0] if rest else ""
        if verb == "":
            return self._groups(state)
        if verb == "g" and arg:
            return self._services(arg)
        if verb == "s" and arg in self.kb.services:
            return await self._service(turn, arg)
        if verb == "my":
            return await self._mine(turn)
        if verb == "x" and arg:
            return self._ask_cancel(turn, arg)
        if verb == "xx" and arg:
            return await self._cancel(turn, arg)
        if verb == "keep":
            return self._kept(turn)
        if verb == "r" and arg:
            return await self._move(turn, arg)
        if verb == "cb":
            return await self._callback(turn, arg if arg in self.kb.services else None)
        if verb == "v":
            return await self._visit(turn, arg if arg in self.kb.services else None)
        if verb in ("cancel", "move"):  # typed, never a button: «скасувати запис»
            wish = Intent.CANCEL_BOOKING if verb == "cancel" else Intent.MOVE_BOOKING
            turn.note(Kind.INTENT, wish.value)
            return await self._change(turn, wish, in_flow=state.scenario == NAME)
        if verb == "go":
            return await self._resume(turn)
        if verb == "no":
            self._leave(state)
            return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
        if verb == "ok" and arg:  # a confirmation is answered even outside the flow: a double tap, days later
            return await self._confirm(turn, arg)
        if verb == "at" and arg:  # a time a notice offered (a closure, a refused claim, an alert): book or move
            return await self._again_at(turn, arg, rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")
        if state.scenario != NAME:  # a step button from an old message, outside the booking
            return [Reply(texts.STALE), *self._groups(state)]
        return await self._step(turn, verb, arg, rest[1] if len(rest) > 1 else "")

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        state = turn.state
        words = " ".join(text.casefold().split()).strip(" .!")
        if words in self.commands:
            return await self.button(turn, self.commands[words])
        if state.scenario != NAME or words in PASS_THROUGH:
            return None  # «меню», /forget, /start work at every step
        if state.step == "cb-topic":
            turn.note(Kind.ANSWER, "booking:cb-topic")  # the citizen's own words are the topic
            choices = STATE.load(state)
            choices.topic = " ".join(text.split())[:100]
            STATE.save(state, choices, "cb-consent")
            return self._summary(turn, _moment(choices.start, self.booking) or turn.now)
        if state.step in ("cb-phone", "visit-phone"):  # a step before verified phones, in a saved dialog
            if words in ("скасувати", "отмена", "відміна"):
                self._leave(state)
                return [Reply(texts.LEFT, ((_b(texts.MY, "my"),), MENU))]
            return await self._request(turn)  # only ever to the verified number
        if state.step == "visit-address":
            address = " ".join(text.split())
            if len(address) < 8 or not any(ch.isdigit() for ch in address) or len(address) > 200:
                turn.note(Kind.REASK, "booking:visit-address")
                return [Reply(texts.BAD_ADDRESS, ((_b(texts.CANCEL_FLOW, "no"),),))]
            turn.note(Kind.ANSWER, "booking:visit-address")
            choices = STATE.load(state)
            choices.address = address[:200]
            STATE.save(state, choices, "visit-phone")
            return await self._request(turn)
        return await self._typed(turn, text)  # a step's answer, a question on the way, or None
