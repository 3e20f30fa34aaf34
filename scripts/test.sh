#!/usr/bin/env bash
# make test / make contract: run pytest from .venv, in parallel when pytest-xdist is installed.
#   scripts/test.sh [pytest args...]      e.g. scripts/test.sh tests/contract -k asl
#   (without arguments it also builds the dashboard, runs its unit tests and makes sure Chromium is
#   there for tests/browser; with arguments, tests/browser builds the dashboard itself if needed)
#   PYTEST_WORKERS=0 make test            run serially (default: auto, one worker per core)
# Exit codes are pytest's (5 = no tests collected; .ci/run decides what that means).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
if [ "$#" -eq 0 ]; then
  # the whole suite: the dashboard built from its sources (when they changed), its unit tests
  # (Vitest), and Chromium for the browser tier (tests/browser; skipped, saying why, without it)
  bash scripts/web.sh build
  bash scripts/web.sh test
  bash scripts/browser.sh
  args_durations=(--durations=30)  # the whole suite prints its 30 slowest steps: where the time goes
fi

args=(-ra)
WORKERS="${PYTEST_WORKERS:-auto}"
if [ "$WORKERS" != 0 ] && .venv/bin/python -c 'import xdist' 2>/dev/null; then
  args+=(-n "$WORKERS" --dist loadgroup)  # an xdist_group runs on one worker (tests/browser)
fi
# PYTEST_ARGS (word-split on purpose) lets make pass extra options: make test PYTEST_ARGS="-k order"
# shellcheck disable=SC2206
extra=(${PYTEST_ARGS:-})
exec .venv/bin/python -m pytest "${args[@]}" ${args_durations[@]+"${args_durations[@]}"} "${extra[@]}" "$@"
