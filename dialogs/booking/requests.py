"""A hotline callback and a home visit, for a citizen whose phone is verified (the verify room, lent as
`PhoneCheck`): the call goes only to that number, the address is asked after an explicit «yes»; neither is kept
in the dialog state."""

from __future__ import annotations

from dialogs.booking import texts
from dialogs.booking.base import PREFIX, STATE, Choices, _b, _moment
from dialogs.booking.service import HOTLINE, new_token
from dialogs.booking.steps import BookingSteps
from dialogs.messages import Reply
from dialogs.payloads import pack
from dialogs.rooms import Turn
from storage.booking import Booking


class Requests(BookingSteps):
    """Hotline callbacks and home-visit requests."""

    async def _callback(self, turn: Turn, service: str | None = None) -> list[Reply]:
        """`service`: the one the call is about, when the verify room hands the citizen back (`q:cb:<service>`)."""
        state = turn.state
        service = service or self._context_service(state)
        topic = self.kb.services[service].short_title if service is not None else self._topic(state)
        then = pack(PREFIX, "cb", service) if service is not None else pack(PREFIX, "cb")
        if (verify := await self._unverified(turn, then)) is not None:
            return verify
        self._enter(state, Choices(kind="callback", topic=topic), "day")
        return await self._days(turn)

    async def _visit(self, turn: Turn, service: str | None = None) -> list[Reply]:
        state = turn.state
        service = service or self._context_service(state)
        then = pack(PREFIX, "v", service) if service is not None else pack(PREFIX, "v")
        if (verify := await self._unverified(turn, then)) is not None:
            return verify
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

    async def _request(self, turn: Turn) -> list[Reply]:
        """The callback or the visit asked for, to the citizen's verified number."""
        state = turn.state
        a = STATE.load(state)
        phone = await self._phone(turn)
        if phone is None:  # forgotten on the way: verified again, then asked again from the start
            then = pack(PREFIX, "cb") if a.kind == "callback" else pack(PREFIX, "v", *([a.svc] if a.svc else []))
            return await self._unverified(turn, then) or []
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
            return self._booked(result, phone=phone)
        return await self._refused(turn, result, _moment(a.start, self.booking) or turn.now)
