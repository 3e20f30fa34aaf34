"""Channel stock sync and channel refunds against the fake Shopify (ADR 0040): stock changes read
from the inventory stream by the real StockSyncFunction, pushes coalesced and batched, Shopify's
throttle, the reconciliation, the connector's ERROR state, and refunds told to Shopify once."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.clock import now_iso
from oms.domain.inventory import item_id_for
from tests.component import iam_audit
from tests.component.helpers import sqs_records
from tests.component.test_connectors import (
    SECRET,
    SHOP,
    delivery,
    imported,
    queued,
    receive,
    shopify_order,
    work,
)
from tests.fakes import FakeShopify

LOC_EAST, LOC_WEST = "gid://shopify/Location/11", "gid://shopify/Location/22"


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """Loopback fakes allowed (as `make run` does); every call checked against the roles."""
    with (
        deployed_template(
            parameters={"WebhookAllowInsecureTargets": "true"}, extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}
        ) as resources,
        iam_audit.enforced(resources),
    ):
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeShopify]:
    fake = FakeShopify()
    yield fake
    fake.close()


class Stream:
    """The inventory table's stream, as Lambda's mapping delivers it (only records not seen yet)."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.seen: set[str] = set()

    def new(self) -> list[dict[str, Any]]:
        table = boto3.client("dynamodb").describe_table(TableName=self.stack["InventoryTable"])["Table"]
        arn = table["LatestStreamArn"]
        streams = boto3.client("dynamodbstreams")
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(page["Records"])
                iterator = page.get("NextShardIterator") if page["Records"] else None

        def plain(value: Any) -> Any:
            if isinstance(value, (bytes, bytearray)):
                return base64.b64encode(bytes(value)).decode()
            return value.timestamp() if hasattr(value, "timestamp") else str(value)

        fresh = []
        for r in records:
            sequence = r["dynamodb"]["SequenceNumber"]
            if sequence in self.seen:
                continue
            self.seen.add(sequence)
            fresh.append(
                {**json.loads(json.dumps(r, default=plain)), "eventSourceARN": arn, "awsRegion": "us-east-1"}
            )
        return fresh

    def feed(self, invoke: Any, batch: int = 100) -> int:
        """Give every new record to the function, in batches (the mapping's filter: items only)."""
        records = [r for r in self.new() if r["dynamodb"]["Keys"]["sk"]["S"] == "ITEM"]
        for start in range(0, len(records), batch):
            assert invoke("StockSyncFunction", {"Records": records[start : start + batch]}) == {
                "batchItemFailures": []
            }
        return len(records)


@pytest.fixture(scope="module")
def stream(stack: Any) -> Stream:
    s = Stream(stack)
    s.new()  # the seed's writes are history
    return s


def pushes(stack: Any) -> list[dict[str, Any]]:
    """Every message in StockSyncQueue (its delay passed), taken, as SQS event records."""
    return queued(stack, "StockSyncQueue")


@pytest.fixture
def connector(
    stack: Any, admin: Any, shop: FakeShopify, demo_nodes: dict[str, str], stream: Stream, invoke: Any
) -> Iterator[dict[str, Any]]:
    reply = admin.post(
        "/connectors",
        {
            "type": "SHOPIFY",
            "name": "Stock shop",
            "config": {
                "shop_domain": SHOP,
                "access_token": "shpat_test_token",
                "webhook_secret": SECRET,
                "admin_api_url": shop.graphql_url,
                "location_map": {demo_nodes["DC-EAST"]: 11, demo_nodes["DC-WEST"]: LOC_WEST},
                "sync_inventory": True,
            },
        },
    )
    assert reply.status == 201, reply
    yield dict(reply.body)
    admin.delete(f"/connectors/{reply.body['id']}")
    stream.feed(invoke)  # whatever the test left in the stream goes to a connector that is gone
    pushes(stack)


def adjust(admin: Any, node_id: str, sku: str, delta: int) -> dict[str, Any]:
    reply = admin.post(
        f"/inventory/{item_id_for('demo', node_id, sku)}/adjust",
        {"delta": delta, "reason": "RECEIVED" if delta > 0 else "DAMAGED"},
    )
    assert reply.status == 200, reply
    return dict(reply.body)


