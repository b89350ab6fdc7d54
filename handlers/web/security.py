"""Hardening of the HTTP side: security headers on every response, JSON-only requests, a bounded number of open
connections, and logs that a flood cannot fill.

The web chat, the Telegram and Viber webhooks and `/healthz` share one aiohttp application and one listening
socket, so what is here protects all of them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import heapq
import logging
import re
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources

from aiohttp import web

log = logging.getLogger(__name__)

SERVER_NAME = "Viza-bot"  # the `Server` header: no framework, no versions
BACKLOG = 128  # the listen queue; asyncio also accepts up to this many connections per wake-up
# Descriptors kept free: 128 for the database, outgoing HTTP and logs, and three accept bursts, since in one turn
# of the loop a burst is accepted while the previous one is not yet counted and the connections closed to make
# room for it are not yet released.
FD_RESERVE = 128 + 3 * BACKLOG
BUSY_GRACE = 30.0  # seconds: a request still unfinished after this may be closed to make room (a slow upload)
_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")
_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1\s*>", re.S | re.I)


# --- Content-Security-Policy and the other response headers ----------------------------------------------------------


def valid_origin(origin: str) -> bool:
    """An origin a CSP `frame-ancestors` may list: `https://host[:port]` (a leading `*.` for subdomains)."""
    return _ORIGIN.fullmatch(origin) is not None


def inline_hashes(html: str) -> dict[str, list[str]]:
    """CSP sources ('sha256-…') of the page's inline <script> and <style> elements, by element name."""
    out: dict[str, list[str]] = {"script": [], "style": []}
    for match in _INLINE.finditer(html):
        tag, attrs, body = match[1].lower(), match[2] or "", match[3]
        if tag == "script" and re.search(r"\ssrc\s*=", attrs, re.I):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        out[tag].append(f"'sha256-{digest}'")
    return out


def content_security_policy(html: str, frame_ancestors: Sequence[str] = ()) -> str:
    """A policy the chat page satisfies without 'unsafe-inline': its inline script and style by hash, files and
    requests only from this origin, embedding only on this origin and `frame_ancestors`."""
    hashes = inline_hashes(html)
    directives = [
        "default-src 'none'",
        # 'self': a script or style file this server serves; what else it serves is JSON, which nosniff
        # keeps from running as a script.
        "script-src " + " ".join(["'self'", *hashes["script"]]),
        "style-src " + " ".join(["'self'", *hashes["style"]]),
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors " + " ".join(["'self'", *frame_ancestors]),
    ]
    return "; ".join(directives)


