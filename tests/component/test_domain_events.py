"""The outbox: an order's stored changes become domain events on the bus, routed to the webhook
queue, each exactly once per change and with a stable id."""

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
    envelopes = [e for e in drain(stack) if e["detail"]["order_id"] == order["id"]]
    assert [e["detail-type"] for e in envelopes] == [
        "order.created",
        "order.confirmed",
        "order.sourcing",
        "order.sourced",
    ]
    assert all(e["source"] == "cirrus.oms" for e in envelopes)
    details = [e["detail"] for e in envelopes]
    assert [d["sequence"] for d in details] == [1, 2, 3, 4]
    assert details[0]["order_number"] == order["order_number"] and details[-1]["status"] == "SOURCED"
    assert len({d["event_id"] for d in details}) == 4

    # the stream redelivers the batch (a retry): the same events, with the same ids
    invoke("EventPublisherFunction", {"Records": mine})
    again = [e["detail"]["event_id"] for e in drain(stack) if e["detail"]["order_id"] == order["id"]]
    assert again == [d["event_id"] for d in details]


def test_bodies_and_decision_trails_publish_nothing(stack, invoke):
    others = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] != "ORDER"]
    assert others  # bodies and trails are in the stream too (the mapping's filter drops them)
    drain(stack)
    invoke("EventPublisherFunction", {"Records": others[:20]})
    assert drain(stack) == []
