"""What the browser tier and the dashboard benchmark share: a local cloud in a subprocess (as in
tests/e2e) and Debian's Chromium launched by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from infra.local.launch import cloud_process

REPO = Path(__file__).resolve().parents[2]
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
        headers = {"Authorization": f"Bearer {self.token(login)}", **kwargs.pop("headers", {})}
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
    options = ["--fresh", "--no-persist", "--speed", "10", *extra]
    with cloud_process(options, state, env={"CIRRUS_SIM_STEP_SECONDS": "0.4"}, timeout=timeout) as url:
        described = requests.get(f"{url}/_local/resources", timeout=30).json()
        yield Cloud(url=url, aws_endpoint=described["aws_endpoint"], resources=described["resources"])


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
