"""Flood control: the cases the mutation benchmark (docs/MUTATION.md) found untested — the constructor's bounds
and message, the refill at a rate other than 1, a clock going back, the debt's floor, the end of an episode, the
erasure's gap, `verdict`'s default, the counters, and the aggregated log line's exact wording and timing."""

from __future__ import annotations

import logging

import pytest

from dialogs import flood
from dialogs.flood import DEBT, FORGET_GAP, LOG_EVERY, FloodLimiter, Verdict

P, N, D = Verdict.PROCESS, Verdict.NOTICE, Verdict.DROP


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_the_bounds_of_the_constructor() -> None:
    message = "rate must be positive, burst at least 0 (off) and capacity at least 1"
    for args, kwargs in [((0.0, 5), {}), ((-1.0, 5), {}), ((1.0, -1), {}), ((1.0, 5), {"capacity": 0})]:
        with pytest.raises(ValueError) as caught:
            FloodLimiter(*args, **kwargs)  # type: ignore[arg-type]
        assert str(caught.value) == message
    lim = FloodLimiter(0.5, 0, capacity=1)  # a slow rate, off, and one citizen remembered are all valid
    assert (lim.rate, lim.burst, lim.capacity) == (0.5, 0.0, 1)
    assert FloodLimiter().rate == 1.0 and FloodLimiter().burst == 60.0 and FloodLimiter().capacity == 20_000


def test_one_citizen_remembered_at_capacity_one() -> None:
    clock = Clock()
    lim = FloodLimiter(1.0, 1, capacity=1, clock=clock)
    assert [lim.check("web", "a"), lim.check("web", "a")] == [P, N]
    assert lim.check("web", "b") is P and len(lim) == 1  # a is forgotten: a full bucket again
    assert lim.check("web", "a") is P


def test_the_refill_is_rate_times_the_time_elapsed() -> None:
    clock = Clock()
    lim = FloodLimiter(2.0, 4, clock=clock)
    assert [lim.check("web", "a") for _ in range(5)] == [P, P, P, P, N]  # tokens now -1
    clock.now += 1.0  # +2 tokens: 1
    assert [lim.check("web", "a"), lim.check("web", "a")] == [P, D]
    slow = FloodLimiter(0.5, 2, clock=clock)
    assert [slow.check("web", "a") for _ in range(3)] == [P, P, N]  # tokens -1
    clock.now += 3.9  # +1.95: 0.95, not yet one
    assert slow.check("web", "a") is D  # and it costs one more: -1 (then 0.95 - 1)
    clock.now += 4.0  # -0.05 + 2 = 1.95
    assert slow.check("web", "a") is P


def test_a_clock_going_back_refills_nothing() -> None:
    clock = Clock()
    lim = FloodLimiter(1.0, 2, clock=clock)
    assert [lim.check("web", "a") for _ in range(3)] == [P, P, N]
    clock.now -= 100.0
    assert lim.check("web", "a") is D
    clock.now += 0.5  # half a second after the step back: -2 + 0.5
    assert lim.check("web", "a") is D


def test_refused_messages_push_the_bucket_to_the_debt_and_no_further() -> None:
    clock = Clock()
    lim = FloodLimiter(1.0, 2, clock=clock)
    for _ in range(50):
        lim.check("web", "a")
    assert DEBT == 3.0
    clock.now += 3.9  # -3 + 3.9 = 0.9: still refused, and pushed to -0.1
    assert lim.check("web", "a") is D
    clock.now += 1.1  # -0.1 + 1.1 = 1.0
    assert lim.check("web", "a") is P


def test_an_episode_ends_only_with_a_full_bucket() -> None:
    clock = Clock()
    lim = FloodLimiter(1.0, 3, clock=clock)
    assert [lim.check("web", "a") for _ in range(4)] == [P, P, P, N]  # -1
    clock.now += 2.0  # 1 token: not full, the episode goes on
    assert [lim.check("web", "a"), lim.check("web", "a")] == [P, D]  # -1
    clock.now += 3.9  # 2.9: still not full
    assert lim.check("web", "a") is P  # 1.9
    assert [lim.check("web", "a"), lim.check("web", "a")] == [P, D]  # 0.9 → -0.1 after D
    clock.now += 3.1  # exactly full: the episode is over
    assert [lim.check("web", "a") for _ in range(4)] == [P, P, P, N]


