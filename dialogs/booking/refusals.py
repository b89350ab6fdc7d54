"""A booking refused, said kindly with the way on: the nearest free times instead of a taken one, the person's
open request named, a blocked priority claim with its date (the general places offered instead). The base of
the booking steps (dialogs/booking/steps.py), whose confirmation ends here when the storage says no."""

from __future__ import annotations

import datetime as dt

from dialogs.booking import texts
from dialogs.booking.base import MENU, STATE, BookingBase, _b
from dialogs.booking.rules import Refusal
from dialogs.booking.service import HOTLINE
from dialogs.messages import Reply
from dialogs.rooms import Turn


class Refusals(BookingBase):
    """The replies to a refused booking."""

    async def _days(self, turn: Turn, prefix: str = "", page: int = 0) -> list[Reply]:
        """The day step (BookingSteps)."""
        raise NotImplementedError

    async def _blocked(self, turn: Turn) -> list[Reply] | None:
        """The person may not claim priority now (staff refused an earlier claim): say until when, kindly, and
        go on to the general places (none at an office for priority citizens only); None if not blocked."""
        person = await turn.uow.people.person(turn.user)
        until = None if person is None else await turn.uow.people.blocked_until(person)
        if until is None:
            return None
        a = STATE.load(turn.state)
        when = texts.day_text(self.booking.local(until).date())
        if self.booking.priority_only(a.office):
            self._leave(turn.state)
            return [Reply(texts.CLAIM_BLOCKED_ONLY.format(until=when), ((_b(texts.BOOK, ""),), MENU))]
        a.prio = ""
        STATE.save(turn.state, a, "priority")
        return await self._days(turn, texts.CLAIM_BLOCKED.format(until=when))

    async def _request_open(self, turn: Turn, kind: str) -> str:
        """The refusal that names the person's open callback or home-visit request."""
        person = await turn.uow.people.person(turn.user)
        open_ = None if person is None else await turn.uow.bookings.open_request(person, kind)
        if open_ is None:  # gone meanwhile (cancelled or done): the generic words
            return texts.REFUSALS[Refusal.REQUEST]
        when = ""
        if open_.start is not None:
            local = self.booking.local(open_.start)
            when = f"{texts.day_text(local.date())} о {local:%H:%M}"
        return texts.REQUEST_OPEN.get(open_.kind, texts.REQUEST_OPEN["visit"]).format(
            code=open_.code, when=when
        )

    async def _refused(self, turn: Turn, refusal: Refusal, start: dt.datetime) -> list[Reply]:
        a = STATE.load(turn.state)
        if refusal == Refusal.PRIORITY_BLOCKED and not a.move and (blocked := await self._blocked(turn)):
            return blocked
        why = texts.REFUSALS[refusal].format(
            limit=self.booking.data.monthly_limit, days=self.booking.data.horizon_days
        )
        if refusal == Refusal.REQUEST:
            why = await self._request_open(turn, a.kind or "callback")
        if refusal in (Refusal.UNVERIFIED, Refusal.REQUEST, Refusal.ADDRESS):
            self._leave(turn.state)
            return [Reply(why, ((_b(texts.MY, "my"),), MENU))]
        if refusal in (
            Refusal.QUOTA, Refusal.ALREADY, Refusal.PRIORITY_ONLY, Refusal.PRIORITY_DAY, Refusal.PRIORITY_BLOCKED
        ):  # fmt: skip
            if a.move:
                why += "\n" + texts.OLD_KEPT.format(code=a.move)
            self._leave(turn.state)
            return [Reply(why, ((_b(texts.MY, "my"),), (_b(texts.CALLBACK, "cb"),), MENU))]
        office = HOTLINE if a.kind == "callback" else a.office
        near = await self.booking.nearest(
            turn.uow, office, a.svc, now=turn.now, priority=bool(a.prio), after=start
        )
        if not near:
            return await self._days(turn, why)
        turn.state.step = "time"
        rows = [
            (
                _b(
                    f"{texts.day_text(self.booking.local(s.start).date())} {self.booking.local(s.start):%H:%M}",
                    "a",
                    f"{self.booking.local(s.start):%Y%m%d%H%M}",
                ),
            )
            for s in near
        ]
        return [
            Reply(
                f"{why}\n{texts.NEAREST}",
                (*rows, (_b(texts.OTHER_TIME, "days"), _b(texts.CANCEL_FLOW, "no"))),
            )
        ]
