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
* Every module here sets ``pytestmark = BROWSER`` (dashboard.py): the ``browser`` marker (the
  tier's skip) and one xdist group, so the tier runs on one worker (scripts/test.sh:
  ``--dist loadgroup``) with one cloud and one browser.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from .dashboard import Dashboard
from .harness import Cloud, build_dashboard, launch_chromium, running_cloud


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """The dashboard built from its sources, then a local cloud with demo data serving it; its
    simulator takes orders to DELIVERED within seconds."""
    problem = build_dashboard()
    if problem is not None:
        pytest.fail(f"the dashboard could not be built:\n{problem}")
    try:
        with running_cloud(tmp_path_factory.mktemp("browser-cloud")) as running:
            yield running
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def dash(browser: Any, cloud: Cloud, request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    """A fresh page on the dashboard; the test fails on any console or page error."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    page = context.new_page()
    dashboard = Dashboard(page, cloud, request.node.name)
    try:
        yield dashboard
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed:
            with contextlib.suppress(Exception):  # a screenshot must not hide the test's own failure
                dashboard.shot("at-failure")
        else:
            dashboard.check()  # errors logged after the test's last step
    finally:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
