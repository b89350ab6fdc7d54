"""What one room tells another, as small interfaces both depend on (rooms never import each other).

The booking room announces what happens to a booking (`BookingEvents`; the reminders implement it, so an
appointment gets its reminders and a cancelled one loses them), and lends the strings of its buttons that another
room shows on its own messages (`BookingButtons`: «Скасувати» on an appointment reminder); the handoff room lends
its «a person» button the same way (`HandoffButtons`: the care room offers it to an upset citizen). Staff's mark
that a citizen came is announced too (`VisitEvents`: the survey room asks them the morning after), and a room may
send its own messages through the reminders' dispatcher as a kind of reminder row (`ScheduledKind`). The
composition root (bot/app.py) connects them; either side may be absent.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from dialogs.messages import Reply
from dialogs.rooms import Turn
from storage.booking import Booking
from storage.models import User
from storage.reminders import Reminder
from storage.uow import UnitOfWork


class BookingEvents(Protocol):
    """Told in the booking's own unit of work, so what it does commits (or rolls back) with the booking."""

    async def booked(
        self,
        uow: UnitOfWork,
        user: User,
        booking: Booking,
        now: dt.datetime,
        *,
        moved_from: str | None = None,
    ) -> None:
        """A booking was made, or moved (`moved_from`: the code of the booking it replaces)."""
        ...

    async def cancelled(self, uow: UnitOfWork, code: str) -> None:
        """A booking was cancelled (by the citizen, or because they asked to be forgotten)."""
        ...


class BookingButtons(Protocol):
    """The payloads of the booking room's buttons that another room may show."""

    def cancel(self, code: str) -> str: ...

    def move(self, code: str) -> str: ...

    def callback(self) -> str:
        """A hotline callback: the booking room takes it from the start."""
        ...

    def visit(self) -> str:
        """A home visit of the mobile administrator: the booking room's request, from the start."""
        ...


class HandoffButtons(Protocol):
    """The payloads of the handoff room's buttons that another room may show."""

    def operator(self) -> str:
        """Ask for a person: the handoff room queues the citizen (or says when operators are back)."""
        ...


class PhoneCheck(Protocol):
    """The verify room lends the booking room its way to a verified phone (storage/people.py): an office booking,
    a callback and a home visit are made only for a citizen whose number is proven theirs."""

    async def start(self, turn: Turn, then: str) -> list[Reply]:
        """Take the citizen into verifying their phone: the channel's own «share my number» on Telegram and Viber,
        a code by SMS on the web. Once it is verified, `then` (a payload of the asking room) is pressed for them
        in the same turn (`Turn.then`); if they give up, they are back where they can choose again."""
        ...


class VisitEvents(Protocol):
    """Told by the booking service when staff mark a visit (`BookingService.mark`), in the mark's unit of work."""

    async def arrived(self, uow: UnitOfWork, booking: Booking, now: dt.datetime) -> None:
        """The citizen came to their booked visit."""
        ...


class ScheduledKind(Protocol):
    """A room's own messages as reminder rows of one `kind` (storage/reminders.py): the reminders' dispatcher
    claims, sends and records them with its guarantees; the reminders' service hands these two calls over."""

    kind: str

    async def render(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> Reply | None:
        """What the due row says; None when it no longer makes sense (recorded as missed, never sent)."""
        ...

    async def after_sent(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> None:
        """In the unit of work that records the row as sent."""
        ...