def available(admin: Any, node_id: str, sku: str) -> int:
    return int(admin.get(f"/inventory/{item_id_for('demo', node_id, sku)}").body["available"])


def events(admin: Any, connector: dict[str, Any]) -> list[dict[str, Any]]:
    return list(admin.get(f"/connectors/{connector['id']}/events?limit=100").body["items"])


def run_pushes(stack: Any, invoke: Any, frozen_clock: Any) -> dict[str, Any]:
    """The coalescing window passes; the worker gets everything queued, in one batch."""
    frozen_clock.shift(6)
    messages = pushes(stack)
    return {"messages": len(messages), **dict(invoke("StockSyncFunction", {"Records": messages}))}


# ------------------------------------------------------------------ configuration
def test_the_location_map_is_normalised_shown_and_checked(admin, connector, demo_nodes):
    east, west = demo_nodes["DC-EAST"], demo_nodes["DC-WEST"]
    assert connector["config"]["location_map"] == {east: LOC_EAST, west: LOC_WEST}
    assert connector["config"]["sync_inventory"] is True
    bad = admin.patch(f"/connectors/{connector['id']}", {"config": {"location_map": {"no-such-node": 5}}})
    assert bad.status == 422 and bad.body["error"]["details"][0]["type"] == "unknown_node", bad
    bad = admin.patch(f"/connectors/{connector['id']}", {"config": {"location_map": {east: "Main St"}}})
    assert bad.status == 422, bad
    status = admin.get(f"/connectors/{connector['id']}/stock-sync").body
    assert status["enabled"] is True and status["pending"] == 0 and status["last_reconciliation"] is None
    assert {(r["node_id"], r["location_id"]) for r in status["locations"]} == {
        (east, LOC_EAST),
        (west, LOC_WEST),
    }
    off = admin.patch(f"/connectors/{connector['id']}", {"config": {"sync_inventory": False}}).body
    assert off["config"]["sync_inventory"] is False
    assert admin.get(f"/connectors/{connector['id']}/stock-sync").body["enabled"] is False
    refused = admin.post(f"/connectors/{connector['id']}/stock-sync/reconcile", {})
    assert refused.status == 409 and refused.body["error"]["code"] == "sync_disabled"
    assert admin.get(f"/connectors/{uuid.uuid4()}/stock-sync").status == 404


# ------------------------------------------------------------------ coalescing and batching
@pytest.mark.date_sensitive
def test_a_burst_of_50_changes_to_one_sku_makes_one_push_of_the_final_quantity(
    stack, admin, connector, demo_nodes, shop, stream, invoke, frozen_clock
):
    east = demo_nodes["DC-EAST"]
    item = shop.add_variant("SKU-WIDGET-A", 1001)
    calls_before = len(shop.set_calls)
    for i in range(50):
        adjust(admin, east, "SKU-WIDGET-A", 3 if i % 2 == 0 else -1)
    assert stream.feed(invoke, batch=10) >= 50  # five invocations, as a busy stream would make
    assert admin.get(f"/connectors/{connector['id']}/stock-sync").body["pending"] == 1
    result = run_pushes(stack, invoke, frozen_clock)
    assert result == {"messages": 1, "batchItemFailures": []}  # one marker, so one message
    [call] = shop.set_calls[calls_before:]
    final = available(admin, east, "SKU-WIDGET-A")
    assert call["quantities"] == [{"inventoryItemId": item, "locationId": LOC_EAST, "quantity": final}]
    assert call["name"] == "available" and call["ignoreCompareQuantity"] is True
    assert shop.available("SKU-WIDGET-A", LOC_EAST) == final
    status = admin.get(f"/connectors/{connector['id']}/stock-sync").body
    assert status["pending"] == 0 and status["last_push_at"]
    pushed = [e for e in events(admin, connector) if e["type"] == "stock_pushed"]
    assert pushed[0]["quantities"] == 1 and pushed[0]["calls"] == 1

    # a change after the push's read makes a new marker and a new push: never a lost update
    adjust(admin, east, "SKU-WIDGET-A", 2)
    stream.feed(invoke)
    assert run_pushes(stack, invoke, frozen_clock)["messages"] == 1
    assert shop.available("SKU-WIDGET-A", LOC_EAST) == final + 2


