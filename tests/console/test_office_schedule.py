"""An office's booking schedule set in the console (issue 21): imported from booking.yaml, changed through
`PATCH /staff/api/offices/{id}` and in force at the citizen's very next message and in `python -m bot booking
slots`; a shortened day cancels exactly the bookings it leaves out and tells each citizen once; bad input is
a 422 naming the field; an operator may not, and no change passes without the CSRF token."""

from __future__ import annotations

import copy
import datetime as dt
import html
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Bot
from dialogs import offices as board
from dialogs.booking.base import PREFIX
from dialogs.booking.service import new_token
from dialogs.messages import Incoming
from dialogs.payloads import pack
from knowledge import Knowledge
from knowledge.booking_schema import BookableOffice
from storage.booking import Booking
from storage.clock import ManualClock
from storage.outbox import Outbox
from testkit.people import verify_citizen
from tests.conftest import make_settings
from tests.console.test_api import _service, chat, session, sign_in

SERVICE = "drs-birth-registration"  # the main office's civil-registry group (15-minute slots, 3 windows)
TUESDAY = dt.date(2026, 12, 8)
TIME = re.compile(re.escape(pack(PREFIX, "t", "HHMM")).replace("HHMM", r"(\d{4})"))


@pytest.fixture()
async def client(console: Bot) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(console.http, host="127.0.0.1")) as c:
        yield c


async def schedule(client: TestClient[Any, Any], office: str = "visa-main") -> dict[str, Any]:
    listed = await (await client.get("/staff/api/offices")).json()
    return dict(next(o for o in listed["offices"] if o["id"] == office)["schedule"])


def tuesday(current: dict[str, Any], start: str, end: str, day: str = "tue") -> dict[str, Any]:
    """`current`'s schedules with Tuesday (or `day`) open start–end without breaks, in every regime."""
    schedules = copy.deepcopy(current["schedules"])
    for regime in schedules:
        for hours in regime["hours"]:
            hours["days"] = [d for d in hours["days"] if d != day]
        regime["hours"] = [h for h in regime["hours"] if h["days"]]
        regime["hours"].append({"days": [day], "open": {"start": start, "end": end}, "breaks": []})
    return {"schedules": schedules}


async def offered(client: TestClient[Any, Any], citizen: str) -> list[str]:
    """The times the web chat offers `citizen` on TUESDAY, HHMM."""
    await chat(client, citizen, pack(PREFIX, "s", SERVICE))
    await chat(client, citizen, pack(PREFIX, "p", "no"))
    replies = await chat(client, citizen, pack(PREFIX, "d", f"{TUESDAY:%Y%m%d}"))
    return TIME.findall(json.dumps(replies))


async def cli_slots(tmp_path: Path, kb: Knowledge, clock: ManualClock) -> list[str]:
    from bot.staff import run as booking_run

    out, err = io.StringIO(), io.StringIO()
    argv = ["slots", "--office", "visa-main", "--service", SERVICE, "--date", TUESDAY.isoformat(), "--json"]
    assert await booking_run(argv, make_settings(tmp_path), kb=kb, clock=clock, out=out, err=err) == 0, err
    return [dt.datetime.fromisoformat(r["start"]).strftime("%H%M") for r in json.loads(out.getvalue())]


async def test_the_first_import_is_booking_yaml(client: TestClient[Any, Any], console: Bot, kb: Knowledge) -> None:
    assert kb.booking is not None
    assert await sign_in(client, "oksana") == 303  # any staff user may read the offices
    for cfg in kb.booking.offices:
        stored = await schedule(client, cfg.office)
        assert set(stored) == {"schedules", "groups", "priority_share"}
        assert BookableOffice.model_validate({**cfg.model_dump(mode="json"), **stored}) == cfg
    service = _service(console)
    async with console.uow_factory() as uow:
        await board.refresh(uow)
    assert service.data is not service.base and service.data == kb.booking  # the staff's copy, equal to the data


async def test_new_tuesday_hours_are_offered_at_the_next_message_and_by_the_cli(
    client: TestClient[Any, Any], console: Bot, kb: Knowledge, tmp_path: Path, clock: ManualClock
) -> None:
    async with console.uow_factory() as uow:
        user = await uow.users.get_or_create("web", "citizen")
        await uow.people.verify(user, "+380671110001", "sms")
    before = await offered(client, "citizen")
    assert before and before[0] < "1000"
    assert min(await cli_slots(tmp_path, kb, clock)) < "1000"

    assert await sign_in(client, "roman") == 303
    me = await session(client)
    body = {"schedule": tuesday(await schedule(client), "10:00", "11:00")}
    changed = await client.patch("/staff/api/offices/visa-main", json=body, headers={"X-CSRF-Token": me["csrf"]})
    assert changed.status == 200, await changed.text()

    assert await offered(client, "citizen") == ["1000", "1015", "1030", "1045"]
    assert await cli_slots(tmp_path, kb, clock) == ["1000", "1015", "1030", "1045"]
    async with console.uow_factory() as uow:
        (entry, *_) = await uow.audit.entries()
    assert (entry.actor, entry.action) == ("roman", "office.change")
    assert entry.before is not None and entry.after is not None
    assert entry.before["schedule"] != entry.after["schedule"] == (await schedule(client))


