"""The line an air-raid alert puts before the answers people act on: every reply about the offices' hours and
addresses («де ви», «до котрої») and every booking step about today starts with «🚨 Зараз повітряна
тривога…» while the alert is on; nothing else changes.

`AlertBoard` reads the state the poller writes (storage/alerts.py) at most every REFRESH of the injected clock,
so a turn costs no query most of the time; the poller in this process clears it at once on a change. The
rooms whose steps name a day are given by name at construction (the booking room), so no room is named here."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dialogs.alerts.rules import State, current
from dialogs.messages import Reply
from dialogs.outcome import Kind
from knowledge.understand import Facet, Intent

if TYPE_CHECKING:
    from dialogs.rooms import Turn
    from storage.clock import Clock
    from storage.uow import UnitOfWork

BANNER = "🚨 Зараз повітряна тривога. Центр не приймає відвідувачів до відбою."
REFRESH = dt.timedelta(seconds=5)
KYIV = ZoneInfo("Europe/Kyiv")
ABOUT_OFFICES = {Facet.HOURS.value, Facet.WHERE.value}
INTENTS = {Intent.HOURS.value, Intent.CONTACTS.value}


class AlertBoard:
    """The alert state as this process last read it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.state = State.UNKNOWN
        self._read_at: dt.datetime | None = None

    def clear(self) -> None:
        self._read_at = None

    async def refresh(self, uow: UnitOfWork) -> None:
        now = self.clock()
        if self._read_at is not None and now - self._read_at < REFRESH:
            return
        found = await uow.alerts.status()
        self.state = current(found.state if found else None, found.checked_at if found else None, now)
        self._read_at = now

    @property
    def active(self) -> bool:
        return self.state is State.ACTIVE


def about_the_offices(kind: Kind | None, target: str) -> bool:
    """A message answered about the offices' hours or whereabouts (the facet, a follow-up, or the intent)."""
    if kind in (Kind.FACET, Kind.FOLLOW_UP):
        return target.split(":", 1)[0] in ABOUT_OFFICES
    return kind is Kind.INTENT and target in INTENTS


class AlertBanner:
    """A turn context (dialogs/context.py): the alert's line before the replies it concerns."""

    def __init__(self, board: AlertBoard, day_rooms: Collection[str] = ()) -> None:
        self.board = board
        self.day_rooms = frozenset(day_rooms)

    async def refresh(self, uow: UnitOfWork) -> None:
        await self.board.refresh(uow)

    def around(self, turn: Turn, replies: list[Reply]) -> list[Reply]:
        if not self.board.active or not replies or BANNER in replies[0].text:
            return replies
        outcome = turn.outcome
        concerns = outcome is not None and about_the_offices(outcome.kind, outcome.target)
        if not concerns and turn.state.scenario in self.day_rooms:
            today = f"{turn.now.astimezone(KYIV):%d.%m}"
            concerns = any(today in r.text or any(today in b.text for row in r.buttons for b in row) for r in replies)
        if not concerns:
            return replies
        return [dataclasses.replace(replies[0], text=f"{BANNER}\n\n{replies[0].text}"), *replies[1:]]
