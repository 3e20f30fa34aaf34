"""End-to-end tier: `python -m infra.local run` in a subprocess, driven over HTTP only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
READY = "Cirrus local cloud ready: API "


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def cloud_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("cloud-state")
    env = {**os.environ, "CIRRUS_SIM_STEP_SECONDS": "0.4", "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "infra.local",
        "run",
        "--port",
        str(_free_port()),
        "--fresh",
        "--state-dir",
        str(state),
        "--speed",
        "10",
        "--param",
        "WebhookAllowInsecureTargets=true",
        "--param",
        "WebhookRetrySeconds=1,2,3",
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url, lines = None, []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(READY):
            url = line[len(READY) :].strip()
            break
    if url is None:
        proc.kill()
        pytest.fail("local cloud did not start:\n" + "".join(lines[-40:]))
    # keep draining output so the child never blocks on a full pipe
    import threading

    # (into a log file next to the state, for a failing test's post-mortem)
    log_path = state / "cloud.log"

    def keep_output() -> None:
        with log_path.open("a") as log:
            for line in proc.stdout:  # type: ignore[union-attr]
                log.write(line)
                log.flush()

    threading.Thread(target=keep_output, daemon=True).start()
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def http(cloud_url: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{cloud_url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=10
    ).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return session
