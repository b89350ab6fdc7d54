"""`python -m bot`: serve the web chat (and, with tokens, the messengers) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from bot.app import build
from bot.maintenance import start_housekeeping
from bot.settings import Settings

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    # SIGTERM (systemd, docker stop) ends the process like Ctrl+C: the `finally` below still sends what was
    # committed and closes the database.
    current = asyncio.current_task()
    if current is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
    bot = await build(settings)
    runner = web.AppRunner(bot.http, access_log=None)  # access logs would hold session ids
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("web chat on http://%s:%s/", settings.http_host, settings.http_port)
    if bot.viber and settings.public_url:
        # Viber checks the URL by calling it, so the server must be listening first.
        result = await bot.viber.set_webhook(settings.public_url)
        log.info("viber: webhook set (status %s)", result.get("status"))
    housekeeping = start_housekeeping(bot.uow_factory, settings.message_retention)
    tasks: list[asyncio.Task[None]] = []
    if bot.telegram:
        await bot.telegram.set_commands()
        if settings.telegram_mode == "polling":
            tasks.append(asyncio.create_task(bot.telegram.run_polling(), name="telegram-polling"))
            log.info("telegram: long polling %s", settings.telegram_api_server)
        elif settings.public_url:
            await bot.telegram.set_webhook(settings.public_url)
            log.info("telegram: webhook at %s", settings.public_url)
    try:
        if tasks:
            await asyncio.gather(*tasks)  # a crashed channel stops the process, visibly
        else:
            await asyncio.Event().wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        housekeeping.shutdown(wait=False)
        await runner.cleanup()
        await bot.close()


async def set_webhooks(settings: Settings, public_url: str) -> None:
    """`python -m bot set-webhooks URL`: point Telegram (webhook mode) and Viber at this server's URL."""
    bot = await build(settings)
    try:
        if bot.telegram and settings.telegram_mode == "webhook":
            await bot.telegram.set_webhook(public_url)
            print("telegram: webhook set")
        if bot.viber:
            print("viber:", await bot.viber.set_webhook(public_url))
    finally:
        await bot.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Віза-бот: run the bot (default).")
    sub = parser.add_subparsers(dest="command")
    hooks = sub.add_parser("set-webhooks", help="set the Telegram and Viber webhooks to a public URL")
    hooks.add_argument("url", help="the public https URL that reaches HTTP_HOST:HTTP_PORT")
    args = parser.parse_args()
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "set-webhooks":
            asyncio.run(set_webhooks(settings, args.url))
        else:
            asyncio.run(serve(settings))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")


main()
