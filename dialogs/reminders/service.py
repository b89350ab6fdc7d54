"""Reminders as a service the chat, the dispatcher and the staff commands call: the shell around the pure rules
(dialogs.reminders.rules) and the storage (storage.reminders). `now` is always an argument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dialogs.calendar import WorkCalendar
from dialogs.events import BookingButtons, ScheduledKind
from dialogs.messages import Button, Reply
from dialogs.payloads import Action, pack
from dialogs.reminders import texts
from dialogs.reminders.rules import (
    KYIV,
    ReadyBy,
    appointment_times,
    deadline_last_day,
    deadline_reminders,
    monthly_due,
    ready_by,
    ready_reminder_at,
)
from dialogs.render import office_brief
from knowledge.loader import Knowledge
from knowledge.schema import Deadline
from storage.booking import Booking
from storage.models import User
from storage.reminders import APPOINTMENT, DEADLINE, MONTHLY, READY, Reminder
from storage.uow import UnitOfWork

PREFIX = "h"  # the room's payloads: h:my, h:r:<service>, h:rd:<service>:<yyyymmdd>, h:e:<situation>, …
LAST_CALL = dt.timedelta(hours=1)
TWO_HOURS = dt.timedelta(hours=2)
# Pending reminders a citizen may have (issue 20: 40 sessions made 2,578 in 10 s). A booking's own reminders are
# never refused, so an appointment is always reminded of: they are bounded by the per-person booking limits (4
# bookings a month, one callback: a few more at most) and they count against the 20 for everything else.
PENDING_LIMIT = 20
OWN = (APPOINTMENT, READY, DEADLINE, MONTHLY)  # the kinds this room lists; others' rows (a survey) it only sends


class RemindersFull(Exception):
    """The citizen has PENDING_LIMIT pending reminders: nothing new is scheduled until one is removed."""


# A reminder held by an air-raid alert this much past its time says why it comes late.
HELD_LATE = dt.timedelta(minutes=5)


class ReminderService:
    """Schedules the reminders of a booking, a «ready by» date, a life event's deadlines and monthly duties;
    renders a due reminder for its channel (None when it no longer makes sense)."""

    def __init__(
        self,
        kb: Knowledge,
        *,
        holidays_are_days_off: bool,
        booking_buttons: BookingButtons | None = None,
        others: Sequence[ScheduledKind] = (),
    ) -> None:
        self.kb = kb
        # Other rooms' kinds of rows the dispatcher sends (the survey): their render and after_sent are theirs.
        self.others = {other.kind: other for other in others}
        self.booking_buttons = booking_buttons  # «Скасувати», «Перенести» on an appointment's reminder
        self.calendar = WorkCalendar(holidays_are_days_off=holidays_are_days_off)

    # --- scheduling ----------------------------------------------------------------------------------

    async def _planned(self, uow: UnitOfWork, user: User) -> tuple[set[tuple[object, ...]], int]:
        """What is already pending, so a repeated tap schedules nothing twice; and how many are pending."""
        mine = await uow.reminders.for_user(user.id)
        keys: set[tuple[object, ...]] = {(r.kind, r.due_at, r.service, r.situation, r.deadline, r.booking_code) for r in mine}
        return keys, len(mine)

    @staticmethod
    def _room(pending: int, adding: int) -> None:
        """Refuse (RemindersFull) what would take the citizen past PENDING_LIMIT pending reminders."""
        if adding and pending + adding > PENDING_LIMIT:
            raise RemindersFull

    def _add(self, uow: UnitOfWork, user: User, kind: str, due_at: dt.datetime, **fields: object) -> Reminder:
        return uow.reminders.add(user_id=user.id, channel=user.channel, kind=kind, due_at=due_at, **fields)

    async def for_booking(self, uow: UnitOfWork, user: User, booking: Booking, now: dt.datetime) -> int:
        """The reminders of an appointment or a callback: the evening before and two hours before."""
        if booking.start is None or user.channel == "web":  # the bot cannot write first on the web chat
            return 0
        mine = await uow.reminders.for_user(user.id)
        if any(
            r.booking_code == booking.code for r in mine
        ):  # a double tap confirmed it again: once is enough
            return 0
        times = appointment_times(booking.start, now)
        for due in times:
            self._add(
                uow,
                user,
                "appointment",
                due,
                booking_code=booking.code,
                service=booking.service,
                target_day=booking.start.astimezone(KYIV).date(),
            )
        return len(times)

    async def cancel_booking(self, uow: UnitOfWork, code: str) -> None:
        await uow.reminders.cancel_for_booking(code)

    # --- what the booking room announces (dialogs.events.BookingEvents) ----------------------------------

    async def booked(
        self,
        uow: UnitOfWork,
        user: User,
        booking: Booking,
        now: dt.datetime,
        *,
        moved_from: str | None = None,
    ) -> None:
        """A new booking's reminders (a moved one's old reminders go)."""
        if moved_from:
            await self.cancel_booking(uow, moved_from)
        await self.for_booking(uow, user, booking, now)

    async def cancelled(self, uow: UnitOfWork, code: str) -> None:
        await self.cancel_booking(uow, code)

    async def ready(
        self, uow: UnitOfWork, user: User, service: str, submitted: dt.date, now: dt.datetime
    ) -> tuple[ReadyBy | None, bool]:
        """The «ready by» date of a service applied for on `submitted`, and whether a reminder was scheduled."""
        svc = self.kb.services[service]
        if svc.term is None:
            return None, False
        result = ready_by(svc.term, submitted, self.calendar)
        if result is None:
            return None, False
        due = ready_reminder_at(result.day)
        if due <= now:
            return result, False
        planned, pending = await self._planned(uow, user)
        if ("ready", due, service, None, None, None) in planned:
            return result, True
        self._room(pending, 1)
        self._add(uow, user, "ready", due, service=service, target_day=result.day)
        return result, True

    async def deadlines(
        self, uow: UnitOfWork, user: User, situation: str, event: dt.date, now: dt.datetime
    ) -> list[tuple[Deadline, dt.date, int]]:
        """Reminders before each legal deadline of a life event: (deadline, its last day, reminders scheduled)."""
        sit = self.kb.situations[situation]
        planned = deadline_reminders(sit.deadlines, event, now, calendar=self.calendar)
        already, pending = await self._planned(uow, user)
        new = [
            (due, deadline, last)
            for due, deadline, last in planned
            if ("deadline", due, deadline.service, situation, deadline.id, None) not in already
        ]
        self._room(pending, len(new))  # all of a life event's deadlines, or none
        for due, deadline, last in new:
            self._add(
                uow,
                user,
                "deadline",
                due,
                situation=situation,
                deadline=deadline.id,
                target_day=last,
                service=deadline.service,
            )
        counts = {d.id: sum(1 for _, p, _ in planned if p.id == d.id) for d in sit.deadlines}
        return [(d, deadline_last_day(d, event, self.calendar), counts[d.id]) for d in sit.deadlines]

    async def monthly(
        self, uow: UnitOfWork, user: User, service: str, now: dt.datetime
    ) -> dt.datetime | None:
        """Switch on the monthly reminder of a service's recurring duty; its first time (None: no such duty)."""
        duty = next(iter(self.kb.services[service].recurring), None)
        if duty is None or duty.day is None:
            return None
        mine = await uow.reminders.for_user(user.id)
        pending = [r for r in mine if r.kind == "monthly" and r.service == service]
        if pending:
            return pending[0].due_at
        self._room(len(mine), 1)
        due = monthly_due(now, day=duty.day)
        self._add(uow, user, "monthly", due, service=service)
        return due

    async def stop_monthly(self, uow: UnitOfWork, user: User, service: str) -> None:
        for r in await uow.reminders.for_user(user.id):
            if r.kind == "monthly" and r.service == service:
                await uow.reminders.cancel(r)

    # --- listing and cancelling ------------------------------------------------------------------------

    async def mine(self, uow: UnitOfWork, user: User) -> list[Reminder]:
        return [r for r in await uow.reminders.for_user(user.id) if r.kind in OWN]

    async def cancel(self, uow: UnitOfWork, user: User, reminder_id: int) -> bool:
        found = next((r for r in await uow.reminders.for_user(user.id) if r.id == reminder_id), None)
        if found is None:
            return False
        await uow.reminders.cancel(found)
        return True

    async def cancel_all(self, uow: UnitOfWork, user: User) -> None:
        await uow.reminders.cancel_all(user.id)

    # --- sending ---------------------------------------------------------------------------------------

    async def render(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> Reply | None:
        """What a due reminder says, with its buttons; None when it no longer makes sense (recorded as missed)."""
        if (other := self.others.get(reminder.kind)) is not None:
            return await other.render(uow, reminder, now)
        if reminder.kind == "appointment":
            return await self._appointment(uow, reminder, now)
        if reminder.kind == "ready" and reminder.service in self.kb.services and reminder.target_day:
            svc = self.kb.services[reminder.service]
            offices = [o for o in self.kb.contacts.offices if o.id in svc.offices]
            hours = "".join(office_brief(o, True) + "\n" for o in offices[:1])
            late = reminder.target_day != now.astimezone(KYIV).date()
            text = (texts.READY_DUE_LATE if late else texts.READY_DUE).format(
                day=texts.day(reminder.target_day), service=svc.short_title, hours=hours
            )
            return Reply(text, ((_b(texts.MY, "my"),),))
        if reminder.kind == "deadline" and reminder.situation in self.kb.situations and reminder.target_day:
            sit = self.kb.situations[reminder.situation]
            deadline = next((d for d in sit.deadlines if d.id == reminder.deadline), None)
            if deadline is None or reminder.target_day < now.astimezone(KYIV).date():
                return None
            text = texts.DEADLINE_DUE.format(
                title=deadline.title, day=texts.day(reminder.target_day), after=deadline.after
            )
            rows: tuple[tuple[Button, ...], ...] = ((_b(texts.MY, "my"),),)
            if deadline.service:
                rows = (
                    (
                        Button(
                            f"📋 {self.kb.services[deadline.service].short_title}",
                            pack(Action.SERVICE, deadline.service),
                        ),
                    ),
                    *rows,
                )
            return Reply(text, rows)
        if reminder.kind == "monthly" and reminder.service in self.kb.services:
            duty = next(iter(self.kb.services[reminder.service].recurring), None)
            if duty is None:
                return None
            return Reply(
                texts.MONTHLY_DUE.format(duty=duty.text),
                ((_b(texts.STOP_MONTHLY, "moff", reminder.service),),),
            )
        return None

    async def _appointment(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> Reply | None:
        booking = await uow.bookings.by_code(reminder.booking_code or "")
        if booking is None or booking.status != "booked" or booking.start is None:
            return None  # cancelled or moved: it makes no sense any more
        if now > booking.start - LAST_CALL:
            return None  # too late to be of use (the last reminder comes at least an hour before)
        if reminder.due_at < booking.start - TWO_HOURS <= now:
            return None  # the evening reminder came late (the bot was down): the two-hour one says it
        local = booking.start.astimezone(KYIV)
        office = next((o for o in self.kb.contacts.offices if o.id == booking.office), None)
        staff = await uow.offices.get(booking.office)  # the address staff set in the console, if they did
        if office is not None and staff is not None:
            office = office.model_copy(update={"address": staff.address})
        where = (
            (office.short_name or office.name) + (f", {office.address}" if office.address else "")
            if office
            else ""
        )
        svc = self.kb.services.get(booking.service)
        text = texts.APPOINTMENT.format(
            when=f"{texts.day(local.date())} о {local:%H:%M}",
            service=svc.short_title if svc else "дзвінок оператора гарячої лінії",
            office=where or "гаряча лінія 0 800 500 459 (вам передзвонять)",
            code=booking.code,
        )
        if now - reminder.due_at > HELD_LATE and await uow.alerts.during(reminder.due_at, now):
            text = f"{texts.LATE_FOR_ALERT}\n\n{text}"  # an air-raid alert held it (bot/reminders.py)
        lends = self.booking_buttons
        cancel = (Button(texts.CANCEL, lends.cancel(booking.code)),) if lends is not None else ()
        if booking.kind != "office":
            return Reply(text, (cancel,) if cancel else ())
        move = (Button(texts.MOVE, lends.move(booking.code)),) if lends is not None else ()
        return Reply(text, ((_b(texts.COME, "come", booking.code),), (*move, *cancel)))

    async def after_sent(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> None:
        """The dispatcher's `on_sent`, in the unit of work that records the send: a monthly duty goes on until
        the citizen stops it, so the next one is scheduled as this one is recorded (rendering stays pure)."""
        if (other := self.others.get(reminder.kind)) is not None:
            await other.after_sent(uow, reminder, now)
            return
        if reminder.kind != "monthly" or reminder.user_id is None or reminder.service not in self.kb.services:
            return
        pending = [
            r
            for r in await uow.reminders.for_user(reminder.user_id)
            if r.kind == "monthly" and r.service == reminder.service and r.id != reminder.id
        ]
        duty = next(iter(self.kb.services[reminder.service].recurring), None)
        if pending or duty is None or duty.day is None:
            return
        uow.reminders.add(
            user_id=reminder.user_id,
            channel=reminder.channel,
            kind="monthly",
            due_at=monthly_due(max(now, reminder.due_at), day=duty.day),
            service=reminder.service,
        )


def _b(text: str, *args: str) -> Button:
    return Button(text, pack(PREFIX, *args))
