#!/usr/bin/env bash
# make bench [BENCH=name-substring]: run every scripts/bench/bench_*.py and print their figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh
# bench_dashboard measures the built bundle in Chromium (and says why not when it cannot)
bash scripts/web.sh build || echo "bench: the dashboard was not built (see above)" >&2
bash scripts/browser.sh
# shellcheck disable=SC2206
filter=(${BENCH:-})
exec .venv/bin/python scripts/bench/run.py "${filter[@]}" "$@"
