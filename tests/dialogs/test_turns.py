"""The one way through (dialogs/turns.py): lock, unit of work, delivery key, conversation, commit, send."""

from __future__ import annotations

import asyncio

from bot.app import Bot
from dialogs.messages import Incoming, Reply
from dialogs.turns import Turns


class Seen:
    def __init__(self) -> None:
        self.turns: list[str] = []

    def turn_taken(self, channel: str, seconds: float) -> None:
        assert seconds >= 0
        self.turns.append(channel)

    def job_done(self, job: str, seconds: float) -> None:
        assert seconds >= 0
        self.turns.append(f"job {job}")


async def test_a_turn_sends_after_the_commit_and_a_redelivery_is_dropped_whole(bot: Bot) -> None:
    seen, sent = Seen(), []
    turns = Turns(bot.engine, bot.uow_factory, observers=[seen])

    async def send(replies: list[Reply]) -> None:
        async with bot.uow_factory() as uow:  # the step is committed before anything is sent
            user = await uow.users.get("viber", "v1")
            assert user is not None
        sent.append([r.text for r in replies])

    first = await turns.take(Incoming("viber", "v1", payload="s:birth"), key="token-1", send=send)
    again = await turns.take(Incoming("viber", "v1", payload="s:birth"), key="token-1", send=send)
    assert first and again is None
    assert len(sent) == 1 and sent[0] == [r.text for r in first]
    assert seen.turns == ["viber", "viber"]  # both were taken; the second was refused at its commit
    async with bot.uow_factory() as uow:
        user = await uow.users.get("viber", "v1")
        assert user is not None
        lines = await uow.messages.recent(user.id)
    assert sum(line.direction == "in" for line in lines) == 1  # the redelivery left nothing behind


async def test_one_citizens_turns_take_turns(bot: Bot) -> None:
    order: list[str] = []

    class Slow:
        async def handle_in(self, uow: object, message: Incoming) -> list[Reply]:
            order.append(f"start {message.text}")
            await asyncio.sleep(0.01)
            order.append(f"end {message.text}")
            return []

    turns = Turns(Slow(), bot.uow_factory)
    await asyncio.gather(*(turns.take(Incoming("web", "same", text=str(n))) for n in range(3)))
    assert all(
        a.startswith("start") and b.startswith("end") for a, b in zip(order[::2], order[1::2], strict=True)
    )
