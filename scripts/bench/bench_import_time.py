"""Cold-start cost of the API handler: `python -X importtime` of functions/api/app.py.

The module is imported the way Lambda imports it: its CodeUri folder (functions/api) and the
layer's package (layers/oms, /opt/python in AWS) on the path, the template's environment set, a
fresh interpreter each run. The figure is the cumulative import time of the top-level `app`
module (median of RUNS, after one warm-up run that writes the bytecode caches), in ms.
Target: < 500 ms. Measured on this machine's Python, not the Lambda's python3.12 on arm64.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchlib import SkipBenchmark, figure, median

ROOT = Path(__file__).resolve().parents[2]
HANDLER_DIR = ROOT / "functions" / "api"
MODULE = "app"
RUNS = 5
TARGET_MS = 500.0
# A line of `-X importtime`: "import time:  self [us] | cumulative | <indent>name".
LINE = re.compile(r"^import time:\s+(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)\s*$")

LAMBDA_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing may be called at import; if it is, it fails fast
    "AWS_LAMBDA_FUNCTION_NAME": "cirrus-api-bench",
    "CIRRUS_STAGE": "dev",
    "ORDERS_TABLE": "cirrus-orders",
    "INVENTORY_TABLE": "cirrus-inventory",
    "DIRECTORY_TABLE": "cirrus-directory",
    "JWT_SECRET_PARAM": "/cirrus/dev/jwt-secret",
    "RESERVATION_TTL_MINUTES": "4320",
    "POWERTOOLS_SERVICE_NAME": "cirrus-oms",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "FULFILMENT_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
}


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """[(depth, self_us, cumulative_us, module)] in the order Python printed them."""
    rows = []
    for line in stderr.splitlines():
        m = LINE.match(line)
        if m:
            self_us, cum_us, indent, name = m.groups()
            rows.append(((len(indent) - 1) // 2, int(self_us), int(cum_us), name))
    return rows


def measure_once() -> tuple[int, list[tuple[int, int, int, str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(LAMBDA_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(HANDLER_DIR), str(ROOT / "layers" / "oms")])
    proc = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-X", "importtime", "-c", f"import {MODULE}"],
        cwd=HANDLER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("import time:"))
        raise RuntimeError(f"importing functions/api/{MODULE}.py failed:\n{tail[-2000:]}")
    rows = parse_importtime(proc.stderr)
    top = [cum for depth, _, cum, name in rows if depth == 0 and name == MODULE]
    if not top:
        raise RuntimeError(f"no top-level '{MODULE}' line in -X importtime output")
    return top[-1], rows


def heaviest_packages(rows: list[tuple[int, int, int, str]], n: int = 6) -> list[tuple[str, int]]:
    """Self import time summed per top-level package, under the handler module (no overlaps)."""
    # -X importtime prints in post-order: the handler's imports are the rows between the previous
    # top-level row (interpreter start-up) and the handler's own top-level row.
    end = max(i for i, row in enumerate(rows) if row[0] == 0 and row[3] == MODULE)
    start = max((i for i in range(end) if rows[i][0] == 0), default=-1) + 1
    totals: dict[str, int] = {}
    for _, self_us, _, name in rows[start : end + 1]:
        top = name.split(".", 1)[0]
        totals[top] = totals.get(top, 0) + self_us
    return sorted(totals.items(), key=lambda kv: -kv[1])[:n]


def run() -> list[dict[str, Any]]:
    if not (HANDLER_DIR / f"{MODULE}.py").is_file():
        raise SkipBenchmark(f"functions/api/{MODULE}.py does not exist yet")
    measure_once()  # warm-up: bytecode caches, page cache
    samples, rows = [], []
    for _ in range(RUNS):
        total_us, rows = measure_once()
        samples.append(total_us / 1000)
    heavy = ", ".join(f"{name} {us / 1000:.0f}" for name, us in heaviest_packages(rows))
    return [
        figure(
            "api handler import (functions/api/app.py)",
            median(samples),
            "ms",
            target=TARGET_MS,
            note=f"median of {RUNS}, min {min(samples):.0f}, max {max(samples):.0f}; "
            f"self ms by package: {heavy}",
        )
    ]
