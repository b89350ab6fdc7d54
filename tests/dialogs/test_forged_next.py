"""«Далі» (`n:<scenario>:<step>`) moves on only from the info step the citizen is at: a forged or replayed one never
skips a question."""

from __future__ import annotations

from bot.app import Bot
from dialogs import texts
from dialogs.messages import Incoming, Reply
from dialogs.scenario import Scenario, Step, StepKind

SC = "loss-of-relative"


def _with_intro(bot: Bot) -> None:
    """The scenario with an info step before its first question (no shipped scenario has one yet)."""
    shipped = bot.engine.scenarios[SC]
    intro = Step(id="intro", kind=StepKind.INFO, text="Спершу кілька слів.", next=shipped.start)
    bot.engine.scenarios[SC] = Scenario.model_validate(
        {**shipped.model_dump(by_alias=True), "start": "intro", "steps": [intro.model_dump(by_alias=True),
                                                                           *shipped.model_dump(by_alias=True)["steps"]]}
    )  # fmt: skip


async def _at(bot: Bot, user: str) -> tuple[str | None, str | None, dict[str, str]]:
    async with bot.uow_factory() as uow:
        _, state = await uow.users.with_state("web", user)
        return state.scenario, state.step, dict(state.answers)


async def _press(bot: Bot, user: str, payload: str) -> list[Reply]:
    return await bot.engine.handle(Incoming("web", user, payload=payload))


async def test_next_moves_on_only_from_the_current_info_step(bot: Bot) -> None:
    _with_intro(bot)
    user = "next-1"
    await _press(bot, user, f"s:{SC}")
    assert await _at(bot, user) == (SC, "intro", {})

    skipped = await _press(bot, user, f"n:{SC}:q1")  # a «Далі» the citizen was never shown
    assert skipped[0].text == texts.STALE_BUTTON and await _at(bot, user) == (SC, "intro", {})

    await _press(bot, user, f"n:{SC}:intro")  # the real one
    assert await _at(bot, user) == (SC, "q1", {})

    replayed = await _press(bot, user, f"n:{SC}:intro")  # pressed again from the old message
    assert replayed[0].text == texts.STALE_BUTTON and await _at(bot, user) == (SC, "q1", {})


async def test_a_forged_next_at_a_question_skips_nothing(bot: Bot) -> None:
    user = "next-2"
    await _press(bot, user, f"s:{SC}")
    assert await _at(bot, user) == (SC, "q1", {})
    for forged in (f"n:{SC}:q1", f"n:{SC}:q2", "n:birth:q1"):
        replies = await _press(bot, user, forged)
        assert replies[0].text == texts.STALE_BUTTON, forged
        assert await _at(bot, user) == (SC, "q1", {}), forged  # the question is asked again, unanswered
        assert any(
            b.payload and b.payload.startswith(f"a:{SC}:q1:")
            for r in replies
            for row in r.buttons
            for b in row
        )