async def test_the_bot_tells_the_changed_hours(client: TestClient[Any, Any], console: Bot) -> None:
    async def hours() -> str:  # TEST_NOW is a Friday morning in Kyiv
        await verify_citizen(console.engine._uow, "web", "asker")
        replies = await console.engine.handle(Incoming("web", "asker", text="коли працює головний офіс"))
        return "\n".join(r.text for r in replies)

    assert "08:00" in await hours() and "10:00" not in await hours()
    assert await sign_in(client, "roman") == 303
    body = {"schedule": tuesday(await schedule(client), "10:00", "11:00", "fri")}
    changed = await client.patch("/staff/api/offices/visa-main", json=body,
                                 headers={"X-CSRF-Token": (await session(client))["csrf"]})  # fmt: skip
    assert changed.status == 200
    told = await hours()
    assert "10:00" in told and "11:00" in told and "08:00" not in told


async def _book_at(console: Bot, citizen: str, hhmm: str) -> Booking:
    service = _service(console)
    async with console.uow_factory() as uow:
        user = await uow.users.get_or_create("web", citizen)
        await uow.people.verify(user, "+38067222" + f"{abs(hash(citizen)) % 10000:04d}", "sms")
        now = uow.clock()
        times = await service.times(uow, "visa-main", SERVICE, TUESDAY, now=now, priority=False)
        start = next(s.start for s in times if f"{service.local(s.start):%H%M}" == hhmm)
        result = await service.book(uow, user, office="visa-main", service=SERVICE, start=start,
                                    priority_group=None, token=new_token(), now=now)  # fmt: skip
    assert isinstance(result, Booking), result
    return result


async def test_a_shortened_day_cancels_exactly_the_bookings_outside_it_and_tells_each_once(
    client: TestClient[Any, Any], console: Bot
) -> None:
    early, kept, twin, late = (await _book_at(console, "early", "0815"), await _book_at(console, "kept", "1030"),
                               await _book_at(console, "twin", "1030"), await _book_at(console, "late", "1430"))  # fmt: skip
    assert (kept.place, twin.place) == (0, 1)
    assert await sign_in(client, "roman") == 303
    headers = {"X-CSRF-Token": (await session(client))["csrf"]}
    current = await schedule(client)
    shortened = tuesday(current, "09:00", "12:00")
    changed = await client.patch("/staff/api/offices/visa-main", json={"schedule": shortened}, headers=headers)
    assert changed.status == 200, await changed.text()
    result = await changed.json()
    assert sorted(a["code"] for a in result["affected"]) == sorted([early.code, late.code])
    assert result["notified"] == 2
    # one window fewer in the group: the second place at 10:30 is gone, the first stays
    groups = copy.deepcopy(current["groups"])
    next(g for g in groups if SERVICE in g["services"])["windows"] = 1
    fewer = await client.patch("/staff/api/offices/visa-main", json={"schedule": {"groups": groups}},
                               headers=headers)  # fmt: skip
    assert [a["code"] for a in (await fewer.json())["affected"]] == [twin.code]
    async with console.uow_factory() as uow:
        status = {b.code: (await uow.bookings.by_code(b.code)).status for b in (early, kept, twin, late)}  # type: ignore[union-attr]
        notices = list(await uow.session.scalars(select(Outbox)))
    assert status == {early.code: "cancelled", kept.code: "booked", twin.code: "cancelled", late.code: "cancelled"}
    told = sorted(n.external_id for n in notices)
    assert told == ["early", "late", "twin"]
    for notice in notices:
        assert "змінив графік роботи" in notice.text and "прийому не буде" in notice.text
        assert "не працюватиме" not in notice.text and "Найближчий вільний час" in notice.text
        assert re.search(r"о (09|1[01]):\d\d", notice.text)  # the nearest times are inside the new hours
        assert pack(PREFIX, "s", SERVICE) in json.dumps(notice.buttons)


