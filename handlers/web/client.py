"""The address of the web client a request came from, for per-address caps (storage/people.py `allow`).

The peer's address, unless the peer is one of `TRUSTED_PROXIES` (the nginx in front of the bot): then the
right-most address of `X-Forwarded-For` that is not itself a trusted proxy, which is the one the proxy saw. A header
from anybody else is ignored, so a script cannot pick its own address by writing the header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str) -> tuple[Network, ...]:
    """«127.0.0.1 10.0.0.0/8, ::1» → networks; ValueError names a wrong one."""
    out = []
    for part in value.replace(",", " ").split():
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or network") from None
    return tuple(out)


def _trusted(address: str, proxies: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address (see the module); «unknown» when there is none to tell."""
    address = peer or "unknown"
    if not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed header: the proxy's own address is the safer key
        if not _trusted(hop, proxies):
            return hop
        address = hop
    return address


def of_request(request: web.Request, proxies: Sequence[Network]) -> str:
    return client_address(request.remote, request.headers.get("X-Forwarded-For"), proxies)
