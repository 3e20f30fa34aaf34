#!/usr/bin/env bash
# make chaos [N=1000] [CHAOS="lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7"]: N orders through
# a local cloud that injects faults, then the checks; prints the figures (exit 1 if a check failed).
# The scenario is infra/local/chaos_scenario.py; the fault plan is infra/local/chaos.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh
args=(--orders "${N:-1000}")
if [ -n "${CHAOS:-}" ]; then
  args+=(--chaos "$CHAOS")
fi
exec .venv/bin/python -m infra.local.chaos_scenario "${args[@]}" "$@"
