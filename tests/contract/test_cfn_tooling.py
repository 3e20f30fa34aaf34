"""template.yaml passes AWS's own offline linters: cfn-lint and `sam validate --lint`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"

# Offline and anonymous: a region for the SAM translator, dummy credentials so nothing looks for a
# profile, no telemetry, and no endpoint override leaking in from a local-cloud shell.
OFFLINE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "SAM_CLI_TELEMETRY": "0",
    "SAM_CLI_DISABLE_VERSION_CHECK": "1",
}
DROPPED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env.update(OFFLINE_ENV)
    return env


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=ROOT, env=_offline_env(), capture_output=True, text=True, timeout=300, check=False
    )


def _cfn_lint() -> str | None:
    beside = Path(sys.executable).with_name("cfn-lint")
    return str(beside) if beside.exists() else shutil.which("cfn-lint")


def test_cfn_lint_is_clean() -> None:
    exe = _cfn_lint()
    assert exe, "cfn-lint is not installed (it is in the dev extra: run make bootstrap)"
    proc = _run([exe, "template.yaml"])
    assert proc.returncode == 0, (
        f"cfn-lint template.yaml (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    )


def test_sam_validate_lint_passes() -> None:
    if not SAM.exists():
        reason = ".venv-sam/bin/sam not found: run scripts/bootstrap.sh (make bootstrap) to install SAM CLI"
        print(f"SKIP sam validate --lint: {reason}")
        pytest.skip(reason)
    proc = _run([str(SAM), "validate", "--lint", "--template", "template.yaml", "--region", "us-east-1"])
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sam validate --lint (exit {proc.returncode}):\n{output}"
    assert "is a valid SAM Template" in output, output
