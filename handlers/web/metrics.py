"""`GET /metrics`: the process's Prometheus metrics (bot/metrics.py builds them; nothing personal is in them).

The route is on the bot's one HTTP server; a reverse proxy should not pass it to the internet (docs/DEPLOY.md).
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web


class Exposition(Protocol):
    async def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format and their content type."""
        ...


def setup_metrics(app: web.Application, source: Exposition) -> None:
    async def metrics(_: web.Request) -> web.Response:
        body, content_type = await source.render()
        return web.Response(body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    app.router.add_get("/metrics", metrics)
