"""`python -m bot`: serve the web chat (and, with tokens, the messengers) until interrupted.

A setting the bot cannot run with (a wrong value, a busy port, a database it cannot open) ends the process with
one line on stderr that names the variable to change, and exit status 2: no traceback.

`python -m bot booking …`, `… reminders …`, `… handoff …`, `… unanswered …` and `… audit …` (the staff
commands, bot/staff/) are handed over before anything of the bot itself is imported: a staff command loads no
messenger SDK and answers in about a second. They run on the same clock as the bot."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.logs import handler as log_handler
from bot.settings import ConfigError, Settings, load_settings
from storage.clock import system_clock
from storage.db import make_engine

log = logging.getLogger("bot")

DB_CONNECT_TIMEOUT = 20.0  # seconds to wait for the database server at start-up


def _short(exc: BaseException) -> str:
    """The first line of an error's own message (the driver's, for a database error), at most 200 characters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


async def check_database(url: str) -> None:
    """Open the database once before anything else, so that a wrong DATABASE_URL is one clear line."""
    shown = _hide_password(url)
    try:
        engine = make_engine(url)
    except Exception as exc:
        raise ConfigError(
            [f"Invalid setting DATABASE_URL={shown}: {_short(exc)} "
             "(e.g. sqlite+aiosqlite:///data/viza_bot.sqlite3 or postgresql+asyncpg://user:password@host/db)"]
        ) from None  # fmt: skip
    try:
        async with asyncio.timeout(DB_CONNECT_TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        raise ConfigError(
            [f"No answer from the database at DATABASE_URL={shown} in {DB_CONNECT_TIMEOUT:.0f} s: "
             "check DATABASE_URL and that the database server is running."]
        ) from None  # fmt: skip
    except Exception as exc:
        raise ConfigError(
            [f"Cannot open the database at DATABASE_URL={shown}: {_short(exc)}. Check DATABASE_URL."]
        ) from None
    finally:
        await engine.dispose()


def listen_problem(exc: OSError, host: str, port: int) -> str:
    """What to change when the web server cannot listen on HTTP_HOST:HTTP_PORT."""
    if isinstance(exc, socket.gaierror):
        return f"HTTP_HOST={host} is not a known host name: set HTTP_HOST to an address of this machine (127.0.0.1)."
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is in use: set HTTP_PORT to a free port (or stop the other program)."
    if exc.errno == errno.EACCES:
        return f"Port {port} on {host} needs administrator rights: set HTTP_PORT to a port above 1023."
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine: set HTTP_HOST "
            "(127.0.0.1 for this machine only, 0.0.0.0 for every network)."
        )
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}): check HTTP_HOST and HTTP_PORT."


async def serve(settings: Settings) -> None:
    from aiohttp import web

    from bot.alerts import holding, start_alerts
    from bot.app import build
    from bot.handoff import start_handoff
    from bot.maintenance import start_housekeeping
    from bot.outbox import senders, start_outbox
    from bot.reminders import Dispatcher, render_with, start_reminders
    from dialogs.console.unanswered import REFRESH
    from dialogs.console.unanswered import refresh as refresh_phrasings
    from handlers.web.security import listen

    # SIGTERM (systemd, docker stop) ends the process like Ctrl+C: the `finally` below still sends what was
    # committed and closes the database.
    current = asyncio.current_task()
    if current is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
    await check_database(settings.database_url)
    bot = await build(settings, clock=system_clock, import_offices=True)
    # Access logs would hold session ids. A connection that sends no whole request in web_idle_timeout is closed;
    # `listen` keeps at most web_max_connections open (handlers/web/security.py).
    runner = web.AppRunner(bot.http, access_log=None, keepalive_timeout=settings.web_idle_timeout)
    tasks: list[asyncio.Task[None]] = []
    closing: list[Callable[[], Awaitable[None]]] = []
    housekeeping = None
    site: asyncio.Server | None = None
    try:
        await runner.setup()
        try:
            site = await listen(runner, settings.http_host, settings.http_port, settings.web_max_connections)
        except OSError as exc:
            raise ConfigError([listen_problem(exc, settings.http_host, settings.http_port)]) from None
        log.info("web chat on http://%s:%s/ (Ctrl+C stops the bot)", settings.http_host, settings.http_port)
        if bot.viber and settings.public_url:
            # Viber checks the URL by calling it, so the server must be listening first.
            result = await bot.viber.set_webhook(settings.public_url)
            log.info("viber: webhook set (status %s)", result.get("status"))
        housekeeping = start_housekeeping(
            bot.uow_factory,
            settings.message_retention,
            settings.citizen_retention,
            settings.web_session_retention,
        )
        # Notices queued for citizens (a closed day) and due reminders go out through this process's channels.
        channels = senders(bot.uow_factory, bot.telegram, bot.viber)
        # Each worker's job for a citizen goes through the turns' pipeline: their lock, so it never
        # interleaves with their turn (dialogs/turns.py).
        start_outbox(housekeeping, bot.uow_factory, channels, kicker=bot.kicker, pipeline=bot.turns)
        # phrasings attached in another process's console (dialogs/console/unanswered.py)
        housekeeping.add_job(refresh_phrasings, "interval", seconds=REFRESH.total_seconds(), id="phrasings",
                             args=[bot.uow_factory, bot.engine.understander], coalesce=True, max_instances=1)  # fmt: skip
        if bot.handoff is not None and bot.handoff.enabled:  # tickets nobody took, quiet conversations
            start_handoff(housekeeping, bot.uow_factory, bot.handoff, pipeline=bot.turns)
        if bot.reminders is not None:  # the conversation's renderer (dialogs/reminders/service.py)
            dispatcher = Dispatcher(
                bot.uow_factory, channels, render_with(bot.uow_factory, bot.reminders),
                on_sent=bot.reminders.after_sent, single_process=bot.db.dialect.name == "sqlite",
                observers=[bot.metrics.reminders] if bot.metrics is not None else (), pipeline=bot.turns,
                held=holding(bot.uow_factory, bot.alerts) if bot.alerts is not None else None,
            )  # fmt: skip
            start_reminders(housekeeping, dispatcher)
        watch = start_alerts(settings, bot, housekeeping)
        if watch is not None:
            closing.append(watch.close)
        if bot.telegram:
            await bot.telegram.set_commands()
            if settings.telegram_mode == "polling":
                tasks.append(asyncio.create_task(bot.telegram.run_polling(), name="telegram-polling"))
                log.info("telegram: long polling %s", settings.telegram_api_server)
            elif settings.public_url:
                await bot.telegram.set_webhook(settings.public_url)
                log.info("telegram: webhook at %s", settings.public_url)
        if tasks:
            await asyncio.gather(*tasks)  # a crashed channel stops the process, visibly
        else:
            await asyncio.Event().wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if housekeeping is not None:
            housekeeping.shutdown(wait=False)
        for close in closing:
            await close()
        if site is not None:
            site.close()  # no new connections while the runner closes the open ones
        await runner.cleanup()
        await bot.close()


