"""Pydantic schema of the knowledge base: services, offices, questions, life situations.

Every fact carries a `Source`. Data lives in YAML files under `knowledge/data/` and is
validated by this schema on load and by `python -m knowledge check` for cross-references.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from knowledge.sources import STRICT

# Re-exported: they lived here first (knowledge/sources.py now).
from knowledge.sources import Certainty as Certainty
from knowledge.sources import Source as Source
from knowledge.sources import Text as Text

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]
CardNo = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{2,3}$")]


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo in a data file never passes silently."""

    model_config = STRICT


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class TimeRange(Strict):
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"time range ends before it starts: {self.start}-{self.end}")
        return self


class DayHours(Strict):
    """Opening hours shared by a group of weekdays, with breaks."""

    days: list[Weekday] = Field(min_length=1)
    open: TimeRange
    breaks: list[TimeRange] = []


class Regime(StrEnum):
    NORMAL = "normal"
    MARTIAL_LAW = "martial_law"


class Schedule(Strict):
    regime: Regime
    hours: list[DayHours] = Field(min_length=1)
    text: Text  # the wording of the card, for citizens


class Office(Strict):
    """A place where citizens are served (a remote workplace of the Center, a mobile office)."""

    id: Slug
    name: Text
    short_name: ButtonText | None = None  # for buttons and headings; defaults to a cut `name`
    main: bool = False  # the main office of the Center: shown first in contacts
    district: str | None = None
    address: str | None = None
    address_aliases: list[str] = []  # how other sources (cards) write the same address; cite them
    map_query: str | None = None  # what a map search needs to find the address (city included)
    how_to_reach: str | None = None  # public transport, landmarks
    accessibility: str | None = None  # step-free entrance, lift, help on site
    schedules: list[Schedule] = []
    phones: list[str] = []
    email: str | None = None
    notes: list[str] = []
    source: Source


class Hotline(Strict):
    id: Slug
    name: Text
    phone: Text
    free: bool = True
    description: Text
    schedule: str | None = None
    source: Source


class ServiceGroup(Strict):
    """A group of services in the menu, so that every list fits on a phone screen."""

    id: Slug
    title: ButtonText
    services: list[Slug] = Field(min_length=1)


class Contacts(Strict):
    """The whole `contacts.yaml` file."""

    center: Text
    offices: list[Office]
    hotlines: list[Hotline]
    services: list[ContactService] = []  # e.g. the mobile administrator
    groups: list[ServiceGroup] = []  # the services menu; every service in exactly one group


class ContactService(Strict):
    id: Slug
    name: Text
    description: Text
    who: str | None = None
    source: Source


ButtonText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class Option(Strict):
    value: Slug
    label: ButtonText  # fits a button on a small phone
    # What citizens type that states this option in free text («не заміжня», «батька не буде», «маю убд»):
    # it answers the question wherever it is typed in the dialog, so the question is not asked again
    # (knowledge/facts.py; `python -m knowledge check` proves each phrase reads back as this option).
    said: list[Text] = []
    # Other words for the label, which name this option only when typed at its own question («мама» for «Батько /
    # мати»): unlike `said` they state nothing elsewhere in the dialog («тато дитини помер» is no answer about
    # who applies). Read like the label's own words (dialogs/answers.py).
    names: list[Text] = []


class Question(Strict):
    """A question whose answer changes a checklist; `when` conditions refer to it by id."""

    id: Slug
    text: Text
    options: list[Option] = Field(min_length=2)
    allow_unknown: bool = True  # offer «не знаю» and show both variants
    help: str | None = None
    # Word stems of what this question is about («шлюб», «інвалідн»). `python -m dialogs check` fails when a
    # document shown on a path mentions one of them in its `condition` but its `when` ignores this question
    # although it was asked: such a document could contradict the citizen's answer.
    topics: list[str] = []


# A condition: question id -> accepted answer values; all entries must hold (AND).
When = dict[str, list[str]]


class Form(StrEnum):
    """How a document is handed in."""

    ORIGINAL = "original"  # shown, returned
    COPY = "copy"  # a copy is left
    ORIGINAL_AND_COPY = "original_and_copy"
    FORM = "form"  # an application form filled in on the spot
    INFO = "info"  # data/details only (e.g. a number), no paper needed
    UNSPECIFIED = "unspecified"  # the source does not say


