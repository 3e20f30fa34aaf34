"""Browser tier: the dashboard in Debian's headless Chromium, driven by Playwright, against a local
cloud with demo data (`python -m infra.local run` in a subprocess, as in tests/e2e).

* The dashboard is built first if its sources changed (scripts/web.sh; a missing Node.js fails
  the tier with the message saying what to install).
* Chromium is the system one (``/usr/bin/chromium``, or ``CIRRUS_CHROMIUM``): Playwright never
  downloads a browser here. scripts/test.sh installs it with apt-get when it runs as root; without
  it the tier is skipped, saying why (tests/conftest.py).
* Each test gets a fresh browser context (no cookies or storage from another test) and a
  :class:`Dashboard` that fails the test on any console error or uncaught page error, and writes a
  screenshot of each page it shows to ``.local/reports/screenshots/``.
* Every module here sets ``pytestmark = BROWSER`` (dashboard.py): the ``browser`` marker (the tier's skip) and
  one xdist group, so the tier runs on one worker (scripts/test.sh: ``--dist loadgroup``) with one
  cloud and one browser.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from .dashboard import REPO, Cloud, Dashboard

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def dashboard_built() -> None:
    """web/ built into the dashboard function's package (a no-op when nothing changed)."""
    done = subprocess.run(
        ["bash", "scripts/web.sh", "build"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"the dashboard could not be built:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


@pytest.fixture(scope="session")
def cloud(dashboard_built: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A local cloud with demo data, its simulator taking orders to DELIVERED within seconds."""
    state = tmp_path_factory.mktemp("browser-cloud")
    env = {**os.environ, "CIRRUS_SIM_STEP_SECONDS": "0.4", "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "infra.local",
        "run",
        "--port",
        str(_free_port()),
        "--fresh",
        "--no-persist",
        "--state-dir",
        str(state),
        "--speed",
        "10",
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    url, lines = None, []
    deadline = time.monotonic() + 90
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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def dash(browser: object, cloud: Cloud, request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    """A fresh page on the dashboard; the test fails on any console or page error."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    dashboard = Dashboard(page, cloud, request.node.name)
    try:
        yield dashboard
        dashboard.check()
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            with contextlib.suppress(Exception):  # a screenshot must not hide the test's own failure
                dashboard.shot("at-failure")
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