def test_an_erasure_of_a_refused_citizen_every_ten_seconds_at_most() -> None:
    clock = Clock()
    lim = FloodLimiter(0.01, 1, clock=clock)  # so slow that the bucket stays short all along
    assert [lim.check("web", "a"), lim.check("web", "a")] == [P, N]
    assert lim.check("web", "a", forget=True) is P
    clock.now += FORGET_GAP - 0.5  # within the gap
    assert lim.check("web", "a", forget=True) is D
    clock.now += 0.5  # exactly the gap since the last erasure let through (the bucket is still short)
    assert lim.check("web", "a", forget=True) is P
    assert FORGET_GAP == 10.0 and lim.refused == 2


async def test_verdict_is_check_and_not_an_erasure_unless_said(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=flood.__name__)
    clock = Clock()
    lim = FloodLimiter(0.01, 1, clock=clock)
    assert await lim.verdict("web", "a") is P
    assert await lim.verdict("web", "a") is N
    assert await lim.verdict("web", "a", forget=True) is P
    assert await lim.verdict("web", "a") is D
    clock.now += LOG_EVERY - 1  # the web's bucket still short; another channel is another citizen
    assert [await lim.verdict("web", "a"), await lim.verdict("telegram", "a")] == [D, P]
    clock.now += 1
    assert await lim.verdict("telegram", "a") is N
    first, second = flood_lines(caplog)
    assert "(web 1)" in first and "(telegram 1)" in second


def test_the_counters_and_a_shared_gates_reports() -> None:
    clock = Clock()
    lim = FloodLimiter(1.0, 1, clock=clock)
    for _ in range(4):
        lim.check("web", "a")  # P N D D
    assert (lim.refused, lim.episodes) == (3, 1)
    lim.count_refused("telegram", Verdict.DROP)
    assert (lim.refused, lim.episodes) == (4, 1)
    lim.count_refused("telegram", Verdict.NOTICE)
    assert (lim.refused, lim.episodes) == (5, 2)


def flood_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == flood.__name__ and r.levelno == logging.WARNING
    ]


def test_the_log_line_counts_episodes_per_channel_and_refusals(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=flood.__name__)
    clock = Clock()
    lim = FloodLimiter(1.0, 1, clock=clock)
    start = clock.now
    assert [lim.check("web", "a"), lim.check("web", "a"), lim.check("web", "a")] == [P, N, D]
    assert flood_lines(caplog) == [
        "flood control: 1 citizen(s) sent too fast (web 1); 1 message(s) refused since the last such line"
    ]
    for user, channel in [("b", "web"), ("c", "web"), ("d", "telegram")]:
        clock.now += 1.0
        assert [lim.check(channel, user), lim.check(channel, user)] == [P, N]
    assert len(flood_lines(caplog)) == 1  # within the minute: counted, not logged
    clock.now = start + LOG_EVERY  # exactly a minute after the line
    assert [lim.check("viber", "e"), lim.check("viber", "e")] == [P, N]
    assert flood_lines(caplog)[1] == (
        "flood control: 4 citizen(s) sent too fast (telegram 1, viber 1, web 2); "
        "5 message(s) refused since the last such line"
    )
    clock.now += LOG_EVERY - 0.5
    lim.count_refused("web", Verdict.DROP)
    lim.count_refused("web", Verdict.NOTICE)  # now taken from the clock
    assert len(flood_lines(caplog)) == 2
    clock.now += 0.5
    lim.count_refused("web", Verdict.NOTICE)
    assert flood_lines(caplog)[2] == (
        "flood control: 2 citizen(s) sent too fast (web 2); 3 message(s) refused since the last such line"
    )
    assert LOG_EVERY == 60.0


def test_a_report_with_its_own_time_is_logged_by_that_time(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=flood.__name__)
    clock = Clock()
    lim = FloodLimiter(1.0, 1, clock=clock)
    lim.count_refused("web", Verdict.NOTICE, now=100.0)
    lim.count_refused("web", Verdict.NOTICE, now=130.0)
    assert len(flood_lines(caplog)) == 1  # the clock (500) would have logged it: 400 s after 100
    lim.count_refused("web", Verdict.NOTICE, now=160.0)
    assert len(flood_lines(caplog)) == 2
