"""Reminders through the real engine and database with an injected clock: what is scheduled, listed, cancelled,
what a booking brings and takes away, and a web chat carried to a messenger."""

from __future__ import annotations

import datetime as dt

from bot.app import Bot
from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply
from dialogs.reminders.flow import ReminderRoom
from dialogs.reminders.rules import KYIV
from testkit.people import verify_citizen
from testkit.replies import payloads


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)



async def _say(engine: Engine, user: str, text: str, channel: str = "telegram") -> list[Reply]:
    await verify_citizen(engine._uow, channel, user)  # seeded: a booking needs a verified phone
    return await engine.handle(Incoming(channel, user, text=text))


async def _press(engine: Engine, user: str, payload: str, channel: str = "telegram") -> list[Reply]:
    await verify_citizen(engine._uow, channel, user)
    return await engine.handle(Incoming(channel, user, payload=payload))


async def _pending(bot: Bot, user: str, channel: str = "telegram") -> list[tuple[str, dt.datetime]]:
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state(channel, user)
        return [(r.kind, r.due_at) for r in await uow.reminders.for_user(citizen.id)]


async def test_ready_by_counts_working_days_over_new_year_and_reminds_at_nine(
    bot: Bot, engine: Engine
) -> None:
    await _press(engine, "r", "h:r:idp-living-allowance")  # 15 working days (card 41-11)
    replies = await _say(engine, "r", "28.12.2026")
    # from 29.12: under martial law 1 January is a working day; weekends are not
    assert "18.01.2027" in _text(replies) and "15 робочих днів" in _text(replies)
    assert await _pending(bot, "r") == [
        ("ready", dt.datetime(2027, 1, 18, 9, 0, tzinfo=KYIV).astimezone(dt.UTC))
    ]


async def test_life_event_deadlines_are_scheduled_before_each_last_day(bot: Bot, engine: Engine) -> None:
    await _press(engine, "b", "h:e:birth")
    replies = await _say(engine, "b", "вчора")
    assert "Зареєструвати народження дитини — до 27.01.2027" in _text(replies)
    kinds = {kind for kind, _ in await _pending(bot, "b")}
    assert kinds == {"deadline"} and len(await _pending(bot, "b")) >= 4


async def test_a_monthly_duty_reminds_until_stopped(bot: Bot, engine: Engine) -> None:
    replies = await _press(engine, "m", "h:m:municipal-nanny")
    assert "Щомісяця 2-го числа о 09:00" in _text(replies)
    assert await _pending(bot, "m") == [
        ("monthly", dt.datetime(2027, 1, 2, 9, 0, tzinfo=KYIV).astimezone(dt.UTC))
    ]
    await _press(engine, "m", "h:m:municipal-nanny")  # pressed twice: still one
    assert len(await _pending(bot, "m")) == 1
    await _press(engine, "m", "h:moff:municipal-nanny")
    assert await _pending(bot, "m") == []


async def test_a_booking_brings_its_reminders_and_its_cancellation_takes_them(
    bot: Bot, engine: Engine
) -> None:
    replies = await _press(engine, "a", "q:s:kartka-kryvorizhtsia")
    replies = await _press(engine, "a", "q:p:no")
    replies = await _press(engine, "a", payloads(replies, "q:d:")[1])  # the second day offered
    replies = await _press(engine, "a", payloads(replies, "q:t:")[-1])  # the last time of that day
    confirm = payloads(replies, "q:ok:")[0]
    replies = await _press(engine, "a", confirm)
    assert "вас записано" in _text(replies)
    pending = await _pending(bot, "a")
    assert [k for k, _ in pending] == ["appointment", "appointment"]
    evening = pending[0][1].astimezone(KYIV)
    assert (evening.hour, evening.minute) == (18, 0)
    again = await _press(engine, "a", confirm)  # the same confirmation pressed again: no second set
    assert "вас записано" in _text(again) and len(await _pending(bot, "a")) == 2
    replies = await _press(engine, "a", "q:my")
    cancel = payloads(replies, "q:x:")[0]
    await _press(engine, "a", "q:xx:" + cancel.split(":")[2])
    assert await _pending(bot, "a") == []