class DocumentRequirement(Strict):
    """One document of a card's exhaustive list (field 9), with its condition."""

    id: Slug
    title: Text  # one short line a citizen understands: what to bring
    details: str | None = None  # the card's exact wording («📜 Точне формулювання»)
    condition: str | None = None  # the condition in plain words, e.g. «для дітей до 14 років»
    when: When | None = None  # the same condition, machine-readable
    form: Form = Form.UNSPECIFIED
    optional: bool = False  # "at the applicant's wish", "if available"
    # A short remark shown with the document whatever the answers, for the part of a condition that no question
    # decides (e.g. «не потрібне, якщо рішення є на сайті ради»).
    note: str | None = None
    editor_note: str | None = None  # for editors only (how a condition was derived); never shown to citizens


class TermUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"
    ON_APPLICATION = "on_application"  # the same day / at the moment of applying


class Term(Strict):
    """Field 12: the term with its unit; working vs calendar days matters for deadlines."""

    value: int | None = Field(default=None, ge=0)
    unit: TermUnit
    text: Text  # faithful wording
    notes: list[str] = []

    @model_validator(mode="after")
    def _value_for_counted_units(self) -> Term:
        if self.unit != TermUnit.ON_APPLICATION and self.value is None:
            raise ValueError(f"term in {self.unit} needs a value")
        return self


class Fee(Strict):
    free: bool
    amount_uah: Decimal | None = None
    text: Text


class AmountKind(StrEnum):
    """What a payment service gives: money paid out, a cost reimbursed, or a discount on bills."""

    PAYMENT = "payment"  # «Сума виплати»
    COMPENSATION = "compensation"  # «Сума компенсації»: a cost the citizen paid is reimbursed
    DISCOUNT = "discount"  # «Розмір пільги»: a share of bills the citizen does not pay


MAX_AMOUNT_TEXT = 320  # the amount's lines fit one phone screen with the fee, who pays and the source
AmountText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_AMOUNT_TEXT)
]
WhoText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Amount(Strict):
    """How much a payment service pays (not what it costs: that is the `fee`), who pays it and who decides it.

    The amount changes with the law and the budget, so it always carries its own source: a public page with
    its url and the date that page states (`as_of`), never the day it was read. When no source gives the
    amount, leave `text` out: citizens are then told who decides it and given the hotline, never a guess."""

    kind: AmountKind = AmountKind.PAYMENT
    text: AmountText | None = None  # the amount or how it is calculated, in a citizen's words
    paid_by: WhoText  # who pays it out («Пенсійний фонд України»)
    decided_by: WhoText  # who grants it and sets the amount (where the Center does not, say so)
    source: Source

    @model_validator(mode="after")
    def _sourced(self) -> Amount:
        if not self.source.url or self.source.as_of is None:
            raise ValueError("an amount needs a source with its url and the date the source states (as_of)")
        return self


class LegalLevel(StrEnum):
    LAW = "law"  # codes and laws (field 4)
    CABINET = "cabinet"  # acts of the Cabinet of Ministers (5)
    CENTRAL = "central"  # acts of central executive bodies (6)
    LOCAL = "local"  # local acts (7)


class LegalAct(Strict):
    level: LegalLevel
    title: Text


class Stage(Strict):
    """One stage of a technological card."""

    no: int = Field(ge=1)
    action: Text
    responsible: Text
    body: str | None = None  # the unit or body the responsible officer belongs to
    deadline: Text


class TechCard(Strict):
    card: CardNo
    stages: list[Stage] = Field(min_length=1)
    total_term: str | None = None
    source: Source


class RecurringDuty(Strict):
    """Something the citizen must do again and again, e.g. documents every month by the 5th."""

    text: Text
    every: Annotated[str, StringConstraints(pattern=r"^(month|quarter|year)$")]
    day: int | None = Field(default=None, ge=1, le=31)


