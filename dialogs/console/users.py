"""The console's users page: the staff users as the page lists them, and what an admin may change there (add,
disable, a new password: the same rules and audit lines as `python -m bot staff`, dialogs/console/accounts.py).
An admin never disables themself (the Center would lose its console). Over one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.console import accounts, rules
from dialogs.console.accounts import UserError
from storage.staff import StaffUser
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Listed:
    login: str
    role: str
    disabled: bool
    locked: bool

    def json(self) -> dict[str, object]:
        return {"login": self.login, "role": self.role, "disabled": self.disabled, "locked": self.locked}


async def listing(uow: UnitOfWork) -> list[Listed]:
    now = uow.clock()
    return [Listed(u.login, u.role, u.disabled, rules.locked(u.locked_until, now)) for u in await uow.staff.users()]


async def disable(uow: UnitOfWork, login: str, actor: str) -> StaffUser | None:
    """Disable a login and end its sessions; refused for the actor's own login. None: no such login."""
    if login == actor:
        raise UserError("you cannot disable yourself; another admin can")
    return await accounts.disable(uow, login, actor)
