"""The chaos scenario: orders through a local cloud that injects faults, then a check of what is left.

    python -m infra.local.chaos_scenario [--orders 200] [--chaos "all=0.1,seed=7"] [--json FILE]

(``make chaos N=1000`` runs it.) It starts ``python -m infra.local run`` in a subprocess with the
demo data, the simulated warehouse and carrier, and a chaos plan that starts paused; sets up a
loopback webhook subscriber and one scarce SKU (a unit of SKU-TOOL-Z at a few nodes only, so some
orders are backordered); switches the faults on; sends N orders the way a careful client does (an
Idempotency-Key on every create, retrying 5xx and connection errors), some of them store pick-ups
and some cancelled while under way; waits until every order rests and the cloud is quiet; switches
the faults off; and checks (``chaos_checks.py``): every order in an expected state, stock balanced,
one event id per change and every change announced, every dead letter explained by the fault
ledger. It prints the figures and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from infra.local import chaos_checks
from infra.local.launch import cloud_process

DEMO_LOGIN = ("admin@example.com", "admin123")  # the demo data's admin (oms.demo)
DEFAULT_CHAOS = "lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7"
SCARCE_SKU = "SKU-TOOL-Z"
PLENTY = ("SKU-WIDGET-A", "SKU-WIDGET-B", "SKU-GADGET-Y", "SKU-GIZMO-1", "SKU-ACCESSORY-1")
STORES = ("STR-NYC-01", "STR-LA-01", "STR-CHI-01", "STR-MIA-01")
ADDRESSES = (
    {"address1": "456 Park Ave", "city": "New York", "state": "NY", "postal_code": "10022",
     "latitude": 40.7614, "longitude": -73.9776},
    {"address1": "1 Ocean Ave", "city": "Santa Monica", "state": "CA", "postal_code": "90401",
     "latitude": 34.0094, "longitude": -118.4973},
    {"address1": "233 S Wacker Dr", "city": "Chicago", "state": "IL", "postal_code": "60606",
     "latitude": 41.8789, "longitude": -87.6359},
)  # fmt: skip


# ---------------------------------------------------------------------- the cloud, a client
@contextlib.contextmanager
def local_cloud(chaos: str, state_dir: Path, speed: float = 10, step_seconds: float = 0.4) -> Iterator[str]:
    """``python -m infra.local run`` with a paused chaos plan; yields the API URL."""
    options = [
        "--fresh", "--no-persist", "--speed", str(speed), "--chaos", f"{chaos},paused",
        "--param", "WebhookAllowInsecureTargets=true", "--param", "WebhookRetrySeconds=1,2,3",
    ]  # fmt: skip
    # the external-order feed (infra/local/trouble.py) is off: the scenario checks its own orders
    env = {"CIRRUS_SIM_STEP_SECONDS": str(step_seconds), "CIRRUS_CHAOS": "", "CIRRUS_SIM_FEED_SECONDS": "0"}
    with cloud_process(options, state_dir, env=env, stop_timeout=30) as url:
        yield url


class Client:
    """The API as a careful client uses it: 5xx and connection errors are retried (a create keeps
    its Idempotency-Key, so a retry never makes a second order)."""

    def __init__(self, url: str, attempts: int = 10) -> None:
        self.url = url
        self.attempts = attempts
        self.session = requests.Session()
        self.retries = 0
        self._lock = threading.Lock()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        for attempt in range(self.attempts):
            try:
                response = self.session.request(method, self.url + path, **kwargs)
                if response.status_code < 500:
                    return response
            except requests.RequestException:
                if attempt == self.attempts - 1:
                    raise
            with self._lock:
                self.retries += 1
            time.sleep(min(0.1 * 2**attempt, 2.0))
        return response

    def json(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def login(self, email: str, password: str) -> None:
        token = self.json("POST", "/auth/login", json={"email": email, "password": password})["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"


class Receiver:
    """A webhook subscriber on 127.0.0.1 that keeps every delivery."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.deliveries.append(
                    {"event_id": self.headers.get("X-OMS-Event-Id"), "body": json.loads(body)}
                )
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------- the scenario
@dataclass
class Report:
    orders: int
    chaos: str
    wall_seconds: float = 0.0
    settle_seconds: float = 0.0
    client_retries: int = 0
    cancels: dict[str, int] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, chaos_checks.Outcome] = field(default_factory=dict)
    timed_out: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [f"{name}: {p}" for name, o in self.outcomes.items() for p in o.problems]
        return self.timed_out + found

    def lines(self) -> list[str]:
        f = {name: o.figures for name, o in self.outcomes.items()}
        hit = self.faults.get("injected", {})
        seen = self.faults.get("opportunities", {})
        stock, events, dead = f.get("stock", {}), f.get("events", {}), f.get("dead_letters", {})
        states = f.get("orders", {}).get("states", {})
        failed = f.get("orders", {}).get("failed_reasons")
        return [
            f"orders            {self.orders} (chaos {self.chaos})",
            f"faults injected   Lambda {hit.get('lambda_before', 0)} before + {hit.get('lambda_after', 0)} "
            f"after the handler, of {seen.get('lambda', 0)} invocations",
            f"{'':18}DynamoDB throttles {hit.get('ddb_throttle', 0)} of {seen.get('ddb', 0)} calls",
            f"{'':18}SQS redeliveries {hit.get('sqs_redeliver', 0)} of {seen.get('sqs', 0)} messages",
            f"client retries    {self.client_retries} (5xx and connection errors; a create keeps its key)",
            f"cancel requests   {self.cancels}",
            f"final states      {states}" + (f"; FAILED because {failed}" if failed else ""),
            f"stock balanced    {'yes' if stock.get('balanced') else 'NO'} ({stock.get('items', 0)} items, "
            f"{stock.get('shipped_units', 0)} units shipped, {stock.get('reserved', 0)} reserved = "
            f"{stock.get('active_reservations', 0)} in open reservations, "
            f"{stock.get('corrections', 0)} corrections)",
            f"events            {events.get('events', 0)} in {events.get('deliveries', 0)} deliveries; "
            f"changes with two event ids {events.get('changes_with_two_ids', 0)}",
            f"{'':18}same id delivered again {events.get('same_id_redelivered', 0)}; "
            f"changes never announced {events.get('not_announced', 0)}",
            f"dead letters      {dead.get('total', 0)} {dead.get('by_queue', {})}",
            f"wall time         {self.wall_seconds:.1f} s "
            f"(settled {self.settle_seconds:.1f} s after the last order was sent)",
            f"result            {'OK' if not self.problems else f'{len(self.problems)} PROBLEMS'}",
        ]


