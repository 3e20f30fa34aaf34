"""What the browser tier and the dashboard benchmark share: a local cloud in a subprocess (as in
tests/e2e) and Debian's Chromium launched by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
READY = "Cirrus local cloud ready: API "
CHROMIUM = os.environ.get("CIRRUS_CHROMIUM", "/usr/bin/chromium")
# As the machine's own probe runs Chromium: no sandbox as root, and nothing that reaches out to
# the network (the machine has none but the package registries). Playwright's launch() adds a new,
# empty --user-data-dir of its own for every browser.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Demo logins (layers/oms/oms/demo.py)
OWNER = ("owner@example.com", "owner123")
ADMIN = ("admin@example.com", "admin123")
USER = ("user@example.com", "user123")


@dataclass
class Cloud:
    """A running local cloud: the API's address (the dashboard is at ``/app/``) and its AWS endpoint."""

    url: str
    aws_endpoint: str
    resources: dict[str, Any] = field(default_factory=dict)

    def token(self, login: tuple[str, str] = ADMIN) -> str:
        answer = requests.post(
            f"{self.url}/auth/login", json={"email": login[0], "password": login[1]}, timeout=30
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def api(self, method: str, path: str, login: tuple[str, str] = ADMIN, **kwargs: Any) -> Any:
        """Read what the UI did through the API (the tests check the UI against it)."""
        headers = {"Authorization": f"Bearer {self.token(login)}"}
        answer = requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json()


def build_dashboard() -> str | None:
    """Build web/ into the dashboard function's package if its sources changed; None, or why not."""
    done = subprocess.run(
        ["bash", "scripts/web.sh", "build"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return None if done.returncode == 0 else f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@contextlib.contextmanager
def running_cloud(state: Path, *extra: str, timeout: float = 90) -> Iterator[Cloud]:
    """`python -m infra.local run` on any free port with demo data, fresh state in ``state``, schedules
    and the simulator 10 times faster; stopped on exit. ``extra``: more command-line options."""
    env = {**os.environ, "CIRRUS_SIM_STEP_SECONDS": "0.4", "PYTHONUNBUFFERED": "1"}
    # port 0: the gateway binds any free port and prints it (a port picked here could be taken by
    # the time the cloud binds it, by its own moto server even)
    cmd = [sys.executable, "-m", "infra.local", "run", "--port", "0"]
    cmd += ["--fresh", "--no-persist", "--state-dir", str(state), "--speed", "10", *extra]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    url, lines = None, []
    deadline = time.monotonic() + timeout
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
        raise RuntimeError("local cloud did not start:\n" + "".join(lines[-40:]))
    log_path = state / "cloud.log"

    def keep_output() -> None:  # drain, so the child never blocks on a full pipe
        with log_path.open("a") as log:
            for line in proc.stdout:  # type: ignore[union-attr]
                log.write(line)
                log.flush()

    threading.Thread(target=keep_output, daemon=True).start()
    try:
        described = requests.get(f"{url}/_local/resources", timeout=30).json()
        yield Cloud(url=url, aws_endpoint=described["aws_endpoint"], resources=described["resources"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
