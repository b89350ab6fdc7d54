"""Verified citizens for tests and benchmarks: the row the verify room writes once a phone is proven, seeded
directly (the verification paths themselves are tested in their own room's tests)."""

from __future__ import annotations

import hashlib

from storage.uow import UnitOfWorkFactory


def phone_for(name: str) -> str:
    """A distinct Ukrainian mobile number per name (380 67 …), the same on every call."""
    number = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10_000_000
    return f"38067{number:07d}"


async def verify(
    factory: UnitOfWorkFactory,
    channel: str,
    external_id: str,
    phone: str | None = None,
    how: str = "telegram",
) -> str:
    """The citizen (created on first contact, as the engine does) with a verified phone; their person key."""
    async with factory() as uow:
        user, _ = await uow.users.with_state(channel, external_id)
        row = await uow.people.verify(user, phone or phone_for(external_id), how)
        return row.person