def _order_plan(n: int, seed: int, nodes: dict[str, str]) -> list[dict[str, Any]]:
    """N orders: mostly shipped, some store pick-ups, some for the scarce SKU, some cancelled."""
    rng = random.Random(seed)  # noqa: S311 - test data
    plans = []
    for i in range(n):
        roll = rng.random()
        kind = "pickup" if roll < 0.1 else "scarce" if roll < 0.25 else "cancel" if roll < 0.35 else "ship"
        lines = [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(PLENTY, rng.randint(1, 2))]
        body: dict[str, Any] = {
            "channel": "WEB",
            "fulfillment_type": "SHIP_TO_HOME",
            "customer_email": f"chaos{i}@example.com",
            "customer_name": f"Chaos Customer {i}",
            "line_items": lines,
            "shipping_address": rng.choice(ADDRESSES),
        }
        if kind == "pickup":
            body.update(fulfillment_type="STORE_PICKUP", pickup_node_id=nodes[rng.choice(STORES)])
            body["line_items"] = [{"sku": lines[0]["sku"], "quantity": 1}]
        elif kind == "scarce":
            body["line_items"] = [{"sku": SCARCE_SKU, "quantity": 1}]
        plans.append(
            {"kind": kind, "key": f"chaos-{uuid.uuid4()}", "body": body, "cancel_after": rng.uniform(0, 3)}
        )
    return plans


