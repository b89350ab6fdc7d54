"""The statistics of a range read from storage and turned into figures (dialogs/console/stats.py), with the
knowledge's names for what the counts key by. No citizen identifier is read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dialogs.console import stats
from knowledge.loader import Knowledge
from storage.stats import KYIV
from storage.uow import UnitOfWork

INTENTS_UA = {
    "greeting": "привітання", "thanks": "подяка", "contacts": "адреса, як дістатися", "hours": "графік роботи",
    "phones": "телефони", "operator": "жива людина", "booking": "запис на прийом", "reminder": "нагадування",
    "ready": "чи готово", "complaint": "скарга", "praise": "подяка працівникам", "distress": "розпач, гнів",
    "home_visit": "виїзд додому", "forget": "видалити мої дані", "elsewhere": "не наша тема",
    "cancel_booking": "скасувати запис", "move_booking": "перенести запис",
}  # fmt: skip


def names(kb: Knowledge, office: Callable[[str], str]) -> stats.Names:
    """The knowledge's titles for situations and services, Ukrainian words for intents; `office` names an office
    (the booking's wording, passed in: the console does not import a room)."""

    def situation(key: str) -> str:
        found = kb.situations.get(key)
        return str(found.title) if found is not None else key

    def service(key: str) -> str:
        found = kb.services.get(key)
        return str(found.short_title) if found is not None else key

    return stats.Names(situation, service, lambda key: INTENTS_UA.get(key, key), office)


async def report(uow: UnitOfWork, named: stats.Names, first: dt.date, last: dt.date) -> dict[str, Any]:
    """Every figure of the statistics page for the Kyiv days first..last."""
    start, end = stats.utc_bounds(first, last, KYIV)
    q = uow.stats
    raw = stats.Raw(
        by_day=await q.consultations_by_day(first, last),
        by_kind=await q.consultations_by_kind(first, last),
        topics=await q.topics(first, last),
        bookings=await q.bookings(start, end),
        tickets=await q.tickets(start, end),
        waits=await q.durations(start, end, "wait"),
        talks=await q.durations(start, end, "talk"),
        visits=await q.visit_scores(first, last),
        reminders=await q.reminders(start, end),
        walk_ins=await uow.desk.walk_ins_by_office(first, last),
        alerts=await uow.alerts.touching(start, end),
    )
    return stats.figures(raw, first, last, named)
