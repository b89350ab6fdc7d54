"""Log lines as JSON objects (LOG_FORMAT=json), one per line, for a log collector (journald, Loki, ELK).

The fields are the standard ones: time (UTC, ISO 8601), level, logger, message, and the traceback when there is
one. The message is the same text the plain format shows; the bot never logs what a citizen wrote, nor a phone,
a name or an id (docs/SECURITY.md), so neither format holds personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
