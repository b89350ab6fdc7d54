#!/usr/bin/env bash
# Set up (first time) and run the bot: `./scripts/run.sh` (extra arguments go to `python -m bot`).
# Installs only what the bot needs to run; ./scripts/test.sh adds the dev tools to the same .venv.
source "$(dirname "$0")/_venv.sh" run
if [ "$VENV_CHANGED" = 1 ]; then
  echo "Starting the bot…" >&2
fi
exec .venv/bin/python -m bot "$@"
