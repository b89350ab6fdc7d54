"""The reminders' date steps read what citizens type («вчора», «в понеділок», «3 грудня», «тиждень тому»), and
ask the same step again, with its buttons and an example, for what is not a date (issue 19)."""

from __future__ import annotations

import pytest

from dialogs.engine import Engine
from dialogs.messages import Incoming, Reply


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def _payloads(replies: list[Reply]) -> list[str]:
    return [b.payload or "" for r in replies for row in r.buttons for b in row]


async def _say(engine: Engine, user: str, text: str) -> list[Reply]:
    return await engine.handle(Incoming("telegram", user, text=text))


async def _step(engine: Engine, user: str) -> tuple[str | None, str | None]:
    async with engine._uow() as uow:
        _, state = await uow.users.with_state("telegram", user)
        return state.scenario, state.step


@pytest.mark.parametrize(
    ("typed", "ready"),
    [
        ("28.12.2026", "18.01.2027"),
        ("вчора", None),
        ("подала в понеділок", None),
        ("позавчора", None),
        ("тиждень тому", None),
        ("3 грудня", None),
        ("3 декабря", None),
        ("неделю назад", None),
    ],
)
async def test_a_typed_day_gone_by_is_read(engine: Engine, typed: str, ready: str | None) -> None:
    await engine.handle(Incoming("telegram", "r", payload="h:r:idp-living-allowance"))
    replies = await _say(engine, "r", typed)
    assert "бути готовий" in _text(replies), _text(replies)  # by a day to come, or already
    if ready:
        assert ready in _text(replies)
    assert await _step(engine, "r") == (None, None)


@pytest.mark.parametrize("typed", ["абв", "ну", "не пам'ятаю", "32.13.2026"])
async def test_what_is_not_a_date_asks_the_same_step_again(engine: Engine, typed: str) -> None:
    await engine.handle(Incoming("telegram", "r", payload="h:r:idp-living-allowance"))
    replies = await _say(engine, "r", typed)
    assert "Не вдалося розпізнати дату" in _text(replies) and "«вчора»" in _text(replies)
    assert any(p.startswith("h:rd:idp-living-allowance:") for p in _payloads(replies))
    assert await _step(engine, "r") == ("reminders", "ready-date")


async def test_a_day_to_come_is_asked_again(engine: Engine) -> None:
    await engine.handle(Incoming("telegram", "r", payload="h:r:idp-living-allowance"))
    replies = await _say(engine, "r", "завтра")
    assert "ще не настала" in _text(replies) and await _step(engine, "r") == ("reminders", "ready-date")


async def test_a_life_events_date_in_words(engine: Engine) -> None:
    await engine.handle(Incoming("telegram", "b", payload="h:e:birth"))
    replies = await _say(engine, "b", "народила позавчора")
    assert "Зареєструвати народження дитини" in _text(replies)


async def test_a_question_of_its_own_is_read_by_the_engine_and_the_step_kept(engine: Engine) -> None:
    await engine.handle(Incoming("telegram", "q", payload="h:r:idp-living-allowance"))
    replies = await _say(engine, "q", "а де знаходиться ваш головний офіс")
    assert "Не вдалося розпізнати дату" not in _text(replies)
    assert await _step(engine, "q") == ("reminders", "ready-date")  # a date typed next still counts
    assert "бути готовий" in _text(await _say(engine, "q", "позавчора"))


async def test_a_reminder_asked_puts_its_service_in_focus(engine: Engine) -> None:
    """«а скільки це чекати?» after a reminder is about its service (dialogs/focus.py `reminder:`)."""
    await engine.handle(Incoming("telegram", "f", payload="h:r:idp-living-allowance"))
    await _say(engine, "f", "вчора")  # the reminder is set and the dialog left
    async with engine._uow() as uow:
        _, state = await uow.users.with_state("telegram", "f")
        assert state.focus == "reminder:idp-living-allowance"
    replies = await _say(engine, "f", "а скільки чекати")
    assert "15 робочих днів" in _text(replies) and "напишіть її назву" not in _text(replies)
