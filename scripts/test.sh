#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: `./scripts/test.sh` (extra arguments go to pytest).
source "$(dirname "$0")/_venv.sh" dev
# Real components the tests start: Debian's headless Chromium for the web chat (Playwright never downloads a
# browser here) and a throwaway PostgreSQL server for the same storage with only DATABASE_URL changed.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# A throwaway redis-server for several processes sharing pacing, limits and order (tests/scale/).
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# nginx serves a real bot through deploy/nginx/viza-bot.conf (tests/test_deploy.py); openssl makes its test cert.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# libfaketime runs the date-sensitive tests at other dates and hours (tests/test_any_date.py).
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get (first run)…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need Debian packages ${missing[*]}: install them (sudo apt-get install ${missing[*]}) or run this as root." >&2
    exit 1
  fi
fi
# The Telegram end-to-end tests run the bot against the telegram-test-api emulator (package.json pins it).
if [ ! -d node_modules/telegram-test-api ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "The tests need node and npm (sudo apt-get install nodejs npm)." >&2
    exit 1
  fi
  echo "Installing the Telegram test emulator (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
.venv/bin/python -m knowledge check
.venv/bin/python -m dialogs check
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest -q "$@"
