"""A hotline callback and a home visit: the steps that end with a phone number (and an address), asked only
after an explicit «yes» and never kept in the dialog state."""

from __future__ import annotations

from dialogs.booking import texts
from dialogs.booking.base import STATE, Choices, _b, _moment
from dialogs.booking.service import HOTLINE, new_token
from dialogs.booking.steps import BookingSteps
from dialogs.messages import Reply
from dialogs.rooms import Turn
from storage.booking import Booking


class Requests(BookingSteps):
    """Hotline callbacks and home-visit requests."""

    async def _callback(self, turn: Turn) -> list[Reply]:
        state = turn.state
        topic = self._topic(state)
        self._enter(state, Choices(kind="callback", topic=topic), "day")
        return await self._days(turn)

    def _visit(self, turn: Turn) -> list[Reply]:
        state = turn.state
        service = self._context_service(state)
        if service is None:
            self._enter(state, Choices(kind="visit"), "visit-service")
            rows = [(_b(g.title, "vg", g.id),) for g in self.kb.contacts.groups]
            return [
                Reply(
                    f"{texts.VISIT_START}\n\n{texts.CHOOSE_SERVICE}", (*rows, (_b(texts.CANCEL_FLOW, "no"),))
                )
            ]
        self._enter(state, Choices(kind="visit", svc=service), "visit-consent")
        return [Reply(texts.VISIT_START), self._consent(texts.CONSENT_VISIT, "vy")]

    async def _with_phone(self, turn: Turn, phone: str) -> list[Reply]:
        state = turn.state
        a = STATE.load(state)
        token = a.token or new_token()
        if a.kind == "visit":
            result = await self.booking.request_visit(
                turn.uow,
                turn.user,
                service=a.svc,
                address=a.address,
                phone=phone,
                token=token,
                now=turn.now,
                origin=turn.message.origin,
            )
        else:
            start = _moment(a.start, self.booking)
            if start is None:
                return [Reply(texts.STALE), *self._groups(state)]
            result = await self.booking.book(
                turn.uow,
                turn.user,
                office=HOTLINE,
                service=a.svc or "hotline",
                start=start,
                priority_group=None,
                token=token,
                now=turn.now,
                phone=phone,
                topic=a.topic or None,
                origin=turn.message.origin,
            )
        if isinstance(result, Booking):
            self._leave(state)
            await self._announce(turn, result)
            return self._booked(result)
        return await self._refused(turn, result, _moment(a.start, self.booking) or turn.now)
