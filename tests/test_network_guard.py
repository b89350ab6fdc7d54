"""The suite itself refuses to leave loopback (so no test can call a real messenger by accident)."""

import socket

import pytest


def test_outside_address_is_refused() -> None:
    with pytest.raises(RuntimeError, match="loopback"), socket.socket() as s:
        s.connect(("93.184.216.34", 443))


def test_name_resolution_outside_is_refused() -> None:
    with pytest.raises(RuntimeError, match="loopback"):
        socket.getaddrinfo("example.org", 443)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            assert client.getpeername() == server.getsockname()
