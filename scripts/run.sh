#!/usr/bin/env bash
# make run [FRESH=1] [PORT=...] [SPEED=...]: start the embedded local cloud (infra/local).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh   # the local cloud needs no SAM CLI
# The dashboard (served at /app/ by the local cloud), rebuilt when its sources changed. Without
# Node.js the API still runs: the message above says what to install, /app/ says to run make web.
bash scripts/web.sh build || echo "run: the dashboard was not built (see above); starting the API without it" >&2

args=()
case "${FRESH:-}" in 1|true|yes) args+=(--fresh) ;; esac
[ -z "${PORT:-}" ] || args+=(--port "$PORT")
[ -z "${SPEED:-}" ] || args+=(--speed "$SPEED")
# Local receivers (http://localhost) may take webhooks, and retries come within seconds, not minutes.
args+=(--param WebhookAllowInsecureTargets=true --param WebhookRetrySeconds=5,10,20)
exec .venv/bin/python -m infra.local run "${args[@]}" "$@"