async def test_bad_schedules_are_422_naming_the_field(client: TestClient[Any, Any]) -> None:
    assert await sign_in(client, "anna") == 303
    headers = {"X-CSRF-Token": (await session(client))["csrf"]}
    current = await schedule(client)

    def edited(change: Any) -> dict[str, Any]:
        body = copy.deepcopy({"schedules": current["schedules"], "groups": current["groups"]})
        change(body)
        return body

    def first_hours(body: dict[str, Any]) -> dict[str, Any]:
        return dict(body["schedules"][0]["hours"][0])

    def close_before_open(b: dict[str, Any]) -> None:
        b["schedules"][0]["hours"][0]["open"] = {"start": "17:00", "end": "09:00"}

    def overlapping_breaks(b: dict[str, Any]) -> None:
        b["schedules"][0]["hours"][0]["open"] = {"start": "08:00", "end": "17:00"}
        b["schedules"][0]["hours"][0]["breaks"] = [{"start": "12:00", "end": "13:00"},
                                                   {"start": "12:30", "end": "13:30"}]  # fmt: skip

    def zero_windows(b: dict[str, Any]) -> None:
        b["groups"][0]["windows"] = 0

    def unknown_service(b: dict[str, Any]) -> None:
        b["groups"][0]["services"] = [*b["groups"][0]["services"], "no-such-service"]

    cases = [
        (edited(close_before_open), "schedule.schedules.0.hours.0.open"),
        (edited(overlapping_breaks), "schedule.schedules.0.hours.0.breaks.1"),
        (edited(zero_windows), "schedule.groups.0.windows"),
        (edited(unknown_service), "schedule.groups.0.services"),
        ({"priority_share": 1.5}, "schedule.priority_share"),
        ({"priority_share": -0.1}, "schedule.priority_share"),
        ({"slots": 3}, "schedule.slots"),
        ("пн–пт", "schedule"),
    ]
    assert first_hours(current)  # the data has hours to break
    for body, field in cases:
        bad = await client.patch("/staff/api/offices/visa-main", json={"schedule": body}, headers=headers)
        assert bad.status == 422, (field, await bad.text())
        assert (await bad.json())["field"] == field
    assert await schedule(client) == current  # nothing of it was stored


async def test_an_operator_may_not_and_no_change_passes_without_the_token(client: TestClient[Any, Any]) -> None:
    assert await sign_in(client, "oksana") == 303
    current = await schedule(client)
    body = {"schedule": tuesday(current, "10:00", "11:00")}
    me = await session(client)
    refused = await client.patch("/staff/api/offices/visa-main", json=body, headers={"X-CSRF-Token": me["csrf"]})
    assert refused.status == 403
    client.session.cookie_jar.clear()
    assert await sign_in(client, "anna") == 303
    assert (await client.patch("/staff/api/offices/visa-main", json=body)).status == 403
    assert await schedule(client) == current


def form_fields(page: str, office: str) -> dict[str, str]:
    """What the browser would post of `office`'s schedule form as rendered (checked boxes only)."""
    start = page.index(f'action="/staff/offices/{office}/schedule"')
    form = page[start : page.index("</form>", start)]
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        assert name is not None and value is not None, tag
        if 'type="checkbox"' not in tag or " checked" in tag:
            fields[name[1]] = html.unescape(value[1])
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        fields[name] = html.unescape(text)
    return fields


async def test_the_page_form_round_trips_and_changes_a_weekday(client: TestClient[Any, Any]) -> None:
    assert await sign_in(client, "roman") == 303
    current = await schedule(client)
    page = await (await client.get("/staff/offices")).text()
    assert "Офіс переїхав: залиште стан «працює»" in page and "Розклад запису" in page
    fields = form_fields(page, "visa-main")
    assert fields["martial_law-tue-open"] and 'aria-labelledby="visa-main-martial_law-tue' in page
    same = await client.post("/staff/offices/visa-main/schedule", data=fields)
    assert same.status == 200 and "Скасовано записів" not in await same.text()
    assert await schedule(client) == current  # the form says what is stored

    del fields["csrf"]
    assert (await client.post("/staff/offices/visa-main/schedule", data=fields)).status == 403
    fields = form_fields(page, "visa-main")
    bad = {**fields, "martial_law-tue-open": "17:00", "martial_law-tue-close": "09:00"}
    refused = await client.post("/staff/offices/visa-main/schedule", data=bad)
    assert refused.status == 422 and "Розклад не збережено" in await refused.text()
    changed = {**fields, "martial_law-tue-open": "10:00", "martial_law-tue-close": "11:00",
               "martial_law-tue-breaks": ""}  # fmt: skip
    assert (await client.post("/staff/offices/visa-main/schedule", data=changed)).status == 200
    martial = next(s for s in (await schedule(client))["schedules"] if s["regime"] == "martial_law")
    tue = next(h for h in martial["hours"] if "tue" in h["days"])
    assert tue == {"days": ["tue"], "open": {"start": "10:00:00", "end": "11:00:00"}, "breaks": []}
