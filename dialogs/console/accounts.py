"""Staff accounts and sign-in: argon2id password hashes (argon2-cffi), the login lock, sessions with a random
token (only its hash is stored) and a CSRF token, the idle timeout. Over one unit of work; `now` is the uow's
clock. The per-address slowdown counts failed logins with `People.allow` under the client's keyed address."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from enum import Enum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dialogs.console import rules
from storage.staff import StaffUser
from storage.uow import UnitOfWork

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults


@cache
def _dummy() -> str:
    """Verified against when the login does not exist, so that an unknown login costs the time of a known one
    (made at the first use: a hash takes ~0.1 s, which no import should pay)."""
    return _HASHER.hash("not a password of anyone")


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
FAILED_LOGIN = "staff-login"  # the ClientAction kind of a failed login


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class Refused(Enum):
    WRONG = "wrong"  # unknown login, wrong password, disabled login: one answer for all
    LOCKED = "locked"  # too many failures for the login
    SLOWED = "slowed"  # too many failures from the address


@dataclass(frozen=True)
class Signed:
    """A session: the token for the cookie, the CSRF token, who."""

    token: str
    csrf: str
    login: str
    role: str


class UserError(ValueError):
    """A staff command's bad argument (one line)."""


async def add_user(uow: UnitOfWork, login: str, role: str, password: str, actor: str) -> StaffUser:
    if not rules.valid_login(login):
        raise UserError("a login is 2-64 lowercase letters, digits, '.', '_' or '-'")
    if role not in rules.ROLES:
        raise UserError(f"a role is one of {', '.join(rules.ROLES)}")
    problem = rules.password_problem(password)
    if problem:
        raise UserError(problem)
    if await uow.staff.user(login) is not None:
        raise UserError(f"login {login!r} exists (staff passwd to change its password)")
    user = await uow.staff.add(login, role, hash_password(password))
    await uow.audit.record(actor, "staff.add", f"staff:{login}", after={"role": role})
    return user


async def set_password(uow: UnitOfWork, login: str, password: str, actor: str) -> StaffUser | None:
    """A new password; every session of the login is revoked and the lock lifted. None: no such login."""
    user = await uow.staff.user(login)
    if user is None:
        return None
    problem = rules.password_problem(password)
    if problem:
        raise UserError(problem)
    user.password, user.failed, user.locked_until = hash_password(password), 0, None
    await uow.staff.revoke_all(user)
    await uow.audit.record(actor, "staff.passwd", f"staff:{login}")
    return user


async def disable(uow: UnitOfWork, login: str, actor: str) -> StaffUser | None:
    user = await uow.staff.user(login)
    if user is None:
        return None
    before = user.disabled
    user.disabled = True
    await uow.staff.revoke_all(user)
    await uow.audit.record(actor, "staff.disable", f"staff:{login}", before={"disabled": before},
                           after={"disabled": True})  # fmt: skip
    return user


async def sign_in(uow: UnitOfWork, login: str, password: str, address: str) -> Signed | Refused:
    """A session, or why not. The caller commits either way: a failure's count must stay."""
    now = uow.clock()
    client = uow.people.client(address)
    user = await uow.staff.user(login)
    if user is not None and rules.locked(user.locked_until, now):
        return Refused.LOCKED
    if not await _address_allowed(uow, client):
        return Refused.SLOWED
    # argon2 takes ~0.05-0.15 s of CPU (argon2-cffi releases the GIL): in a thread, so the chat goes on meanwhile
    ok = await asyncio.to_thread(_verify, user.password if user is not None else _dummy(), password)
    if user is None or user.disabled or not ok:
        await uow.people.allow(client, FAILED_LOGIN, rules.ADDRESS_FAILURES + 1, rules.ADDRESS_WINDOW)
        if user is not None and not user.disabled:
            user.failed, user.locked_until = rules.after_failure(user.failed, now)
            if user.locked_until is not None:
                await uow.audit.record("console", "staff.locked", f"staff:{login}",
                                       after={"until": user.locked_until.isoformat()})  # fmt: skip
                return Refused.LOCKED
        return Refused.WRONG
    if _HASHER.check_needs_rehash(user.password):
        user.password = hash_password(password)
    user.failed, user.locked_until = 0, None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await uow.staff.open_session(user, token, csrf)
    return Signed(token, csrf, user.login, user.role)


async def _address_allowed(uow: UnitOfWork, client: str) -> bool:
    """Fewer than ADDRESS_FAILURES failed logins from the address in the window."""
    return await uow.people.done(client, FAILED_LOGIN, rules.ADDRESS_WINDOW) < rules.ADDRESS_FAILURES


async def session_of(uow: UnitOfWork, token: str | None) -> Signed | None:
    """The live session of a cookie's token, its last use moved on; None if none, revoked, idle or disabled."""
    if not token or len(token) > 200:
        return None
    found = await uow.staff.session(token)
    now = uow.clock()
    if found is None or found.revoked or rules.idle(found.seen_at, now):
        return None
    user = await uow.staff.user_by_id(found.user_id)
    if user is None or user.disabled:
        return None
    if now - found.seen_at >= rules.SEEN_GRANULARITY:
        found.seen_at = now
    return Signed(token, found.csrf, user.login, user.role)


async def sign_out(uow: UnitOfWork, token: str) -> None:
    await uow.staff.revoke(token)
