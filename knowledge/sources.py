"""Where a fact comes from: `Source`, with how sure we are of it (`Certainty`) and its two dates.

`as_of` is the date the source itself states (a page's publication or update date, a report's date);
`read_on` is the day an editor read the page. They are never the same thing: an `as_of` equal to its `read_on`
is a reading date written in the wrong field, and the schema refuses it. A public page that states no date has
no `as_of` and must say when it was read (`read_on`); such a fact is «undated» (`python -m knowledge check
--stale` lists it for the Center). Split from knowledge/schema.py, which re-exports these names."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


STRICT = ConfigDict(extra="forbid", frozen=True)  # unknown keys are errors: a typo never passes silently


class Certainty(StrEnum):
    """How sure we are of a fact: an official act, a public page, or a less certain reading."""

    OFFICIAL = "official"
    PUBLIC = "public"
    UNCERTAIN = "uncertain"


class Source(BaseModel):
    """A decision with its appendix, or a public page with the date it states (`as_of`) and the day it was
    read (`read_on`)."""

    model_config = STRICT

    title: Text
    url: str | None = None
    as_of: dt.date | None = None  # the date the source itself states; never the day it was read
    read_on: dt.date | None = None  # the day an editor read the page
    certainty: Certainty = Certainty.OFFICIAL
    note: str | None = None

    @property
    def public(self) -> bool:
        """A public-source citation (a page, not an official act): its facts age."""
        return self.certainty != Certainty.OFFICIAL

    @model_validator(mode="after")
    def _dates(self) -> Source:
        if self.public and self.as_of is None and self.read_on is None:
            raise ValueError(
                "a non-official source needs the date it states (as_of) or, when it states none, the day it "
                "was read (read_on)"
            )
        if self.as_of is not None and self.read_on is not None:
            if self.as_of == self.read_on:
                raise ValueError(
                    f"as_of {self.as_of} is the day the page was read (equal to read_on): as_of is only the "
                    "date the source itself states; remove it when the source states none"
                )
            if self.as_of > self.read_on:
                raise ValueError(f"as_of {self.as_of} is after read_on {self.read_on}: a page cannot be read "
                                 "before the date it states")  # fmt: skip
        return self
