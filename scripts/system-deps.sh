#!/usr/bin/env bash
# Debian packages outside PyPI that the report or the tests need; installs the missing ones when
# run as root with apt-get, and otherwise says what to install; for tests also axe-core from npm.
# Usage (from the project root): system-deps.sh report|test
set -euo pipefail
cd "$(dirname "$0")/.."
want=()
# The PDF names Noto Serif CJK SC and the charts Noto Sans CJK SC: both come with fonts-noto-cjk.
# (fc-list's output is captured first: `fc-list | grep -q` fails under pipefail on SIGPIPE.)
have_cjk_font() {
  local families
  families=$(fc-list : family 2>/dev/null) || return 1
  grep -q "Noto Serif CJK SC" <<<"$families" && grep -q "Noto Sans CJK SC" <<<"$families"
}
have_cjk_font || want+=(fonts-noto-cjk fontconfig)
if [ "${1:-report}" = test ]; then
  command -v chromium >/dev/null || want+=(chromium)
  command -v pdftoppm >/dev/null || want+=(poppler-utils)
fi
# axe-core (npm) checks the fallback's HTML for accessibility in the browser tests; it lives in
# build/node/, where tests/browser.py looks. Without npm the test is skipped and says why.
AXE_VERSION=4.14.1
if [ "${1:-report}" = test ] && [ ! -f build/node/node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null; then
    echo "installing axe-core@$AXE_VERSION into build/node/ (npm)"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix build/node "axe-core@$AXE_VERSION" >/dev/null
  else
    echo "note: npm not found; the accessibility test (axe-core) will be skipped" >&2
  fi
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${want[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
else
  echo "error: missing system packages: ${want[*]} (install them, e.g. sudo apt-get install ${want[*]})" >&2
  exit 1
fi