def security_headers(frame_ancestors: Sequence[str] = ()) -> dict[str, str]:
    """The headers every response of the web application carries."""
    html = (resources.files("handlers.web") / "static" / "index.html").read_text(encoding="utf-8")
    headers = {
        "Content-Security-Policy": content_security_policy(html, frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if not frame_ancestors:  # older browsers without frame-ancestors; it cannot list other origins
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


def install(app: web.Application, frame_ancestors: Sequence[str] = ()) -> None:
    """Security headers on every response (errors included), the `Server` header without versions, and the
    bookkeeping `ConnectionGuard` uses to tell idle connections from busy ones."""
    for origin in frame_ancestors:
        if not valid_origin(origin):
            raise ValueError(f"not an origin for frame-ancestors: {origin!r}")
    headers = security_headers(frame_ancestors)

    async def add_headers(_: web.Request, response: web.StreamResponse) -> None:
        # on_response_prepare runs after aiohttp has set its own `Server`, and for 404, 405 and 500 too.
        response.headers["Server"] = SERVER_NAME
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(add_headers)
    app.middlewares.append(track_activity)
    refused_log.addFilter(_REFUSED_LINES)  # idempotent: logging keeps one copy of a filter


# --- JSON only ---------------------------------------------------------------------------------------------------------

_UTF8 = {"utf-8", "utf8"}


def json_only(request: web.BaseRequest) -> str | None:
    """Why the request is not `application/json` in UTF-8, or None. A cross-origin page can POST `text/plain`
    or a form without asking the browser's permission (a «simple» request); JSON it cannot."""
    try:  # aiohttp's parser raises on some malformed headers (a parameter name ending in «*»)
        content_type, charset = request.content_type, request.charset
    except (IndexError, ValueError, KeyError):
        return "send JSON with Content-Type: application/json"
    if content_type != "application/json":
        return "send JSON with Content-Type: application/json"
    if charset is not None and charset.strip().lower() not in _UTF8:
        return "JSON must be UTF-8 (Content-Type: application/json; charset=utf-8)"
    return None


refused_log = logging.getLogger("handlers.web.refused")


# --- logs a flood cannot fill ------------------------------------------------------------------------------------------


class RateLimit(logging.Filter):
    """At most `burst` records of one kind (logger and message template) per `period` seconds; the first one let
    through after a quiet spell says how many were left out. `one_line` (a text) replaces the message and drops
    the traceback, keeping the exception's type; `only` picks the records the filter applies to."""

    def __init__(
        self,
        burst: int = 5,
        period: float = 60.0,
        *,
        one_line: str | None = None,
        only: Callable[[logging.LogRecord], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.burst, self.period, self.one_line, self.only, self.clock = burst, period, one_line, only, clock
        # (logger, template) -> (start of the window, records let through, records left out)
        self._windows: dict[tuple[str, str], tuple[float, int, int]] = {}

    def reset(self) -> None:
        self._windows.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.only is not None and not self.only(record):
            return True
        key = (record.name, str(record.msg))
        now = self.clock()
        start, passed, dropped = self._windows.get(key, (now, 0, 0))
        if now - start >= self.period:
            start, passed = now, 0
        if passed >= self.burst:
            self._windows[key] = (start, passed, dropped + 1)
            return False
        self._windows[key] = (start, passed + 1, 0)
        if len(self._windows) > 1000:  # message templates are few; never grow without bound
            self._windows = {key: self._windows[key]}
        if self.one_line is not None:
            # The exception's kind, never its text: that may quote what the client sent.
            exc = record.exc_info[1] if record.exc_info else None
            why = type(exc).__name__ if exc is not None else ""
            if isinstance(exc, OSError) and exc.strerror:
                why = f"{why}: {exc.strerror}"
            record.msg, record.args = f"{self.one_line} ({why})" if why else self.one_line, ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        if dropped:
            record.msg, record.args = f"{record.getMessage()} ({dropped} more like it not logged)", ()
        return True


def _accept_failed(record: logging.LogRecord) -> bool:
    return str(record.msg).startswith("socket.accept() out of system resource")


def _bad_http(record: logging.LogRecord) -> bool:
    """aiohttp logs a request it cannot parse with a traceback; that is the client's fault, not ours."""
    from aiohttp.http_exceptions import HttpProcessingError

    exc = record.exc_info[1] if record.exc_info else None
    return isinstance(exc, HttpProcessingError)


_REFUSED_LINES = RateLimit(burst=20, period=10.0)
_ACCEPT_LINES = RateLimit(
    burst=1, period=60.0, one_line="accept() failed: out of file descriptors", only=_accept_failed
)
_BAD_HTTP_LINES = RateLimit(
    burst=5, period=60.0, one_line="refused a request that is not valid HTTP", only=_bad_http
)


def quiet_floods() -> None:
    """One line, not a traceback per attempt, when descriptors run out or clients send broken HTTP: Python 3.11
    logs a failed accept() up to 100 times per wake-up (~50,000 lines a second at the descriptor limit)."""
    logging.getLogger("asyncio").addFilter(_ACCEPT_LINES)
    logging.getLogger("aiohttp.server").addFilter(_BAD_HTTP_LINES)


# --- connections: a descriptor limit that suits a server, and at most so many open ------------------------------------


def raise_fd_limit() -> int:
    """Raise the soft limit of open files to the hard one (often 1,024 of 524,288 under systemd); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # a container may refuse; the guard below still keeps us under it
            pass
    return soft


def connection_limit(wanted: int) -> int:
    """At most `wanted` connections, and never so many that accept() runs out of descriptors."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - FD_RESERVE))


# When each connection a ConnectionGuard made last started or finished a request, and which are inside one now.
# Keyed by aiohttp's protocol object (`request.protocol`, which takes no weak reference); the guard drops the
# closed ones, and connections it did not make (a test server) are not kept.
_last_active: dict[web.RequestHandler, float] = {}
_busy_since: dict[web.RequestHandler, float] = {}

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def track_activity(request: web.Request, handler: _Handler) -> web.StreamResponse:
    protocol = request.protocol
    if protocol not in _last_active:
        return await handler(request)
    _busy_since[protocol] = time.monotonic()
    try:
        return await handler(request)
    finally:
        _busy_since.pop(protocol, None)
        if protocol in _last_active:
            _last_active[protocol] = time.monotonic()


def _forget_all_but(connections: list[web.RequestHandler]) -> None:
    open_now = set(connections)
    for table in (_last_active, _busy_since):
        for protocol in [p for p in table if p not in open_now]:
            del table[protocol]


class ConnectionGuard:
    """A protocol factory for `loop.create_server` around aiohttp's `runner.server` that keeps at most `limit`
    connections open. A new connection over the limit closes the one idle longest: a connection still sending
    its first request's headers counts as idle, so a thousand slow or silent clients lose their sockets to the
    citizens who come after them, instead of the other way round. A request in progress (a live chat's stream
    too) is cut only when no connection is idle, and only after BUSY_GRACE seconds (a body sent a byte at a time)."""

    def __init__(self, server: web.Server, limit: int, *, log_every: float = 60.0) -> None:
        self.server, self.limit, self.log_every = server, limit, log_every
        self.closed = 0  # connections closed to make room, in total
        self._unlogged, self._next_log = 0, 0.0

    def __call__(self) -> web.RequestHandler:
        try:
            connections = self.server.connections
            if len(_last_active) > 2 * len(connections) + 256:  # forget the closed ones
                _forget_all_but(connections)
            excess = len(connections) + 1 - self.limit
            if excess > 0:
                self._make_room(connections, excess)
        except Exception:  # asyncio drops a failing factory's connection without a word (outside debug mode)
            log.exception("could not make room for an HTTP connection")
        protocol = self.server()
        _last_active[protocol] = time.monotonic()
        return protocol

    def _make_room(self, connections: list[web.RequestHandler], excess: int) -> None:
        now = time.monotonic()
        idle = [c for c in connections if c not in _busy_since]
        victims = heapq.nsmallest(excess, idle, key=lambda c: _last_active.get(c, 0.0))
        if len(victims) < excess:  # all inside a request: the one in it longest, if long enough
            stuck = [c for c in connections if now - _busy_since.get(c, now) >= BUSY_GRACE]
            victims += heapq.nsmallest(excess - len(victims), stuck, key=lambda c: _busy_since[c])
        for protocol in victims:
            protocol.force_close()
            self.closed += 1
            self._unlogged += 1
        if self._unlogged and now >= self._next_log:
            log.warning(
                "%d HTTP connections closed to stay under %d open (the ones idle longest go first)",
                self._unlogged, self.limit,
            )  # fmt: skip
            self._unlogged, self._next_log = 0, now + self.log_every


async def listen(runner: web.AppRunner, host: str, port: int, max_connections: int) -> asyncio.Server:
    """Serve the runner's application on host:port through a ConnectionGuard: the listening server, to close
    before `runner.cleanup()`. Raises OSError when it cannot listen, as `TCPSite.start` does."""
    raise_fd_limit()
    quiet_floods()
    server = runner.server
    if server is None:
        raise RuntimeError("call runner.setup() first")
    guard = ConnectionGuard(server, connection_limit(max_connections))
    return await asyncio.get_running_loop().create_server(guard, host, port, backlog=BACKLOG)
