"""Outbound webhooks against a local receiver: endpoints API, SSRF refusals, signed deliveries
from the real outbox pipe, retries with backoff to DEAD, manual retry, secret rotation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.webhooks import verify_signature
from tests.component.helpers import drain, order_body, stream_records, wait_for_status
from tests.fakes import Receiver


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """This module's own stack: loopback receivers allowed, retries after 1 s instead of minutes."""
    parameters = {"WebhookAllowInsecureTargets": "true", "WebhookRetrySeconds": "1,1,1"}
    with deployed_template(parameters=parameters, extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as resources:
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}


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
    assert len(messages) == 4  # created, confirmed, sourcing, sourced
    assert invoke("WebhookDispatcherFunction", sqs_event(messages)) == {"batchItemFailures": []}
    received = [json.loads(r["body"]) for r in receiver.requests]
    assert [b["type"] for b in received] == ["order.created", "order.sourced"]  # only what it asked for
    assert all(valid(endpoint["secret"], r) for r in receiver.requests)
    assert received[0]["data"]["order_id"] == order["id"]

    # SQS redelivers the same messages: nothing is sent twice
    invoke("WebhookDispatcherFunction", sqs_event(messages))
    assert len(receiver.requests) == 2
    log = admin.get(f"/webhooks/events?endpoint_id={endpoint['id']}").body["items"]
    assert {d["event_type"] for d in log} == {"order.created", "order.sourced"}
    assert all(d["state"] == "DELIVERED" and d["last_latency_ms"] is not None for d in log)
    admin.delete(f"/webhooks/endpoints/{endpoint['id']}")


@pytest.mark.date_sensitive  # next_retry_at against now
def test_failures_retry_with_backoff_then_dead_and_a_manual_retry_delivers(
    stack, admin, invoke, receiver, frozen_clock
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
    invoke("WebhookDispatcherFunction", sqs_event(pending(stack, "WebhookQueue")))
    for _ in range(3):  # each retry waits in the retry queue for a second (of the frozen clock)
        assert pending(stack, "WebhookRetryQueue", wait=0.2) == []  # not before its time
        frozen_clock.shift(1.5)
        retry = pending(stack, "WebhookRetryQueue")
        assert len(retry) == 1
        invoke("WebhookDispatcherFunction", sqs_event(retry))
    frozen_clock.shift(60)
    assert pending(stack, "WebhookRetryQueue", wait=0.2) == []  # no fifth attempt is scheduled
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
