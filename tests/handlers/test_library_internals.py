"""Where the edges lean on a library's internals, pinned to one version (pyproject.toml) and checked here, so an
upgrade fails with a message that says what to look at instead of a timeout somewhere else.

- aiogram: `SimpleRequestHandler` passes its extra keywords to `Dispatcher.feed_webhook_update`, whose
  `_timeout` bounds how long Telegram's 200 waits for the sends (handlers/telegram/channel.py). aiogram has no
  public knob for it; an unknown keyword would silently become handler data and the bound would be 55 s again.
- aiohttp: `ConnectionGuard` (handlers/web/security.py) wraps the documented low-level `web.Server` protocol
  factory, and uses its `connections`, each protocol's `force_close()` and `request.protocol`; `bot/__main__.py`
  relies on `keepalive_timeout` closing a connection that never sends a whole request (the behaviour is
  tests/handlers/test_http_server.py::test_a_connection_without_a_whole_request_is_closed_after_the_idle_timeout).
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import aiogram
from aiogram import Dispatcher
from aiogram.webhook.aiohttp_server import BaseRequestHandler, SimpleRequestHandler
from aiohttp import web

AIOGRAM = "3.31.0"
AIOHTTP = "3.14.5"


def test_aiogram_is_the_version_the_webhook_bound_was_checked_with() -> None:
    assert aiogram.__version__ == AIOGRAM, (
        f"aiogram {aiogram.__version__}, checked with {AIOGRAM}: see that Dispatcher.feed_webhook_update still "
        "takes `_timeout` (handlers/telegram/channel.py), then update the pin here and in pyproject.toml"
    )


def test_aiogram_feed_webhook_update_still_takes_the_bound() -> None:
    parameters = inspect.signature(Dispatcher.feed_webhook_update).parameters
    assert "_timeout" in parameters, (
        "aiogram's Dispatcher.feed_webhook_update no longer takes `_timeout`: the WEBHOOK_ANSWER_WITHIN bound of "
        "handlers/telegram/channel.py would silently become handler data; find the new way to bound it"
    )
    source = inspect.getsource(BaseRequestHandler)
    assert "**self.data" in source and issubclass(SimpleRequestHandler, BaseRequestHandler), (
        "aiogram's webhook handler no longer passes its extra keywords to feed_webhook_update: "
        "handlers/telegram/channel.py's `_timeout` would be lost"
    )


def test_aiohttp_is_the_version_the_connection_guard_was_checked_with() -> None:
    assert version("aiohttp") == AIOHTTP, (
        f"aiohttp {version('aiohttp')}, checked with {AIOHTTP}: check handlers/web/security.py's ConnectionGuard "
        "(web.Server.connections, RequestHandler.force_close, request.protocol) and keepalive_timeout as the "
        "header deadline (bot/__main__.py), then update the pin here and in pyproject.toml"
    )


def test_aiohttp_server_internals_the_guard_uses_are_there() -> None:
    assert isinstance(inspect.getattr_static(web.Server, "connections"), property), (
        "aiohttp's web.Server.connections is gone: ConnectionGuard (handlers/web/security.py) cannot see the open "
        "connections"
    )
    assert callable(getattr(web.RequestHandler, "force_close", None)), (
        "aiohttp's RequestHandler.force_close is gone: ConnectionGuard cannot close the idle connections"
    )
    assert isinstance(inspect.getattr_static(web.BaseRequest, "protocol"), property), (
        "aiohttp's BaseRequest.protocol is gone: track_activity (handlers/web/security.py) cannot tell a busy "
        "connection from an idle one"
    )