async def test_reminders_are_listed_and_cancelled_one_by_one_or_all(bot: Bot, engine: Engine) -> None:
    await _press(engine, "l", "h:m:municipal-nanny")
    await _press(engine, "l", "h:rd:idp-living-allowance:20261228")
    replies = await _press(engine, "l", "h:my")
    assert "Ваші нагадування" in _text(replies) and len(payloads(replies, "h:x:")) == 2
    await _press(engine, "l", payloads(replies, "h:x:")[0])
    assert len(await _pending(bot, "l")) == 1
    await _press(engine, "l", "h:xaa")
    assert await _pending(bot, "l") == []
    forged = await _press(engine, "l", "h:x:999999")
    assert "вже немає" in _text(forged)


async def test_a_web_chat_is_carried_to_a_messenger_once(bot: Bot, engine: Engine) -> None:
    await _press(engine, "w", "h:rd:idp-living-allowance:20261228", channel="web")
    replies = await _press(engine, "w", "h:web", channel="web")
    link = next(b.url for r in replies for row in r.buttons for b in row if b.url)
    assert link is not None and link.startswith("https://t.me/viza_test_bot?start=tr_")
    token = link.split("start=")[1]
    replies = await _say(engine, "tg", f"/start {token}")
    assert "перенесено сюди" in _text(replies)
    assert [k for k, _ in await _pending(bot, "tg")] == ["ready"] and await _pending(bot, "w", "web") == []
    replies = await _say(engine, "tg2", f"/start {token}")
    assert "вже використано" in _text(replies)


async def test_a_date_in_the_future_or_nonsense_is_asked_again(engine: Engine) -> None:
    await _press(engine, "d", "h:r:idp-living-allowance")
    assert "ще не настала" in _text(await _say(engine, "d", "01.01.2027"))
    assert "Не вдалося розпізнати дату" in _text(await _say(engine, "d", "32.13.2026"))
    assert "18.01.2027" in _text(await _say(engine, "d", "28.12"))


async def _render_at(bot: Bot, engine: Engine, user: str, at: dt.datetime) -> list[tuple[str, Reply | None]]:
    """What each of the citizen's pending reminders would say if it were sent at `at` (the real renderer)."""
    room = engine.rooms.by_prefix["h"]
    assert isinstance(room, ReminderRoom)
    out = []
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", user)
        for r in await uow.reminders.for_user(citizen.id):
            out.append((r.kind, await room.reminders.render(uow, r, at)))
    return out


async def _book(engine: Engine, user: str) -> str:
    replies = await _press(engine, user, "q:s:kartka-kryvorizhtsia")
    replies = await _press(engine, user, "q:p:no")
    replies = await _press(engine, user, payloads(replies, "q:d:")[1])
    replies = await _press(engine, user, payloads(replies, "q:t:")[-1])  # the day's last time: two reminders
    return _text(await _press(engine, user, payloads(replies, "q:ok:")[0]))


async def test_a_late_appointment_reminder_is_not_sent(bot: Bot, engine: Engine) -> None:
    """Down overnight: at the two-hour reminder's time the evening one makes no sense; within the last hour
    neither does."""
    assert "вас записано" in await _book(engine, "late")
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", "late")
        (booking,) = await uow.bookings.active_for(citizen.id)
    assert booking.start is not None
    evening, two_hours = await _render_at(
        bot, engine, "late", booking.start - dt.timedelta(hours=1, minutes=50)
    )
    assert evening == ("appointment", None) and two_hours[1] is not None
    assert "Нагадуємо про запис" in two_hours[1].text and booking.code in two_hours[1].text
    assert [
        r for _, r in await _render_at(bot, engine, "late", booking.start - dt.timedelta(minutes=50))
    ] == [None, None]


async def test_a_ready_reminder_sent_late_does_not_say_today(bot: Bot, engine: Engine) -> None:
    await _press(engine, "rl", "h:rd:idp-living-allowance:20261228")
    on_time = (await _render_at(bot, engine, "rl", dt.datetime(2027, 1, 18, 7, 0, tzinfo=dt.UTC)))[0][1]
    late = (await _render_at(bot, engine, "rl", dt.datetime(2027, 1, 20, 7, 0, tzinfo=dt.UTC)))[0][1]
    assert on_time is not None and "Сьогодні, 18.01.2027" in on_time.text
    assert late is not None and "мав бути готовий 18.01.2027" in late.text and "Сьогодні" not in late.text


