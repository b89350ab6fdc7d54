"""`python -m bot staff add LOGIN --role admin|registrar|operator --password-stdin`, `staff passwd LOGIN
--password-stdin`, `staff disable LOGIN`: the staff console's users (dialogs/console/accounts.py). The password
is read from the first line of stdin, never from an argument (it would show in `ps` and the shell's history).
Every change is in the audit log under the OS user or `--by NAME`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.settings import Settings
from bot.staff.common import (
    OK,
    CheckDatabase,
    NotFound,
    Parser,
    Usage,
    actor,
    answered,
    main_of,
    with_database,
)
from dialogs.console import accounts, rules
from storage.clock import Clock, system_clock
from storage.uow import UnitOfWork

PROG = "python -m bot staff"


def parser() -> argparse.ArgumentParser:
    top = Parser(prog=PROG, description="The staff console's users: add, change a password, disable.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = sub.add_parser("add", help="add a user (the first admin comes this way)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=rules.ROLES)
    passwd = sub.add_parser("passwd", help="set a user's password (signs the user out everywhere)")
    passwd.add_argument("login")
    for command in (add, passwd):
        command.add_argument("--password-stdin", action="store_true", required=True,
                             help="read the password from the first line of stdin")  # fmt: skip
    disable = sub.add_parser("disable", help="disable a user (signs the user out everywhere)")
    disable.add_argument("login")
    for command in (add, passwd, disable):
        command.add_argument("--by", metavar="NAME", help="who does it, for the audit log (default: the OS user)")
    return top


def _password(stdin: TextIO) -> str:
    line = stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    return password[:-1] if password.endswith("\r") else password


async def execute(args: argparse.Namespace, uows: Callable[[], UnitOfWork], out: TextIO) -> int:
    who = actor(args)
    try:
        async with uows() as uow:
            if args.command == "add":
                await accounts.add_user(uow, args.login, args.role, args.password, who)
                out.write(f"added {args.login} ({args.role})\n")
            elif args.command == "passwd":
                if await accounts.set_password(uow, args.login, args.password, who) is None:
                    raise NotFound(f"{PROG}: no login {args.login!r}")
                out.write(f"password of {args.login} changed; its sessions are ended\n")
            else:
                if await accounts.disable(uow, args.login, who) is None:
                    raise NotFound(f"{PROG}: no login {args.login!r}")
                out.write(f"{args.login} disabled; its sessions are ended\n")
    except accounts.UserError as exc:
        raise Usage(f"{PROG}: {exc}") from None
    return OK


async def run(
    argv: Sequence[str],
    settings: Settings,
    *,
    clock: Clock = system_clock,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
    check_database: CheckDatabase | None = None,
) -> int:
    out_, err_ = out or sys.stdout, err or sys.stderr

    async def command() -> int:
        args = parser().parse_args(list(argv))
        args.password = _password(stdin or sys.stdin) if getattr(args, "password_stdin", False) else ""
        return await with_database(settings, check_database, lambda uows: execute(args, uows, out_), clock)

    return await answered(command, err_)


def main(argv: Sequence[str], *, clock: Clock = system_clock, check_database: CheckDatabase | None = None) -> int:
    return main_of(
        argv,
        lambda a: parser().parse_args(list(a)),
        lambda settings: run(argv, settings, clock=clock, check_database=check_database),
    )
