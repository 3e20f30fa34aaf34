"""Top-level test configuration: import paths and the opt-in tiers.

Markers are declared in pyproject.toml ([tool.pytest.ini_options] markers); this file only decides
which opt-in tiers run, and says why the others are skipped (`-ra` prints the reasons):

* ``chaos``: the fault-injection e2e run (200 orders, about five minutes; ``CIRRUS_CHAOS_E2E=0``
  skips it, ``make chaos N=...`` runs the same scenario alone).
* ``localstack``: runs only when ``LOCALSTACK_ENDPOINT`` is set (e.g. http://localhost:4566).
* ``aws``: runs only when ``CIRRUS_AWS_LIVE=1`` (needs credentials for a real, deployed stage).
* ``browser``: the dashboard in headless Chromium (tests/browser); skipped when Chromium, Playwright
  or the dashboard's sources are missing, or with ``CIRRUS_BROWSER=0``.

It also owns the clock (tests pass on any date; see docs/decisions/0017-one-clock-date-proof-tests.md):

* ``frozen_clock``: the clock stopped at "now" for the test (time-machine patches ``time.time`` and
  ``datetime.now`` process-wide, so ``oms.domain.clock`` and moto follow it); ``.shift(seconds)``
  moves it, instead of sleeping. Build expected timestamps relative to it, never as literals.
* ``date_sensitive`` marker: the test depends on "now". With ``--clock-shift-days=N`` (or
  ``CIRRUS_CLOCK_SHIFT_DAYS=N``) such a test runs with the clock N days ahead (ticking), so
  ``scripts/test.sh`` can prove the suite is not tied to today's date. End-to-end tests, whose local
  cloud runs in another process, cannot be shifted and must not carry the marker.

Fixtures belong in the conftest.py of each tier (tests/unit, tests/component, tests/contract, ...).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

ROOT = Path(__file__).resolve().parent.parent
# The layer's package (`import oms`) and the repository root (`import functions.api.app`,
# `import infra.local`) are importable from every test, with or without the editable install.
for _path in (ROOT / "layers" / "oms", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


CLOCK_SHIFT_ENV = "CIRRUS_CLOCK_SHIFT_DAYS"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=float,
        default=None,
        help=f"run tests marked date_sensitive with the clock this many days ahead (or {CLOCK_SHIFT_ENV})",
    )


def clock_shift_days(config: pytest.Config) -> float:
    value = config.getoption("--clock-shift-days")
    if value is None:
        raw = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
        try:
            value = float(raw) if raw else 0.0
        except ValueError:
            raise pytest.UsageError(f"{CLOCK_SHIFT_ENV}={raw!r} is not a number of days") from None
    return float(value)


@pytest.fixture(autouse=True)
def _clock_shift(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a date_sensitive test in the date-shift run: the clock N days ahead, ticking. Autouse
    fixtures start first in their scope, so the test's own fixtures (logins) see the shifted time."""
    days = clock_shift_days(request.config)
    if not days or request.node.get_closest_marker("date_sensitive") is None:
        yield
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """The clock stopped at "now" (N days ahead in the date-shift run); `.shift(seconds)` moves it."""
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


def _opt_in_skips() -> dict[str, str]:
    """Marker name -> reason, for every opt-in tier that is switched off in this environment."""
    skips = {}
    if not os.environ.get("LOCALSTACK_ENDPOINT"):
        skips["localstack"] = "needs LocalStack: set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566)"
    if os.environ.get("CIRRUS_AWS_LIVE") != "1":
        skips["aws"] = "needs a real AWS account: set CIRRUS_AWS_LIVE=1 (and credentials)"
    if os.environ.get("CIRRUS_CHAOS_E2E") == "0":
        skips["chaos"] = "switched off with CIRRUS_CHAOS_E2E=0 (make chaos N=... runs the scenario alone)"
    browser = _browser_unavailable()
    if browser:
        skips["browser"] = browser
    return skips


def _browser_unavailable() -> str | None:
    """Why the browser tier (tests/browser) cannot run here, or None."""
    chromium = os.environ.get("CIRRUS_CHROMIUM", "/usr/bin/chromium")
    if os.environ.get("CIRRUS_BROWSER") == "0":
        return "switched off with CIRRUS_BROWSER=0"
    if not (ROOT / "web" / "package.json").is_file():
        return "no dashboard sources (web/package.json) to test"
    if not os.access(chromium, os.X_OK):
        return f"no Chromium at {chromium}: apt-get install chromium (make test does it as root)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make bootstrap installs it)"
    return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    skips = _opt_in_skips()
    tiers = [f"{m}={'off' if m in skips else 'on'}" for m in ("localstack", "aws", "chaos", "browser")]
    days = clock_shift_days(config)
    shift = f"date_sensitive tests run {days:g} days ahead" if days else "real"
    return [f"cirrus opt-in tiers: {', '.join(tiers)}", f"cirrus clock: {shift}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The chaos run is the suite's long pole (minutes, in its own local cloud process): first in
    # the order, so xdist hands it out first and the rest of the suite runs beside it rather than
    # after it. A stable sort: every worker collects the same order, as xdist requires.
    items.sort(key=lambda item: item.get_closest_marker("chaos") is None)
    skips = _opt_in_skips()
    for item in items:
        if item.get_closest_marker("date_sensitive") and item.get_closest_marker("e2e"):
            raise pytest.UsageError(
                f"{item.nodeid}: an e2e test runs its local cloud in another process, which the "
                "date-shift run cannot move; it must not be marked date_sensitive"
            )
        for marker, reason in skips.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=f"[{marker}] {reason}"))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print the one-line figures tests attach with `record_property("summary", line)` (e.g. the
    schemathesis run's counts). Reports travel from xdist workers, so this works under -n too."""
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call":
                lines += [
                    value for name, value in getattr(report, "user_properties", []) if name == "summary"
                ]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