@pytest.mark.date_sensitive
def test_a_change_while_a_push_is_in_flight_is_pushed_after_it(
    stack, admin, connector, demo_nodes, shop, stream, invoke, frozen_clock
):
    west = demo_nodes["DC-WEST"]
    shop.add_variant("SKU-WIDGET-B", 1501)
    adjust(admin, west, "SKU-WIDGET-B", 1)
    stream.feed(invoke)
    before = available(admin, west, "SKU-WIDGET-B")
    shop.on_set = lambda: adjust(admin, west, "SKU-WIDGET-B", 5)  # lands after the push's read
    assert run_pushes(stack, invoke, frozen_clock)["messages"] == 1
    assert shop.available("SKU-WIDGET-B", LOC_WEST) == before  # what it read
    pushed = [e for e in events(admin, connector) if e["type"] == "stock_pushed"]
    assert pushed[0]["marked_again"] == 1  # the re-read after the push saw it move
    stream.feed(invoke)  # the change's own record finds the marker: no second message
    assert run_pushes(stack, invoke, frozen_clock)["messages"] == 1
    assert shop.available("SKU-WIDGET-B", LOC_WEST) == before + 5 == available(admin, west, "SKU-WIDGET-B")


@pytest.mark.date_sensitive
def test_two_skus_go_in_one_call_and_a_sku_shopify_lacks_is_logged_once(
    stack, admin, connector, demo_nodes, shop, stream, invoke, frozen_clock
):
    east, west = demo_nodes["DC-EAST"], demo_nodes["DC-WEST"]
    shop.add_variant("SKU-GADGET-X", 2001)
    shop.add_variant("SKU-GADGET-Y", 2002)
    calls_before = len(shop.set_calls)
    adjust(admin, east, "SKU-GADGET-X", 4)
    adjust(admin, west, "SKU-GADGET-Y", -2)
    adjust(admin, east, "SKU-TOOL-Z", 1)  # Shopify has no such variant
    stream.feed(invoke)
    assert run_pushes(stack, invoke, frozen_clock) == {"messages": 3, "batchItemFailures": []}
    [call] = shop.set_calls[calls_before:]
    assert sorted((q["locationId"], q["quantity"]) for q in call["quantities"]) == sorted(
        [
            (LOC_EAST, available(admin, east, "SKU-GADGET-X")),
            (LOC_WEST, available(admin, west, "SKU-GADGET-Y")),
        ]
    )
    adjust(admin, east, "SKU-TOOL-Z", 1)
    stream.feed(invoke)
    run_pushes(stack, invoke, frozen_clock)
    unknown = [e for e in events(admin, connector) if e["type"] == "stock_sku_unknown"]
    assert [e["sku"] for e in unknown] == ["SKU-TOOL-Z"]  # looked up once, logged once


@pytest.mark.date_sensitive
def test_a_throttled_push_is_retried_without_failing_the_connector(
    stack, admin, connector, demo_nodes, shop, stream, invoke, frozen_clock
):
    east = demo_nodes["DC-EAST"]
    shop.add_variant("SKU-GIZMO-1", 3001)
    adjust(admin, east, "SKU-GIZMO-1", 5)
    stream.feed(invoke)
    frozen_clock.shift(6)
    messages = pushes(stack)
    shop.throttle = 1
    failed = invoke("StockSyncFunction", {"Records": messages})["batchItemFailures"]
    assert [f["itemIdentifier"] for f in failed] == [m["messageId"] for m in messages]
    kinds = [e["type"] for e in events(admin, connector)]
    assert "push_throttled" in kinds and "push_failed" not in kinds
    assert admin.get(f"/connectors/{connector['id']}").body["status"] == "ACTIVE"
    assert invoke("StockSyncFunction", {"Records": messages}) == {"batchItemFailures": []}  # redelivered
    assert shop.available("SKU-GIZMO-1", LOC_EAST) == available(admin, east, "SKU-GIZMO-1")


