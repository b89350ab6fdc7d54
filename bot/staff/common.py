"""What the three staff commands (booking, reminders, handoff) share: exit statuses, one-line refusals, the
argument parser that refuses in one line, opening the database of DATABASE_URL on the injected clock, and
printing JSON. One place, so the commands fail, print and end the same way."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO
from zoneinfo import ZoneInfo

from bot.settings import ConfigError, Settings, load_settings
from storage.clock import Clock, system_clock
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWork, UnitOfWorkFactory

OK, NOT_FOUND, USAGE = 0, 1, 2
KYIV = ZoneInfo("Europe/Kyiv")
CheckDatabase = Callable[[str], Awaitable[None]]
Execute = Callable[[argparse.Namespace, Callable[[], UnitOfWork], TextIO], Awaitable[int]]


class Usage(Exception):
    """A wrong argument: one line that says what to write instead (exit status 2)."""


class NotFound(Exception):
    """What the command names does not exist (exit status 1)."""


class Parser(argparse.ArgumentParser):
    """argparse whose refusal is Usage: one line on stderr and exit status 2, like every other refusal."""

    def error(self, message: str) -> NoReturn:  # one line instead of argparse's usage block
        raise Usage(f"{self.prog}: {message} (see {self.prog} --help)")


def iso_date(text: str) -> dt.date:
    """An argument in YYYY-MM-DD (argparse's `type`)."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: use YYYY-MM-DD, e.g. 2026-12-07") from None


def actor(args: argparse.Namespace) -> str:
    """Who runs a staff command that changes data, for the audit log: `--by NAME`, else the OS user."""
    named = " ".join((getattr(args, "by", None) or "").split())
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return f"uid:{os.getuid()}"


def kyiv(moment: dt.datetime | None) -> str | None:
    """A moment as ISO 8601 with the Kyiv offset (None stays None)."""
    return moment.astimezone(KYIV).isoformat() if moment is not None else None


def print_json(value: object, out: TextIO) -> None:
    """`--json`: indented, Cyrillic as it is (not escaped)."""
    out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


async def with_database(
    settings: Settings,
    check_database: CheckDatabase | None,
    work: Callable[[UnitOfWorkFactory], Awaitable[int]],
    clock: Clock = system_clock,
) -> int:
    """Open the database of DATABASE_URL (migrated: a fresh one gets its tables), run `work`, close it."""
    if check_database is not None:
        await check_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)  # nothing to do while the bot runs
        factory = UnitOfWorkFactory(make_sessionmaker(engine), clock=clock, secret=settings.person_secret())
        return await work(factory)
    finally:
        await engine.dispose()


async def answered(command: Callable[[], Awaitable[int]], err: TextIO) -> int:
    """A command's exit status, with its refusal as one line on stderr."""
    try:
        return await command()
    except Usage as exc:
        err.write(f"{exc}\n")
        return USAGE
    except NotFound as exc:
        err.write(f"{exc}\n")
        return NOT_FOUND
    except ConfigError as exc:
        err.write("".join(f"{line}\n" for line in exc.lines))
        return USAGE


def main_of(
    argv: Sequence[str],
    check: Callable[[Sequence[str]], object],
    runner: Callable[[Settings], Coroutine[Any, Any, int]],
) -> int:
    """Settings from the environment, then one command (`check` parses first: --help needs no settings)."""
    try:
        check(argv)
        settings = load_settings()
    except Usage as exc:
        print(exc, file=sys.stderr)
        return USAGE
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return USAGE
    try:
        return asyncio.run(runner(settings))
    except BrokenPipeError:  # `… | head`: the reader has gone, which is no error of the command
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so that the interpreter's final flush is quiet
        return OK


def list_parser(prog: str, description: str, listing: str, statuses: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of a command whose one subcommand is `list [--status S] [--json]` (reminders, handoff)."""
    top = Parser(prog=prog, description=description)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    found = sub.add_parser("list", help=listing)
    found.add_argument("--status", choices=statuses, help="only this status")
    found.add_argument("--json", action="store_true", help="print JSON")
    return top


async def database_command(
    parser: Callable[[], argparse.ArgumentParser],
    execute: Execute,
    argv: Sequence[str],
    settings: Settings,
    *,
    clock: Clock,
    out: TextIO | None,
    err: TextIO | None,
    check_database: CheckDatabase | None,
) -> int:
    """Parse and run one staff command that reads the database; the exit status."""
    out_, err_ = out or sys.stdout, err or sys.stderr

    async def command() -> int:
        args = parser().parse_args(list(argv))
        return await with_database(settings, check_database, lambda uows: execute(args, uows, out_), clock)

    return await answered(command, err_)


def database_main(
    parser: Callable[[], argparse.ArgumentParser],
    execute: Execute,
    argv: Sequence[str],
    *,
    clock: Clock,
    check_database: CheckDatabase | None,
) -> int:
    """`python -m bot <room> ARGS` of a command that reads the database."""
    return main_of(
        argv,
        lambda a: parser().parse_args(list(a)),
        lambda settings: database_command(
            parser, execute, argv, settings, clock=clock, out=None, err=None, check_database=check_database
        ),
    )


@dataclass(frozen=True)
class DatabaseCli:
    """A staff command that reads the database (`reminders`, `handoff`): its `run` (tests call it with a clock and
    streams) and its `main` (`python -m bot <room> ARGS`)."""

    parser: Callable[[], argparse.ArgumentParser]
    execute: Execute

    async def run(
        self,
        argv: Sequence[str],
        settings: Settings,
        *,
        clock: Clock = system_clock,
        out: TextIO | None = None,
        err: TextIO | None = None,
        check_database: CheckDatabase | None = None,
    ) -> int:
        """Parse and run one command; the exit status."""
        return await database_command(
            self.parser, self.execute, argv, settings, clock=clock, out=out, err=err, check_database=check_database
        )

    def main(
        self, argv: Sequence[str], *, clock: Clock = system_clock, check_database: CheckDatabase | None = None
    ) -> int:
        return database_main(self.parser, self.execute, argv, clock=clock, check_database=check_database)
