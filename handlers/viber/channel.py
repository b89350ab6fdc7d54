"""The Viber channel assembled: webhook route, sender, and the command that sets the webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from dialogs.messages import Reply
from dialogs.turns import Turns
from handlers.viber.sender import QuietLimit, SharedQuiet, ViberSender
from handlers.viber.webhook import CHANNEL, WEBHOOK_PATH, ViberWebhook


@dataclass
class ViberChannel:
    webhook: ViberWebhook
    sender: ViberSender

    def mount(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.webhook.handle)

    async def set_webhook(self, public_url: str) -> dict[str, object]:
        return await self.sender.set_webhook(public_url.rstrip("/") + WEBHOOK_PATH)

    async def close(self) -> None:
        await self.sender.close()


def build_viber(
    token: str,
    api_url: str,
    bot_name: str,
    turns: Turns,
    welcome: Callable[[], Reply],
    *,
    timeout: float = 10.0,
    quiet_limit: QuietLimit | None = None,
    shared_quiet: SharedQuiet | None = None,
    note: Callable[[str], None] | None = None,
) -> ViberChannel:
    """Wire the channel once: `turns` takes its messages through the one pipeline; `welcome` is the main
    menu, the first message Viber lets a bot send."""
    uow_factory = turns.uows

    async def on_result(user: str, message_token: str | None, status: int) -> None:
        async with uow_factory() as uow:
            if message_token and status == 0:
                await uow.deliveries.record(CHANNEL, message_token, "sent")
            if status in (5, 6):  # not registered / not subscribed: send nothing until they write again
                await uow.users.deactivate(CHANNEL, user)

    sender = ViberSender(
        api_url, token, bot_name, on_result,
        timeout=timeout, quiet_limit=quiet_limit, shared_quiet=shared_quiet, note=note,
    )  # fmt: skip
    return ViberChannel(ViberWebhook(token, turns, welcome, sender), sender)
