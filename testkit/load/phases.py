"""The processes and phases of the load harness (testkit/load): the stack (PostgreSQL, Redis, nginx, the Telegram
emulator and the fake Viber API), the bot processes started and killed, a phase of citizens run against them,
and the database checked against what citizens were acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from knowledge import load_knowledge
from storage.booking import Booking
from storage.handoff import Ticket
from storage.models import ProcessedUpdate, User
from storage.reminders import Reminder
from testkit.load.citizens import (
    Citizen,
    TelegramCitizen,
    ViberCitizen,
    citizen_task,
)
from testkit.load.wire import (
    SECRET,
    VIBER_TOKEN,
    Inbox,
    LoadAdapter,
    LoadViberApi,
    Relay,
    Tally,
)
from testkit.net import free_port
from testkit.offices import confirm_offices
from testkit.servers import nginx_args, site_config, throwaway_postgres, throwaway_redis, wait_for
from testkit.telegram.adapter_base import emulator_session
from testkit.telegram.emulator import start_emulator

PROFILE = bool(os.environ.get("LOAD_PROFILE"))  # cProfile each bot process into <workdir>/<phase>-<n>.prof
GROUP = -1001234567890
OPERATOR = 501

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_by_name(*names: str) -> float:
    """CPU seconds of every live process whose command is one of `names` (PostgreSQL's backends, nginx's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                total += cpu_seconds(int(entry.name))
    return total


@dataclass
class Stack:
    """Shared for all phases: the emulator, its adapter, the fake Viber API, the inbox."""

    emulator: str
    adapter_url: str
    viber_url: str
    inbox: Inbox
    viber: LoadViberApi
    emulator_pid: int


def bot_env(
    port: int, database_url: str, redis_url: str | None, stack: Stack, token: str, relay: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "VIBER_", "REDIS_", "OPERATOR_"))
    }
    env.update({
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_SERVER": stack.adapter_url, "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": relay,
        "TELEGRAM_PER_CHAT_RATE": "50", "TELEGRAM_GLOBAL_RATE": "5000",
        "VIBER_AUTH_TOKEN": VIBER_TOKEN, "VIBER_API_URL": stack.viber_url,
        "OPERATOR_CHAT_ID": str(GROUP), "OPERATOR_IDS": str(OPERATOR), "FLOOD_BURST": "0",
    })  # fmt: skip
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


