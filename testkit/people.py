"""Verified citizens for tests that are not about verifying: a phone seeded as the verify room leaves it
(`uow.people.verify`), one distinct number per citizen, so per-person limits count each test citizen apart.
Tests of the verification itself go through the verify room (tests/dialogs/test_verify.py)."""

from __future__ import annotations

import hashlib

from storage.uow import UowFactory

_HOW = {"telegram": "telegram", "viber": "viber"}  # the web's «sms»


def phone_for(channel: str, user_id: str) -> str:
    """A mobile number of the test citizen's own: 38067 and seven digits of their id's hash."""
    tail = int(hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest(), 16) % 10**7
    return f"38067{tail:07d}"


async def verify_citizen(uow_factory: UowFactory, channel: str, user_id: str, phone: str | None = None) -> str:
    """The citizen (created if new) with a verified phone (kept if they have one); the number."""
    number = phone or phone_for(channel, user_id)
    async with uow_factory() as uow:
        user, _ = await uow.users.with_state(channel, user_id)
        found = await uow.people.verified(user)
        if found is None:
            found = await uow.people.verify(user, number, _HOW.get(channel, "sms"))
        return found.phone
