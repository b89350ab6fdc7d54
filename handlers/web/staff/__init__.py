"""The staff console under /staff/: one module per page (its HTML routes and its part of the JSON API), the
shared frame in `base.py`. Translation only: who may do what and every rule are dialogs/console/ and the rooms'
services. Adding a page adds its module to `PAGES` and its path to `dialogs.console.rules.PAGES`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from dialogs.booking.service import BookingService
from dialogs.handoff.desk import Desk
from dialogs.handoff.service import HandoffService
from handlers.web.client import Network
from handlers.web.staff import audit, auth, callbacks, inbox, offices, today, unanswered, users
from handlers.web.staff.base import CONSOLE_KEY, Console, stylesheet
from knowledge.loader import Knowledge
from knowledge.understand import Understander
from storage.uow import UnitOfWork

PAGES = (auth, offices, today, callbacks, inbox, unanswered, users, audit)


def setup_staff(
    app: web.Application,
    uows: Callable[[], UnitOfWork],
    booking: BookingService | None,
    kb: Knowledge,
    *,
    proxies: Sequence[Network] = (),
    secure: bool = False,
    handoff: HandoffService | None = None,
    desk: Desk | None = None,
    understander: Understander | None = None,
) -> None:
    """Mount the staff console under /staff/."""
    app[CONSOLE_KEY] = Console(uows, booking, kb, tuple(proxies), secure, handoff, desk, understander)
    for module in PAGES:
        module.routes(app)
    app.router.add_get("/staff/static/staff.css", stylesheet)
