#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (tests/browser) and the dashboard
# benchmark: installed with apt-get when missing and this runs as root (CI: a fresh Debian machine).
# Never fails: without a browser the browser tier is skipped, and says why.
#   CIRRUS_CHROMIUM=/path/to/chromium   another executable (default /usr/bin/chromium)
#   CIRRUS_BROWSER=0                    skip the browser tier (nothing is installed)
set -uo pipefail
CHROMIUM="${CIRRUS_CHROMIUM:-/usr/bin/chromium}"
say() { printf 'browser: %s\n' "$*"; }

[ "${CIRRUS_BROWSER:-1}" != 0 ] || { say "browser tier switched off (CIRRUS_BROWSER=0)"; exit 0; }
if [ -x "$CHROMIUM" ]; then
  say "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") at $CHROMIUM"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$CHROMIUM" = /usr/bin/chromium ]; then
  say "installing Debian's chromium (apt-get) for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  if { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null 2>&1 \
     && [ -x "$CHROMIUM" ]; then
    say "$("$CHROMIUM" --version 2>/dev/null) installed"
    exit 0
  fi
  say "apt-get install chromium failed: the browser tier will be skipped"
  exit 0
fi
say "no Chromium at $CHROMIUM (install it: sudo apt-get install chromium): the browser tier will be skipped"
exit 0