class Service(Strict):
    """A service. With `card` it is an information card from the seeds, every field faithful;
    without it, a service known from a public source (fewer fields, `source.certainty` says how sure)."""

    id: Slug
    card: CardNo | None = None
    title: Text  # the official name
    short_title: ButtonText  # what a citizen would call it, fits a button
    summary: Text  # one or two plain sentences for citizens
    provider: Text  # the body that provides the service
    offices: list[Slug] = []  # Office ids (field 1)
    mobile: str | None = None  # mobile offices / case administrators note (field 1)
    legal_acts: list[LegalAct] = []  # fields 4-7
    grounds: list[str] = []  # field 8
    documents: list[DocumentRequirement] = []  # field 9
    documents_notes: list[str] = []  # anything in field 9 that is not a document
    submission: list[str] = []  # field 10
    online: bool = False  # can be applied for online (e.g. via Дія)
    fee: Fee | None = None  # field 11
    amount: Amount | None = None  # a payment service: how much it pays, who pays and decides (not the fee)
    term: Term | None = None  # field 12
    suspension_grounds: list[str] = []  # field 13 (and 13.1)
    refusal_grounds: list[str] = []  # field 14
    result: list[str] = []  # field 15
    receive: list[str] = []  # field 16
    note: list[str] = []  # field 17
    recurring: list[RecurringDuty] = []
    keywords: list[str] = []  # what citizens type: synonyms, Russian, surzhyk, abbreviations
    questions: list[Slug] = []  # the card's own dialog asks these, in this order (only those that matter)
    tech_card: TechCard | None = None
    source: Source

    @model_validator(mode="after")
    def _seed_cards_are_complete(self) -> Service:
        if self.card is None:
            return self
        missing = [
            name
            for name in ("offices", "legal_acts", "grounds", "documents", "submission", "result", "receive")
            if not getattr(self, name)
        ]
        missing += [name for name in ("fee", "term") if getattr(self, name) is None]
        if missing:
            raise ValueError(f"information card {self.card} lacks fields: {', '.join(missing)}")
        return self


class SituationService(Strict):
    """A service inside a life situation; `when` limits it to some answers."""

    service: Slug
    when: When | None = None
    note: str | None = None


class SituationDocument(Strict):
    """A document of a life situation's checklist (beyond those of its cards)."""

    id: Slug
    title: Text  # one short line a citizen understands: what to bring
    details: str | None = None  # the source's exact wording («📜 Точне формулювання»)
    condition: str | None = None  # the condition in plain words
    when: When | None = None
    form: Form = Form.UNSPECIFIED
    optional: bool = False
    note: str | None = None  # a short remark shown whatever the answers (see DocumentRequirement.note)
    editor_note: str | None = None  # for editors only; never shown to citizens
    services: list[Slug] = []  # which services of the package need it
    source: Source


class LifeSituation(Strict):
    """A package of services for a life event («Народження дитини», «Я-Ветеран»)."""

    id: Slug
    title: Text
    summary: Text
    keywords: list[str] = []
    questions: list[Slug] = []  # asked in this order; only those that change the answer
    services: list[SituationService] = Field(min_length=1)
    documents: list[SituationDocument] = []
    where: list[str] = []
    term: str | None = None
    fee: str | None = None
    result: list[str] = []
    notes: list[str] = []
    sources: list[Source] = Field(min_length=1)
    deadlines: list[Deadline] = []  # legal deadlines counted from the event (reminders offer them)


Contacts.model_rebuild()


# --------------------------------------------------------------------------------------------------- Deadlines
# A legal deadline of a life event («зареєструвати народження не пізніше одного місяця»). The reminder rules
# (dialogs/reminders/rules.py) count its last day from the date of the event the citizen gives.

DeadlineUnit = Literal["days", "months", "working_days"]


class Deadline(Strict):
    """A deadline of a life situation: `value` `unit` after the event, with its source."""

    id: Slug
    title: Text  # citizen-facing, what to do: «Зареєструвати народження»
    value: int = Field(ge=1)
    unit: DeadlineUnit  # "days" are calendar days
    after: Text  # from what the law counts, citizen-facing: «від дня народження дитини»
    remind_before: list[Annotated[int, Field(ge=0)]] = [7, 1]  # days before the last day (0 = on that day)
    service: Slug | None = None  # the service that meets the deadline
    source: Source


LifeSituation.model_rebuild()
