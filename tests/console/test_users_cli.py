"""`python -m bot staff add|passwd|disable`: argon2id hashes, the audit log, refusals in one line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from bot.staff import audit_run, users_run
from storage.clock import ManualClock
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings


async def staff(tmp_path: Path, clock: ManualClock, *argv: str, password: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await users_run(
        list(argv), make_settings(tmp_path), clock=clock, out=out, err=err, stdin=io.StringIO(password + "\n")
    )
    return code, out.getvalue(), err.getvalue()


async def test_add_passwd_disable_are_hashed_and_audited(tmp_path: Path, clock: ManualClock) -> None:
    assert (await staff(tmp_path, clock, "add", "olena", "--role", "registrar", "--password-stdin", "--by", "it",
                        password="correct horse battery"))[0] == 0  # fmt: skip
    code, _, err = await staff(tmp_path, clock, "add", "olena", "--role", "admin", "--password-stdin",
                               password="another long one")  # fmt: skip
    assert code == 2 and "exists" in err
    code, _, err = await staff(tmp_path, clock, "add", "petro", "--role", "admin", "--password-stdin",
                               password="short")  # fmt: skip
    assert code == 2 and "at least 10" in err
    code, _, err = await staff(tmp_path, clock, "add", "petro", "--role", "boss", "--password-stdin", password="x" * 12)
    assert code == 2
    assert (await staff(tmp_path, clock, "passwd", "nobody", "--password-stdin", password="x" * 12))[0] == 1
    assert (await staff(tmp_path, clock, "passwd", "olena", "--password-stdin", password="y" * 12))[0] == 0
    assert (await staff(tmp_path, clock, "disable", "olena", "--by", "it"))[0] == 0

    engine = make_engine(make_settings(tmp_path).database_url)
    async with UnitOfWorkFactory(make_sessionmaker(engine), clock=clock)() as uow:
        user = await uow.staff.user("olena")
    await engine.dispose()
    assert user is not None and user.role == "registrar" and user.disabled
    assert user.password.startswith("$argon2id$") and "y" * 12 not in user.password

    out = io.StringIO()
    assert await audit_run(["--json"], make_settings(tmp_path), clock=clock, out=out, err=io.StringIO()) == 0
    entries = json.loads(out.getvalue())
    assert [(e["action"], e["target"]) for e in entries] == [
        ("staff.disable", "staff:olena"), ("staff.passwd", "staff:olena"), ("staff.add", "staff:olena"),
    ]  # fmt: skip
    assert entries[0]["actor"] == "it" and entries[0]["after"] == {"disabled": True}
    assert all("y" * 12 not in json.dumps(e) for e in entries)


async def test_booking_slots_of_an_office_staff_closed_are_refused(tmp_path: Path, clock: ManualClock, kb: Any) -> None:
    from bot.staff import run as booking_run
    from storage.staff import OfficeState

    async def slots() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        argv = ["slots", "--office", "visa-main", "--service", "drs-birth-registration", "--date", "2026-12-08",
                "--json"]  # fmt: skip
        code = await booking_run(argv, make_settings(tmp_path), kb=kb, clock=clock, out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = await slots()
    assert code == 0 and json.loads(out) != []
    engine = make_engine(make_settings(tmp_path).database_url)
    async with UnitOfWorkFactory(make_sessionmaker(engine), clock=clock)() as uow:
        await uow.offices.put(OfficeState(office="visa-main", status="closed", note="пошкоджено", address="пл. 1",
                                          hours=None, updated_at=clock(), updated_by="t"))  # fmt: skip
    await engine.dispose()
    code, out, err = await slots()
    assert code == 2 and out == "" and "takes no bookings now" in err
