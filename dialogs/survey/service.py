"""The survey as a service: scheduled when staff mark a visit arrived (`dialogs.events.VisitEvents`), sent as a
reminder row of kind `survey` by the reminders' dispatcher (`dialogs.events.ScheduledKind`: its claim, lease,
night pause, blocked-citizen and once-only guarantees), answered in the room (flow.py). `now` is an argument."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogs.messages import Button, Reply
from dialogs.payloads import pack
from dialogs.rooms import RoomState
from dialogs.survey import rules, texts
from dialogs.typed import kyiv_today
from storage.booking import ARRIVED, Booking
from storage.reminders import SURVEY, Reminder
from storage.surveys import VisitSurvey
from storage.uow import UnitOfWork

NAME = "survey"
PREFIX = "sv"  # sv:s:<survey>:<score>, sv:k:<survey> (no comment)
IDLE = dt.timedelta(minutes=30)  # a citizen quiet this long is not in the middle of something: typed answers count


@dataclass
class Asked:
    """The survey the citizen is answering (its id)."""

    survey: str = ""


STATE = RoomState(NAME, Asked)


def button(*args: str) -> str:
    return pack(PREFIX, *args)


def score_rows(survey_id: int) -> tuple[tuple[Button, ...], ...]:
    return (tuple(Button(str(n), button("s", str(survey_id), str(n))) for n in rules.SCORES),)


class SurveyService:
    """Schedules a visit's survey and renders it when due (implements VisitEvents and ScheduledKind)."""

    kind = SURVEY

    async def arrived(self, uow: UnitOfWork, booking: Booking, now: dt.datetime) -> None:
        """An office visit marked arrived: its survey row and the reminder row that will ask it, once."""
        if booking.kind != "office" or booking.start is None or booking.user_id is None:
            return  # a callback or a home visit is no visit to the Center
        user = await uow.users.by_id(booking.user_id)
        if user is None or not user.active:
            return  # forgotten, or blocked the bot
        due = rules.ask_at(booking.start, now)
        if due is None:
            return  # marked too long after the visit
        day = kyiv_today(booking.start)
        if await uow.surveys.add(booking.id, booking.office, booking.service, day) is None:
            return  # asked about already (marked twice)
        uow.reminders.add(
            user_id=user.id, channel=user.channel, kind=SURVEY, due_at=due, booking_code=booking.code,
            service=booking.service, target_day=day, text_key=SURVEY,
        )  # fmt: skip

    async def _survey(self, uow: UnitOfWork, reminder: Reminder) -> VisitSurvey | None:
        booking = await uow.bookings.by_code(reminder.booking_code or "")
        if booking is None or booking.status != ARRIVED or booking.user_id != reminder.user_id:
            return None  # re-marked a no-show, or the citizen is gone
        return await uow.surveys.for_booking(booking.id)

    async def render(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> Reply | None:
        survey = await self._survey(uow, reminder)
        if survey is None or survey.asked_at is not None or not rules.may_ask(survey.visit_day, now):
            return None  # asked already, or no longer the time (a Sunday, too late): recorded as missed
        when = texts.when(survey.visit_day, kyiv_today(now))
        return Reply(texts.ASK.format(when=when), score_rows(survey.id))

    async def after_sent(self, uow: UnitOfWork, reminder: Reminder, now: dt.datetime) -> None:
        """Recorded as asked; a citizen who is not in the middle of something is taken into the room, so a typed
        «5» or «все добре» answers it (a button works whatever they do)."""
        survey = await self._survey(uow, reminder)
        if survey is None or not await uow.surveys.asked(survey, now):
            return
        user = await uow.users.by_id(reminder.user_id)
        if user is None:
            return
        _, state = await uow.users.with_state(user.channel, user.external_id)
        if state.scenario is not None and now - state.updated_at < IDLE:
            return
        STATE.leave(state)
        STATE.save(state, Asked(survey=str(survey.id)), "score")
        state.updated_at = now
