"""Integrations: Shopify receiver acknowledgement latency on the local cloud, and the AWS
operations and list-price cost of one imported Shopify order and of one delivered webhook.

Latency: the local cloud in this process (no simulator); 200 signed `orders/create` webhooks are
POSTed to the Function URL through the gateway, one at a time (what Shopify's timer sees: verify,
queue, answer), then 200 more from 4 clients while the imports run.

Cost: the real template in moto in-process with every botocore call counted (bench_cost's meter):
- an imported Shopify order = the receiver (1 invocation) + the worker applying it (1 invocation),
  not the order's own life afterwards (that is `make bench BENCH=cost`);
- a delivered webhook = the dispatcher's share for one event and one subscribed endpoint: the
  fan-out (the endpoints read, the delivery record, its message on the delivery queue), then the
  attempt from that queue (the secret opened, the attempt recorded, the task log entry); the SQS
  receive/delete of both queues amortised over batches of 10.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from benchlib import figure

SECRET = "shpss_" + "bench0123456789a" * 2
SHOP = "cirrus-bench.myshopify.com"
N_ACK = 200
N_COST = 20


def _order(n: int) -> dict[str, Any]:
    from tests.component.test_connectors import shopify_order

    return shopify_order(n)


def _signed(body: bytes) -> dict[str, str]:
    from oms.domain.clock import now_iso

    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Triggered-At": now_iso(),
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ack_latency() -> tuple[list[float], list[float]]:
    from infra.local.cloud import LocalCloud

    cloud = LocalCloud(
        api_port=0,
        state_dir=tempfile.mkdtemp(prefix="cirrus-bench-"),
        fresh=True,
        persist=False,
        simulator=False,
        speed=0.001,
    )
    cloud.start()
    try:
        url = cloud.api_url
        token = requests.post(
            f"{url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=10
        ).json()["access_token"]
        connector = requests.post(
            f"{url}/connectors",
            json={
                "type": "SHOPIFY",
                "name": "bench",
                "config": {"shop_domain": SHOP, "access_token": "shpat_bench_1", "webhook_secret": SECRET},
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        target = connector["webhook_url"]
        http = requests.Session()

        def send(n: int) -> float:
            body = json.dumps(_order(n)).encode()
            started = time.perf_counter()
            reply = http.post(target, data=body, headers=_signed(body), timeout=10)
            assert reply.status_code == 200, reply.text
            return (time.perf_counter() - started) * 1000.0

        for n in range(10):  # warm-up: first calls build clients and routes
            send(900_000 + n)
        idle = [send(1_000_000 + n) for n in range(N_ACK)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            busy = list(pool.map(send, range(2_000_000, 2_000_000 + N_ACK)))
        return idle, busy
    finally:
        cloud.stop()


def _cost() -> dict[str, dict[str, float]]:
    from bench_cost import Meter

    from infra.local.testing import deployed_template
    from tests.fakes import Receiver

    receiver = Receiver()
    results: dict[str, dict[str, float]] = {}
    # no state machine: the intakes an import starts are the order's own life (bench_cost) and
    # would otherwise be counted here while they run in the background
    no_intake = {"FULFILMENT_STATE_MACHINE_ARN": "", "CIRRUS_LOG_LEVEL": "ERROR"}
    import logging

    logging.getLogger("oms.services.orders").setLevel(logging.ERROR)  # "intake not started": expected here
    with deployed_template(parameters={"WebhookAllowInsecureTargets": "true"}, extra_env=no_intake) as stack:
        import boto3

        from oms.demo import seed_demo_data
        from oms.domain.connectors import ConnectorCreate
        from oms.domain.events import DomainEvent
        from oms.domain.models import Principal, Role
        from oms.domain.webhooks import EndpointCreate
        from oms.services import connectors as connector_service
        from oms.services import webhooks as webhook_service
        from tests.component.helpers import sqs_records

        seed_demo_data()
        meter = Meter()  # after the mock started: it reads moto's live backend
        principal = Principal(user_id="b", email="bench@example.com", tenant_id="demo", role=Role.SUPERADMIN)
        connector = connector_service.create(
            principal,
            ConnectorCreate.model_validate(
                {
                    "type": "SHOPIFY",
                    "name": "bench",
                    "config": {
                        "shop_domain": SHOP,
                        "access_token": "shpat_bench_1",
                        "webhook_secret": SECRET,
                    },
                }
            ),
        )
        webhook_service.create_endpoint(
            principal, EndpointCreate(url=receiver.url, event_types=["order.created"])
        )
        meter.install()
        sqs = boto3.client("sqs")

        # imported Shopify orders: receiver + worker, per order
        meter.enabled = True
        for n in range(N_COST):
            body = json.dumps(_order(5_000_000 + n))
            headers = {k.lower(): v for k, v in _signed(body.encode()).items()}
            stack.invoke(
                "ShopifyWebhookFunction",
                {
                    "rawPath": f"/shopify/demo/{connector['id']}",
                    "headers": headers,
                    "body": body,
                    "isBase64Encoded": False,
                },
            )
            meter._local.ignore = True
            messages = sqs.receive_message(
                QueueUrl=stack["ConnectorQueue"], MaxNumberOfMessages=10, AttributeNames=["All"]
            )["Messages"]
            meter._local.ignore = False
            stack.invoke(
                "ConnectorWorkerFunction", {"Records": sqs_records(stack, "ConnectorQueue", messages)}
            )
            sqs.delete_message_batch(
                QueueUrl=stack["ConnectorQueue"],
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        meter.enabled = False
        # the intake the import starts is the order's own life (bench_cost), not the import's
        results["imported Shopify order"] = _priced(
            meter,
            N_COST,
            exclude=("stepfunctions", "lambda"),
            functions=("ShopifyWebhookFunction", "ConnectorWorkerFunction"),
        )

        # delivered webhooks: the dispatcher's work for one event and one endpoint
        meter.calls.clear()
        meter.lambda_runs.clear()
        meter.lambda_ms.clear()
        meter.lambda_aws_calls.clear()
        meter.dynamo.wu = meter.dynamo.gsi_wu = meter.dynamo.ru = 0
        events = [
            DomainEvent(
                event_id=str(uuid.uuid4()),
                type="order.created",
                tenant_id="demo",
                order_id=str(uuid.uuid4()),
                order_number=None,
                status="PENDING",
                sequence=1,
                occurred_at="2026-11-21T10:00:00.000Z",
                actor="bench",
                change="order.created",
                data={},
            ).model_dump_json()
            for _ in range(N_COST)
        ]
        meter.enabled = True
        _dispatch_webhooks(stack, meter, sqs, events)
        meter.enabled = False
        assert len(receiver.requests) == N_COST, len(receiver.requests)
        results["delivered webhook"] = _priced(
            meter, N_COST, exclude=(), functions=("WebhookDispatcherFunction",)
        )
    receiver.server.shutdown()
    return results


def _dispatch_webhooks(stack: Any, meter: Any, sqs: Any, events: list[str]) -> None:
    """The dispatcher as Lambda runs it: the events in batches of 10 from WebhookQueue (fan-out),
    then the deliveries they queued, in batches of 10 from the delivery queue (the attempts). The
    event source mapping's receive and delete are counted once per batch."""
    from tests.component.helpers import sqs_records

    for start in range(0, len(events), 10):
        meter.calls["sqs:ReceiveMessage"] += 1
        meter.calls["sqs:DeleteMessageBatch"] += 1
        batch = events[start : start + 10]
        stack.invoke("WebhookDispatcherFunction", {"Records": sqs_records(stack, "WebhookQueue", batch)})
    meter._local.ignore = True
    deliveries: list[dict[str, Any]] = []
    while len(deliveries) < len(events):
        got = sqs.receive_message(
            QueueUrl=stack["WebhookRetryQueue"], MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        deliveries.extend(got)
        for m in got:
            sqs.delete_message(QueueUrl=stack["WebhookRetryQueue"], ReceiptHandle=m["ReceiptHandle"])
    meter._local.ignore = False
    for start in range(0, len(deliveries), 10):
        meter.calls["sqs:ReceiveMessage"] += 1
        meter.calls["sqs:DeleteMessageBatch"] += 1
        batch = sqs_records(stack, "WebhookRetryQueue", deliveries[start : start + 10])
        stack.invoke("WebhookDispatcherFunction", {"Records": batch})


def _priced(meter: Any, n: int, exclude: tuple[str, ...], functions: tuple[str, ...]) -> dict[str, float]:
    from bench_cost import NETWORK_MS_PER_AWS_CALL, PRICES

    calls = {k: v / n for k, v in meter.calls.items() if not (exclude and k.startswith(exclude))}
    ran = [f for f in meter.lambda_runs if f in functions]
    runs = sum(meter.lambda_runs[f] for f in ran) / n
    gb_s = (
        sum(
            (meter.lambda_ms[f] + NETWORK_MS_PER_AWS_CALL * meter.lambda_aws_calls[f]) / 1000 * 0.25
            for f in ran
        )
        / n
    )
    wu = (meter.dynamo.wu + meter.dynamo.gsi_wu) / n
    ru = meter.dynamo.ru / n
    sqs = sum(v for k, v in calls.items() if k.startswith("sqs:"))
    cost = (
        runs * PRICES["lambda_request"]
        + gb_s * PRICES["lambda_gb_s"]
        + wu * PRICES["ddb_wu"]
        + ru * PRICES["ddb_ru"]
        + sqs * PRICES["sqs_request"]
        + runs * 0.4 / 1024 / 1024 * PRICES["logs_gb"]
    )
    ops = sum(calls.values())
    print(f"    calls: {', '.join(f'{k} {v:.2f}' for k, v in sorted(calls.items()))}")
    print(f"    {runs:.2f} Lambda runs, {wu:.1f} WU, {ru:.1f} RU, {sqs:.2f} SQS requests")
    return {"ops": ops, "cost_per_million": cost * 1e6, "wu": wu, "ru": ru}


def run() -> list[dict[str, Any]]:
    idle, busy = _ack_latency()
    print(
        f"  Shopify ack latency, one sender: p50 {_p(idle, 0.5):.1f} ms, p99 {_p(idle, 0.99):.1f} ms "
        f"(mean {statistics.mean(idle):.1f})"
    )
    busy_p50, busy_p99 = _p(busy, 0.5), _p(busy, 0.99)
    print(f"  Shopify ack latency, 4 senders while imports run: p50 {busy_p50:.1f} ms, p99 {busy_p99:.1f} ms")
    figures = [
        figure("Shopify ack latency p50 (local cloud, one sender)", _p(idle, 0.5), "ms"),
        figure("Shopify ack latency p99 (local cloud, one sender)", _p(idle, 0.99), "ms", target=1000),
        figure("Shopify ack latency p50 (4 senders, imports running)", _p(busy, 0.5), "ms"),
        figure("Shopify ack latency p99 (4 senders, imports running)", _p(busy, 0.99), "ms", target=1000),
    ]
    for name, priced in _cost().items():
        print(f"  {name}: {priced['ops']:.1f} AWS operations, ${priced['cost_per_million']:.2f} per million")
        figures.append(figure(f"AWS operations per {name}", priced["ops"], "calls"))
        figures.append(figure(f"cost per 1M {name}s (list price)", priced["cost_per_million"], "$"))
    return figures
