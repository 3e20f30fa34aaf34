"""Operations from the command line, through the same API the endpoints serve:

    python scripts/ops.py dlq list
    python scripts/ops.py dlq replay connectors [--limit 100]
    python scripts/ops.py tasks [--tenant demo]
    python scripts/ops.py jobs run label_outcomes     (or update_node_performance, discover_patterns,
                                                       evaluate_experiments, reconcile_analytics,
                                                       generate_invoices, validate_invoices)
    python scripts/ops.py invoices generate [--tenant T] [--lookback-hours H] [--dry-run] [--validate]
    python scripts/ops.py invoices generate --backfill --days-back D [--tenant T] [--dry-run]

`--api` (or CIRRUS_API) is the API's base URL, default the local cloud; the platform owner's
credentials come from CIRRUS_OPS_EMAIL / CIRRUS_OPS_PASSWORD (the local demo owner by default).
Jobs run for one tenant, as its SUPERADMIN: CIRRUS_JOBS_EMAIL / CIRRUS_JOBS_PASSWORD (the local
demo tenant's admin by default). `invoices generate` runs as that SUPERADMIN for its own tenant;
with `--tenant` it signs in as the platform owner (another tenant's invoices are the owner's to
run), through `POST /billing/invoices/generate` (ADR 0032).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import requests

JOBS = [
    "label_outcomes",
    "update_node_performance",
    "discover_patterns",
    "evaluate_experiments",
    "reconcile_analytics",
    "generate_invoices",
    "validate_invoices",
]


def _session(api: str, jobs: bool = False) -> requests.Session:
    if jobs:
        email = os.environ.get("CIRRUS_JOBS_EMAIL", "admin@example.com")
        password = os.environ.get("CIRRUS_JOBS_PASSWORD", "admin123")
    else:
        email = os.environ.get("CIRRUS_OPS_EMAIL", "owner@example.com")
        password = os.environ.get("CIRRUS_OPS_PASSWORD", "owner123")
    reply = requests.post(f"{api}/auth/login", json={"email": email, "password": password}, timeout=10)
    if reply.status_code != 200:
        raise SystemExit(f"login as {email} failed: {reply.status_code} {reply.text[:200]}")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
    return session


def _show(reply: requests.Response) -> int:
    body: Any = reply.json() if reply.content else {}
    print(json.dumps(body, indent=2))
    return 0 if reply.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cirrus OMS operations")
    parser.add_argument("--api", default=os.environ.get("CIRRUS_API", "http://127.0.0.1:3000"))
    commands = parser.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser("dlq", help="dead-letter queues")
    dlq_commands = dlq.add_subparsers(dest="action", required=True)
    dlq_commands.add_parser("list", help="depth, oldest and sample messages per queue")
    replay = dlq_commands.add_parser("replay", help="move a queue's dead letters back to it")
    replay.add_argument("queue")
    replay.add_argument("--limit", type=int, default=1000)
    tasks = commands.add_parser("tasks", help="the task log")
    tasks.add_argument("--tenant")
    tasks.add_argument("--limit", type=int, default=50)
    jobs = commands.add_parser("jobs", help="the learning jobs")
    jobs_commands = jobs.add_subparsers(dest="action", required=True)
    run = jobs_commands.add_parser("run", help="run a learning job now for your tenant")
    run.add_argument("name", choices=JOBS)
    invoices = commands.add_parser("invoices", help="Invoice Guard")
    invoice_commands = invoices.add_subparsers(dest="action", required=True)
    generate = invoice_commands.add_parser("generate", help="generate (and validate) daily invoices now")
    generate.add_argument("--tenant", help="another tenant (platform owner only); default: your own")
    generate.add_argument("--lookback-hours", type=int, default=24, help="closed days ended within H hours")
    generate.add_argument("--backfill", action="store_true", help="the last --days-back closed days instead")
    generate.add_argument("--days-back", type=int, default=7)
    generate.add_argument("--dry-run", action="store_true", help="compute and show, write nothing")
    generate.add_argument("--validate", action="store_true", help="run validate_invoices after it")
    args = parser.parse_args(argv)

    api = args.api.rstrip("/")
    if args.command == "invoices":
        http = _session(api, jobs=not args.tenant)
        body = {
            "lookback_hours": args.lookback_hours,
            "backfill": args.backfill,
            "days_back": args.days_back if args.backfill else None,
            "dry_run": args.dry_run,
            "validate_after": args.validate,
            **({"tenant_id": args.tenant} if args.tenant else {}),
        }
        return _show(http.post(f"{api}/billing/invoices/generate", json=body, timeout=300))
    http = _session(api, jobs=args.command == "jobs")
    if args.command == "jobs":
        return _show(http.post(f"{api}/ops/jobs/{args.name}/run", json={}, timeout=300))
    if args.command == "dlq" and args.action == "list":
        return _show(http.get(f"{api}/ops/dlq", timeout=30))
    if args.command == "dlq":
        return _show(http.post(f"{api}/ops/dlq/{args.queue}/replay?limit={args.limit}", timeout=120))
    params = {"limit": args.limit, **({"tenant": args.tenant} if args.tenant else {})}
    return _show(http.get(f"{api}/ops/task-log", params=params, timeout=30))


if __name__ == "__main__":
    sys.exit(main())
