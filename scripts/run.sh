#!/usr/bin/env bash
# make run [FRESH=1] [PORT=...] [SPEED=...]: start the embedded local cloud (infra/local).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh   # the local cloud needs no SAM CLI

args=()
case "${FRESH:-}" in 1|true|yes) args+=(--fresh) ;; esac
[ -z "${PORT:-}" ] || args+=(--port "$PORT")
[ -z "${SPEED:-}" ] || args+=(--speed "$SPEED")
# Local receivers (http://localhost) may take webhooks, and retries come within seconds, not minutes.
args+=(--param WebhookAllowInsecureTargets=true --param WebhookRetrySeconds=5,10,20)
exec .venv/bin/python -m infra.local run "${args[@]}" "$@"
