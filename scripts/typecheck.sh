#!/usr/bin/env bash
# make typecheck: mypy with the configuration in pyproject.toml ([tool.mypy]: the oms package).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh
exec .venv/bin/mypy "$@"
