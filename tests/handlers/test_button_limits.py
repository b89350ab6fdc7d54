"""Every button a citizen can reach stays within what Telegram and Viber accept and show: Telegram's inline
keyboard (at most 8 buttons a row, 100 in all; callback_data 1–64 bytes) and Viber's rich keyboard (at most 24
buttons, 1–6 columns each, a label of at most 250 characters). The buttons are gathered by pressing, from the main
menu on, every button the bot shows (scenarios answered «не знаю» to their checklists, as the engine test does)."""

from __future__ import annotations

from bot.app import Bot
from dialogs.flood import FloodLimiter
from dialogs.messages import MAX_PAYLOAD_BYTES, Incoming, Reply
from handlers.telegram.render import keyboard as telegram_keyboard
from handlers.viber.render import MAX_BUTTONS
from handlers.viber.render import keyboard as viber_keyboard
from testkit.people import verify_citizen

PRESSES = 700  # enough to reach every menu, group, card section, booking step and room's first buttons
TELEGRAM_ROW, TELEGRAM_ALL = 8, 100
VIBER_TEXT = 250
STEPS = (
    "q:o:",
    "q:p:no",
    "q:d:",
    "q:t:",
)  # the booking's next step: an office, «not priority», a day, a time


async def _reachable(bot: Bot) -> list[Reply]:
    """The replies met by pressing every button once (breadth first), and by walking every scenario."""
    engine, found = bot.engine, []
    engine.flood = FloodLimiter(burst=0)  # one walker presses hundreds of buttons a second
    queue, pressed = ["m"], set()
    while queue and len(pressed) < PRESSES:
        payload = queue.pop(0)
        if payload in pressed:
            continue
        pressed.add(payload)
        replies = await engine.handle(Incoming("web", "walker", payload=payload))
        found += replies
        queue += [
            b.payload for r in replies for row in r.buttons for b in row if b.payload and b.payload != "f:yes"
        ]
    # The booking's steps need its place: from a few services, on through office, priority, day and time.
    services = sorted({p for p in pressed if p.startswith("q:s:")})[:4]
    for n, payload in enumerate(services):
        await verify_citizen(bot.uow_factory, "web", f"booker-{n}")  # the walker meets the verify room instead
        for _ in range(5):
            replies = await engine.handle(Incoming("web", f"booker-{n}", payload=payload))
            found += replies
            payloads = [b.payload or "" for r in replies for row in r.buttons for b in row]
            payload = next((p for step in STEPS for p in payloads if p.startswith(step)), "")
            if not payload:
                break
    for sc in engine.scenarios.values():
        replies = await engine.handle(Incoming("web", f"all-{sc.id}", payload=f"s:{sc.id}"))
        for _ in range(7):
            found += replies
            answers = [
                b for r in replies for row in r.buttons for b in row if (b.payload or "").startswith("a:")
            ]
            if not answers:
                break
            choice = next((b for b in answers if (b.payload or "").endswith(":unknown")), answers[0])
            replies = await engine.handle(Incoming("web", f"all-{sc.id}", payload=choice.payload))
    return found


async def test_every_reachable_button_fits_telegram_and_viber(bot: Bot) -> None:
    replies = await _reachable(bot)
    labels = {b.text for r in replies for row in r.buttons for b in row}
    assert len(replies) > 500 and len(labels) > 150  # the walk reached the bot's breadth
    assert any(label.startswith("🕘") for label in labels) and "Почати спочатку" in " ".join(labels)
    for reply in replies:
        markup = telegram_keyboard(reply)
        rows = markup.inline_keyboard if markup is not None else []
        assert all(1 <= len(row) <= TELEGRAM_ROW for row in rows), reply
        assert sum(len(row) for row in rows) <= TELEGRAM_ALL, reply
        for b in (b for row in rows for b in row):
            assert b.text.strip() and (
                b.url or 1 <= len((b.callback_data or "").encode()) <= MAX_PAYLOAD_BYTES
            )
        board = viber_keyboard(reply)["Buttons"]
        assert len(board) <= MAX_BUTTONS == 24, reply
        for button in board:
            assert 1 <= button["Columns"] <= 6 and len(button["Text"]) <= VIBER_TEXT, button
