"""The outbox: an order's stored changes become domain events in the consumer queues, each
exactly once per change and with a stable id."""

from __future__ import annotations

import pytest

from tests.component.helpers import drain, order_body, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def test_each_order_change_is_published_once_with_a_stable_id(stack, admin, invoke):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    drain(stack)
    mine = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
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


def test_bodies_and_decision_trails_publish_nothing(stack, invoke):
    others = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] != "ORDER"]
    assert others  # bodies and trails are in the stream too (the mapping's filter drops them)
    drain(stack)
    invoke("EventPublisherFunction", {"Records": others[:20]})
    assert drain(stack) == []


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
