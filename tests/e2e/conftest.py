"""End-to-end tier: `python -m infra.local run` in a subprocess, driven over HTTP only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from infra.local.launch import cloud_process


@pytest.fixture(scope="session")
def cloud_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("cloud-state")
    options = [
        "--fresh", "--speed", "10",
        "--param", "WebhookAllowInsecureTargets=true", "--param", "WebhookRetrySeconds=1,2,3",
    ]  # fmt: skip
    # the simulator's external-order feed (infra/local/trouble.py) is off: these tests count their own events
    env = {"CIRRUS_SIM_STEP_SECONDS": "0.4", "CIRRUS_SIM_FEED_SECONDS": "0"}
    with cloud_process(options, state, env=env, timeout=60) as url:
        yield url


@pytest.fixture(scope="session")
def http(cloud_url: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{cloud_url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=10
    ).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return session
