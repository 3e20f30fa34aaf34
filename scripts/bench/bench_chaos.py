"""The chaos run: 200 orders through a local cloud injecting 10 % faults (tests/e2e/test_chaos_e2e.py).

Figures of the last run, read from .local/reports/chaos.json (`make test` writes it): orders,
faults injected, changes never announced and changes under two event ids (target 0 each), dead
letters and whether each is explained (target: all), stock balance, wall time. When there is no
report, or the application or the local cloud is newer than it, the scenario runs first (about
five minutes); `make chaos N=1000` is the large run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchlib import figure

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / ".local" / "reports" / "chaos.json"
ORDERS = 200
CHAOS = "lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7"


def _stale() -> bool:
    if not REPORT.exists():
        return True
    sources = [*(ROOT / "layers" / "oms" / "oms").rglob("*.py"), *(ROOT / "infra" / "local").rglob("*.py")]
    return max(p.stat().st_mtime for p in sources) > REPORT.stat().st_mtime


def run() -> list[dict[str, Any]]:
    if _stale():
        from infra.local import chaos_scenario

        print(f"   running the chaos scenario ({ORDERS} orders; no report newer than the code)", flush=True)
        report = chaos_scenario.run(ORDERS, CHAOS, timeout=900, say=lambda _line: None)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(chaos_scenario.summary(report), indent=2, default=str))
    data = json.loads(REPORT.read_text())
    for line in data["lines"]:
        print(f"   {line}")
    injected = data["faults"].get("injected", {})
    events = data["figures"].get("events", {})
    dead = data["figures"].get("dead_letters", {})
    unexplained = sum(1 for p in data["problems"] if "unexplained" in p)
    return [
        figure("chaos orders", data["orders"], "orders", note=data["chaos"]),
        figure("chaos faults injected", sum(injected.values()), "faults", note=str(injected)),
        figure("chaos problems found", len(data["problems"]), "problems", target=0),
        figure("chaos changes not announced", events.get("not_announced", 0), "changes", target=0),
        figure("chaos changes with 2 ids", events.get("changes_with_two_ids", 0), "changes", target=0),
        figure("chaos dead letters", dead.get("total", 0), "messages", note=f"{unexplained} unexplained"),
        figure(
            "chaos stock balanced",
            1 if data["figures"].get("stock", {}).get("balanced") else 0,
            "yes=1",
            target=1,
            higher_is_better=True,
        ),
        figure("chaos wall time", data["wall_seconds"], "s"),
    ]