async def test_nothing_is_sent_at_night(bot: Bot, engine: Engine) -> None:
    from bot.reminders import Dispatcher

    await _press(engine, "night", "h:rd:idp-living-allowance:20261228")
    sent: list[str] = []

    async def send(external_id: str, replies: list[Reply]) -> bool:
        sent.append(external_id)
        return True

    async def render(reminder: object) -> Reply:
        return Reply("x")

    # due at 09:00 on 18 January; the bot was down all day and comes back at night
    for moment, expected in (
        (dt.datetime(2027, 1, 18, 21, 30, tzinfo=KYIV), 0),
        (dt.datetime(2027, 1, 19, 5, 0, tzinfo=KYIV), 0),
        (dt.datetime(2027, 1, 19, 8, 30, tzinfo=KYIV), 1),
    ):
        at = moment.astimezone(dt.UTC)
        dispatcher = Dispatcher(bot.uow_factory, {"telegram": send}, render, clock=lambda at=at: at)  # type: ignore[arg-type]
        await dispatcher.tick()
        assert len(sent) == expected, (moment, sent)


async def test_a_repeated_tap_schedules_nothing_twice(bot: Bot, engine: Engine) -> None:
    for _ in range(3):
        await _press(engine, "rep", "h:rd:idp-living-allowance:20261228")
        await _press(engine, "rep", "h:ed:birth:20261227")
    kinds = [k for k, _ in await _pending(bot, "rep")]
    assert kinds.count("ready") == 1 and len(kinds) == len(set(await _pending(bot, "rep")))


async def test_a_transfer_keeps_the_messenger_booking_when_both_booked_the_same_service(
    bot: Bot, engine: Engine
) -> None:
    assert "вас записано" in await _book(engine, "both")
    replies = await _press(engine, "wb", "q:s:kartka-kryvorizhtsia", channel="web")
    replies = await _press(engine, "wb", "q:p:no", channel="web")
    replies = await _press(engine, "wb", payloads(replies, "q:d:")[2], channel="web")
    replies = await _press(engine, "wb", payloads(replies, "q:t:")[0], channel="web")
    await _press(engine, "wb", payloads(replies, "q:ok:")[0], channel="web")
    replies = await _press(engine, "wb", "h:web", channel="web")
    token = next(b.url for r in replies for row in r.buttons for b in row if b.url).split("start=")[1]  # type: ignore[union-attr]
    replies = await _say(engine, "both", f"/start {token}")
    assert "Записів: 0" in _text(replies)


async def test_a_monthly_duty_is_scheduled_again_when_it_is_recorded_as_sent(
    bot: Bot, engine: Engine
) -> None:
    await _press(engine, "mm", "h:m:municipal-nanny")
    room = engine.rooms.by_prefix["h"]
    assert isinstance(room, ReminderRoom)
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", "mm")
        (first,) = await uow.reminders.for_user(citizen.id)
        assert await room.reminders.render(uow, first, first.due_at) is not None  # rendering adds nothing
        assert len(await uow.reminders.for_user(citizen.id)) == 1
        await uow.reminders.cancel(first)  # as if sent: no longer pending
        await room.reminders.after_sent(uow, first, first.due_at)
    due = [d for _, d in await _pending(bot, "mm")]
    assert due == [dt.datetime(2027, 2, 2, 9, 0, tzinfo=KYIV).astimezone(dt.UTC)]


async def test_the_appointment_reminder_gives_the_address_staff_set(bot: Bot, engine: Engine) -> None:
    """An office that moved (the staff console, storage/staff.py) is reminded at its new address."""
    from storage.staff import OfficeState

    assert "вас записано" in await _book(engine, "moved")
    async with bot.uow_factory() as uow:
        citizen, _ = await uow.users.with_state("telegram", "moved")
        (booking,) = await uow.bookings.active_for(citizen.id)
        await uow.offices.put(OfficeState(office=booking.office, status="open", note=None, hours=None,
                                          address="вул. Нова, 7", updated_at=uow.clock(), updated_by="t"))  # fmt: skip
    assert booking.start is not None
    _, (_, two_hours) = await _render_at(bot, engine, "moved", booking.start - dt.timedelta(hours=1, minutes=50))
    assert two_hours is not None and "вул. Нова, 7" in two_hours.text
