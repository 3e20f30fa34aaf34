"""The projection consumer's input: the orders stream decoded into order changes (ADR 0028)."""

from __future__ import annotations

import pytest

from oms.data.stream import order_changes
from tests.component.helpers import order_body, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def test_an_order_reads_as_its_placed_body_then_its_header_changes(stack, admin, invoke):
    order = admin.post("/orders", order_body(customer_name="Stream Reader")).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    records = [r for r in stream_records(stack) if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]]
    changes = order_changes(records)

    assert changes[0].placed and changes[0].item == "body"
    body = changes[0].new
    assert body is not None
    assert body["order_number"] == order["order_number"]
    assert body["customer_name"] == "Stream Reader"
    assert body["total_amount"] == order["total_amount"]
    headers = [c for c in changes if c.item == "header"]
    assert [c.status_after for c in headers if c.status_changed][-1] == "SOURCED"
    assert {c.tenant_id for c in changes} == {"demo"}
    assert {c.created_at for c in headers} == {order["created_at"]}
    assert all(c.sequence for c in changes)
    # the projection function takes such a batch whole and reports no failure
    assert invoke("ProjectionFunction", {"Records": records}) == {"batchItemFailures": []}


def test_items_that_are_not_an_order_body_or_header_are_skipped() -> None:
    trail_block = {"dynamodb": {"Keys": {"pk": {"S": "T#demo#O#o1"}, "sk": {"S": "TRAIL#000001"}}}}
    stranger = {"dynamodb": {"Keys": {"pk": {"S": "T#demo#X#o1"}, "sk": {"S": "ORDER"}}}}
    assert order_changes([trail_block, stranger]) == []
