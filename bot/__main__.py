"""`python -m bot`: serve the web chat (and, with tokens, the messengers) until interrupted."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.app import build
from bot.settings import Settings

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    bot = await build(settings)
    runner = web.AppRunner(bot.http, access_log=None)  # access logs would hold session ids
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("web chat on http://%s:%s/", settings.http_host, settings.http_port)
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
        await runner.cleanup()
        await bot.close()


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        log.info("stopped")


main()
