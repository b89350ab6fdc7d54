"""Tracebacks in the log are rate-limited (issue 20: a forged payload wrote a 27-line traceback per request): the
same one — the same exception type raised at the same place — at most once a minute, then one line with the
count; other tracebacks and lines without one are never held back. On an injected clock."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import TracebackLimit, handler


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(kind: type[Exception] = ValueError) -> None:
    raise kind("broken payload")


def _other_place() -> None:
    raise ValueError("broken payload")


class Written:
    """What the handler wrote (its stream, instead of stderr)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def read(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


@pytest.fixture()
def logger() -> Iterator[tuple[logging.Logger, Clock, Written]]:
    """A logger with the bot's own handler (bot.logs.handler: text, the limit) on a test clock."""
    clock, written = Clock(), Written()
    out = handler("text", clock=clock)
    assert isinstance(out, logging.StreamHandler)
    out.setStream(written.buffer)
    log = logging.getLogger("test.log_limit")
    log.addHandler(out)
    log.propagate, log.level = False, logging.INFO
    try:
        yield log, clock, written
    finally:
        log.removeHandler(out)


def _request(log: logging.Logger, fail: object = _fail) -> None:
    try:
        fail()  # type: ignore[operator]
    except Exception:
        log.exception("Error handling request")


def test_the_same_traceback_is_written_once_a_minute_then_with_the_count(
    logger: tuple[logging.Logger, Clock, Written],
) -> None:
    log, clock, written = logger
    for _ in range(300):
        _request(log)
        clock.now += 0.1  # 300 requests in 30 s
    err = written.read()
    assert err.count("Traceback (most recent call last)") == 1 and err.count("Error handling request") == 1
    clock.now += 31  # a minute after the one written
    _request(log)
    err = written.read()
    assert err.count("Traceback (most recent call last)") == 1
    assert "the same error 299 more time(s) in the last 61 s, not shown" in err
    _request(log)  # the count starts again
    assert written.read() == ""


def test_other_tracebacks_and_plain_lines_are_not_held_back(
    logger: tuple[logging.Logger, Clock, Written],
) -> None:
    log, _, written = logger
    _request(log)
    _request(log, lambda: _fail(KeyError))  # another type at the same place
    _request(log, _other_place)  # the same type elsewhere
    for n in range(5):
        log.warning("plain line %d", n)
    err = written.read()
    assert err.count("Traceback (most recent call last)") == 3
    assert all(f"plain line {n}" in err for n in range(5))


def test_the_key_is_the_type_and_the_innermost_place() -> None:
    errors = []
    for fail in (_fail, _fail, _other_place):
        try:
            fail()
        except ValueError as error:
            errors.append(TracebackLimit.key(error))
    assert errors[0] == errors[1] != errors[2]
    assert errors[0][0] == "builtins.ValueError" and errors[0][1].endswith("test_log_limit.py")
