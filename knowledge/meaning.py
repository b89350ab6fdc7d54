"""What a typed question can mean, as types: the intents that are no service, the facets of a service a question
asks about, and what `knowledge.understand` made of one question; and the vocabulary file (data/intents.yaml)
that says which words mean which."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import yaml
from pydantic import Field

from knowledge.schema import Strict, Text
from knowledge.search import SearchHit


class Intent(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    CONTACTS = "contacts"  # where the Center is, its address, how to get there
    HOURS = "hours"
    PHONES = "phones"
    OPERATOR = "operator"  # wants a human
    BOOKING = "booking"  # wants an appointment
    REMINDER = "reminder"
    READY = "ready"  # asks whether / when a result is ready
    # --- people, not queries: the care room (dialogs/care), the booking room's home visit, /forget -----------
    COMPLAINT = "complaint"  # a complaint about staff or the service
    PRAISE = "praise"  # thanks about staff (a plain «дякую» is THANKS)
    DISTRESS = "distress"  # anger or despair
    HOME_VISIT = "home_visit"  # cannot come in: the mobile administrator's home visit
    FORGET = "forget"  # erase my data: the /forget confirmation
    ELSEWHERE = "elsewhere"  # a topic with no card here (care.yaml `topics`), answered honestly
    # My booking, changed by typing (issue 19; the booking room owns them)
    CANCEL_BOOKING = "cancel_booking"  # «відмінити запис», «отменить запись», «не зможу прийти»
    MOVE_BOOKING = "move_booking"  # «перенести запис», «хочу перенести на інший день»


class Facet(StrEnum):
    AMOUNT = "amount"  # how much a payment pays («скільки платять»), not what the service costs (PRICE)
    PRICE = "price"
    TERM = "term"
    DOCS = "docs"
    WHERE = "where"
    HOURS = "hours"
    RESULT = "result"
    ONLINE = "online"  # can it be done online (the Дія portal), without coming in
    ABOUT = "about"  # what the thing in focus is and whom it is for (a follow-up only: named, it is the card)


@dataclass(frozen=True)
class Understanding:
    intents: tuple[Intent, ...]  # non-service intents recognised, strongest first (may be empty)
    facet: Facet | None  # which facet of a service the question asks; None when there are no hits
    hits: list[SearchHit]  # ranked search hits (possibly empty), with the death/loss guard applied
    confident: SearchHit | None  # hits[0] when it is a confident single match, else None
    topic: str | None = None  # the care.yaml topic an ELSEWHERE intent names
    also: tuple[Facet, ...] = ()  # other facets asked in the same question («скільки коштує і де роблять»)


class _IntentData(Strict):
    weight: float = Field(gt=0, le=1)
    phrases: list[Text]
    # When it comes first the question is about it alone: the other words are not searched (an upset citizen's
    # «мама лежача» is not the care act; «субсидія на комуналку» is not «Я-Ветеран»).
    alone: bool = False


class _DeathData(Strict):
    phrases: list[Text]
    guarded: list[Text]


class _DefaultData(Strict):
    words: list[Text]
    answer: Text


class IntentVocabulary(Strict):
    """The contents of data/intents.yaml."""

    intents: dict[Intent, _IntentData]
    facets: dict[Facet, list[Text]]
    defaults: list[_DefaultData]
    death: _DeathData


def load_intents() -> IntentVocabulary:
    text = (resources.files("knowledge") / "data" / "intents.yaml").read_text(encoding="utf-8")
    return IntentVocabulary.model_validate(yaml.safe_load(text))
