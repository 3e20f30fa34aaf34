#!/usr/bin/env bash
# make deploy [ENV=dev|prod]: build and deploy template.yaml with the SAM CLI from .venv-sam,
# using the matching environment of samconfig.toml (stack, region, parameters, changeset policy).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ENV="${ENV:-dev}"
grep -q "^\[$ENV\.deploy\.parameters\]" samconfig.toml \
  || { echo "deploy: samconfig.toml has no [$ENV.deploy.parameters]" >&2; exit 2; }

bash scripts/bootstrap.sh
export SAM_CLI_TELEMETRY=0

# sam build needs a python3.12 binary on PATH (the Lambda runtime); pyenv keeps it off PATH.
if ! python3.12 --version >/dev/null 2>&1; then
  if command -v pyenv >/dev/null 2>&1 && V="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$)' | tail -1)" && [ -n "$V" ]; then
    PYENV_ROOT="$(pyenv root)"
    export PATH="$PYENV_ROOT/versions/$V/bin:$PATH"
  fi
  python3.12 --version >/dev/null 2>&1 || { echo "deploy: sam build needs python3.12 on PATH" >&2; exit 2; }
fi
echo "deploy: $(python3.12 --version) for sam build"

bash infra/deploy/bootstrap-secrets.sh "$ENV"
bash scripts/web.sh build   # the dashboard's bundle into functions/dashboard/static, which sam build packages
.venv-sam/bin/sam build --config-env "$ENV"
exec .venv-sam/bin/sam deploy --config-env "$ENV" "$@"
