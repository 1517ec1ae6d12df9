#!/usr/bin/env bash
# Installs the packages pinned in requirements.lock, and the project itself, into a venv
# (`make` calls it when the lock changes). uv is pinned in the lock too: its entry, with its
# hashes, is installed first with pip, then uv installs the whole lock with --require-hashes
# (about ten times faster than pip, and it prints what it does). pip is the fallback where the
# uv wheel cannot be had or uv fails.
set -euo pipefail
venv=${1:-.venv}
python=${PYTHON:-python3}
py=$venv/bin/python
lock=requirements.lock

# uv's entry of the lock: its `uv==` line and the hash lines continued after it.
uv_entry() { awk '/^uv==/ {on = 1} on {print} on && !/\\$/ {exit}' "$lock"; }
if [ "${1:-}" = --uv-entry ]; then uv_entry; exit 0; fi  # what the tests check

uv_entry=$(mktemp)
trap 'rm -f "$uv_entry"' EXIT
uv_entry > "$uv_entry"

test -x "$py" || { echo "install: a new venv in $venv"; "$python" -m venv "$venv"; }
echo "install: the packages pinned in $lock, into $venv"

quiet="--quiet --disable-pip-version-check"
if [ -s "$uv_entry" ] && "$py" -m pip install $quiet --require-hashes --no-deps -r "$uv_entry"; then
  # --compile-bytecode: the packages' .pyc written once here (pip does so by default, uv does
  # not). Without them every import compiles from source wherever PYTHONDONTWRITEBYTECODE is
  # set: pandas, pandera and Altair then took 2.7 s of every run's kernel instead of 1.3 s.
  if "$venv/bin/uv" pip install --python "$py" --compile-bytecode --require-hashes -r "$lock" &&
    "$venv/bin/uv" pip install --python "$py" --quiet --no-deps -e .; then
    exit 0
  fi
  echo "install: uv failed; installing with pip instead" >&2
else
  echo "install: uv (pinned in $lock) could not be installed; installing with pip" >&2
fi
"$py" -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r "$lock"
"$py" -m pip install $quiet --no-deps -e .
