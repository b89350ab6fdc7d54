"""Cross-reference checks that the schema alone cannot express."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from knowledge import aging
from knowledge.booking_schema import BookingData
from knowledge.facts import check_phrases
from knowledge.loader import Knowledge, KnowledgeError, load_knowledge
from knowledge.schema import Certainty, LifeSituation, Regime, Schedule, When


def _check_when(when: When | None, where: str, kb: Knowledge, problems: list[str]) -> None:
    for qid, values in (when or {}).items():
        question = kb.questions.get(qid)
        if question is None:
            problems.append(f"{where}: condition refers to unknown question '{qid}'")
            continue
        known = {o.value for o in question.options}
        for value in values:
            if value not in known:
                problems.append(f"{where}: question '{qid}' has no option '{value}'")


def _unique(ids: Iterable[str], where: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            problems.append(f"{where}: duplicate id '{i}'")
        seen.add(i)


MAX_CARD_QUESTIONS = 6  # a card's own dialog stays short: more questions would tire the citizen


def cross_check(kb: Knowledge) -> list[str]:
    """Every reference resolves: offices, questions, services, options; card numbers unique."""
    problems: list[str] = []
    office_ids = {o.id for o in kb.contacts.offices}
    cards: dict[str, str] = {}
    for service in kb.services.values():
        where = kb.files.get(f"services:{service.id}", service.id)
        for office in service.offices:
            if office not in office_ids:
                problems.append(f"{where}: unknown office '{office}'")
        if service.card:
            if service.card in cards:
                problems.append(f"{where}: card {service.card} also in service '{cards[service.card]}'")
            cards[service.card] = service.id
        if service.tech_card and service.tech_card.card != service.card:
            problems.append(f"{where}: tech card {service.tech_card.card} is not for card {service.card}")
        _unique((d.id for d in service.documents), f"{where}: documents", problems)
        for doc in service.documents:
            _check_when(doc.when, f"{where}: document '{doc.id}'", kb, problems)
        problems += [
            f"{where}: asks unknown question '{q}'" for q in service.questions if q not in kb.questions
        ]
        used = [q for doc in service.documents for q in doc.when or {}]
        problems += [
            f"{where}: asks '{q}', but no document's `when` uses it"
            for q in service.questions
            if q not in used
        ]
        dialog = service.questions or list(dict.fromkeys(used))
        if len(dialog) > MAX_CARD_QUESTIONS:
            problems.append(
                f"{where}: the card's dialog would ask {len(dialog)} questions; list at most "
                f"{MAX_CARD_QUESTIONS} of the most decisive in `questions` (documents that depend on other "
                "questions are then shown with their condition in words)"
            )
    problems += _check_groups(kb)
    problems += _check_booking(kb)
    problems += _check_care(kb)
    for sit in kb.situations.values():
        where = kb.files.get(f"situations:{sit.id}", sit.id)
        for qid in sit.questions:
            if qid not in kb.questions:
                problems.append(f"{where}: asks unknown question '{qid}'")
        asked = set(sit.questions)
        for ref in sit.services:
            if ref.service not in kb.services:
                problems.append(f"{where}: names unknown service '{ref.service}'")
            _check_when(ref.when, f"{where}: service '{ref.service}'", kb, problems)
            problems += [
                f"{where}: service '{ref.service}' depends on '{q}', which this situation never asks"
                for q in (ref.when or {})
                if q not in asked
            ]
        _unique((d.id for d in sit.documents), f"{where}: documents", problems)
        package = {ref.service for ref in sit.services}
        for sdoc in sit.documents:
            _check_when(sdoc.when, f"{where}: document '{sdoc.id}'", kb, problems)
            problems += [
                f"{where}: document '{sdoc.id}' depends on '{q}', which this situation never asks"
                for q in (sdoc.when or {})
                if q not in asked
            ]
            problems += [
                f"{where}: document '{sdoc.id}' names service '{s}' outside the package"
                for s in sdoc.services
                if s not in package
            ]
        problems += _check_deadlines(sit, package, kb, where)
    problems += check_phrases(kb.questions.values())
    return problems


# The shortest a deadline can be, in days, per unit (a month has at least 28 days; working days at least as
# many calendar days): a reminder `remind_before` days ahead must fall after the event, not before it.
_MIN_DAYS_PER_UNIT = {"days": 1, "working_days": 1, "months": 28}


def _check_deadlines(sit: LifeSituation, package: set[str], kb: Knowledge, where: str) -> list[str]:
    """A situation's legal deadlines: unique ids, services of the package, reminders after the event, sources."""
    problems: list[str] = []
    _unique((d.id for d in sit.deadlines), f"{where}: deadlines", problems)
    for deadline in sit.deadlines:
        at = f"{where}: deadline '{deadline.id}'"
        if deadline.service is not None:
            if deadline.service not in kb.services:
                problems.append(f"{at}: unknown service '{deadline.service}'")
            elif deadline.service not in package:
                problems.append(f"{at}: service '{deadline.service}' is outside the package")
        if len(set(deadline.remind_before)) != len(deadline.remind_before):
            problems.append(f"{at}: remind_before repeats a day")
        if not deadline.remind_before:
            problems.append(f"{at}: remind_before is empty, so nothing would ever be reminded")
        shortest = deadline.value * _MIN_DAYS_PER_UNIT[deadline.unit]
        problems += [
            f"{at}: a reminder {days} days before a deadline of {deadline.value} {deadline.unit} would fall "
            "before the event itself"
            for days in deadline.remind_before
            if days >= shortest
        ]
        if deadline.source.certainty != Certainty.OFFICIAL and not deadline.source.url:
            problems.append(f"{at}: a non-official source needs a url")
    return problems


