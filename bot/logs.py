"""Log lines as JSON objects (LOG_FORMAT=json), one per line, for a log collector (journald, Loki, ELK), and
the rate limit of tracebacks.

The fields are the standard ones: time (UTC, ISO 8601), level, logger, message, and the traceback when there is
one. The message is the same text the plain format shows; the bot never logs what a citizen wrote, nor a phone,
a name or an id (docs/SECURITY.md), so neither format holds personal data.

`TracebackLimit`: a request that fails the same way again and again (a forged input, a broken dependency) must
not fill the disk or drown the other lines: the same traceback (the same exception type raised at the same place)
is written at most once a minute; the repeats are counted, and the next one after the minute says how many there
were in one line, with its traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TRACEBACK_EVERY = 60.0  # seconds: the same traceback at most once in this time
TRACEBACK_KINDS = 1000  # distinct tracebacks remembered (the oldest forgotten first)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    """The formatter of LOG_FORMAT: "json" or "text"."""
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


@dataclass
class _Seen:
    shown: float  # when it was last written (the limit's clock)
    since: float  # when the count began
    repeats: int = 0  # not written since


class TracebackLimit(logging.Filter):
    """A filter for a log handler: a record with a traceback passes if the same traceback (exception type and the
    file and line where it was raised) did not pass in the last `every` seconds; otherwise it is counted and
    dropped. The next one that passes carries the count: «(the same error N more times in the last 61 s,
    not shown)». Records without a traceback always pass. `clock`: seconds, monotonic (tests give their own)."""

    def __init__(self, every: float = TRACEBACK_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self._clock = clock
        self._seen: dict[tuple[str, str, int], _Seen] = {}
        self._lock = threading.Lock()  # records come from the loop and from worker threads

    @staticmethod
    def key(error: BaseException) -> tuple[str, str, int]:
        """The exception's type and where it was raised (the innermost frame of its traceback)."""
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = ("", 0) if tb is None else (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        return f"{type(error).__module__}.{type(error).__qualname__}", *where

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        key, now = self.key(error), self._clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen.shown < self.every:
                seen.repeats += 1
                return False
            if seen is not None and seen.repeats:
                try:
                    message = record.getMessage()
                except Exception:  # a malformed record: logging reports it when it formats; keep it as it is
                    message = str(record.msg)
                record.msg = (
                    f"{message} (the same error {seen.repeats} more time(s) in the last "
                    f"{now - seen.since:.0f} s, not shown)"
                )
                record.args = None
            self._seen.pop(key, None)
            if len(self._seen) >= TRACEBACK_KINDS:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = _Seen(now, now)
        return True


def handler(kind: str, clock: Callable[[], float] = time.monotonic) -> logging.Handler:
    """The bot's log handler: stderr, LOG_FORMAT's formatter, tracebacks rate-limited."""
    out = logging.StreamHandler()
    out.setFormatter(formatter(kind))
    out.addFilter(TracebackLimit(clock=clock))
    return out
