"""Top-level test configuration: import paths and the opt-in tiers.

Markers are declared in pyproject.toml ([tool.pytest.ini_options] markers); this file only decides
which opt-in tiers run, and says why the others are skipped (`-ra` prints the reasons):

* ``localstack``: runs only when ``LOCALSTACK_ENDPOINT`` is set (e.g. http://localhost:4566).
* ``aws``: runs only when ``CIRRUS_AWS_LIVE=1`` (needs credentials for a real, deployed stage).

Fixtures belong in the conftest.py of each tier (tests/unit, tests/component, tests/contract, ...).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The layer's package (`import oms`) and the repository root (`import functions.api.app`,
# `import infra.local`) are importable from every test, with or without the editable install.
for _path in (ROOT / "layers" / "oms", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def _opt_in_skips() -> dict[str, str]:
    """Marker name -> reason, for every opt-in tier that is switched off in this environment."""
    skips = {}
    if not os.environ.get("LOCALSTACK_ENDPOINT"):
        skips["localstack"] = "needs LocalStack: set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566)"
    if os.environ.get("CIRRUS_AWS_LIVE") != "1":
        skips["aws"] = "needs a real AWS account: set CIRRUS_AWS_LIVE=1 (and credentials)"
    return skips


def pytest_report_header(config: pytest.Config) -> list[str]:
    skips = _opt_in_skips()
    tiers = [f"{m}={'off' if m in skips else 'on'}" for m in ("localstack", "aws")]
    return [f"cirrus opt-in tiers: {', '.join(tiers)}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = _opt_in_skips()
    for item in items:
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
