"""The one way through (dialogs/turns.py): lock, unit of work, delivery key, conversation, commit, send."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.app import Bot
from bot.metrics import Metrics
from dialogs.messages import Incoming, Reply
from dialogs.turns import Pipeline, Turns
from storage.uow import UnitOfWork


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


async def test_a_workers_job_commits_then_sends_under_the_lock_and_is_heard(bot: Bot) -> None:
    seen, sent = Seen(), []
    pipeline = Pipeline(bot.uow_factory, observers=[seen])
    turns = pipeline.turns(bot.engine)
    assert turns.locks is pipeline.locks and turns.observers == pipeline.observers

    def sender(external_id: str) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            async with bot.uow_factory() as uow:  # the job's unit of work is committed first
                assert await uow.users.get("web", external_id) is not None
            assert len(pipeline.locks) == 1  # still under the citizen's lock
            sent.append(external_id)

        return send

    async def job(uow: UnitOfWork) -> str:
        await uow.users.get_or_create("web", "j1")
        uow.after_commit(sender("j1"))
        return "done"

    async def failing(uow: UnitOfWork) -> str:
        await uow.users.get_or_create("web", "j2")
        uow.after_commit(sender("j2"))
        raise RuntimeError("the job failed")

    assert await pipeline.run("web", "j1", job, name="test") == "done"
    with pytest.raises(RuntimeError):
        await pipeline.run("web", "j2", failing, name="test")
    assert sent == ["j1"] and seen.turns == ["job test", "job test"]  # a failed job sends nothing, is heard
    async with bot.uow_factory() as uow:
        assert await uow.users.get("web", "j2") is None  # and wrote nothing
    assert len(pipeline.locks) == 0


async def test_the_metrics_hear_a_workers_job_by_its_name(bot: Bot) -> None:
    metrics = Metrics(process=False)
    pipeline = Pipeline(bot.uow_factory, observers=[metrics])

    async def job(uow: UnitOfWork) -> None:
        await uow.users.get_or_create("web", "m1")

    await pipeline.run("web", "m1", job, name="reminder")
    await pipeline.run("web", "m1", job, name="reminder")
    assert metrics.registry.get_sample_value("viza_job_seconds_count", {"job": "reminder"}) == 2
    assert metrics.registry.get_sample_value("viza_messages_in_total", {"channel": "web"}) == 0  # not a message
