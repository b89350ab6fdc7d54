#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: `./scripts/test.sh` (extra arguments go to pytest).
source "$(dirname "$0")/_venv.sh" dev
.venv/bin/python -m knowledge check
.venv/bin/python -m dialogs check
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest -q "$@"