def _check_groups(kb: Knowledge) -> list[str]:
    """The services menu: every service in exactly one group, every group's service known."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    _unique((g.id for g in kb.contacts.groups), "contacts.yaml: groups", problems)
    for group in kb.contacts.groups:
        for sid in group.services:
            if sid not in kb.services:
                problems.append(f"contacts.yaml: group '{group.id}' names unknown service '{sid}'")
            elif sid in seen:
                problems.append(f"contacts.yaml: service '{sid}' is in groups '{seen[sid]}' and '{group.id}'")
            seen[sid] = group.id
    if kb.contacts.groups:
        problems += [
            f"contacts.yaml: service '{sid}' is in no menu group" for sid in kb.services if sid not in seen
        ]
    return problems


BOOKING_FALLBACK_OFFICE = "visa-main"  # where a service whose card names no office is booked
HOTLINE_GROUP = "hotline"  # the resource group of hotline callbacks; no window group may take this id


def _check_booking(kb: Knowledge) -> list[str]:
    """booking.yaml: offices, services and hours resolve; every service the Center provides can be booked."""
    data = kb.booking
    if data is None:
        return []
    where = "booking.yaml"
    problems: list[str] = []
    contacts = {o.id: o for o in kb.contacts.offices}
    _unique((o.office for o in data.offices), f"{where}: offices", problems)
    _unique((g.id for g in data.priority_groups), f"{where}: priority_groups", problems)
    bookable: dict[str, set[str]] = {}  # service -> offices
    for office in data.offices:
        at = f"{where}: office '{office.office}'"
        contact = contacts.get(office.office)
        if contact is None:
            problems.append(f"{at}: unknown office (not in contacts.yaml)")
        _unique((g.id for g in office.groups), f"{at}: groups", problems)
        seen: dict[str, str] = {}
        for group in office.groups:
            if group.id == HOTLINE_GROUP:
                problems.append(f"{at}: group id '{HOTLINE_GROUP}' is reserved for hotline callbacks")
            lengths = {group.slot_minutes_by_service.get(s, group.slot_minutes) for s in group.services}
            if len(lengths) > 1:
                problems.append(
                    f"{at}: group '{group.id}' mixes slot lengths {sorted(lengths)}: its windows share one grid "
                    "of slots, so a service with another length needs a group (windows) of its own"
                )
            for sid in group.services:
                if sid not in kb.services:
                    problems.append(f"{at}: group '{group.id}' names unknown service '{sid}'")
                elif sid in seen:
                    problems.append(f"{at}: service '{sid}' is in groups '{seen[sid]}' and '{group.id}'")
                seen[sid] = group.id
                bookable.setdefault(sid, set()).add(office.office)
        if contact is not None and contact.schedules and office.schedules != contact.schedules:
            problems.append(f"{at}: contacts.yaml publishes this office's hours; remove `schedules` here")
        if contact is not None and not contact.schedules:
            if not office.schedules:
                problems.append(f"{at}: contacts.yaml gives no hours, so `schedules` is required here")
            if "hours" not in office.assumed:
                problems.append(
                    f"{at}: hours not in contacts.yaml must be listed as assumed ('hours' in `assumed`)"
                )
        problems += _check_regimes(office.schedules, at)
        problems += _check_approximate(office.schedules, office.assumed, at)
    hotlines = {h.id for h in kb.contacts.hotlines}
    if data.hotline.hotline not in hotlines:
        problems.append(f"{where}: hotline: unknown hotline '{data.hotline.hotline}' (not in contacts.yaml)")
    problems += _check_regimes(data.hotline.schedules, f"{where}: hotline")
    problems += _check_approximate(data.hotline.schedules, data.hotline.assumed, f"{where}: hotline")
    problems += _check_bookable(kb, data, bookable)
    return problems


APPROXIMATE = "орієнтовн"  # «графік орієнтовний», «години орієнтовні»


def _check_approximate(schedules: list[Schedule], assumed: Sequence[str], at: str) -> list[str]:
    """Hours no source gives (`assumed`) are told to citizens as approximate, in their own text."""
    if "hours" not in assumed:
        return []
    return [
        f"{at}: the hours of the regime '{s.regime.value}' are assumed: say in its text that they are "
        f"approximate («{APPROXIMATE}…»)"
        for s in schedules
        if APPROXIMATE not in s.text.lower()
    ]


def _check_regimes(schedules: list[Schedule], at: str) -> list[str]:
    regimes = [s.regime for s in schedules]
    problems = [f"{at}: no hours for the regime '{r.value}'" for r in Regime if r not in regimes]
    problems += [f"{at}: two schedules for the regime '{r.value}'" for r in Regime if regimes.count(r) > 1]
    return problems


def _check_bookable(kb: Knowledge, data: BookingData, bookable: dict[str, set[str]]) -> list[str]:
    """A card's services are booked at the offices the card names; a service naming none, at the main office."""
    where = "booking.yaml"
    problems: list[str] = []
    left_out = {n.service: n for n in data.not_bookable}
    _unique((n.service for n in data.not_bookable), f"{where}: not_bookable", problems)
    for sid in left_out:
        if sid not in kb.services:
            problems.append(f"{where}: not_bookable names unknown service '{sid}'")
        elif sid in bookable:
            problems.append(f"{where}: service '{sid}' is both bookable and in not_bookable")
    for service in kb.services.values():
        if service.id in left_out:
            continue
        wanted = service.offices or [BOOKING_FALLBACK_OFFICE]
        problems += [
            f"{where}: service '{service.id}' is not bookable at '{office}' (its card names that office, or it "
            "names none and the main office takes it); add it to a group there or to not_bookable with a reason"
            for office in wanted
            if office not in bookable.get(service.id, set())
        ]
    return problems


