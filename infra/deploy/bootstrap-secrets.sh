#!/usr/bin/env bash
# Create the SSM SecureString /cirrus/<stage>/jwt-secret (the JWT signing key) if it is absent.
# CloudFormation cannot create SecureString parameters, so this runs before the first deploy of
# a stage (scripts/deploy.sh calls it every time; it never overwrites or prints an existing key).
#
#   infra/deploy/bootstrap-secrets.sh dev|prod        (region: AWS_REGION, else us-east-1)
#
# Needs AWS credentials allowed ssm:GetParameter and ssm:PutParameter on /cirrus/<stage>/*.
# Uses boto3 from the project's .venv (no AWS CLI needed). Rotate by hand:
#   aws ssm put-parameter --name /cirrus/<stage>/jwt-secret --type SecureString --overwrite --value ...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STAGE="${1:-${ENV:-dev}}"
case "$STAGE" in dev|prod) ;; *) echo "bootstrap-secrets: unknown stage '$STAGE' (dev|prod)" >&2; exit 2 ;; esac
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "bootstrap-secrets: run 'make bootstrap' first" >&2; exit 2; }

export CIRRUS_SECRET_NAME="/cirrus/$STAGE/jwt-secret"
export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
exec "$PY" - <<'PYEOF'
import os
import secrets
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError

name = os.environ["CIRRUS_SECRET_NAME"]
ssm = boto3.client("ssm", region_name=os.environ["AWS_REGION"])
try:
    ssm.get_parameter(Name=name, WithDecryption=False)
except ssm.exceptions.ParameterNotFound:
    pass
except (BotoCoreError, ClientError) as exc:
    sys.exit(f"bootstrap-secrets: cannot read {name}: {exc}")
else:
    print(f"bootstrap-secrets: {name} exists (left unchanged)")
    sys.exit(0)
try:
    ssm.put_parameter(
        Name=name,
        Description="Cirrus OMS JWT signing key (created by infra/deploy/bootstrap-secrets.sh)",
        Value=secrets.token_urlsafe(48),
        Type="SecureString",
        Overwrite=False,
        Tags=[{"Key": "app", "Value": "cirrus-oms"}],
    )
except ssm.exceptions.ParameterAlreadyExists:  # another deploy won the race
    print(f"bootstrap-secrets: {name} exists (left unchanged)")
except (BotoCoreError, ClientError) as exc:
    sys.exit(f"bootstrap-secrets: cannot create {name}: {exc}")
else:
    print(f"bootstrap-secrets: created SecureString {name} in {ssm.meta.region_name}")
PYEOF
