#!/usr/bin/env bash
# Set up (first time) and run the bot: `./scripts/run.sh` (extra arguments go to `python -m bot`).
source "$(dirname "$0")/_venv.sh" dev
exec .venv/bin/python -m bot "$@"
