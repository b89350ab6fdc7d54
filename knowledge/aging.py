"""Facts that age: every public-source citation of the knowledge with its file and field, the ones older
than a year for the Center to re-check (`python -m knowledge check` warns, `--stale --json` lists them), and
the rule that an `as_of` is never a reading date.

«Today» is always passed in (the CLI gives the real date; tests a fixed one), so nothing here reads the clock.
A citation is public when its `certainty` is not `official` (a page, not a decision of the council). Its age
is counted from `as_of`, the date the source states. A page that states no date is «undated»: it is listed by
`--stale` (with `read_on`, the day it was read) whatever its age, because nothing says how current it was even
when read, and `check` warns about it only once its reading is older than a year too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from knowledge.loader import Knowledge
from knowledge.sources import Source

STALE_AFTER_DAYS = 365  # «older than 12 months»


@dataclass(frozen=True)
class Cited:
    """One public-source citation: where it is (file, field path) and its source."""

    file: str
    path: str
    source: Source


@dataclass(frozen=True)
class Stale:
    """A citation the Center should re-check: its as_of is older than a year, or it states no date."""

    file: str
    path: str
    as_of: dt.date | None
    read_on: dt.date | None
    url: str | None
    title: str
    age_days: int | None  # from as_of; None for an undated source

    @property
    def undated(self) -> bool:
        return self.as_of is None

    def json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "field": self.path,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "read_on": self.read_on.isoformat() if self.read_on else None,
            "url": self.url,
            "title": self.title,
            "age_days": self.age_days,
            "undated": self.undated,
        }

    def warning(self) -> str:
        where = f"{self.file}: {self.path}"
        url = f" ({self.url})" if self.url else ""
        if self.as_of is None:
            read = f"read on {self.read_on}, over a year ago"
            return f"warning: {where}: the source states no date; {read}{url}"
        return f"warning: {where}: as_of {self.as_of} is {self.age_days} days old, over 12 months{url}"


def _walk(obj: Any, path: str) -> Iterator[tuple[str, Source]]:
    if isinstance(obj, Source):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _walk(item, f"{path}.{key}")


def _files(kb: Knowledge) -> Iterator[tuple[str, str, Any]]:
    """(file, path prefix, object) for every object of the knowledge that can cite a source."""
    for i, office in enumerate(kb.contacts.offices):
        yield "contacts.yaml", f"offices[{i}]({office.id})", office
    for i, hotline in enumerate(kb.contacts.hotlines):
        yield "contacts.yaml", f"hotlines[{i}]({hotline.id})", hotline
    for i, outreach in enumerate(kb.contacts.services):
        yield "contacts.yaml", f"services[{i}]({outreach.id})", outreach
    for kind, objects in (("services", kb.services), ("situations", kb.situations)):
        for key, obj in objects.items():
            yield kb.files.get(f"{kind}:{key}", f"{kind}/{key}"), "", obj
    if kb.booking is not None:
        yield "booking.yaml", "", kb.booking
    if kb.care is not None:
        yield "care.yaml", "", kb.care


def citations(kb: Knowledge) -> list[Cited]:
    """Every public-source citation, with its file and field path (e.g. `documents[3].source`)."""
    return [
        Cited(file, prefix + ("." + path if prefix and path else path), source)
        for file, prefix, obj in _files(kb)
        for path, source in _walk(obj, "")
        if source.public
    ]


def stale(kb: Knowledge, today: dt.date) -> list[Stale]:
    """The citations older than 12 months on `today`, and the undated ones, oldest first (undated last)."""
    found: list[Stale] = []
    for cited in citations(kb):
        src = cited.source
        age = (today - src.as_of).days if src.as_of is not None else None
        if age is None or age > STALE_AFTER_DAYS:
            found.append(Stale(cited.file, cited.path, src.as_of, src.read_on, src.url, src.title, age))
    return sorted(found, key=lambda s: (s.as_of is None, s.as_of or dt.date.min, s.file, s.path))


def warnings(kb: Knowledge, today: dt.date) -> list[str]:
    """`check`'s warnings: a dated citation over 12 months old; an undated one read over 12 months ago."""
    out = []
    for item in stale(kb, today):
        if item.undated and (item.read_on is None or (today - item.read_on).days <= STALE_AFTER_DAYS):
            continue
        out.append(item.warning())
    return out


def reading_dates(kb: Knowledge, today: dt.date | None = None) -> list[str]:
    """Errors: an `as_of` that is a reading date. The schema refuses `as_of` equal to (or after) its own
    `read_on`; here, across the knowledge, an `as_of` equal to the `read_on` another citation of the same page
    gives (the page was dated with the day it was read), and an `as_of` after `today` (no source states a date
    that has not come)."""
    read: dict[str, set[dt.date]] = {}
    cited = citations(kb)
    for c in cited:
        if c.source.url and c.source.read_on:
            read.setdefault(c.source.url, set()).add(c.source.read_on)
    problems = []
    for c in cited:
        src = c.source
        if src.as_of is None:
            continue
        if src.url and src.as_of in read.get(src.url, set()):
            problems.append(
                f"{c.file}: {c.path}: as_of {src.as_of} is the day this page was read (read_on of another "
                "citation of it): as_of is only the date the source states; move it to read_on"
            )
        if today is not None and src.as_of > today:
            problems.append(f"{c.file}: {c.path}: as_of {src.as_of} is after today ({today})")
    return problems
