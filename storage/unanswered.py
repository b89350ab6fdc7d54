"""What citizens asked that the bot could not answer, for the Center to fill the gaps (no citizen identifiers).

A row is tied to no citizen (no user id, no channel id), so `/forget` has nothing to erase here; the text is
masked free text all the same, so rows are kept only for `bot.maintenance.UNANSWERED_RETENTION`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.models import UnansweredQuestion

KINDS = ("miss", "reask")


@dataclass(frozen=True)
class Unanswered:
    """One recorded message, as the staff command reads it."""

    kind: str
    text: str
    channel: str
    context: str | None
    created_at: dt.datetime


class UnansweredQuestions:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self._clock = clock

    def add(self, kind: str, text: str, channel: str, context: str | None) -> None:
        """Record one (already masked) message the bot could not answer or a step could not read."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.session.add(
            UnansweredQuestion(
                kind=kind,
                text=text,
                channel=channel,
                context=(context or None) and context[:120],
                created_at=self._clock(),
            )
        )

    async def between(self, start: dt.datetime, end: dt.datetime) -> list[Unanswered]:
        """The messages recorded at `start` or later and before `end`, oldest first."""
        q = UnansweredQuestion
        found = await self.session.execute(
            select(q.kind, q.text, q.channel, q.context, q.created_at)
            .where(q.created_at >= start, q.created_at < end)
            .order_by(q.created_at, q.id)
        )
        return [Unanswered(*row) for row in found.all()]

    async def purge_older_than(self, cutoff: dt.datetime) -> int:
        """Delete what was recorded before `cutoff`; returns how many."""
        result = await self.session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
