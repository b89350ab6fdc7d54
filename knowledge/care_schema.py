"""Pydantic schema of `care.yaml`: what the bot says to people rather than queries — where to complain about or
thank the Center's staff, and honest answers to what the Center does not do (train tickets) or what the knowledge
has no card for (an extract about a registered residence), validated on load like the rest of the knowledge."""

from __future__ import annotations

from pydantic import Field, model_validator

from knowledge.schema import Slug, Source, Strict, Text


class Channel(Strict):
    """One way to reach the Center or the state: a hotline, a written complaint, a review page."""

    id: Slug
    title: Text  # «Гаряча лінія Центру «Віза»»
    contact: Text  # the number or the addressee, as citizens use it
    note: str | None = None  # one short clause: what it is for, what to write
    source: Source


class Topic(Strict):
    """Something citizens ask that is not a service card of the bot: said honestly, with where to go instead.

    `phrases` are matched as intents.yaml's are (knowledge/understand.py), and mean this topic.
    `see` lists the service cards worth one tap (their ids); `source` backs the facts of `text`
    (a text that states no fact about the world — «квитки Центр не продає» — needs none)."""

    id: Slug
    phrases: list[Text] = Field(min_length=1)
    text: Text
    see: list[Slug] = Field(default_factory=list)
    source: Source | None = None


class CareData(Strict):
    """The whole `care.yaml`."""

    complaint: list[Channel] = Field(min_length=1)
    praise: list[Channel] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> CareData:
        ids = [t.id for t in self.topics]
        if len(ids) != len(set(ids)):
            raise ValueError("care.yaml: topic ids repeat")
        return self
