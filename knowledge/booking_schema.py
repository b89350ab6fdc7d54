"""Pydantic schema of `booking.yaml`: where and when citizens can book a visit or a hotline callback (offices'
window groups, slot lengths, the priority share, the hotline), validated on load like the rest of the knowledge.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from knowledge.schema import ButtonText, Schedule, Slug, Source, Strict, Text

# ---------------------------------------------------------------------------------------------------- Booking
# `booking.yaml`: where and when citizens can book a visit or a hotline callback. The seeds give hours only for
# the Саксаганський remote workplace; windows, slot lengths and the other offices' hours are assumptions kept
# here for the Center to set, each listed in `assumed`.

# What an office's or the hotline's booking data assumes (the seeds do not give it), for the Center to confirm.
Assumption = Literal["hours", "windows", "slot_minutes", "services", "priority_share", "operators"]


class PriorityGroup(Strict):
    """A group of citizens served with priority (places held for them, the «Я-Ветеран» office)."""

    id: Slug
    label: ButtonText
    document: Text  # what to bring as proof


class WindowGroup(Strict):
    """Windows (workstations) of an office serving a group of services; one place = one window for one slot."""

    id: Slug
    windows: int = Field(ge=1)
    services: list[Slug] = Field(min_length=1)
    slot_minutes: int = Field(default=15, ge=5, le=120)
    # Optional per-service length. The windows of a group share one grid of slots, so `python -m knowledge
    # check` requires every service of a group to end up with the same length: a longer service needs a group
    # (windows) of its own. Use `minutes` for the group's length.
    slot_minutes_by_service: dict[Slug, Annotated[int, Field(ge=5, le=120)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _per_service_lengths_name_own_services(self) -> WindowGroup:
        stray = sorted(set(self.slot_minutes_by_service) - set(self.services))
        if stray:
            raise ValueError(f"slot_minutes_by_service names services outside the group: {', '.join(stray)}")
        return self

    @property
    def minutes(self) -> int:
        """The length of this group's slots (the common length of its services; see the check)."""
        lengths = {self.slot_minutes_by_service.get(s, self.slot_minutes) for s in self.services}
        return lengths.pop() if len(lengths) == 1 else self.slot_minutes


class BookableOffice(Strict):
    office: Slug  # an id in contacts.yaml offices
    groups: list[WindowGroup] = Field(min_length=1)
    priority_share: float = Field(
        default=0.2, ge=0.0, le=1.0
    )  # of each office-day's places, held for priority
    priority_only: bool = False  # «Я-Ветеран»: priority citizens only
    # The status the staff console imports at the first start (dialogs/booking/offices.py); staff change it there
    # afterwards, never here. A closed office says why in `closed_note` (what citizens are told).
    # «unconfirmed»: the Center must confirm whether, where and when the office receives (the data's evidence
    # is old); the bot says so with the hotline and offers no booking there, as at a closed office
    # (dialogs/offices.py).
    status: Literal["open", "closed", "unconfirmed"] = "open"
    closed_note: Text | None = None  # closed: why (required); unconfirmed: what else citizens should know
    # Used when the contacts office has none (then "hours" is in `assumed`). The loader fills this list from
    # contacts.yaml when the contacts office has schedules, so `Knowledge.booking` always carries the hours.
    schedules: list[Schedule] = Field(default_factory=list)
    assumed: list[Assumption]
    source: Source


    @model_validator(mode="after")
    def _closed_says_why(self) -> BookableOffice:
        if self.status == "closed" and not self.closed_note:
            raise ValueError(f"office {self.office} is closed: say why in closed_note")
        return self


class HotlineBooking(Strict):
    """The hotline as a resource of its own: callbacks at fixed times, operators on duty as capacity."""

    hotline: Slug  # an id in contacts.yaml hotlines
    operators: int = Field(ge=1)
    slot_minutes: int = Field(default=10, ge=5, le=120)
    schedules: list[Schedule] = Field(min_length=1)
    assumed: list[Assumption]
    source: Source


class NotBookable(Strict):
    """A service deliberately left out of booking, with the reason (e.g. done online only, or not by the Center)."""

    service: Slug
    reason: Text  # for editors and staff


class AfterAlert(Strict):
    """What an appointment that fell inside an air-raid alert becomes after the all-clear (the Center decides)."""

    keep_place: bool = True  # the citizen keeps the appointment until the office closes that day
    kept: Text = "прийдіть сьогодні до закриття без черги"  # how the kept place is said (after «Ваше місце за вами:»)


class BookingData(Strict):
    """The whole `booking.yaml` file."""

    timezone: str = "Europe/Kyiv"
    lead_minutes: int = Field(default=60, ge=0)
    horizon_days: int = Field(default=14, ge=1, le=60)
    monthly_limit: int = Field(default=4, ge=1)
    release_hours: int = Field(default=24, ge=0)
    priority_groups: list[PriorityGroup] = Field(min_length=1)
    offices: list[BookableOffice] = Field(min_length=1)
    hotline: HotlineBooking
    not_bookable: list[NotBookable] = Field(default_factory=list)
    after_alert: AfterAlert = Field(default_factory=AfterAlert)
    visit_source: Source  # the mobile administrator (report 2023, decision № 390 of 13.09.2017)
    priority_source: Source  # who is served with priority
    limits_source: Source  # the monthly limit (cancelled bookings counted), lead time, horizon

    @model_validator(mode="after")
    def _known_timezone(self) -> BookingData:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        return self

    def office(self, office_id: str) -> BookableOffice | None:
        return next((o for o in self.offices if o.office == office_id), None)