class Scenario:
    def __init__(self, url: str, orders: int, chaos: str, seed: int, say: Callable[[str], None]) -> None:
        self.url = url
        self.client = Client(url)
        self.report = Report(orders=orders, chaos=chaos)
        self.seed = seed
        self.say = say
        self.receiver = Receiver()
        self.cancels: dict[str, int] = {}
        self._cancels_lock = threading.Lock()

    # ------------------------------------------------------------------ setup
    def setup(self) -> dict[str, str]:
        c = self.client
        c.login(*DEMO_LOGIN)
        c.json(
            "POST",
            "/webhooks/endpoints",
            expect=(201,),
            json={"url": self.receiver.url, "event_types": ["*"]},
        )
        nodes = {n["code"]: n["id"] for n in c.json("GET", "/nodes")["items"]}
        # one unit at a few nodes, for about a third of the orders that want it: the rest wait
        stocked = max(2, min(8, self.report.orders // 20))
        items = sorted(c.json("GET", f"/inventory?sku={SCARCE_SKU}")["items"], key=lambda i: str(i["id"]))
        for n, item in enumerate(items):
            keep = 1 if n < stocked else 0
            if item["on_hand"] != keep:
                c.json(
                    "POST",
                    f"/inventory/{item['id']}/adjust",
                    json={"delta": keep - item["on_hand"], "reason": "CYCLE_COUNT", "note": "chaos: scarce"},
                )
        return nodes

    def chaos(self, active: bool) -> dict[str, Any]:
        return dict(self.client.json("POST", "/_local/chaos", json={"active": active}))

    # ------------------------------------------------------------------ orders
    def send(self, plans: list[dict[str, Any]]) -> list[str]:
        def place(plan: dict[str, Any]) -> str:
            headers = {"Idempotency-Key": plan["key"]}
            order = self.client.json("POST", "/orders", expect=(201,), json=plan["body"], headers=headers)
            if plan["kind"] == "cancel":
                timer = threading.Timer(plan["cancel_after"], self._cancel, (order["id"],))
                timer.daemon = True
                timer.start()
            return str(order["id"])

        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(place, plans))

    def _cancel(self, order_id: str) -> None:
        response = self.client.call(
            "POST", f"/orders/{order_id}/cancel", json={"reason": "chaos: changed mind"}
        )
        outcome = "cancelled" if response.status_code == 200 else f"refused {response.status_code}"
        with self._cancels_lock:
            self.cancels[outcome] = self.cancels.get(outcome, 0) + 1

    def wait_until_settled(self, ids: list[str], timeout: float) -> None:
        """Until the cloud is quiet and every order rests in an expected state, three looks in a row
        a second apart (the orders are listed only when the cloud is quiet, or to report progress:
        listing them is work for the cloud too)."""
        started = time.monotonic()
        deadline, progress = started + timeout, started + 10
        quiet_looks = 0
        while time.monotonic() < deadline:
            status = self.client.json("GET", "/_local/status")
            report = time.monotonic() >= progress
            orders = self.orders(ids) if status["quiet"] or report else {}
            resting = len(orders) == len(ids) and all(
                o["status"] in chaos_checks.EXPECTED_STATES for o in orders.values()
            )
            quiet_looks = quiet_looks + 1 if status["quiet"] and resting else 0
            if quiet_looks >= 3:
                return
            if report:
                progress += 10
                moving = Counter(
                    o["status"] for o in orders.values() if o["status"] not in chaos_checks.EXPECTED_STATES
                )
                elapsed = time.monotonic() - started
                self.say(f"  {elapsed:5.0f} s: orders under way {dict(moving)}; busy {status['busy']}")
            time.sleep(1.0)
        status = self.client.json("GET", "/_local/status")
        self.report.timed_out.append(f"not settled after {timeout:.0f} s: cloud busy with {status['busy']}")

    def orders(self, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """The tenant's orders (summaries), those of ``ids`` only if given."""
        wanted, found, cursor = set(ids or ()), {}, None
        while True:
            page = self.client.json("GET", "/orders?limit=200" + (f"&cursor={cursor}" if cursor else ""))
            found.update({o["id"]: o for o in page["items"] if ids is None or o["id"] in wanted})
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    # ------------------------------------------------------------------ what is left
    def collect_and_check(self, ids: list[str], before: dict[str, Any]) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            orders = dict(
                zip(ids, pool.map(lambda i: self.client.json("GET", f"/orders/{i}"), ids), strict=True)
            )
            trails = dict(zip(ids, pool.map(self._trail, ids), strict=True))
        after = stock_snapshot(self.client)
        new_adjustments = [a for k, a in after["adjustments"].items() if k not in before["adjustments"]]
        dead = self.client.json("GET", "/_local/dead-letters")
        dead_outcome, dead_events = chaos_checks.check_dead_letters(dead)
        stored = self.orders()  # every order of the tenant: a retried create must not add one
        self.report.outcomes = {
            "orders": chaos_checks.check_orders(orders, trails, stored=set(stored)),
            "stock": chaos_checks.check_stock(
                before["items"], after["items"], after["reservations"], new_adjustments, orders
            ),
            "events": chaos_checks.check_events(self.receiver.deliveries, trails, dead_events),
            "dead_letters": dead_outcome,
        }

    def _trail(self, order_id: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.client.json(
                "GET", f"/orders/{order_id}/events" + (f"?cursor={cursor}" if cursor else "")
            )
            entries += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return entries

    def run(self, timeout: float) -> Report:
        started = time.monotonic()
        try:
            nodes = self.setup()
            before = stock_snapshot(self.client)
            plans = _order_plan(self.report.orders, self.seed, nodes)
            self.chaos(True)
            self.say(f"chaos on; sending {len(plans)} orders")
            ids = self.send(plans)
            sent = time.monotonic()
            self.say(f"set up and sent in {sent - started:.1f} s; waiting for every order to rest")
            self.wait_until_settled(ids, timeout)
            self.report.settle_seconds = time.monotonic() - sent
            self.report.faults = self.chaos(False)
            self.collect_and_check(ids, before)
        finally:
            self.receiver.close()
        self.report.wall_seconds = time.monotonic() - started
        self.report.client_retries = self.client.retries
        self.report.cancels = dict(self.cancels)
        return self.report


def stock_snapshot(client: Client) -> dict[str, Any]:
    """Stock items, reservations and adjustments, read from the local cloud's DynamoDB."""
    import boto3

    info = client.json("GET", "/_local/resources")
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=info["aws_endpoint"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items: dict[str, dict[str, Any]] = {}
    reservations: list[dict[str, Any]] = []
    adjustments: dict[str, dict[str, Any]] = {}
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=info["resources"]["InventoryTable"], ConsistentRead=True
    )
    for page in pages:
        for raw in page["Items"]:
            record = {k: _plain(v) for k, v in raw.items()}
            sk = str(record["sk"])
            if sk == "ITEM":
                items[str(record["item_id"])] = record
            elif sk.startswith("RES#"):
                reservations.append(record)
            elif sk.startswith("ADJ#"):
                adjustments[f"{record['pk']}|{sk}"] = json.loads(str(record["doc"]))
    for item_id, item in items.items():
        item["committed"] = sum(
            int(r["quantity"]) for r in reservations if r["item_id"] == item_id and r["state"] == "COMMITTED"
        )
    return {"items": items, "reservations": reservations, "adjustments": adjustments}


def _plain(value: Any) -> Any:
    if "S" in value:
        return value["S"]
    if "N" in value:
        number = value["N"]
        return int(number) if number.lstrip("-").isdigit() else float(number)
    if "BOOL" in value:
        return value["BOOL"]
    if "NULL" in value:
        return None
    if "M" in value:
        return {k: _plain(v) for k, v in value["M"].items()}
    if "L" in value:
        return [_plain(v) for v in value["L"]]
    return value


def run(
    orders: int, chaos: str = DEFAULT_CHAOS, timeout: float = 240, say: Callable[[str], None] = print
) -> Report:
    """Start a local cloud, play the scenario against it, stop it; return the report."""
    seed = int(dict(p.split("=", 1) for p in chaos.split(",") if p.startswith("seed=")).get("seed", 7))
    with tempfile.TemporaryDirectory(prefix="cirrus-chaos-") as tmp:
        started = time.monotonic()
        with local_cloud(chaos, Path(tmp)) as url:
            say(f"local cloud up in {time.monotonic() - started:.1f} s at {url}")
            report = Scenario(url, orders, chaos, seed, say).run(timeout)
            if report.problems:
                log_text = (Path(tmp) / "cloud.log").read_text(errors="replace")
                say("last lines of the local cloud's log:\n" + "\n".join(log_text.splitlines()[-30:]))
        return report


def summary(report: Report) -> dict[str, Any]:
    """The report as JSON: its printed lines, problems, faults and every check's figures."""
    return {
        "orders": report.orders,
        "chaos": report.chaos,
        "wall_seconds": round(report.wall_seconds, 1),
        "lines": report.lines(),
        "problems": report.problems,
        "faults": report.faults,
        "figures": {name: o.figures for name, o in report.outcomes.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.chaos_scenario", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--orders", "-n", type=int, default=200)
    parser.add_argument("--chaos", default=DEFAULT_CHAOS, help=f"fault plan (default {DEFAULT_CHAOS})")
    parser.add_argument(
        "--timeout", type=float, help="seconds to wait for the orders to rest (300 + 2/order)"
    )
    parser.add_argument("--json", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    report = run(args.orders, args.chaos, args.timeout or 300 + 2 * args.orders)
    for line in report.lines():
        print(line)
    for problem in report.problems[:50]:
        print(f"  PROBLEM {problem}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary(report), indent=2, default=str))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