async def set_webhooks(settings: Settings, public_url: str) -> None:
    """`python -m bot set-webhooks URL`: point Telegram (webhook mode) and Viber at this server's URL."""
    from bot.app import build

    await check_database(settings.database_url)
    bot = await build(settings, clock=system_clock)
    try:
        if bot.telegram and settings.telegram_mode == "webhook":
            await bot.telegram.set_webhook(public_url)
            print("telegram: webhook set")
        if bot.viber:
            print("viber:", await bot.viber.set_webhook(public_url))
    finally:
        await bot.close()


async def migrate(settings: Settings) -> None:
    """`python -m bot migrate`: bring the database to the newest schema and stop (before starting several
    processes; each also migrates at start, taking turns on PostgreSQL)."""
    from storage.migrate import upgrade

    await check_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("database schema up to date")


def _only_upgrades(record: logging.LogRecord) -> bool:
    """Alembic says which backend it uses at every start; only a migration it runs is worth a line."""
    return record.levelno > logging.INFO or not record.getMessage().startswith(
        ("Context impl", "Will assume")
    )


def main() -> int:
    if sys.argv[1:2] == ["booking"]:  # before the bot (and its messenger SDKs) is imported
        from bot.staff import main as staff

        return staff(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["reminders"]:
        from bot.staff import reminders_main

        return reminders_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["handoff"]:
        from bot.staff import handoff_main

        return handoff_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["unanswered"]:
        from bot.staff import unanswered_main

        return unanswered_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["alerts"]:
        from bot.staff import alerts_main

        return alerts_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["audit"]:
        from bot.staff import audit_main

        return audit_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    if sys.argv[1:2] == ["staff"]:
        from bot.staff import users_main

        return users_main(sys.argv[2:], clock=system_clock, check_database=check_database)
    parser = argparse.ArgumentParser(prog="python -m bot", description="Віза-бот: run the bot (default).")
    sub = parser.add_subparsers(dest="command")
    hooks = sub.add_parser("set-webhooks", help="set the Telegram and Viber webhooks to a public URL")
    hooks.add_argument("url", help="the public https URL that reaches HTTP_HOST:HTTP_PORT")
    sub.add_parser("migrate", help="bring the database to the newest schema and stop")
    sub.add_parser("booking", help="staff commands: offices, slots, list, close-day, mark (booking --help)")
    sub.add_parser("reminders", help="staff commands: list (reminders --help)")
    sub.add_parser("handoff", help="staff commands: list (handoff --help)")
    sub.add_parser("unanswered", help="staff: what the bot could not answer, grouped (unanswered --help)")
    sub.add_parser("alerts", help="staff: air-raid alerts now and before (alerts --help)")
    sub.add_parser("audit", help="staff: who changed what and when (audit --help)")
    sub.add_parser("staff", help="the staff console's users: add, passwd, disable (staff --help)")
    args = parser.parse_args()
    try:
        settings = load_settings()
        # stderr; LOG_FORMAT=json: a JSON object a line; the same traceback at most once a minute (bot/logs.py)
        logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings.log_format)])
        logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # "loading dictionaries" at every start
        logging.getLogger("alembic.runtime.migration").addFilter(_only_upgrades)
        logging.getLogger("alembic.runtime.plugins").setLevel(
            logging.WARNING
        )  # «setup plugin …» at every start
        if args.command == "set-webhooks":
            asyncio.run(set_webhooks(settings, args.url))
        elif args.command == "migrate":
            asyncio.run(migrate(settings))
        else:
            asyncio.run(serve(settings))
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
    return 0


sys.exit(main())
