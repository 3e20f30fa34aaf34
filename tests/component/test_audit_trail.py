"""Issue 8, finding 4: a stream of callbacks no longer grows the order header (ADR 0018).

Before, every callback (applied, or refused by the workflow) was appended to the order header, so
an order taking callbacks grew towards DynamoDB's 400 KB item limit and then could not be written.
Now the header holds the first entry and the current block of the trail; older blocks are items of
their own, GET /orders/{id}/events pages through them; refused callbacks are counted and the first
few a day kept beside the order, never in it; and callbacks are rate-limited per order."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from oms.domain import audit, clock
from tests.component.helpers import order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def moved_clock() -> Iterator[clock.ManualClock]:
    """The domain clock, moved by hand (a minute at a time) while the callbacks stream in."""
    source = clock.ManualClock()
    with clock.use_clock(source):
        yield source


def next_minute(source: clock.ManualClock) -> None:
    source.advance(seconds=61)


def header_size(stack: Any, order_id: str) -> int:
    """The stored size of the order header item, as DynamoDB counts it (names + values)."""
    item = boto3.client("dynamodb").get_item(
        TableName=stack["OrdersTable"], Key={"pk": {"S": f"T#demo#O#{order_id}"}, "sk": {"S": "ORDER"}}
    )["Item"]
    size = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        size += len(name) + (len(raw) if kind == "B" else len(str(raw).encode()))
    return size


def wait_for_version(admin: Any, order_id: str, version: int, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = admin.get(f"/orders/{order_id}").body
        if body["version"] >= version:
            return body
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} never reached version {version}: {body.get('version')}")


def all_events(admin: Any, order_id: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages, cursor = 0, None
    while True:
        url = f"/orders/{order_id}/events?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        reply = admin.get(url)
        assert reply.status == 200, reply
        items += reply.body["items"]
        pages += 1
        cursor = reply.body["next_cursor"]
        if not cursor:
            return items, pages


def split_order_partly_delivered(admin: Any) -> tuple[str, list[str]]:
    """An order shipped from two or more nodes, one of them delivered: PARTIALLY_DELIVERED, where
    a DELIVERED callback for that node applies again and again (a self-loop of the lifecycle)."""
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-WIDGET-B", "quantity": 520}])).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    nodes = sorted({a["node_id"] for a in sourced["allocations"]})
    for step in ("PICKING", "PACKING", "READY_TO_SHIP"):
        assert admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": step}).status in (200, 202)
        wait_for_status(admin, order["id"], {step})
    for i, node_id in enumerate(nodes):
        event = {"type": "SHIPPED", "node_id": node_id, "carrier": "UPS", "tracking_number": f"T{i}"}
        assert admin.post(f"/orders/{order['id']}/fulfillment-events", event).status == 200
    wait_for_status(admin, order["id"], {"SHIPPED"})
    admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "DELIVERED", "node_id": nodes[0]})
    wait_for_status(admin, order["id"], {"PARTIALLY_DELIVERED"})
    return order["id"], nodes


def test_500_callbacks_leave_the_header_bounded_and_the_trail_paged(stack, admin, invoke, moved_clock):
    order_id, nodes = split_order_partly_delivered(admin)
    sizes = [header_size(stack, order_id)]
    applied = refused = 0
    for i in range(500):
        if i % 50 == 49:
            next_minute(moved_clock)  # 50 a minute: under the per-order rate
        if i % 4 == 0:  # applied: another DELIVERED for the delivered node (applied at once)
            version = admin.get(f"/orders/{order_id}").body["version"]
            scan = hashlib.sha256(str(i).encode()).hexdigest()  # what a carrier says differs each time
            event = {"type": "DELIVERED", "node_id": nodes[0], "event_id": f"carrier-{i}", "note": scan}
            assert admin.post(f"/orders/{order_id}/fulfillment-events", event).status == 200
            wait_for_version(admin, order_id, version + 1)
            applied += 1
        elif i % 4 == 1:  # refused by the workflow (an event that ran ahead and never applied)
            before = admin.get(f"/orders/{order_id}").body["version"]
            task = {
                "task": "reject_event",
                "tenant_id": "demo",
                "order_id": order_id,
                "event": {"type": "PACKING", "note": f"late scan {i}", "actor": "user:admin@example.com"},
                "error": {"Error": "EventNotYetApplicable", "Cause": "x" * 800},
            }
            assert invoke("FulfilmentTaskFunction", task) == {"status": "PARTIALLY_DELIVERED"}
            assert admin.get(f"/orders/{order_id}").body["version"] == before  # the order is not written
            refused += 1
        else:  # refused at once: a warehouse step the order is long past
            reply = admin.post(
                f"/orders/{order_id}/fulfillment-events", {"type": "PICKING", "note": f"scan {i}"}
            )
            assert reply.status == 409, reply
            refused += 1
        if i % 100 == 99:
            sizes.append(header_size(stack, order_id))

    # the header stays within a block's worth of entries, however long the trail grows (before,
    # it grew with every callback: 930 bytes to 8.3 KB here, about 1.5 KB per 100, towards 400 KB)
    assert max(sizes) < 2500 and max(sizes[3:]) - min(sizes[3:]) < 600, sizes
    events, pages = all_events(admin, order_id, limit=40)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)) and len(events) > 5 * audit.TRAIL_BLOCK and pages > 3
    delivered = [e for e in events if e["type"] == "fulfilment.delivered"]
    assert len(delivered) == applied + 1 and all(e["from_status"] for e in delivered)
    assert delivered[-1]["data"]["event_id"] == "carrier-496"
    assert not [e for e in events if "rejected" in e["type"]]  # refused callbacks are not the order's

    # a duplicate of a callback long gone from the header is still recognised
    dup = admin.post(
        f"/orders/{order_id}/fulfillment-events",
        {"type": "DELIVERED", "node_id": nodes[0], "event_id": "carrier-0"},
    )
    assert dup.status == 200 and dup.body["duplicate"] is True

    # the order still writes: the last delivery completes it
    next_minute(moved_clock)
    assert admin.post(f"/orders/{order_id}/fulfillment-events", {"type": "DELIVERED"}).status == 200
    final = wait_for_status(admin, order_id, {"DELIVERED"})
    assert final["status_history"][0]["status"] == "PENDING"
    assert final["status_history"][-1]["status"] == "DELIVERED"
    assert all_events(admin, order_id, limit=200)[0][-1]["to_status"] == "DELIVERED"

    # refused callbacks: all counted, the first few of the day kept in detail
    log = admin.get(f"/orders/{order_id}/rejected-callbacks?limit=200").body
    assert log["refused_total"] == refused and log["count"] == audit.REJECTIONS_KEPT_PER_DAY
    errors = {item["error"] for item in log["items"]}
    assert errors == {"illegal_transition", "EventNotYetApplicable"}
    assert all(len(item["message"]) <= 500 for item in log["items"])


def test_the_events_cursor_belongs_to_its_order(admin, moved_clock):
    order_id, _ = split_order_partly_delivered(admin)
    other = admin.post("/orders", order_body()).body
    first = admin.get(f"/orders/{order_id}/events?limit=2").body
    assert first["count"] == 2 and first["next_cursor"]
    following = admin.get(f"/orders/{order_id}/events?limit=2&cursor={first['next_cursor']}").body
    assert [e["seq"] for e in following["items"]] == [3, 4]
    assert admin.get(f"/orders/{other['id']}/events?cursor={first['next_cursor']}").status == 422
    assert admin.get(f"/orders/{order_id}/events?cursor=bm90LWEtY3Vyc29y").status == 422
    assert admin.get(f"/orders/{order_id}/events?limit=0").status == 422


def test_callbacks_beyond_the_per_order_rate_are_429_with_retry_after(admin, moved_clock):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    url = f"/orders/{order['id']}/fulfillment-events"
    for _ in range(audit.CALLBACKS_PER_MINUTE):
        assert admin.post(url, {"type": "PICKED_UP"}).status == 409  # not for a shipped order
    limited = admin.post(url, {"type": "PICKING"})
    assert limited.status == 429 and limited.body["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert admin.get(f"/orders/{order['id']}").body["status"] == "SOURCED"  # not applied
    next_minute(moved_clock)
    assert admin.post(url, {"type": "PICKING"}).status == 200
    log = admin.get(f"/orders/{order['id']}/rejected-callbacks").body
    assert log["refused_total"] == audit.CALLBACKS_PER_MINUTE  # the 429 was not processed at all
