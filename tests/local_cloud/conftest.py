"""Fixtures for the local cloud's own tests: fake credentials, the fixture template, a free port."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURE_APP = HERE / "fixture_app"
REPO_ROOT = HERE.parent.parent


@pytest.fixture(autouse=True)
def _offline_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never talk to a real endpoint or use real credentials from these tests."""
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL") or key in ("AWS_PROFILE",):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")


@pytest.fixture(scope="module")
def fixture_stack() -> Iterator[object]:
    """The fixture template deployed in mock_aws (shared by a module's tests)."""
    from infra.local.testing import deployed_template

    with deployed_template(FIXTURE_APP, stack_name="fixture") as stack:
        yield stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
