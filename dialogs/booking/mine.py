"""«Мої записи»: the citizen's bookings, cancelled or moved."""

from __future__ import annotations

from dialogs.booking import texts
from dialogs.booking.base import MENU, NAME, Choices, _b
from dialogs.booking.steps import BookingSteps
from dialogs.messages import Reply
from dialogs.rooms import Row, Turn


class MyBookings(BookingSteps):
    """A citizen's own bookings: list, cancel, move."""

    async def _mine(self, turn: Turn) -> list[Reply]:
        bookings = await self.booking.mine(turn.uow, turn.user, turn.now)
        if not bookings:
            return [Reply(texts.MY_NONE, ((_b(texts.BOOK, ""),), MENU))]
        lines = [texts.MY_HEAD]
        rows: list[Row] = []
        for b in bookings:
            lines += [
                "",
                f"**{b.code}**",
                *self._facts(b.service, b.office, b.start, b.priority_group or "", kind=b.kind),
            ]
            cancel = _b(texts.CANCEL.format(code=b.code), "x", b.code)
            rows.append(
                (_b(texts.MOVE.format(code=b.code), "r", b.code), cancel) if b.kind == "office" else (cancel,)
            )
        return [Reply("\n".join(lines), (*rows, MENU))]

    def _ask_cancel(self, turn: Turn, code: str) -> list[Reply]:
        """«Скасувати запис …?»: a typed «так» or «ні» answers it as its buttons would (the step `cancel`),
        unless a new booking is on the way: that one is kept, and the buttons answer."""
        state = turn.state
        if state.scenario != NAME or state.step == "cancel":
            self._enter(state, Choices(cancel=code), "cancel")
        rows = ((_b(texts.CANCEL_YES, "xx", code),), (_b(texts.CANCEL_NO, "keep"),))
        return [Reply(texts.CANCEL_ASK.format(code=code), rows)]

    def _kept(self, turn: Turn) -> list[Reply]:
        if turn.state.step in ("cancel", "cancel-which", "move-which"):
            self._leave(turn.state)
        return [Reply(texts.KEPT, ((_b(texts.MY, "my"),), MENU))]

    async def _cancel(self, turn: Turn, code: str) -> list[Reply]:
        if turn.state.step == "cancel":
            self._leave(turn.state)
        booking = await self.booking.cancel(turn.uow, turn.user, code, turn.now)
        if booking is None:
            return [Reply(texts.NOT_YOURS, ((_b(texts.MY, "my"),), MENU))]
        if self.events is not None:
            await self.events.cancelled(turn.uow, code)
        again = _b(texts.CALLBACK, "cb") if booking.kind != "office" else _b(texts.BOOK, "s", booking.service)
        return [Reply(texts.CANCELLED.format(code=code), ((again,), (_b(texts.MY, "my"),), MENU))]

    async def _move(self, turn: Turn, code: str) -> list[Reply]:
        booking = await turn.uow.bookings.by_code(code)
        if (
            booking is None
            or booking.user_id != turn.user.id
            or booking.status != "booked"
            or booking.kind != "office"
        ):
            return [Reply(texts.NOT_YOURS, ((_b(texts.MY, "my"),), MENU))]
        choices = Choices(
            svc=booking.service, office=booking.office, prio=booking.priority_group or "", move=code
        )
        self._enter(turn.state, choices, "day")
        return await self._days(turn, texts.MOVING.format(code=code))
