#!/usr/bin/env bash
# make lint: ruff check and ruff format --check over the repository (config: pyproject.toml).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh
rc=0
.venv/bin/ruff check . || rc=$?
.venv/bin/ruff format --check . || rc=$?
exit "$rc"
