#!/usr/bin/env bash
# mypy over the shared package (config in pyproject.toml), the local cloud, and each function's
# entry point (checked one by one: every function folder has its own app.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh
.venv/bin/mypy "$@"
.venv/bin/mypy --config-file pyproject.toml infra
for fn in functions/*/app.py; do
  .venv/bin/mypy --config-file pyproject.toml "$fn"
done
