"""Outbound webhooks against a local receiver: endpoints API, SSRF refusals, signed deliveries
from the real outbox pipe, retries with backoff to DEAD, manual retry, secret rotation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.webhooks import verify_signature
from tests.component.helpers import drain, order_body, sqs_records, stream_records, wait_for_status
from tests.fakes import Receiver, SlowReceiver


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """This module's own stack: loopback receivers allowed, retries after 1 s instead of minutes,
    and 1 s for each attempt."""
    parameters = {
        "WebhookAllowInsecureTargets": "true",
        "WebhookRetrySeconds": "1,1,1",
        "WebhookAttemptBudgetSeconds": "1",
    }
    with deployed_template(parameters=parameters, extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as resources:
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def sqs_event(stack: Any, queue: str, bodies: list[str]) -> dict[str, Any]:
    """What the dispatcher gets from `queue` (the queue a record came from says what it is)."""
    return {"Records": sqs_records(stack, queue, bodies)}


def pending(stack: Any, queue: str, wait: float = 3.0) -> list[str]:
    sqs = boto3.client("sqs")
    deadline = time.monotonic() + wait
    bodies: list[str] = []
    while time.monotonic() < deadline and not bodies:
        for m in sqs.receive_message(QueueUrl=stack[queue], MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=stack[queue], ReceiptHandle=m["ReceiptHandle"])
        time.sleep(0.1)
    return bodies


def emf(out: str, metric: str) -> list[dict[str, Any]]:
    """The embedded-metric-format documents printed for `metric` (namespace Cirrus)."""
    docs = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            doc = json.loads(line)
            names = {m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            if metric in names and doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Cirrus":
                docs.append(doc)
    return docs


def valid(secret: str, request: dict[str, Any]) -> bool:
    h = request["headers"]
    return verify_signature(
        secret, h.get("X-OMS-Signature"), h.get("X-OMS-Timestamp"), request["body"], time.time()
    )


# ------------------------------------------------------------------ endpoints API
def test_endpoint_lifecycle_and_secret_masking(admin, user, receiver):
    created = admin.post("/webhooks/endpoints", {"url": receiver.url, "event_types": ["order.shipped"]})
    assert created.status == 201 and created.body["secret"].startswith("whsec_")
    endpoint = created.body
    got = admin.get(f"/webhooks/endpoints/{endpoint['id']}").body
    assert got["secret"] == "***" and got["event_types"] == ["order.shipped"]
    assert all(e["secret"] == "***" for e in admin.get("/webhooks/endpoints").body["items"])
    patched = admin.patch(f"/webhooks/endpoints/{endpoint['id']}", {"event_types": ["*"], "active": False})
    assert patched.body["event_types"] == ["*"] and patched.body["active"] is False
    rotated = admin.post(f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", {}).body
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret"] == "***"
    assert user.get("/webhooks/endpoints").status == 403
    assert admin.delete(f"/webhooks/endpoints/{endpoint['id']}").status == 204
    assert admin.get(f"/webhooks/endpoints/{endpoint['id']}").status == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://192.168.0.10:8080/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[2002:a00:1::1]/hook",  # 6to4 around 10.0.0.1
        "http://[2002:808:808::1]/hook",  # 6to4, whatever it embeds
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",  # Teredo
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 around the metadata address
        "https://user:pass@hooks.example.com/",
        "ftp://hooks.example.com/",
        "not a url at all",
    ],
)
def test_internal_targets_are_refused_at_registration(admin, url):
    before = admin.get("/webhooks/endpoints").body["count"]
    reply = admin.post("/webhooks/endpoints", {"url": url})
    assert reply.status == 422, reply
    assert admin.get("/webhooks/endpoints").body["count"] == before


def test_bad_endpoint_input_is_422(admin, receiver):
    assert (
        admin.post("/webhooks/endpoints", {"url": receiver.url, "event_types": ["order.teleported"]}).status
        == 422
    )
    assert admin.post("/webhooks/endpoints", {"url": receiver.url, "colour": "red"}).status == 422
    assert admin.post("/webhooks/endpoints", {"url": receiver.url, "secret": "short"}).status == 422


@pytest.mark.date_sensitive  # signatures carry a timestamp checked against now
def test_the_test_endpoint_sends_a_signed_event(admin, receiver):
    endpoint = admin.post(
        "/webhooks/endpoints", {"url": receiver.url, "event_types": ["order.cancelled"]}
    ).body
    delivery = admin.post(f"/webhooks/endpoints/{endpoint['id']}/test", {}).body
    assert delivery["state"] == "DELIVERED" and delivery["last_status_code"] == 200
    [request] = receiver.requests
    assert request["headers"]["X-OMS-Event"] == "webhook.test"
    assert request["headers"]["X-OMS-Delivery-Id"] == delivery["id"]
    assert valid(endpoint["secret"], request)
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


# ------------------------------------------------------------------ the pipe
@pytest.mark.date_sensitive
def test_order_events_reach_the_receiver_signed_and_once(stack, admin, invoke, receiver):
    endpoint = admin.post(
        "/webhooks/endpoints", {"url": receiver.url, "event_types": ["order.created", "order.sourced"]}
    ).body
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    records = [r for r in stream_records(stack) if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]]
    invoke(
        "EventPublisherFunction",
        {"Records": [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER"]},
    )
    messages = pending(stack, "WebhookQueue")
    # the outbox queues only the types some endpoint wants (ADR 0022): created and sourced, not
    # confirmed or sourcing
    assert len(messages) == 2
    # each event becomes one delivery per endpoint that wants it, each queued on its own
    assert invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookQueue", messages)) == {
        "batchItemFailures": []
    }
    assert receiver.requests == []
    deliveries = pending(stack, "WebhookRetryQueue")
    assert len(deliveries) == 2 and all(
        set(json.loads(d)) == {"tenant_id", "delivery_id"} for d in deliveries
    )
    assert invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", deliveries)) == {
        "batchItemFailures": []
    }
    received = sorted((json.loads(r["body"]) for r in receiver.requests), key=lambda b: b["data"]["sequence"])
    assert [b["type"] for b in received] == ["order.created", "order.sourced"]  # only what it asked for
    assert all(valid(endpoint["secret"], r) for r in receiver.requests)
    assert received[0]["data"]["order_id"] == order["id"]

    # SQS redelivers the same messages: nothing is queued or sent twice
    invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookQueue", messages))
    assert pending(stack, "WebhookRetryQueue", wait=0.5) == []
    invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", deliveries))
    assert len(receiver.requests) == 2
    log = admin.get(f"/webhooks/events?endpoint_id={endpoint['id']}").body["items"]
    assert {d["event_type"] for d in log} == {"order.created", "order.sourced"}
    assert all(d["state"] == "DELIVERED" and d["last_latency_ms"] is not None for d in log)
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


@pytest.mark.date_sensitive  # next_retry_at against now
def test_failures_retry_with_backoff_then_dead_and_a_manual_retry_delivers(
    stack, admin, invoke, receiver, frozen_clock, capsys
):
    endpoint = admin.post("/webhooks/endpoints", {"url": receiver.url}).body
    receiver.script = [500, 503, 500, 500]  # the first attempt and all three retries fail
    delivery = admin.post(f"/webhooks/endpoints/{endpoint['id']}/test", {}).body
    assert delivery["state"] == "DEAD"  # a test is never retried

    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    receiver.requests.clear()
    receiver.script = [500, 502, 500, 500]
    header = [
        r
        for r in stream_records(stack)
        if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"] and r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER"
    ][:1]  # the insert: order.created
    invoke("EventPublisherFunction", {"Records": header})
    invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookQueue", pending(stack, "WebhookQueue")))
    first = pending(stack, "WebhookRetryQueue")  # the delivery, queued for its first attempt at once
    assert len(first) == 1
    invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", first))
    for _ in range(3):  # each retry waits in the retry queue for a second (of the frozen clock)
        assert pending(stack, "WebhookRetryQueue", wait=0.2) == []  # not before its time
        frozen_clock.shift(1.5)
        retry = pending(stack, "WebhookRetryQueue")
        assert len(retry) == 1
        invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", retry))
    frozen_clock.shift(60)
    assert pending(stack, "WebhookRetryQueue", wait=0.2) == []  # no fifth attempt is scheduled
    [metric] = emf(capsys.readouterr().out, "WebhooksDead")  # counted once, when it died
    assert metric["WebhooksDead"] == [1.0] and metric["tenant_id"] == "demo"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]  # tenant: a property
    [dead] = [
        d
        for d in admin.get("/webhooks/events?status=DEAD").body["items"]
        if d["event_type"] == "order.created" and d["endpoint_id"] == endpoint["id"]
    ]
    assert [a["status_code"] for a in dead["attempts"]] == [500, 502, 500, 500]
    assert len(receiver.requests) == 4
    assert len({r["headers"]["X-OMS-Event-Id"] for r in receiver.requests}) == 1

    retried = admin.post(f"/webhooks/events/{dead['id']}/retry", {}).body
    assert retried["state"] == "DELIVERED" and retried["attempt_count"] == 5
    assert admin.post(f"/webhooks/events/{dead['id']}/retry", {}).status == 409
    assert admin.post("/webhooks/events/nope/retry", {}).status == 404
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


@pytest.mark.date_sensitive  # the old secret's grace period ends at now + 24 h
def test_after_rotation_both_secrets_verify_during_the_grace_period(admin, receiver):
    endpoint = admin.post("/webhooks/endpoints", {"url": receiver.url}).body
    rotated = admin.post(f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", {}).body
    admin.post(f"/webhooks/endpoints/{endpoint['id']}/test", {})
    [request] = receiver.requests
    assert request["headers"]["X-OMS-Signature"].count("sha256=") == 2
    assert valid(endpoint["secret"], request) and valid(rotated["secret"], request)
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


def _seed_verify_webhook(body: bytes, signature: str, secret: str) -> bool:
    """The KubeRiva seed's receiver (its README, section 10), verbatim."""
    import hashlib
    import hmac

    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_a_v1_endpoint_is_signed_as_the_seeds_verifier_expects(admin, receiver):
    """signature_version v1: HMAC of the body alone; v2 (timestamped) stays the default."""
    default = admin.post("/webhooks/endpoints", {"url": receiver.url}).body
    assert default["signature_version"] == "v2"
    admin.delete(f"/webhooks/endpoints/{default['id']}")
    assert admin.post("/webhooks/endpoints", {"url": receiver.url, "signature_version": "v3"}).status == 422

    endpoint = admin.post("/webhooks/endpoints", {"url": receiver.url, "signature_version": "v1"}).body
    assert endpoint["signature_version"] == "v1"
    admin.post(f"/webhooks/endpoints/{endpoint['id']}/test", {})
    [request] = receiver.requests
    signature = request["headers"]["X-OMS-Signature"]
    assert _seed_verify_webhook(request["body"], signature, endpoint["secret"])
    assert not valid(endpoint["secret"], request)  # not the timestamped scheme
    # after a rotation the header still holds one value (the seed compares the whole header),
    # the new secret's; the previous secret's value rides beside it for the grace period
    rotated = admin.post(f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", {}).body
    admin.post(f"/webhooks/endpoints/{endpoint['id']}/test", {})
    request = receiver.requests[-1]
    assert _seed_verify_webhook(request["body"], request["headers"]["X-OMS-Signature"], rotated["secret"])
    assert _seed_verify_webhook(
        request["body"], request["headers"]["X-OMS-Signature-Previous"], endpoint["secret"]
    )
    # and back to v2 by PATCH
    patched = admin.patch(f"/webhooks/endpoints/{endpoint['id']}", {"signature_version": "v2"}).body
    assert patched["signature_version"] == "v2"
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


# ------------------------------------------------------------------ one slow endpoint
def test_a_slow_receiver_is_cut_at_the_budget_and_holds_up_no_one_else(stack, admin, invoke, receiver):
    """Two endpoints want the same event: one answers at once, the other drips its answer a
    byte at a time. Each gets its own delivery message; in one batch, the prompt one is delivered
    and the slow one is cut at the budget (1 s here) and scheduled for a retry."""
    slow = SlowReceiver(where="headers", every=0.05)
    prompt = admin.post("/webhooks/endpoints", {"url": receiver.url, "event_types": ["order.created"]}).body
    dripping = admin.post("/webhooks/endpoints", {"url": slow.url, "event_types": ["order.created"]}).body
    try:
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        drain(stack)
        insert = [
            r
            for r in stream_records(stack)
            if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"] and r["eventName"] == "INSERT"
        ]
        invoke("EventPublisherFunction", {"Records": insert})
        invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookQueue", pending(stack, "WebhookQueue")))
        deliveries = pending(stack, "WebhookRetryQueue")
        assert len(deliveries) == 2  # one message per (event, endpoint)
        reply = invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", deliveries))
        assert reply == {"batchItemFailures": []}  # a failed attempt is recorded, not a failed message

        assert len(receiver.for_event(receiver.requests[0]["headers"]["X-OMS-Event-Id"])) == 1
        log = {d["endpoint_id"]: d for d in admin.get("/webhooks/events?limit=50").body["items"]}
        assert log[prompt["id"]]["state"] == "DELIVERED"
        cut = log[dripping["id"]]
        assert slow.requests == 1 and cut["state"] == "RETRYING" and cut["next_retry_at"]
        assert cut["last_error"].startswith("timeout: no complete answer within 1 s")
        assert slow.bytes_sent < 10_000  # its answer was never read to the end
        [retry] = pending(stack, "WebhookRetryQueue", wait=5.0)
        assert json.loads(retry)["delivery_id"] == cut["id"]
    finally:
        slow.close()
        admin.delete(f"/webhooks/endpoints/{prompt['id']}")
        admin.delete(f"/webhooks/endpoints/{dripping['id']}")


# ------------------------------------------------------------------ the per-tenant limit
def test_a_tenant_has_at_most_20_endpoints(admin, other_tenant, receiver):
    existing = admin.get("/webhooks/endpoints").body["count"]
    made = [admin.post("/webhooks/endpoints", {"url": receiver.url}).body["id"] for _ in range(20 - existing)]
    refused = admin.post("/webhooks/endpoints", {"url": receiver.url})
    assert refused.status == 422 and refused.body["error"]["code"] == "endpoint_limit"
    assert admin.get("/webhooks/endpoints").body["count"] == 20
    theirs = other_tenant.post("/webhooks/endpoints", {"url": receiver.url})
    assert theirs.status == 201  # the limit is per tenant
    assert admin.delete(f"/webhooks/endpoints/{made[0]}").status == 204  # a deletion frees a place
    made[0] = admin.post("/webhooks/endpoints", {"url": receiver.url}).body["id"]
    assert admin.post("/webhooks/endpoints", {"url": receiver.url}).status == 422
    for endpoint_id in made:
        admin.delete(f"/webhooks/endpoints/{endpoint_id}")
    other_tenant.delete(f"/webhooks/endpoints/{theirs.body['id']}")


def test_concurrent_creates_cannot_pass_the_limit(stack):
    from oms.services.context import repos

    tenant = f"race-{uuid.uuid4().hex[:8]}"
    # endpoints from before the limit existed (no counter yet): counted when the counter is made
    for i in range(17):
        repos.webhooks.insert(tenant, f"old-{i}", {"id": f"old-{i}", "created_at": str(i)})
    assert repos.webhooks.count(tenant) == 17

    def create(i: int) -> bool:
        return repos.webhooks.insert_within(tenant, f"new-{i}", {"id": f"new-{i}", "created_at": "x"}, 20)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(8)))
    assert sum(results) == 3  # 17 + 3 = 20, however the eight raced
    assert repos.webhooks.count(tenant) == 20 and len(repos.webhooks.all(tenant)) == 20
    assert repos.webhooks.delete(tenant, "old-0") and not repos.webhooks.delete(tenant, "old-0")
    assert repos.webhooks.count(tenant) == 19


# ------------------------------------------------------------------ by source, not by body
def test_the_queue_a_record_came_from_decides_what_it_is(stack, owner, invoke):
    delivery = json.dumps({"tenant_id": "demo", "delivery_id": "no-such-delivery"})
    # a delivery message is read as a delivery only from the delivery queue...
    assert invoke("WebhookDispatcherFunction", sqs_event(stack, "WebhookRetryQueue", [delivery])) == {
        "batchItemFailures": []
    }
    # ... from the events queue it is a malformed event, and from elsewhere nothing this function reads
    for queue in ("WebhookQueue", "WebhookDeadLetterQueue"):
        event = sqs_event(stack, queue, [delivery])
        failed = invoke("WebhookDispatcherFunction", event)["batchItemFailures"]
        assert failed == [{"itemIdentifier": event["Records"][0]["messageId"]}], queue

    # dead delivery messages have their own dead-letter queue, replayed to the delivery queue
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack["WebhookDeliveryDeadLetterQueue"], MessageBody=delivery)
    replayed = owner.post("/ops/dlq/webhook_deliveries/replay", {}).body
    assert replayed["moved"] == 1 and replayed["depth_after"]["visible"] == 0
    assert pending(stack, "WebhookRetryQueue") == [delivery]