@pytest.mark.date_sensitive
def test_repeated_failures_put_the_connector_in_error(
    stack, admin, connector, demo_nodes, shop, stream, invoke, frozen_clock
):
    east = demo_nodes["DC-EAST"]
    shop.add_variant("SKU-GIZMO-2", 4001)
    adjust(admin, east, "SKU-GIZMO-2", 1)
    stream.feed(invoke)
    frozen_clock.shift(6)
    messages = pushes(stack)
    shop.failures = 1000
    try:
        for _ in range(3):
            assert invoke("StockSyncFunction", {"Records": messages})["batchItemFailures"]
    finally:
        shop.failures = 0
    doc = admin.get(f"/connectors/{connector['id']}").body
    assert doc["status"] == "ERROR" and "500" in doc["last_error"]
    failures = [e for e in events(admin, connector) if e["type"] == "push_failed"]
    assert len(failures) == 3 and all(e["will_retry"] for e in failures)
    # an ERROR connector pushes nothing: the message is dropped, the nightly run catches up
    assert invoke("StockSyncFunction", {"Records": messages}) == {"batchItemFailures": []}


# ------------------------------------------------------------------ reconciliation
@pytest.mark.date_sensitive
def test_reconciliation_corrects_drift_and_logs_what_it_changed(
    stack, admin, connector, demo_nodes, shop, invoke, frozen_clock
):
    east = demo_nodes["DC-EAST"]
    item = shop.add_variant("SKU-ACCESSORY-1", 5001)
    shop.levels[(item, LOC_EAST)] = 999  # someone edited it in Shopify
    right = available(admin, east, "SKU-ACCESSORY-1")
    reply = admin.post(f"/connectors/{connector['id']}/stock-sync/reconcile", {})
    assert reply.status == 202 and reply.body["queued"] is True
    assert run_pushes(stack, invoke, frozen_clock) == {"messages": 1, "batchItemFailures": []}
    assert shop.levels[(item, LOC_EAST)] == right
    last = admin.get(f"/connectors/{connector['id']}/stock-sync").body["last_reconciliation"]
    assert {"sku": "SKU-ACCESSORY-1", "location": LOC_EAST, "shopify_before": 999, "cirrus": right} in last[
        "changes"
    ]
    assert last["checked"] >= 16 and last["corrected"] == len(last["changes"])
    logged = [e for e in events(admin, connector) if e["type"] == "stock_reconciled"]
    assert (
        logged
        and {"sku": "SKU-ACCESSORY-1", "location": LOC_EAST, "shopify_before": 999, "cirrus": right}
        in logged[0]["changes"]
    )
    # a second run finds nothing to change for what Shopify knows
    calls = len(shop.set_calls)
    admin.post(f"/connectors/{connector['id']}/stock-sync/reconcile", {})
    run_pushes(stack, invoke, frozen_clock)
    again = admin.get(f"/connectors/{connector['id']}/stock-sync").body["last_reconciliation"]
    assert not [c for c in again["changes"] if c["sku"] in shop.variants] and len(shop.set_calls) - calls <= 1


@pytest.mark.date_sensitive
def test_the_nightly_schedule_queues_one_reconciliation_per_syncing_connector(
    stack, connector, invoke, frozen_clock
):
    pushes(stack)
    assert invoke("StockSyncFunction", {"job": "reconcile_stock"}) == {"connectors": 1}
    frozen_clock.shift(6)  # the queue's own delay
    [message] = pushes(stack)
    assert json.loads(message["body"]) == {
        "kind": "reconcile",
        "tenant_id": "demo",
        "connector_id": connector["id"],
    }


# ------------------------------------------------------------------ refunds
def refunded_event(order: dict[str, Any], amount: str, lines: list[dict[str, Any]], **data: Any) -> str:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "order.refunded",
            "tenant_id": "demo",
            "order_id": order["id"],
            "order_number": order["order_number"],
            "status": order["status"],
            "sequence": 99,
            "occurred_at": now_iso(),
            "actor": "user:admin",
            "change": "order.refunded",
            "data": {
                "return_id": data.get("return_id", "ret-1"),
                "refund_id": data.get("refund_id", str(uuid.uuid4())),
                "amount": amount,
                "currency": "USD",
                "shipping": data.get("shipping", "0.00"),
                "lines": lines,
                "reason": "customer return",
            },
        }
    )


