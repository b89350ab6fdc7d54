"""The Center's staff commands: `python -m bot booking …`, `… reminders …`, `… handoff …`, `… unanswered …`,
`… audit …` (who changed what: the staff audit log), `… staff …` (the console's users).

One module per room (booking, reminders, handoff) over the same services the chat calls; `common` holds what the
three share (exit statuses, one-line refusals, the database on the injected clock, JSON). None of them imports a
messenger SDK or a handler: `bot/__main__.py` hands a staff command over before it imports the bot itself, so a
command answers in about a second.

Exit status: 0 done, 1 not found, 2 bad arguments or settings (one line on stderr)."""

from __future__ import annotations

from bot.staff import alerts, audit, handoff, reminders, unanswered, users
from bot.staff.booking import main, parse, run
from bot.staff.booking_commands import execute

alerts_main, alerts_run = alerts.main, alerts.run  # `python -m bot alerts …`: air-raid alerts
audit_main, audit_run = audit.main, audit.run
handoff_main, handoff_run = handoff.main, handoff.run
reminders_main, reminders_run = reminders.main, reminders.run
unanswered_main, unanswered_run = unanswered.main, unanswered.run
users_main, users_run = users.main, users.run  # `python -m bot staff …`: console users

__all__ = [
    "alerts_main",
    "alerts_run",
    "audit_main",
    "audit_run",
    "execute",
    "handoff_main",
    "handoff_run",
    "main",
    "parse",
    "reminders_main",
    "reminders_run",
    "run",
    "unanswered_main",
    "unanswered_run",
    "users_main",
    "users_run",
]
