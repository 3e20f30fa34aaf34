"""The outbox: an order's stored changes become domain events in the queues of the consumers
that act on them, each exactly once per change and with a stable id (ADR 0010, ADR 0022)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.component.helpers import drain, order_body, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")
# a public address, so the endpoint registers without a resolver; nothing is delivered here (the
# dispatcher is not polling in this stack)
SOMEWHERE = "https://93.184.216.34/hooks"


def _subscribe(admin: Any, event_types: list[str]) -> Iterator[dict[str, Any]]:
    reply = admin.post("/webhooks/endpoints", {"url": SOMEWHERE, "event_types": event_types})
    assert reply.status == 201, reply
    yield reply.body
    admin.delete(f"/webhooks/endpoints/{reply.body['id']}")


@pytest.fixture
def subscriber(admin: Any) -> Iterator[dict[str, Any]]:
    """The demo tenant has an endpoint that wants every event."""
    yield from _subscribe(admin, ["*"])


def _order_headers(stack: Any, order_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order_id in r["dynamodb"]["Keys"]["pk"]["S"]
    ]


@pytest.mark.usefixtures("subscriber")
def test_each_order_change_is_published_once_with_a_stable_id(stack, admin, invoke):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    mine = _order_headers(stack, order["id"])
    assert invoke("EventPublisherFunction", {"Records": mine}) == {"batchItemFailures": []}
    details = [e for e in drain(stack) if e["order_id"] == order["id"]]
    assert [e["type"] for e in details] == [
        "order.created",
        "order.confirmed",
        "order.sourcing",
        "order.sourced",
    ]
    assert [d["sequence"] for d in details] == [1, 2, 3, 4]
    assert details[0]["order_number"] == order["order_number"] and details[-1]["status"] == "SOURCED"
    assert len({d["event_id"] for d in details}) == 4

    # the stream redelivers the batch (a retry): the same events, with the same ids
    invoke("EventPublisherFunction", {"Records": mine})
    again = [e["event_id"] for e in drain(stack) if e["order_id"] == order["id"]]
    assert again == [d["event_id"] for d in details]


@pytest.mark.usefixtures("subscriber")
def test_bodies_and_decision_trails_publish_nothing(stack, admin, invoke):
    order = admin.post("/orders", order_body()).body  # this test's own, whatever ran before it
    wait_for_status(admin, order["id"], {"SOURCED"})
    others = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] != "ORDER"]
    assert others  # bodies and trails are in the stream too (the mapping's filter drops them)
    drain(stack)
    invoke("EventPublisherFunction", {"Records": others[:20]})
    assert drain(stack) == []


@pytest.mark.usefixtures("subscriber")
def test_events_of_many_orders_share_a_batch(stack, admin, invoke):
    """Ten orders' inserts in one stream batch: their events (all sequence 1) go out together."""
    ids = {admin.post("/orders", order_body()).body["id"] for _ in range(12)}
    inserts = [
        r
        for r in stream_records(stack)
        if r["eventName"] == "INSERT"
        and r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER"
        and r["dynamodb"]["Keys"]["pk"]["S"].rsplit("#", 1)[-1] in ids
    ]
    drain(stack)
    assert invoke("EventPublisherFunction", {"Records": inserts}) == {"batchItemFailures": []}
    created = [e for e in drain(stack) if e["order_id"] in ids]
    assert {e["order_id"] for e in created} == ids and {e["type"] for e in created} == {"order.created"}


def test_an_event_nobody_wants_goes_nowhere(stack, admin, invoke):
    """No endpoint subscribed and an order no channel owns: no queue request, no consumer run."""
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    assert invoke("EventPublisherFunction", {"Records": _order_headers(stack, order["id"])}) == {
        "batchItemFailures": []
    }
    assert drain(stack) == []
    connector_queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack["ConnectorQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert connector_queue["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_only_the_types_an_endpoint_asked_for_are_queued_for_it(stack, admin, invoke):
    subscription = _subscribe(admin, ["order.sourced"])
    next(subscription)
    try:
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        drain(stack)
        invoke("EventPublisherFunction", {"Records": _order_headers(stack, order["id"])})
        assert [e["type"] for e in drain(stack) if e["order_id"] == order["id"]] == ["order.sourced"]
    finally:
        next(subscription, None)


def test_an_inactive_endpoint_subscribes_to_nothing(stack, admin, invoke):
    subscription = _subscribe(admin, ["*"])
    endpoint = next(subscription)
    try:
        assert admin.patch(f"/webhooks/endpoints/{endpoint['id']}", {"active": False}).status == 200
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        drain(stack)
        invoke("EventPublisherFunction", {"Records": _order_headers(stack, order["id"])})
        assert drain(stack) == []
    finally:
        next(subscription, None)