def test_a_refund_is_pushed_to_shopify_once_for_a_redelivered_event(stack, admin, connector, invoke, shop):
    receive(invoke, delivery(connector, "orders/create", shopify_order(9101)))
    work(invoke, queued(stack))
    order = imported(admin, 9101)
    gid = shop.add_order(9101, [(1, "SKU-WIDGET-A", 2), (2, "SKU-GADGET-X", 1)], paid="101.16")
    body = refunded_event(order, "29.99", [{"sku": "SKU-WIDGET-A", "quantity": 1, "amount": "29.99"}])
    for _ in range(2):  # the same event delivered twice
        assert work(invoke, sqs_records(stack, "ConnectorQueue", [body])) == {"batchItemFailures": []}
    [refund] = [c for c in shop.refund_calls if c["orderId"] == gid]
    assert refund["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/1", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    assert refund["transactions"][0]["amount"] == "29.99" and refund["transactions"][0]["kind"] == "REFUND"
    kinds = [e["type"] for e in events(admin, connector)]
    assert kinds.count("refund_pushed") == 1 and "duplicate_event" in kinds


def test_a_refunded_status_set_by_hand_refunds_nothing_in_shopify(stack, admin, connector, invoke, shop):
    """PATCH /orders/{id}/status to REFUNDED (refunded elsewhere) emits order.refunded without a
    refund of ours: nothing is refunded in Shopify, and the connector does not count a failure."""
    receive(invoke, delivery(connector, "orders/create", shopify_order(9105)))
    work(invoke, queued(stack))
    order = imported(admin, 9105)
    gid = shop.add_order(9105, [(9, "SKU-WIDGET-A", 2)], paid="101.16")
    body = json.loads(refunded_event(order, "1.00", []))
    body["data"] = {}
    assert work(invoke, sqs_records(stack, "ConnectorQueue", [json.dumps(body)])) == {"batchItemFailures": []}
    assert not [c for c in shop.refund_calls if c["orderId"] == gid]
    skipped = [
        e for e in events(admin, connector) if e["type"] == "refund_skipped" and e["order_id"] == order["id"]
    ]
    assert skipped and skipped[0]["reason"] == "no_refund_data"
    assert admin.get(f"/connectors/{connector['id']}").body["status"] == "ACTIVE"


def test_a_refund_shopify_already_shows_is_not_made_twice(stack, admin, connector, invoke, shop):
    receive(invoke, delivery(connector, "orders/create", shopify_order(9102)))
    work(invoke, queued(stack))
    order = imported(admin, 9102)
    gid = shop.add_order(9102, [(3, "SKU-WIDGET-A", 2)], paid="101.16")
    # an earlier attempt got through to Shopify but could not record it (a crash, a timeout)
    shop.orders[gid]["refunds"].append(
        {"id": "gid://shopify/Refund/77", "note": "customer return [cirrus-refund:rf-77]"}
    )
    body = refunded_event(
        order, "10.00", [{"sku": "SKU-WIDGET-A", "quantity": 1, "amount": "10.00"}], refund_id="rf-77"
    )
    assert work(invoke, sqs_records(stack, "ConnectorQueue", [body])) == {"batchItemFailures": []}
    assert not [c for c in shop.refund_calls if c["orderId"] == gid]
    pushed = [
        e for e in events(admin, connector) if e["type"] == "refund_pushed" and e["order_id"] == order["id"]
    ]
    assert pushed and pushed[0]["already"] is True and pushed[0]["result"] == "gid://shopify/Refund/77"


def test_a_failing_refund_is_retried_and_marks_the_connector(stack, admin, connector, invoke, shop):
    receive(invoke, delivery(connector, "orders/create", shopify_order(9103)))
    work(invoke, queued(stack))
    order = imported(admin, 9103)
    gid = shop.add_order(9103, [(4, "SKU-GADGET-X", 1)], paid="101.16")
    body = refunded_event(
        order, "50.00", [{"sku": "SKU-GADGET-X", "quantity": 1, "amount": "41.01"}], shipping="8.99"
    )
    shop.failures = 1000
    try:
        for _ in range(3):
            assert work(invoke, sqs_records(stack, "ConnectorQueue", [body]))["batchItemFailures"]
    finally:
        shop.failures = 0
    doc = admin.get(f"/connectors/{connector['id']}").body
    assert doc["status"] == "ERROR"
    assert len([e for e in events(admin, connector) if e["type"] == "refund_failed"]) == 3
    admin.post(f"/connectors/{connector['id']}/toggle", {})  # ERROR -> ACTIVE, after the fix
    assert work(invoke, sqs_records(stack, "ConnectorQueue", [body])) == {"batchItemFailures": []}
    [refund] = [c for c in shop.refund_calls if c["orderId"] == gid]
    assert refund["shipping"] == {"amount": "8.99"} and refund["transactions"][0]["amount"] == "50.00"
    # a refund Shopify cannot take (more than was sold) is logged, not retried
    too_many = refunded_event(order, "1.00", [{"sku": "SKU-GADGET-X", "quantity": 5, "amount": "1.00"}])
    assert work(invoke, sqs_records(stack, "ConnectorQueue", [too_many])) == {"batchItemFailures": []}
    assert [e for e in events(admin, connector) if e["type"] == "refund_failed" and not e["will_retry"]]


def test_a_return_refunded_in_cirrus_is_refunded_in_shopify_and_the_return_says_so(
    stack, admin, connector, invoke, shop
):
    from tests.component.test_returns import deliver

    receive(invoke, delivery(connector, "orders/create", shopify_order(9104)))
    work(invoke, queued(stack))
    order = deliver(admin, imported(admin, 9104))
    gid = shop.add_order(9104, [(7, "SKU-WIDGET-A", 2), (8, "SKU-GADGET-X", 1)], paid="101.16")
    line = {"sku": "SKU-WIDGET-A", "quantity": 1}
    ret = admin.post(
        f"/orders/{order['id']}/returns", {"lines": [{**line, "reason": "DEFECTIVE"}], "resolution": "REFUND"}
    ).body
    assert admin.post(f"/returns/{ret['id']}/approve", {}).status == 200
    node = next(a["node_id"] for a in order["allocations"] if a["sku"] == "SKU-WIDGET-A")
    receipt = {"node_id": node, "lines": [{**line, "condition": "SELLABLE"}]}
    assert admin.post(f"/returns/{ret['id']}/receive", receipt).status == 200
    refund = admin.post(f"/returns/{ret['id']}/refund").body["refund"]
    assert refund["channel_status"] == "PENDING"  # a channel order: refunded in its channel next
    body = refunded_event(
        order, refund["amount"], refund["lines"], return_id=ret["id"], refund_id=refund["id"]
    )
    assert work(invoke, sqs_records(stack, "ConnectorQueue", [body])) == {"batchItemFailures": []}
    [call] = [c for c in shop.refund_calls if c["orderId"] == gid]
    assert call["transactions"][0]["amount"] == refund["amount"]
    assert call["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/7", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    assert admin.get(f"/returns/{ret['id']}").body["refund"]["channel_status"] == "DONE"


@pytest.mark.date_sensitive  # the poller's first window is "now - 1 day"
def test_an_amazon_order_s_refund_is_logged_for_a_person(stack, admin, invoke, frozen_clock):
    from tests.component.test_connectors import amazon_order, amazon_time
    from tests.fakes import FakeSpApi

    fake = FakeSpApi([amazon_order(77, updated=amazon_time(600))], page_size=5, throttle_every=0)
    try:
        connector = admin.post(
            "/connectors",
            {
                "type": "AMAZON",
                "name": "Amazon refunds",
                "config": {
                    "seller_id": "A1REFUND",
                    "marketplace_ids": ["ATVPDKIKX0DER"],
                    "lwa_client_id": "amzn1.client",
                    "lwa_client_secret": "secret",
                    "refresh_token": "Atzr|refresh",
                    "endpoint": fake.url,
                    "token_url": f"{fake.url}/auth/o2/token",
                },
            },
        ).body
        invoke("ConnectorPollerFunction", {"job": "poll_amazon"})
        listed = admin.get("/orders?limit=200").body["items"]
        [order] = [o for o in listed if o.get("external_order_id") == "amazon:A1REFUND:113-0000077-0000001"]
        body = refunded_event(order, "19.99", [{"sku": "SKU-GIZMO-1", "quantity": 1, "amount": "19.99"}])
        for _ in range(2):
            assert work(invoke, sqs_records(stack, "ConnectorQueue", [body])) == {"batchItemFailures": []}
        manual = [e for e in events(admin, connector) if e["type"] == "refund_manual"]
        assert len(manual) == 1 and manual[0]["amount"] == "19.99"
        assert manual[0]["amazon_order_id"] == "113-0000077-0000001"
        admin.delete(f"/connectors/{connector['id']}")
    finally:
        fake.close()
