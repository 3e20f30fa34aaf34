"""Throughput and create latency on the embedded local cloud with 10,000 orders already stored.
The outbox runs during the measurement (every change is published and consumed), as in `make
run`; the preloaded history is not replayed through it.

Method: start the local cloud in this process (fresh state, no simulator, schedules off), load
10,000 orders straight into the Orders table (BatchWriteItem), then POST orders through the HTTP
gateway from 8 client threads and wait until every one is SOURCED. Figures: create latency
p50/p99 (HTTP round trip through gateway -> API function -> DynamoDB -> StartExecution), and
orders/s sustained from the first POST to the last order SOURCED.

What bounds it: one Python process (GIL) runs the gateway, moto (every AWS call is an HTTP
request to the in-process moto server), the Express executions and every Lambda; the CPU
profile is dominated by moto's request parsing and the state machine interpreter.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import requests
from benchlib import figure

PRELOAD = int(__import__("os").environ.get("CIRRUS_BENCH_PRELOAD", "10000"))
ORDERS = int(__import__("os").environ.get("CIRRUS_BENCH_ORDERS", "300"))
CLIENTS = 8


def _preload(n: int) -> None:
    from oms.data.orders import body_record, order_record
    from oms.data.records import OrderRecord
    from oms.domain.clock import now_iso
    from oms.domain.models import OrderCreate, Principal, Role
    from oms.domain.orders import build_order, order_id_for
    from oms.domain.products import CatalogPrice
    from tests.component.helpers import order_body

    principal = Principal(user_id="bench", email="bench@example.com", tenant_id="demo", role=Role.SUPERADMIN)
    request = OrderCreate.model_validate(
        order_body(line_items=[{"sku": "SKU-WIDGET-A", "quantity": 1, "unit_price": "29.99"}])
    )
    with OrderRecord.batch_write() as batch:
        for i in range(n):
            order = build_order(
                request.model_copy(update={"customer_email": f"old{i % 500}@example.com"}),
                order_id=order_id_for("demo", None, None, "WEB"),
                principal=principal,
                now=now_iso(),
                catalog_prices={"SKU-WIDGET-A": CatalogPrice(Decimal("29.99"), "USD")},
                idempotency_key=None,
            )
            batch.save(body_record(order))
            batch.save(order_record(order))


def _forget_preload_events(cloud: Any) -> None:
    """The preloaded orders are history: the outbox would otherwise spend the measurement
    publishing 10,000 `order.created` events. Skip their stream records, drop what was sent."""
    import boto3

    for poller in cloud.stream_pollers:  # stopped during the preload: skip it, then resume
        poller.skip_to_latest()
        poller.resume()
    sqs = boto3.client("sqs")
    for name in ("WebhookQueue", "ConnectorQueue"):
        sqs.purge_queue(QueueUrl=cloud.deployment.stack[name])


def _burst(url: str, headers: dict[str, str], n: int, tag: str) -> tuple[list[float], float]:
    """POST n orders from CLIENTS threads; wait until all are sourced. (latencies ms, seconds)."""
    from tests.component.helpers import order_body

    latencies: list[float] = []
    ids: list[str] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        body = order_body(
            customer_email=f"{tag}{i}@example.com", line_items=[{"sku": "SKU-GIZMO-1", "quantity": 1}]
        )
        t = time.perf_counter()
        reply = requests.post(
            f"{url}/orders", json=body, timeout=60, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        elapsed = (time.perf_counter() - t) * 1000
        assert reply.status_code == 201, reply.text
        with lock:
            latencies.append(elapsed)
            ids.append(reply.json()["id"])

    session = requests.Session()
    first = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(create, range(n)))
    pending = set(ids)
    deadline = time.perf_counter() + 600
    while pending and time.perf_counter() < deadline:
        for oid in list(pending):
            status = session.get(f"{url}/orders/{oid}", headers=headers, timeout=10).json()["status"]
            if status in ("SOURCED", "BACKORDERED", "FAILED"):
                pending.discard(oid)
        time.sleep(0.2)
    return sorted(latencies), time.perf_counter() - first


def _quiet(url: str, headers: dict[str, str], n: int = 40) -> list[float]:
    """Create latency with nothing else running: one client, one order at a time."""
    from tests.component.helpers import order_body

    session = requests.Session()
    latencies = []
    for i in range(n):
        t = time.perf_counter()
        reply = session.post(
            f"{url}/orders",
            timeout=30,
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            json=order_body(
                customer_email=f"quiet{i}@example.com", line_items=[{"sku": "SKU-GIZMO-2", "quantity": 1}]
            ),
        )
        assert reply.status_code == 201, reply.text
        latencies.append((time.perf_counter() - t) * 1000)
        time.sleep(0.3)  # let its intake finish before the next one
    return sorted(latencies)


def _p(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


def run() -> list[dict[str, Any]]:
    from infra.local.cloud import LocalCloud

    state = tempfile.mkdtemp(prefix="cirrus-bench-")
    cloud = LocalCloud(api_port=0, state_dir=state, fresh=True, persist=False, simulator=False, speed=0.001)
    started = time.perf_counter()
    cloud.start()
    startup = time.perf_counter() - started
    try:
        t0 = time.perf_counter()
        for poller in cloud.stream_pollers:  # the preloaded orders are history: see below
            poller.stop()
        _preload(PRELOAD)
        preload_s = time.perf_counter() - t0
        _forget_preload_events(cloud)
        url = cloud.api_url
        token = requests.post(
            f"{url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=10
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        _burst(url, headers, 24, "warm")  # first requests build moto's routers and clients
        loaded, seconds = _burst(url, headers, ORDERS, "bench")
        quiet = _quiet(url, headers)
    finally:
        cloud.stop()
    print(f"  preloaded {PRELOAD} orders in {preload_s:.1f}s; local cloud started in {startup:.1f}s")
    print(f"  {ORDERS} orders from {CLIENTS} clients: all sourced after {seconds:.1f}s")
    return [
        figure(
            f"orders/s POST -> SOURCED ({PRELOAD} stored)",
            ORDERS / seconds,
            "orders/s",
            target=20,
            higher_is_better=True,
        ),
        figure(f"create latency p50 via gateway ({CLIENTS} clients, intakes running)", _p(loaded, 0.5), "ms"),
        figure(
            f"create latency p99 via gateway ({CLIENTS} clients, intakes running)",
            _p(loaded, 0.99),
            "ms",
            target=150,
        ),
        figure("create latency p50 via gateway (one client, idle)", _p(quiet, 0.5), "ms"),
        figure("create latency p99 via gateway (one client, idle)", _p(quiet, 0.99), "ms", target=150),
        figure("local cloud startup", startup, "s", target=15),
    ]
