"""The message log: what was said in each conversation, kept for the operators' context and the web chat's
history, written in batches where units of work run one at a time (SQLite). Repositories never commit."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.models import MessageLog, User

log = logging.getLogger(__name__)

# Built once: constructing a statement costs more than running it on SQLite. The inserts are Core inserts into
# the tables: the ORM's bulk-insert path costs several times more and gives nothing for write-only rows.
# A log line whose citizen was erased meanwhile (the line waited in the buffer) is skipped, not a failed batch.
_LOG = cast(Table, MessageLog.__table__)
_INSERT_MESSAGES = _LOG.insert().from_select(
    ["user_id", "direction", "text", "buttons", "created_at"],
    select(
        bindparam("user_id", type_=_LOG.c.user_id.type),
        bindparam("direction", type_=_LOG.c.direction.type),
        bindparam("text", type_=_LOG.c.text.type),
        bindparam("buttons", type_=_LOG.c.buttons.type),
        bindparam("created_at", type_=_LOG.c.created_at.type),
    ).where(exists().where(User.__table__.c.id == bindparam("user_id"))),
)


class ButtonLike(Protocol):
    """What the log keeps of a button (dialogs.messages.Button, which storage does not import)."""

    @property
    def text(self) -> str: ...
    @property
    def payload(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...


ButtonRows = list[list[dict[str, str]]]


def button_rows(rows: Sequence[Sequence[ButtonLike]]) -> ButtonRows:
    """Button rows as JSON: {"text", "payload"} or {"text", "url"} each. The message log stores this, and the web
    chat sends the same shape, so a conversation shown again has the buttons it had."""
    return [
        [
            {"text": b.text, "payload": b.payload} if b.payload else {"text": b.text, "url": b.url or ""}
            for b in row
        ]
        for row in rows
    ]


class LogBuffer:
    """Message-log lines of committed units of work that are not written yet.

    Kept only where units of work run one at a time (SQLite, see `UnitOfWorkFactory`): there a line costs a
    statement per message otherwise. A unit of work writes the buffer with its own lines once it holds BATCH lines
    or its oldest line is MAX_AGE old; a periodic job (bot/maintenance.py) and shutdown write the rest. A crash loses
    those lines of conversation context (seconds' worth while the database accepts writes), never a citizen's
    progress, which is in the dialog state. A line the database refuses is dropped alone, with a warning."""

    BATCH = 64
    MAX_AGE = 2.0  # seconds
    MAX_LINES = 10_000  # should the database refuse writes for long, the oldest lines go first

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lines: list[dict[str, object]] = []
        self._since = 0.0  # when the oldest line came

    def __len__(self) -> int:
        return len(self._lines)

    def due(self) -> bool:
        return len(self._lines) >= self.BATCH or (
            bool(self._lines) and self._clock() - self._since >= self.MAX_AGE
        )

    def extend(self, lines: list[dict[str, object]]) -> None:
        if lines and not self._lines:
            self._since = self._clock()
        self._lines.extend(lines)
        if len(self._lines) > self.MAX_LINES:
            log.warning("message-log buffer full: %d oldest lines dropped", len(self._lines) - self.MAX_LINES)
            del self._lines[: len(self._lines) - self.MAX_LINES]

    def take(self) -> list[dict[str, object]]:
        lines, self._lines = self._lines, []
        return lines

    def discard(self, user_ids: set[int]) -> None:
        self._lines = [line for line in self._lines if line["user_id"] not in user_ids]


class MessageLogs:
    def __init__(self, session: AsyncSession, clock: Clock, buffer: LogBuffer | None = None) -> None:
        self._s = session
        self._clock = clock
        self._buffer = buffer
        self._pending: list[dict[str, object]] = []
        # Buffered lines written in this transaction, not yet committed (back to the buffer if it rolls back).
        self._taken: list[dict[str, object]] = []
        self._erased: set[int] = set()  # citizens erased in this transaction

    def add(
        self, user_id: int, direction: str, text: str, buttons: Sequence[Sequence[ButtonLike]] = ()
    ) -> None:
        """Queue a log line (a bot line with its buttons); a unit of work's lines are written together (`flush`)."""
        # A lone surrogate (valid JSON, invalid UTF-8) could not be stored: it becomes «?».
        text = text.encode("utf-8", "replace").decode("utf-8")
        rows = button_rows(buttons) or None
        self._pending.append(
            {
                "user_id": user_id,
                "direction": direction,
                "text": text,
                "buttons": rows,
                "created_at": self._clock(),
            }
        )

    async def flush(self, *, everything: bool = False) -> None:
        """Before commit: write this unit of work's lines, or with a buffer, the buffer's when it is due (or
        `everything`) together with them; otherwise they join the buffer once committed (`committed`)."""
        if self._buffer is not None and not (everything or self._buffer.due()):
            return
        taken = self._buffer.take() if self._buffer is not None else []
        self._taken += taken
        rows = [line for line in (*taken, *self._pending) if line["user_id"] not in self._erased]
        self._pending = []
        if not rows:
            return
        if not taken:
            await self._s.execute(_INSERT_MESSAGES, rows)
            return
        # Other citizens' lines ride along: should one of them fail, this citizen's step must not.
        try:
            async with self._s.begin_nested():
                await self._s.execute(_INSERT_MESSAGES, rows)
        except Exception:
            await self._write_one_by_one(rows)

    async def _write_one_by_one(self, rows: list[dict[str, object]]) -> None:
        for row in rows:
            try:
                async with self._s.begin_nested():
                    await self._s.execute(_INSERT_MESSAGES, [row])
            except Exception as error:
                log.warning(
                    "a message-log line could not be written and is dropped (%s)", type(error).__name__
                )

    def committed(self) -> None:
        """After commit: lines not written yet wait in the buffer; an erased citizen's waiting lines go."""
        self._taken = []
        if self._buffer is not None:
            if self._erased:
                self._buffer.discard(self._erased)
            if self._pending:
                self._buffer.extend(self._pending)
        self._pending, self._erased = [], set()

    def rolled_back(self) -> None:
        """This unit of work's lines go; buffered lines it was writing go back to the buffer."""
        if self._buffer is not None and self._taken:
            self._buffer.extend(self._taken)
        self._taken, self._pending, self._erased = [], [], set()

    def discard(self, user_id: int) -> None:
        """The citizen is erased in this unit of work: none of their lines not written yet will be (the buffered
        ones are dropped when it commits; SQLite may give a later citizen the same id)."""
        self._pending = [line for line in self._pending if line["user_id"] != user_id]
        self._erased.add(user_id)

    async def recent(self, user_id: int, limit: int = 20) -> list[MessageLog]:
        """The citizen's last `limit` lines, oldest first (lines still buffered are written first)."""
        await self.flush(everything=True)
        rows = await self._s.execute(
            select(MessageLog)
            .where(MessageLog.user_id == user_id)
            .order_by(MessageLog.id.desc())
            .limit(limit)
        )
        return list(reversed(rows.scalars().all()))

    async def after(
        self, user_id: int, after: int, directions: Sequence[str], limit: int = 100
    ) -> list[MessageLog]:
        """The citizen's lines of these directions with ids above `after`, oldest first (the buffered ones must be
        written first: `flush(everything=True)`)."""
        rows = await self._s.execute(
            select(MessageLog)
            .where(MessageLog.user_id == user_id, MessageLog.id > after, MessageLog.direction.in_(directions))
            .order_by(MessageLog.id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        """Delete messages logged before `cutoff`; returns how many."""
        result = await self._s.execute(delete(MessageLog).where(MessageLog.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
