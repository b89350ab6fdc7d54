"""What each message turned out to be (dialogs/outcome.py): told to the engine's observers, and what the bot
could not answer kept for the Center, masked and tied to no citizen."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Bot
from dialogs.outcome import Kind, Outcome
from storage.models import UnansweredQuestion
from testkit.transcript import EngineChannel


class Heard:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, Outcome]] = []

    def understood(self, channel: str, outcome: Outcome) -> None:
        self.outcomes.append((channel, outcome))


async def test_observers_hear_a_button_a_card_and_a_miss(bot: Bot, citizen: EngineChannel) -> None:
    heard = Heard()
    bot.engine.observers.append(heard)
    await citizen.press("m")
    await citizen.send_text("паспорт громадянина україни у формі id-картки")
    await citizen.send_text("ббб ввв ггг 0671234567")
    kinds = [o.kind for _, o in heard.outcomes]
    assert kinds[0] == Kind.BUTTON and heard.outcomes[0][1].target == "m"
    assert kinds[1] in (Kind.CARD, Kind.SEARCH)
    assert kinds[2] == Kind.MISS
    assert {channel for channel, _ in heard.outcomes} == {"test"}
    async with bot.uow_factory() as uow:
        rows = (await uow.session.execute(select(UnansweredQuestion))).scalars().all()
    assert [(r.kind, r.channel) for r in rows] == [("miss", "test")]
    assert "0671234567" not in rows[0].text and "ббб" in rows[0].text  # masked as the message log is
