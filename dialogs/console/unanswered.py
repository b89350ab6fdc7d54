"""What citizens could not find, for the console: the unanswered questions of a range of Kyiv days grouped by
similar text (dialogs/console/similar.py), less the groups an admin dismissed or attached; attaching a group's
text to a card or situation as a new phrasing (knowledge/phrasings.py: checked as `python -m knowledge check`
checks it, stored with its author, audited, and live in this process's understander once committed); dismissing a
group (hidden, audited). Over one unit of work; `now` is the uow's clock.

The process that attaches a phrasing uses it at once; every process reads them all when it starts (`load`) and
again every REFRESH (`refresh`, a job of `python -m bot`), so another process answers with it within a minute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from dialogs.console.rules import Invalid
from dialogs.console.similar import Group, group, normal
from knowledge.loader import Knowledge
from knowledge.phrasings import MAX_CHARS, Phrasing, problems
from knowledge.understand import Understander
from storage.uow import UnitOfWork

KYIV = ZoneInfo("Europe/Kyiv")
REFRESH = dt.timedelta(minutes=1)
DEFAULT_DAYS = 30  # the page's range when none is asked: the last 30 Kyiv days
MAX_DAYS = 366
MAX_DISMISS = 200  # characters of a dismissed normalised text kept


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)


def day_range(now: dt.datetime, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The Kyiv days asked (`from`, `to` as YYYY-MM-DD, both included); by default the last DEFAULT_DAYS."""
    today = now.astimezone(KYIV).date()
    try:
        last = dt.date.fromisoformat(end) if end else today
    except ValueError:
        raise Invalid("to", "to is a day YYYY-MM-DD") from None
    try:
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise Invalid("from", "from is a day YYYY-MM-DD") from None
    if last < first:
        raise Invalid("to", "to is before from")
    if (last - first).days >= MAX_DAYS:
        raise Invalid("from", f"a range has at most {MAX_DAYS} days")
    return first, last


async def groups(
    uow: UnitOfWork, first: dt.date, last: dt.date, understander: Understander | None = None
) -> list[Group]:
    """The groups of the days, most frequent first, without those dismissed or answered by an attached phrasing
    (one of their texts is one, or, with the understander, their wording now leads to one)."""
    asked = await uow.unanswered.between(_midnight(first), _midnight(last + dt.timedelta(days=1)))
    hidden = await uow.phrasings.dismissed() | {normal(p.text) for p in await uow.phrasings.attached()}
    answered = understander.learned.match if understander is not None else lambda _: None
    return [g for g in group(asked) if not hidden.intersection(g.forms) and answered(g.text) is None]


def group_json(g: Group) -> dict[str, object]:
    return {"text": g.text, "count": g.count, "last_seen": g.last_seen.astimezone(KYIV).isoformat(),
            "channel": g.channel, "context": g.context}  # fmt: skip


def targets(kb: Knowledge) -> list[tuple[str, str]]:
    """(target, title) of every card (service) and life situation, situations first, by title."""
    found = [(f"situation/{s.id}", s.title) for s in sorted(kb.situations.values(), key=lambda s: s.title)]
    return found + [(f"service/{s.id}", s.title) for s in sorted(kb.services.values(), key=lambda s: s.title)]


async def attached(uow: UnitOfWork) -> list[Phrasing]:
    return [Phrasing(p.text, p.target) for p in await uow.phrasings.attached()]


async def load(uow: UnitOfWork, understander: Understander) -> int:
    """Every attached phrasing into the understander (a process's start, then `REFRESH`); how many it knows."""
    understander.learned.add(*await attached(uow))
    return len(understander.learned)


async def refresh(uows: Callable[[], UnitOfWork], understander: Understander) -> int:
    """`load` in a unit of work of its own: the job that brings another process's attachments into this one."""
    async with uows() as uow:
        return await load(uow, understander)


def _body(body: object, fields: Sequence[str]) -> dict[str, str]:
    if not isinstance(body, dict):
        raise Invalid("body", f"send a JSON object with {', '.join(fields)}")
    out = {}
    for field in fields:
        value = body.get(field)
        if not isinstance(value, str):
            raise Invalid(field, f"{field} must be text")
        out[field] = " ".join(value.split())
    return out


async def attach(uow: UnitOfWork, kb: Knowledge, understander: Understander, body: object, actor: str) -> Phrasing:
    """Attach {"text", "target"} as a new phrasing: refused (Invalid) as the knowledge check would refuse it;
    stored and audited; in `understander` once the unit of work commits."""
    fields = _body(body, ("text", "target"))
    phrasing = Phrasing(fields["text"], fields["target"])
    if not phrasing.text:
        raise Invalid("text", "the text is empty")
    if len(phrasing.text) > MAX_CHARS:
        raise Invalid("text", f"a phrasing has at most {MAX_CHARS} characters: shorten it to the question")
    if await uow.phrasings.get(phrasing.text) is not None:
        raise Invalid("text", "this text is attached already")
    found = problems(kb, understander, [*await attached(uow), phrasing])
    mine = [p for p in found if p.startswith(f"phrasing «{phrasing.text[:60]}» → {phrasing.target}:")]
    if mine:
        field = "target" if "no such" in mine[0] else "text"
        raise Invalid(field, mine[0])
    await uow.phrasings.attach(phrasing.text, phrasing.target, actor)
    await uow.audit.record(actor, "unanswered.attach", phrasing.target, after={"text": phrasing.text})

    async def live() -> None:
        understander.learned.add(phrasing)

    uow.after_commit(live)
    return phrasing


async def dismiss(uow: UnitOfWork, body: object, actor: str) -> bool:
    """Hide the group of {"text"} from the page; False when it was hidden already."""
    text = _body(body, ("text",))["text"]
    form = normal(text)[:MAX_DISMISS]
    if not form:
        raise Invalid("text", "the text is empty")
    if not await uow.phrasings.dismiss(form, actor):
        return False
    await uow.audit.record(actor, "unanswered.dismiss", f"unanswered:{form[:100]}", after={"text": text[:200]})
    return True
