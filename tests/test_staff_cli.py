"""`python -m bot booking …`: the staff commands' JSON against a database prepared through the booking service,
closing a day (cancel + a notice per citizen), marks, exit statuses, and no messenger SDK loaded."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import staff
from bot.settings import Settings
from dialogs.booking.service import BookingService, new_token
from knowledge import Knowledge
from storage.booking import Booking
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.outbox import Outbox
from storage.uow import UnitOfWorkFactory
from testkit.people import phone_for
from tests.conftest import make_settings

KYIV = ZoneInfo("Europe/Kyiv")
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=KYIV).astimezone(dt.UTC)  # a Thursday
DAY = dt.date(2026, 12, 7)  # the Monday after: a working day, inside the horizon
OTHER_DAY = dt.date(2026, 12, 8)
OFFICE = "visa-main"
SERVICE = "drs-passport-id-lost"  # the passport windows of the main office
SAKSAHAN, CARD, CARD_SERVICE = "saksahan-uszn", "41-11", "idp-living-allowance"
LIST_KEYS = {"code", "start", "office", "service", "kind", "status", "priority", "channel"}
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Db:
    settings: Settings
    engine: AsyncEngine
    uows: UnitOfWorkFactory
    service: BookingService


@pytest.fixture()
async def db(tmp_path: Path, kb: Knowledge) -> AsyncIterator[Db]:
    settings = make_settings(tmp_path)
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    uows = UnitOfWorkFactory(make_sessionmaker(engine), clock=ManualClock(NOW))
    yield Db(settings, engine, uows, BookingService(kb, martial_law=True))
    await engine.dispose()


async def book(
    db: Db,
    channel: str,
    external_id: str,
    *,
    office: str = OFFICE,
    service: str = SERVICE,
    day: dt.date = DAY,
    index: int = 0,
    priority_group: str | None = None,
    phone: str | None = None,
) -> Booking:
    """A citizen books the `index`-th bookable time of `day` through the service, as the chat would."""
    async with db.uows() as uow:
        user = await uow.users.get_or_create(channel, external_id)
        await uow.people.verify(user, phone_for(channel, external_id), "telegram")  # issue 20: a person books
        times = await db.service.times(
            uow, office, service, day, now=NOW, priority=priority_group is not None
        )
        result = await db.service.book(
            uow, user, office=office, service=service, start=times[index].start,
            priority_group=priority_group, token=new_token(), now=NOW, phone=phone,
        )  # fmt: skip
        assert isinstance(result, Booking), result
        return result


async def cli(db: Db, kb: Knowledge, *argv: str, now: dt.datetime = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await staff.run(list(argv), db.settings, kb=kb, clock=ManualClock(now), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def cli_json(db: Db, kb: Knowledge, *argv: str) -> Any:
    code, out, err = await cli(db, kb, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


async def test_offices_lists_every_bookable_office_with_windows_and_services(db: Db, kb: Knowledge) -> None:
    offices = await cli_json(db, kb, "offices")
    by_id = {o["id"]: o for o in offices}
    assert set(by_id) == {o.office for o in kb.booking.offices} | {"hotline"}  # type: ignore[union-attr]
    main = by_id[OFFICE]
    assert main["address"] and main["name"].startswith("Головний офіс")
    passport = next(g for g in main["groups"] if any(s["id"] == SERVICE for s in g["services"]))
    assert passport["windows"] >= 1 and passport["slot_minutes"] >= 5
    assert all(s["id"] in kb.services for o in offices for g in o["groups"] for s in g["services"])
    assert by_id["ya-veteran"]["priority_only"] is True
    assert by_id["hotline"]["kind"] == "hotline" and by_id["hotline"]["phone"] == "0 800 500 459"


async def test_slots_show_free_and_priority_places_in_kyiv_time(db: Db, kb: Knowledge) -> None:
    before = await cli_json(
        db, kb, "slots", "--office", OFFICE, "--service", SERVICE, "--date", DAY.isoformat()
    )
    assert before and all(set(s) == {"start", "capacity", "free", "priority_free"} for s in before)
    first = dt.datetime.fromisoformat(before[0]["start"])
    assert first.utcoffset() == dt.timedelta(hours=2) and first.date() == DAY  # Kyiv winter time, local date
    assert before[0]["start"] == first.isoformat() and "+02:00" in before[0]["start"]
    assert all(s["free"] + s["priority_free"] <= s["capacity"] for s in before)
    assert any(s["priority_free"] > 0 for s in before)  # the held share, not released 4 days ahead

    taken = await book(db, "telegram", "501")
    after = await cli_json(
        db, kb, "slots", "--office", OFFICE, "--service", SERVICE, "--date", DAY.isoformat()
    )
    at = db.service.local(taken.start).isoformat()  # type: ignore[arg-type]
    old, new = (next(s for s in rows if s["start"] == at) for rows in (before, after))
    assert new["free"] == old["free"] - 1 and new["priority_free"] == old["priority_free"]


async def test_slots_take_a_card_number_for_the_service(db: Db, kb: Knowledge) -> None:
    by_card = await cli_json(
        db, kb, "slots", "--office", SAKSAHAN, "--service", CARD, "--date", DAY.isoformat()
    )
    by_id = await cli_json(
        db, kb, "slots", "--office", SAKSAHAN, "--service", CARD_SERVICE, "--date", DAY.isoformat()
    )
    assert by_card == by_id and by_card


async def test_list_gives_the_documented_fields_and_phones_only_in_the_plain_view(
    db: Db, kb: Knowledge
) -> None:
    office = await book(db, "telegram", "601", priority_group="combatant")
    callback = await book(db, "web", "s-602", office="hotline", phone="0671234567")
    later = await book(db, "viber", "v603", day=OTHER_DAY)
    rows = await cli_json(db, kb, "list")
    assert {r["code"] for r in rows} == {office.code, callback.code, later.code}
    starts = [dt.datetime.fromisoformat(r["start"]) for r in rows]
    assert starts == sorted(starts) and rows[-1]["code"] == later.code
    assert all(set(r) == LIST_KEYS for r in rows)
    mine = next(r for r in rows if r["code"] == office.code)
    assert mine["kind"] == "office" and mine["status"] == "booked" and mine["priority"] is True
    assert mine["channel"] == "telegram" and mine["office"] == OFFICE and mine["service"] == SERVICE
    assert dt.datetime.fromisoformat(mine["start"]) == office.start
    call = next(r for r in rows if r["code"] == callback.code)
    assert call["kind"] == "callback" and call["office"] == "hotline" and call["priority"] is False

    code, raw, _ = await cli(db, kb, "list", "--json")
    assert code == 0 and "0671234567" not in raw
    code, text, _ = await cli(db, kb, "list")
    assert code == 0 and "0671234567" in text and office.code in text

    one_day = await cli_json(db, kb, "list", "--date", OTHER_DAY.isoformat())
    assert [r["code"] for r in one_day] == [later.code]
    at_hotline = await cli_json(db, kb, "list", "--office", "hotline")
    assert [r["code"] for r in at_hotline] == [callback.code]
    assert await cli_json(db, kb, "list", "--date", "2026-12-09") == []


async def test_close_day_cancels_and_queues_a_notice_per_citizen(db: Db, kb: Knowledge) -> None:
    first = await book(db, "telegram", "701")
    second = await book(db, "web", "s-702", index=1)
    elsewhere = await book(db, "viber", "v703", day=OTHER_DAY)
    code, out, err = await cli(
        db, kb, "close-day", "--office", OFFICE, "--date", DAY.isoformat(), "--reason", "технічні роботи"
    )
    assert code == 0, err
    assert first.code in out and second.code in out and "2 citizen(s)" in out

    statuses = {r["code"]: r["status"] for r in await cli_json(db, kb, "list")}
    assert statuses == {first.code: "cancelled", second.code: "cancelled", elsewhere.code: "booked"}
    assert (
        await cli_json(db, kb, "slots", "--office", OFFICE, "--service", SERVICE, "--date", DAY.isoformat())
        == []
    )

    async with db.uows() as uow:
        notices = list((await uow.session.execute(select(Outbox).order_by(Outbox.id))).scalars())
    assert [(n.channel, n.external_id) for n in notices] == [("telegram", "701"), ("web", "s-702")]
    for notice, booking in zip(notices, (first, second), strict=True):
        assert notice.sent_at is None and notice.attempts == 0
        assert (
            booking.code in notice.text and "технічні роботи" in notice.text and "07.12.2026" in notice.text
        )
        assert "Найближчий вільний час:" in notice.text
        assert notice.buttons is not None and notice.buttons[-1] == [
            {"text": "📅 Інший день чи час", "payload": f"q:s:{SERVICE}"}
        ]
        assert all(row[0]["payload"].startswith(f"q:at:{booking.code}:") for row in notice.buttons[:-1])
        assert len(notice.buttons) > 1
        offered = [line for line in notice.text.splitlines() if line.startswith("• ")]
        assert offered and all("07.12" not in line for line in offered)  # never the closed day

    again, _, err = await cli(
        db, kb, "close-day", "--office", OFFICE, "--date", DAY.isoformat(), "--reason", "x"
    )
    assert again == 2 and "already closed" in err


async def test_mark_arrived_and_no_show_and_an_unknown_code(db: Db, kb: Knowledge) -> None:
    booking = await book(db, "telegram", "801")
    code, _, err = await cli(
        db, kb, "mark", booking.code, "no-show"
    )  # days before: the citizen may still come
    assert code == 2 and "mark it then" in err
    later = dt.datetime.combine(DAY, dt.time(17), KYIV).astimezone(dt.UTC)
    code, out, _ = await cli(db, kb, "mark", booking.code.lower(), "arrived", now=later)
    assert code == 0 and out.strip() == f"{booking.code}: arrived"
    code, out, _ = await cli(db, kb, "mark", booking.code, "no-show", "--json", now=later)
    assert code == 0 and json.loads(out) == {"code": booking.code, "status": "no-show"}
    rows = await cli_json(db, kb, "list")
    assert [r["status"] for r in rows] == ["no-show"]
    code, out, err = await cli(db, kb, "mark", "ZZZ-ZZZ", "arrived")
    assert code == 1 and out == "" and err.strip() == "no booking with code ZZZ-ZZZ"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["slots", "--office", "nowhere", "--service", SERVICE, "--date", "2026-12-07"], "unknown office"),
        (["slots", "--office", OFFICE, "--service", "00-00", "--date", "2026-12-07"], "unknown service"),
        (["slots", "--office", OFFICE, "--service", SERVICE, "--date", "07.12.2026"], "use YYYY-MM-DD"),
        (["slots", "--office", SAKSAHAN, "--service", SERVICE, "--date", "2026-12-07"], "is not booked at"),
        (["mark", "ABC-DEF", "late"], "invalid choice"),
        (["close-day", "--office", OFFICE, "--date", "2026-12-01", "--reason", "x"], "in the past"),
        (["close-day", "--office", OFFICE, "--date", "2026-12-07", "--reason", "  "], "--reason is empty"),
        (["list", "--when", "today"], "unrecognized arguments"),
        ([], "required"),
    ],
)
async def test_bad_arguments_are_one_line_and_status_2(
    db: Db, kb: Knowledge, argv: list[str], says: str
) -> None:
    code, out, err = await cli(db, kb, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err, err


def _run(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "booking", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done, time.perf_counter() - started


def test_the_command_loads_no_messenger_sdk_and_no_handler(tmp_path: Path) -> None:
    done, seconds = _run(tmp_path, "list", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
    imported = {
        line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    assert "bot.staff" in imported  # the trace is real
    loaded = {m for m in imported if m.split(".")[0] in ("aiogram", "viberbot", "handlers", "bot")}
    outside_staff = {m for m in loaded if not m.startswith("bot.staff.")}  # the staff package's own modules
    assert outside_staff <= {"bot", "bot.__main__", "bot.logs", "bot.settings", "bot.staff"}, loaded
    assert not {m for m in imported if m.startswith(("aiogram", "viberbot", "handlers", "apscheduler"))}
    print(f"python -m bot booking list --json: {seconds:.2f} s (with -X importtime)")


def test_exit_statuses_of_the_real_command(tmp_path: Path) -> None:
    done, _ = _run(tmp_path, "mark", "ZZZ-ZZZ", "arrived")
    assert (
        done.returncode == 1
        and "no booking with code ZZZ-ZZZ" in done.stderr
        and "Traceback" not in done.stderr
    )
    done, _ = _run(tmp_path, "slots", "--office", OFFICE)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert len(errors) == 1 and "required" in errors[0], errors