async def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    until = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}") from None
            if time.monotonic() > until:
                raise RuntimeError(f"{what} did not come up") from None
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def nginx_in_front(ports: list[int]) -> Iterator[tuple[int, Path]]:
    """The shipped nginx site for these bot ports (a second, dead port when there is one process): its HTTPS port
    and its folder (the access log is viza-bot.access.log there)."""
    root = Path(tempfile.mkdtemp(prefix="viza-load-nginx-"))
    https = free_port()
    conf = site_config(root, http_port=free_port(), https_port=https, bot_port=ports[0],
                       dead_port=ports[1] if len(ports) > 1 else free_port())  # fmt: skip
    # 500 citizens hold ~1,000 connections through nginx; the tests' 256 are too few.
    conf.write_text(conf.read_text().replace("worker_connections 256;", "worker_connections 4096;"))
    proc = subprocess.Popen(nginx_args(root, conf, " daemon off;"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(https, proc, "nginx")  # nothing on this event loop waits for nginx meanwhile
        yield https, root
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def run_phase(
    name: str, stack: Stack, citizens: int, database_url: str, redis_url: str | None, processes: int,
    kill_after: float | None, workdir: Path, seed: int,
) -> tuple[Tally, float, dict[str, Any]]:  # fmt: skip
    tally = Tally()
    token = f"{900 + seed}:LOAD-{name}"
    ports = [free_port() for _ in range(processes)]
    waiters: dict[str, asyncio.Future[float]] = {}
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # nginx's self-signed certificate
    with nginx_in_front(ports) as (https, nginx_root):
        front = f"https://127.0.0.1:{https}"
        relay = Relay(f"{front}/telegram/webhook", tally, waiters)
        async with (
            serving(relay.app) as relay_url,
            ClientSession(
                connector=TCPConnector(limit=0, ssl=insecure), timeout=ClientTimeout(total=40)
            ) as tls,
            emulator_session(limit=0, timeout=ClientTimeout(total=40)) as plain,
        ):
            relay.http = tls
            procs, logs = [], []
            for i, port in enumerate(ports):
                log = workdir / f"{name}-{i}.log"
                logs.append(log)
                env = bot_env(port, database_url, redis_url, stack, token, relay_url)
                with log.open("wb") as out:
                    profile = ["-m", "cProfile", "-o", str(workdir / f"{name}-{i}.prof")] if PROFILE else []
                    procs.append(subprocess.Popen([sys.executable, *profile, "-m", "bot"], cwd=workdir, env=env,
                                                  stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
                await wait_listening(port, procs[-1], f"bot process {i}")  # one by one: migrations first
            await asyncio.sleep(1.0)  # webhooks set, schedulers started
            await confirm_offices(database_url)  # the Center confirms the offices it imported «unconfirmed»
            start = asyncio.Event()
            people: list[Citizen] = []
            for i in range(citizens):
                if i % 2 == 0:
                    people.append(TelegramCitizen(10_000_000 * (seed + 1) + i, stack.inbox, tally, stack.emulator,
                                                  token, plain, waiters))  # fmt: skip
                else:
                    people.append(
                        ViberCitizen(f"load{seed}-{i}==", stack.inbox, tally, f"{front}/viber/webhook", tls)
                    )
            tasks = [
                asyncio.create_task(citizen_task(c, seed * 100_000 + i, tally, start))
                for i, c in enumerate(people)
            ]
            late = stack.inbox.late
            servers = ("postgres", "redis-server", "nginx")
            cpu0 = {"harness": time.process_time(), "emulator": cpu_seconds(stack.emulator_pid),
                    "servers": cpu_by_name(*servers)}  # fmt: skip
            bots0 = [cpu_seconds(p.pid) for p in procs]  # start-up (imports, the search index) is not a step
            t0 = time.monotonic()
            start.set()
            killed: dict[str, Any] = {}
            if kill_after is not None:
                expected = citizens * 16
                while tally.steps < expected * kill_after and not all(t.done() for t in tasks):
                    await asyncio.sleep(0.01)
                busy = Counter(c.channel for c in people if c.busy)
                tally.waiting_at_kill = {(c.channel, c.id) for c in people if c.busy}
                procs[0].send_signal(signal.SIGKILL)
                killed = {"at_step": tally.steps, "at_s": round(time.monotonic() - t0, 1),
                          "citizens_waiting": dict(busy)}  # fmt: skip
                tally.in_flight_at_kill.update(busy)
            await asyncio.gather(*tasks)
            wall = time.monotonic() - t0
            cpu = {f"bot process {i}": cpu_seconds(p.pid) - bots0[i] for i, p in enumerate(procs)}
            cpu["harness (citizens, adapter, relay, fake Viber)"] = time.process_time() - cpu0["harness"]
            cpu["emulator"] = cpu_seconds(stack.emulator_pid) - cpu0["emulator"]
            cpu["postgres, redis, nginx"] = cpu_by_name(*servers) - cpu0["servers"]
            cpu_per_kstep = {k: round(v / max(tally.steps, 1) * 1000, 1) for k, v in cpu.items()}
            await asyncio.sleep(2.0)  # let the last outbox rows go out
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            tracebacks = sum(log.read_text(errors="replace").count("Traceback") for log in logs)
            if tracebacks:
                tally.errors["tracebacks in the processes' logs"] += tracebacks
            killed["late_messages"] = stack.inbox.late - late
            killed["nginx"] = nginx_figures(nginx_root / "viza-bot.access.log", ports)
            killed["cpu_s_per_1000_steps"] = cpu_per_kstep
            killed["verify"] = await verify(database_url, tally)
    return tally, wall, killed


def nginx_figures(log: Path, ports: list[int]) -> dict[str, int]:
    """From nginx's access log: requests answered by each process, those that died with a process (502: the
    process was killed after it got them), and those passed on after a refused connection (two upstreams)."""
    figures: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        found = re.search(r'" (\d{3}) \d+ [\d.]+ "([^"]*)"', line)
        if found is None:
            continue
        status, upstreams = found.group(1), found.group(2)
        if status == "502":
            figures["502: lost with the killed process, sent again by the messenger"] += 1
        if "," in upstreams:
            figures["refused by the dead process, passed to the other"] += 1
        last = upstreams.split(",")[-1].strip()
        for i, port in enumerate(ports):
            if last.endswith(f":{port}") and status == "200":
                figures[f"answered 200 by process {i}"] += 1
    return dict(figures)


async def verify(database_url: str, tally: Tally) -> dict[str, Any]:
    """What the database holds of what citizens were acknowledged."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as db:
            missing: dict[str, int] = {}
            for channel, keys in tally.acked_updates.items():
                stored = set(
                    (
                        await db.scalars(
                            select(ProcessedUpdate.key).where(ProcessedUpdate.channel == channel)
                        )
                    ).all()
                )
                missing[f"{channel} updates acknowledged, not saved"] = len(keys - stored)
            active = set((await db.scalars(select(Booking.code).where(Booking.status == "booked"))).all())
            missing["booking codes shown, not active"] = len(tally.codes - active)

            async def citizens_with(model: type[Reminder] | type[Ticket]) -> set[tuple[str, str]]:
                query = select(User.channel, User.external_id).join(model, model.user_id == User.id)
                return {(channel, ident) for channel, ident in (await db.execute(query)).all()}

            missing["citizens told «нагадаю», without reminders"] = len(
                tally.reminded - await citizens_with(Reminder)
            )
            missing["questions acknowledged, without a ticket"] = len(
                tally.questions - await citizens_with(Ticket)
            )
            kb = load_knowledge()
            assert kb.booking is not None
            windows = {(o.office, g.id): g.windows for o in kb.booking.offices for g in o.groups}
            rows = (await db.execute(
                select(Booking.office, Booking.resource, Booking.start, func.count(), func.max(Booking.place))
                .where(Booking.status == "booked", Booking.kind == "office")
                .group_by(Booking.office, Booking.resource, Booking.start)
            )).all()  # fmt: skip
            missing["slots with more bookings than windows"] = sum(
                1
                for office, group, _, n, top in rows
                if n > windows[(office, group)] or top >= windows[(office, group)]
            )
            missing["bookings in the database"] = int(
                (await db.scalar(select(func.count()).select_from(Booking))) or 0
            )
            return missing
    finally:
        await engine.dispose()


def summary(name: str, tally: Tally, wall: float) -> dict[str, Any]:
    lat = sorted(tally.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 100 else [float("nan")] * 99
    return {
        "phase": name, "steps": tally.steps, "walks_done": tally.walks_done, "wall_s": round(wall, 1),
        "steps_per_s": round(tally.steps / wall, 1), "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1),
        "max_ms": round(lat[-1], 1) if lat else None, "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors), "resent": dict(tally.resent), "bookings_shown": len(tally.codes),
        "samples": tally.samples,
    }  # fmt: skip


@contextlib.asynccontextmanager
async def harness() -> AsyncIterator[Stack]:
    """The emulator with its adapter and the fake Viber API, for as many phases as needed."""
    inbox = Inbox()
    viber = LoadViberApi(inbox)
    proc, emulator = await start_emulator()
    adapter = LoadAdapter(emulator, inbox)
    try:
        async with serving(adapter.app) as adapter_url:
            viber_url = await viber.serve()
            try:
                yield Stack(emulator, adapter_url, viber_url, inbox, viber, proc.pid)
            finally:
                await viber.stop()
    finally:
        await adapter.close()
        assert proc.stdin is not None
        proc.stdin.close()
        proc.terminate()
        await proc.wait()


async def phase(
    name: str, stack: Stack, citizens: int, workdir: Path, seed: int, kill_after: float = 0.3
) -> dict[str, Any]:
    """One phase by name: sqlite (one process), postgres or postgres+redis (one process), pair (two processes,
    PostgreSQL + Redis), kill (pair, one of them killed after `kill_after` of the expected steps)."""
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/{name}-{seed}.sqlite3"  # update ids restart with every phase
        tally, wall, extra = await run_phase(name, stack, citizens, url, None, 1, None, workdir, seed)
    else:
        with throwaway_postgres("viza-load-pg-") as url, throwaway_redis() as (redis_url, _, _):
            if name in ("postgres", "postgres+redis"):  # one process: what PostgreSQL and Redis cost
                shared = redis_url if name == "postgres+redis" else None
                tally, wall, extra = await run_phase(
                    name, stack, citizens, url, shared, 1, None, workdir, seed
                )
            elif name in ("pair", "kill"):
                kill = kill_after if name == "kill" else None
                tally, wall, extra = await run_phase(
                    name, stack, citizens, url, redis_url, 2, kill, workdir, seed
                )
            else:
                raise ValueError(f"unknown phase {name!r}")
    row = {**summary(name, tally, wall), **extra}
    if tally.in_flight_at_kill:
        row["in_flight_at_kill"] = dict(tally.in_flight_at_kill)
        # A reply can be lost only to a citizen whose request the kill caught: on Telegram one sent again (the
        # 200 comes after the replies), on Viber one waiting for replies at the kill (they are sent after the 200).
        row["replies_lost"] = len(tally.lost_ids)
        row["replies_lost_outside_the_kill"] = sum(
            1
            for channel, ident in tally.lost_ids
            if (channel, ident) not in (tally.resent_ids if channel == "telegram" else tally.waiting_at_kill)
        )
    return row
