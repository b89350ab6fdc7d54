"""Shared fixtures. Tests never leave loopback: any other connection fails the test. Tests never read the wall
clock: the bot runs on a `ManualClock` (the `clock` fixture; a module may override it), and the system clock
raises inside a test, so a component that forgets its injected clock fails loudly."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import Bot, build
from bot.settings import Settings
from knowledge import Knowledge, load_knowledge
from knowledge.search import SearchIndex, build_index
from storage.clock import ManualClock, SystemClock
from testkit.clocks import TEST_NOW
from testkit.fake_sms import FakeTurboSms

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise RuntimeError(f"test tried to reach {address!r}: tests talk only to loopback")
    return _real_connect(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, bytes):
        host = host.decode()
    if not _is_loopback(host):
        raise RuntimeError(f"test tried to resolve {host!r}: tests talk only to loopback")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


def _wall_clock_read(self: SystemClock) -> dt.datetime:
    raise AssertionError("a test read the wall clock: pass the test's clock (storage/clock.py) instead")


@pytest.fixture(autouse=True)
def _no_wall_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(SystemClock, "__call__", _wall_clock_read)
    yield


@pytest.fixture()
def clock() -> ManualClock:
    """The time of the `bot` fixture and of whatever a test builds with it."""
    return ManualClock(TEST_NOW)


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def index(kb: Knowledge) -> SearchIndex:
    return build_index(kb)


def make_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture()
async def bot(tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock) -> AsyncIterator[Bot]:
    built = await build(make_settings(tmp_path), kb=kb, index=index, clock=clock)
    yield built
    await built.close()


@pytest.fixture()
async def fake_sms() -> AsyncIterator[FakeTurboSms]:
    """TurboSMS's API on loopback (testkit/fake_sms.py): what the bot sends as SMS, recorded."""
    api = FakeTurboSms()
    api.url = await api.serve()
    yield api
    await api.stop()


def sms_settings(tmp_path: Path, fake_sms: FakeTurboSms, **more: Any) -> Settings:
    """Settings whose SMS go to the fake TurboSMS (the real adapter, bot/sms.py)."""
    return Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3",
        sms_api_url=fake_sms.url,
        sms_token=SecretStr(fake_sms.token),
        _env_file=None,
        **more,
    )


@pytest.fixture()
async def sms_bot(
    tmp_path: Path, kb: Knowledge, index: SearchIndex, clock: ManualClock, fake_sms: FakeTurboSms
) -> AsyncIterator[Bot]:
    """The `bot`, with web phone verification by SMS through the fake TurboSMS."""
    built = await build(sms_settings(tmp_path, fake_sms), kb=kb, index=index, clock=clock)
    yield built
    await built.close()
