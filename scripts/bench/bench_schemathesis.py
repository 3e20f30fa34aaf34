"""The schemathesis run over the OpenAPI document (tests/component/test_schemathesis.py).

Figures of the last run, read from .local/reports/schemathesis.json (`make test` writes it): the
operations driven, the cases sent, and the 5xx answers among them (target 0). When there is no
report, or the application code is newer than it, the test is run once first (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchlib import SkipBenchmark, figure

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / ".local" / "reports" / "schemathesis.json"
TEST = "tests/component/test_schemathesis.py::test_no_operation_answers_5xx"


def _stale() -> bool:
    if not REPORT.exists():
        return True
    sources = [*(ROOT / "layers" / "oms" / "oms").rglob("*.py"), ROOT / "tests" / "component" / "fuzz.py"]
    return max(p.stat().st_mtime for p in sources) > REPORT.stat().st_mtime


def run() -> list[dict[str, Any]]:
    if _stale():
        print("   running the schemathesis test (no report newer than the code)", flush=True)
        subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", TEST],
            cwd=ROOT,
            check=False,
            capture_output=True,
        )
    if not REPORT.exists():
        raise SkipBenchmark(f"no report: run `pytest {TEST}`")
    data = json.loads(REPORT.read_text(encoding="utf-8"))
    note = f"{data['examples_per_operation_mode_identity']} examples per operation, mode and identity"
    return [
        figure("schemathesis operations", data["operations"], "ops", note=note),
        figure("schemathesis cases", data["cases"], "cases"),
        figure("schemathesis server errors (5xx)", data["server_errors"], "errors", target=0),
        figure("schemathesis run time", data["seconds"], "s", note="generation + calls, not the stack"),
    ]