def run_check(root: Traversable | Path | None = None, today: dt.date | None = None) -> list[str]:
    """Load everything and return every problem found (empty when the data is sound); with `today`, also an
    `as_of` after it."""
    return check_all(root, today).problems


@dataclass(frozen=True)
class Checked:
    problems: list[str]  # errors: the check fails
    warnings: list[str] = field(default_factory=list)  # facts over 12 months old (only with `today`)


def check_all(root: Traversable | Path | None = None, today: dt.date | None = None) -> Checked:
    """The problems (cross-references, reading dates in `as_of`) and, given `today`, the warnings about facts
    older than 12 months (knowledge/aging.py)."""
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        return Checked(exc.problems)
    problems = cross_check(kb) + aging.reading_dates(kb, today)
    return Checked(problems, aging.warnings(kb, today) if today is not None else [])


def report(name: str, problems: list[str], warnings: list[str] | None = None) -> int:
    """Print every warning and problem to stderr and a verdict; the exit code for a check command (warnings
    alone do not fail it)."""
    for w in warnings or []:
        print(w, file=sys.stderr)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{name} check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    more = f", {len(warnings)} warning(s)" if warnings else ""
    print(f"{name} check: OK{more}")
    return 0


def _check_care(kb: Knowledge) -> list[str]:
    """care.yaml: the cards a topic offers exist."""
    if kb.care is None:
        return []
    return [
        f"care.yaml: topic {topic.id!r} offers the service {service!r}, which is not in the knowledge"
        for topic in kb.care.topics
        for service in topic.see
        if service not in kb.services
    ]
