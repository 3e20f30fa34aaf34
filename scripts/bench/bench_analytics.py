"""Analytics (ADR 0029): the endpoints' latency over a year of day buckets, and what keeping the
counters costs per million orders at the stream batch sizes Lambda may hand the consumer.

- latency: the real template in moto in-process, the demo tenant with 365 day buckets written as
  the stream would have left them (300 orders a day, two currencies, five channels, its nodes)
  and 1,000 stock items beyond the demo's; each endpoint called through the API function
  (authentication included) 100 times after a warm-up. Measured in-process, the figures are
  moto's Python engine more than ours (a query of an index walks the whole table), so each is
  also given without the time spent in DynamoDB calls (our code), and an AWS estimate: our p99
  plus AWS_MS_PER_CALL for each round trip to DynamoDB the request waits for in turn (the stock
  reads go 8 at a time);
- upkeep: 30 orders placed over 3 days and driven to DELIVERED through the API; their stream
  records (bodies and headers, the projection's filter) interleaved order by order as a stream
  carries several orders' changes at once (each order's own changes in order); fed to the
  ProjectionFunction in batches of 1, 4, 10 and 100 and metered as bench_cost does (1 KB write
  units, x2 in transactions; Lambda requests and duration at 256 MB; 0.4 KB of logs a run).
  BatchSize 100 with a 1 s window means a batch holds about one second of a shard's records:
  ~4 records at 1M orders a month (11 records an order), 100 from ~23M a month.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from benchlib import figure

DAYS = 365
ORDERS_PER_DAY = 300
EXTRA_STOCK_ITEMS = 1000
REQUESTS = 100
# A DynamoDB GetItem/Query/BatchGetItem from Lambda in the same region: single-digit ms typically;
# this is a p99-ish figure per call (a BatchGet of 100 items or a 1 MB query page takes longer).
AWS_MS_PER_CALL = 10.0
STOCK_READERS = 8  # services.analytics reads the stock items 8 requests at a time
UPKEEP_ORDERS = 30
UPKEEP_DAYS = 3
BATCH_SIZES = (1, 4, 10, 100)
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _bucket(rng: random.Random, nodes: list[str]) -> dict[str, int]:
    """A day's counters as the stream leaves them: ORDERS_PER_DAY orders of that day."""
    n = ORDERS_PER_DAY + rng.randint(-30, 30)
    eur = n // 12
    found = {"o": n, "o.USD": n - eur, "o.EUR": eur, "r.USD": (n - eur) * 6712, "r.EUR": eur * 5410}
    for channel, share in (("WEB", 0.5), ("MOBILE", 0.25), ("POS", 0.1), ("API", 0.1), ("MARKETPLACE", 0.05)):
        found[f"c.{channel}"] = int(n * share)
        found[f"c.{channel}.USD"] = int((n - eur) * share) * 6712
        found[f"c.{channel}.EUR"] = int(eur * share) * 5410
    for kind, share in (("SHIP_TO_HOME", 0.7), ("STORE_PICKUP", 0.2), ("SAME_DAY_DELIVERY", 0.1)):
        found[f"f.{kind}"] = int(n * share)
        found[f"f.{kind}.USD"] = int((n - eur) * share) * 6712
    for status, share in (("DELIVERED", 0.8), ("PICKED_UP", 0.1), ("CANCELLED", 0.04), ("RETURNED", 0.03)):
        found[f"s.{status}"] = int(n * share)
    found["s.SHIPPED"] = n - sum(v for k, v in found.items() if k.startswith("s."))
    for node in nodes:
        found[f"n.{node}"] = n // len(nodes)
        found[f"u.{node}"] = n // len(nodes) * 2
    found |= {"src": n, "spl": n // 15, "bo": n // 30, "dl": int(n * 0.9), "ot": int(n * 0.8), "cx": n // 25}
    return found


def _seed_year(today: str) -> int:
    from oms.data.analytics import AnalyticsRepository
    from oms.demo import DEMO_TENANT_ID
    from oms.services.context import repos

    rng = random.Random(29)  # noqa: S311 - reproducible figures, not secrets
    nodes = [n.id for n in repos.nodes.all(DEMO_TENANT_ID)]
    repo = AnalyticsRepository()
    last = datetime.fromisoformat(today)
    sizes = []
    for k in range(DAYS):
        counters = _bucket(rng, nodes)
        sizes.append(sum(len(name) + 4 for name in counters))
        repo.replace_day(DEMO_TENANT_ID, (last - timedelta(days=k)).date().isoformat(), counters, None)
    return int(sum(sizes) / len(sizes))


def _seed_stock() -> None:
    from oms.demo import DEMO_TENANT_ID
    from oms.domain.clock import now_iso
    from oms.domain.inventory import item_id_for
    from oms.domain.network import InventoryItem
    from oms.services.context import repos

    nodes = repos.nodes.all(DEMO_TENANT_ID)
    now = now_iso()
    for k in range(EXTRA_STOCK_ITEMS):
        node, qty = nodes[k % len(nodes)], (k * 37) % 400
        sku = f"SKU-BENCH-{k // len(nodes):04d}"
        repos.stock.insert(
            InventoryItem(
                id=item_id_for(DEMO_TENANT_ID, node.id, sku),
                tenant_id=DEMO_TENANT_ID,
                node_id=node.id,
                sku=sku,
                on_hand=qty,
                reserved=0,
                available=qty,
                reorder_level=40,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )


class StorageClock:
    """DynamoDB calls made, the time spent in them (wall time: concurrent calls count once), and
    the round trips one after another (a call starting while another is in flight adds none)."""

    def __init__(self) -> None:
        self.calls, self.seconds, self.steps, self.batch_gets = 0, 0.0, 0, 0
        self._in_flight, self._since = 0, 0.0
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            self.calls += 1
            if self._in_flight == 0:
                self.steps += 1
                self._since = time.perf_counter()
            self._in_flight += 1

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.seconds += time.perf_counter() - self._since

    @contextlib.contextmanager
    def installed(self) -> Iterator[StorageClock]:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        clock = self

        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            clock._start()
            clock.batch_gets += operation == "BatchGetItem"
            try:
                return original(client, operation, params)
            finally:
                clock._end()

        botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _latency() -> list[dict[str, Any]]:
    from infra.local.testing import deployed_template
    from oms.domain import clock
    from tests.component.apiclient import ApiClient

    with clock.use_clock(lambda: START), deployed_template() as stack:
        from oms.demo import seed_demo_data

        seed_demo_data()
        bucket_bytes = _seed_year(START.date().isoformat())
        _seed_stock()

        def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
            return dict(stack.invoke("ApiFunction", event).payload)

        client = ApiClient(api)
        token = client.post("/auth/login", {"email": "admin@example.com", "password": "admin123"}).body
        admin = client.with_token(token["access_token"])
        endpoints = {
            "dashboard, 30 days": "/analytics/dashboard",
            "dashboard, 365 days": "/analytics/dashboard?from_date=2025-06-02",
            "order volume, 30 days": "/analytics/orders/volume?days=30",
            "inventory summary": "/analytics/inventory/summary",
        }
        figures: list[dict[str, Any]] = []
        print(f"  {DAYS} day buckets of ~{bucket_bytes} bytes each; {EXTRA_STOCK_ITEMS} extra stock items")
        with StorageClock().installed() as storage:
            for name, path in endpoints.items():
                figures += _measure(admin, name, path, storage)
        return figures


def _measure(admin: Any, name: str, path: str, storage: StorageClock) -> list[dict[str, Any]]:
    for _ in range(5):  # warm: the function's imports, connections, caches
        assert admin.get(path).status == 200
    totals, ours, calls, steps = [], [], 0, 0
    for _ in range(REQUESTS):
        before = (storage.calls, storage.seconds, storage.steps, storage.batch_gets)
        started = time.perf_counter()
        reply = admin.get(path)
        total = time.perf_counter() - started
        assert reply.status == 200, reply
        calls, steps = storage.calls - before[0], storage.steps - before[2]
        # in moto the stock reads overlap less than on AWS, where 8 go at once: count their rounds
        steps += max(0, math.ceil((storage.batch_gets - before[3]) / STOCK_READERS) - 1)
        totals.append(total * 1000)
        ours.append((total - (storage.seconds - before[1])) * 1000)
    aws = _p(ours, 0.99) + steps * AWS_MS_PER_CALL
    print(f"  {name}: {calls} DynamoDB calls a request in {steps} round trips one after another")
    return [
        figure(f"{name} p50 in moto", _p(totals, 0.5), "ms", note="in-process; moto's engine included"),
        figure(f"{name} p99 in moto", _p(totals, 0.99), "ms"),
        figure(
            f"{name} p50 outside DynamoDB", _p(ours, 0.5), "ms", note="our code: auth, decoding, sums, JSON"
        ),
        figure(f"{name} p99 outside DynamoDB", _p(ours, 0.99), "ms"),
        figure(
            f"{name} p99 on AWS (estimate)",
            aws,
            "ms",
            target=200,
            note=f"our p99 + {steps} round trips x {AWS_MS_PER_CALL:g} ms",
        ),
    ]


# ---------------------------------------------------------------------------- upkeep
def _drive_orders(stack: Any, travel: Callable[[int], None]) -> None:
    from tests.component.apiclient import ApiClient
    from tests.component.helpers import order_body, wait_for_status

    def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(stack.invoke("ApiFunction", event).payload)

    for day in range(UPKEEP_DAYS):
        travel(day)
        client = ApiClient(api)
        token = client.post("/auth/login", {"email": "admin@example.com", "password": "admin123"}).body
        admin = client.with_token(token["access_token"])
        for i in range(UPKEEP_ORDERS // UPKEEP_DAYS):
            order = admin.post("/orders", order_body(customer_email=f"upkeep{day}-{i}@example.com")).body
            wait_for_status(admin, order["id"], {"SOURCED"})
            for event in (
                {"type": "PICKING"},
                {"type": "PACKING"},
                {"type": "READY_TO_SHIP"},
                {"type": "SHIPPED", "carrier": "UPS", "tracking_number": f"1Z{day}{i}"},
                {"type": "OUT_FOR_DELIVERY"},
                {"type": "DELIVERED"},
            ):
                assert admin.post(f"/orders/{order['id']}/fulfillment-events", event).status in (200, 202)
                wait_for_status(admin, order["id"], {event["type"]})


def _interleaved(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several orders' changes at once, each order's in its own order (as a shard keeps them)."""
    per_order: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        per_order.setdefault(r["dynamodb"]["Keys"]["pk"]["S"], []).append(r)
    queues, mixed = list(per_order.values()), []
    while queues:
        queues = [q for q in queues if q]
        for q in queues:
            mixed.append(q.pop(0))
    return mixed


def _clear_buckets(stack: Any) -> None:
    import boto3

    table = boto3.resource("dynamodb").Table(stack["InsightsTable"])
    for item in table.scan(ProjectionExpression="pk, sk")["Items"]:
        table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def _upkeep() -> list[dict[str, Any]]:
    from bench_cost import LOG_KB_PER_INVOCATION, NETWORK_MS_PER_AWS_CALL, PRICES, Meter

    from infra.local.testing import deployed_template, wait_for_executions
    from oms.data.keys import ORDER_BODY_SK, ORDER_SK
    from oms.domain import clock
    from tests.component.helpers import stream_records

    offset = [timedelta()]
    started = time.monotonic()

    def now() -> datetime:
        return START + offset[0] + timedelta(seconds=time.monotonic() - started)

    def travel(day: int) -> None:
        offset[0] = timedelta(days=day)

    figures: list[dict[str, Any]] = []
    with clock.use_clock(now), deployed_template() as stack:
        from oms.demo import seed_demo_data

        seed_demo_data()
        _drive_orders(stack, travel)
        wait_for_executions(10)
        records = [
            r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
        ]
        records = _interleaved(records)
        n = UPKEEP_ORDERS
        print(f"  {len(records)} stream records for {n} orders ({len(records) / n:.1f} an order)")
        meter = Meter()
        meter.install()
        fn = "ProjectionFunction"
        for size in BATCH_SIZES:
            _clear_buckets(stack)
            for store in (
                meter.lambda_runs,
                meter.lambda_ms,
                meter.lambda_aws_calls,
                meter.units_by_function,
            ):
                store.clear()
            meter.dynamo.wu_by_kind.clear()
            meter.enabled = True
            for start in range(0, len(records), size):
                outcome = stack.invoke(fn, {"Records": records[start : start + size]})
                assert not outcome.errored and outcome.payload == {"batchItemFailures": []}, outcome.payload
            meter.enabled = False
            from oms.services.analytics import buckets

            counted = sum(b.get("o", 0) for b in buckets.days("demo", "2026-01-01", "2026-12-31").values())
            assert counted == n, f"counted {counted} orders of {n}"
            wu, ru = meter.units_by_function[fn]
            runs = meter.lambda_runs[fn]
            gb_s = (meter.lambda_ms[fn] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[fn]) / 1000 * 0.25
            dollars = (
                wu * PRICES["ddb_wu"]
                + ru * PRICES["ddb_ru"]
                + runs * PRICES["lambda_request"]
                + gb_s * PRICES["lambda_gb_s"]
                + runs * LOG_KB_PER_INVOCATION / 1024 / 1024 * PRICES["logs_gb"]
            ) / n
            kinds = {k: round(v / n, 2) for k, v in meter.dynamo.wu_by_kind.items()}
            print(
                f"  batches of {size}: {wu / n:.2f} WU, {ru / n:.2f} RU, {runs / n:.2f} runs an order;", kinds
            )
            mapping = " (~1M orders a month with the 1 s window)" if size == 4 else ""
            figures += [
                figure(
                    f"counter upkeep WU per order, batches of {size}", wu / n, "WU", note=mapping.strip(" ()")
                ),
                figure(
                    f"counter upkeep per 1M orders, batches of {size}",
                    dollars * 1e6,
                    "$",
                    note="DynamoDB + the projection function's runs" + mapping,
                ),
            ]
    return figures


def run() -> list[dict[str, Any]]:
    return [*_latency(), *_upkeep()]
