#!/usr/bin/env bash
# make clean: remove build output and tool caches. make distclean (--all): also the venvs and
# the local cloud's state (.local/), i.e. everything `make bootstrap` / `make run` recreate.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
rm -rf .aws-sam build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
rm -rf web/dist functions/dashboard/static   # the dashboard's bundle (make web rebuilds it)
find . -path ./.git -prune -o -path ./.venv -prune -o -path ./.venv-sam -prune -o \
  \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 | xargs -0 rm -rf
echo "clean: removed build output and caches"
if [ "${1:-}" = --all ]; then
  rm -rf .venv .venv-sam .local web/node_modules
  echo "clean: removed .venv, .venv-sam, .local and web/node_modules (run 'make bootstrap' to reinstall)"
fi
