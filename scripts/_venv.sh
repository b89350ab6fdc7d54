# Sourced by run.sh and test.sh: create .venv on first use and keep it in sync with pyproject.toml.
# `source scripts/_venv.sh run` installs what the bot needs to run; `source scripts/_venv.sh dev` adds the dev
# tools (tests, linters) and the benchmarks' extra (scikit-learn). One stamp per kind and pyproject.toml version:
# a dev install also counts for `run`, so run.sh after test.sh installs nothing. Progress goes to stderr; pip's
# output is shown only when it fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
kind="${1:-run}"
case "$kind" in
  run) spec="." ;;
  dev) spec=".[dev,bench]" ;;  # bench: scikit-learn for bench/understanding.py and its test
  *) echo "scripts/_venv.sh: unknown kind '$kind' (run or dev)" >&2; exit 2 ;;
esac

_venv_pip() {  # quiet pip; its whole output only if it fails
  local out
  out="$(mktemp)"
  if ! .venv/bin/python -m pip "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    echo "Installing failed (pip's output is above). Check the network access to pypi.org and run again." >&2
    exit 1
  fi
  rm -f "$out"
}

VENV_CHANGED=0
if [ ! -x .venv/bin/python ]; then
  if ! command -v "$PY" >/dev/null 2>&1; then
    echo "Python 3.11 or newer is needed: '$PY' was not found (set PYTHON to its path)." >&2
    exit 1
  fi
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Python 3.11 or newer is needed; '$PY' is $("$PY" -V 2>&1) (set PYTHON to a newer one)." >&2
    exit 1
  fi
  echo "Setting up the Python environment in .venv (first run, about a minute)…" >&2
  if ! venv_out="$("$PY" -m venv .venv 2>&1)"; then
    echo "$venv_out" >&2
    rm -rf .venv
    echo "Could not create .venv (on Debian/Ubuntu: sudo apt-get install python3-venv)." >&2
    exit 1
  fi
  _venv_pip install --upgrade pip
  VENV_CHANGED=1
fi

hash="$(sha1sum pyproject.toml | cut -c1-12)"
stamp=".venv/.installed-$hash-$kind"
if [ ! -f "$stamp" ] && ! { [ "$kind" = run ] && [ -f ".venv/.installed-$hash-dev" ]; }; then
  if [ -f ".venv/.installed-$hash-run" ]; then
    echo "Installing the dev tools into .venv…" >&2
  elif compgen -G ".venv/.installed-*" >/dev/null; then
    echo "pyproject.toml has changed: updating the dependencies in .venv…" >&2
  elif [ "$kind" = dev ]; then
    echo "Installing dependencies and the dev tools (first run needs network access to pypi.org)…" >&2
  else
    echo "Installing dependencies (first run needs network access to pypi.org)…" >&2
  fi
  _venv_pip install -e "$spec"
  # Stamps of an older pyproject.toml are stale; the other kind's stamp of this version stays valid.
  for old in .venv/.installed-*; do
    case "$old" in ".venv/.installed-$hash-"*) ;; *) rm -f "$old" ;; esac
  done
  touch "$stamp"
  VENV_CHANGED=1
fi
