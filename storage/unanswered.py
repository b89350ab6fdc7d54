"""What citizens asked that the bot could not answer, for the Center to fill the gaps (no citizen identifiers)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.models import UnansweredQuestion

KINDS = ("miss", "reask")


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
