"""Load: citizens at once walking life situations, reminders and booking through the real channels, on two bot
processes (PostgreSQL + Redis, webhook mode behind nginx) against one process on SQLite, in the same run; then the
same load with one of the two processes killed (SIGKILL) part-way.

The harness of the load benchmark (bench/load.py) and of tests/scale/test_kill.py (a small kill phase): the
messengers' side (`wire`), the citizens (`citizens`), the processes and phases (`phases`).

What runs, all on loopback:
- `python -m bot` processes as deployed: TELEGRAM_MODE=webhook, Viber, an operator group; flood control off and
  Telegram's pacing raised (FLOOD_BURST=0, TELEGRAM_*_RATE), so the figures are the bot's work, not the limits.
- nginx with the shipped site (deploy/nginx/viza-bot.conf, rewritten for loopback ports exactly as
  tests/test_deploy.py does, with testkit/servers.py) in front of them, over TLS.
- Telegram: the telegram-test-api emulator with the test adapter in front (testkit/telegram/adapter.py). The
  emulator calls the webhook without Telegram's secret header, numbers updates only after the webhook answers
  (so updates in flight at once share an update_id), and crashes on a failed webhook; so its webhook goes to
  `Relay`, which does what Telegram does: a unique update_id per update, the secret header, and the update sent
  again (same id) until a process answers 200.
- Viber: citizens post signed callbacks to nginx (message_token unique, sent again until 200, as Viber does),
  echoing the tracking data of the bot's last message as the Viber client does; replies land in the fake Viber
  API (testkit/viber/fake_api.py).

Half the citizens are on Telegram, half on Viber. Each one: /start; a situation in their words; its questions
answered (random buttons); half of them ask for its deadline reminders; a typed «хочу записатися на прийом»,
a random topic, service, day and time (another if taken), confirmed; «прописка» typed; one in five then asks for
an operator (out of hours: leaves a question; in hours: queues). A step's latency runs from the citizen's send to
the reply's last message with buttons (on Telegram the step also waits for the process's 200 to the relay, which
comes after the replies are sent); then the citizen waits THINK seconds and goes on. Errors: a reply that never comes (15 s), a send that
never gets 200, a walk that gets stuck (no expected button), an apology for a technical error, a traceback in a
process's log.

After each phase the database is checked against what citizens were acknowledged: every Telegram update_id and
Viber message_token that got a 200 is in processed_updates (saved in the step's own transaction); every booking
code shown exists, active; every citizen told «нагадаю» has reminders; every question acknowledged has a ticket;
no place holds more bookings than its windows.
"""

from testkit.load.phases import harness, phase

__all__ = ["harness", "phase"]
