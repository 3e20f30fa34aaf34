"""Analytics through the API (ADR 0029): orders made and driven through their lives over several
days, the orders stream fed to the projection function in Lambda's batches, and the dashboard
checked against the orders actually stored (computed here from GET /orders, independently of the
counters' code); a retried batch counted once; tenants apart; the reconcile job repairing a bucket.

The clock is the one clock (oms.domain.clock) set to a fixed day and moved forward when the story
needs days to pass, so the test passes on any date and never straddles a midnight it did not choose."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import boto3
import pytest

from infra.local.testing import wait_for_executions
from oms.data.keys import ORDER_BODY_SK, ORDER_SK
from oms.domain import clock
from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable, _login
from tests.component.helpers import ensure_product, order_body, stream_records, wait_for_status

START = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)  # three days before "today" of the story
TODAY = "2026-06-15"
SHIP = ["PICKING", "PACKING", "READY_TO_SHIP"]
CENT = Decimal("0.01")


class TravelClock:
    """Real time passing from START, plus the days the story jumps."""

    def __init__(self) -> None:
        self.started, self.offset = time.monotonic(), timedelta()

    def __call__(self) -> datetime:
        return START + self.offset + timedelta(seconds=time.monotonic() - self.started)

    def travel(self, **step: float) -> None:
        self.offset += timedelta(**step)


class Feeder:
    """The projection function's event source mapping: the orders stream's body and header
    records (its filter), in order, in batches of up to 100, each record delivered once."""

    def __init__(self, stack: Any) -> None:
        self.stack, self.position = stack, 0

    def pending(self) -> list[dict[str, Any]]:
        wait_for_executions(10)
        records = [
            r
            for r in stream_records(self.stack)
            if r["dynamodb"]["Keys"]["sk"]["S"] in (ORDER_SK, ORDER_BODY_SK)
        ]
        return records[self.position :]

    def invoke(self, records: list[dict[str, Any]]) -> None:
        outcome = self.stack.invoke("ProjectionFunction", {"Records": records})
        assert not outcome.errored and outcome.payload == {"batchItemFailures": []}, outcome.payload

    def catch_up(self) -> int:
        records = self.pending()
        for start in range(0, len(records), 100):
            self.invoke(records[start : start + 100])
        self.position += len(records)
        return len(records)


@pytest.fixture(scope="module", autouse=True)
def story_clock() -> Iterator[TravelClock]:
    source = TravelClock()
    with clock.use_clock(source):
        yield source


@pytest.fixture(scope="module")
def feeder(stack: Any) -> Feeder:
    return Feeder(stack)


def person(stack: Any) -> ApiClient:
    """The demo tenant's SUPERADMIN, signed in now (by the story's clock)."""
    return _login(ApiClient(_api_callable(stack)), "admin@example.com", "admin123")


def drive(admin: ApiClient, order_id: str, events: list[dict[str, Any] | str]) -> dict[str, Any]:
    last: dict[str, Any] = {}
    for event in events:
        body = {"type": event} if isinstance(event, str) else event
        reply = admin.post(f"/orders/{order_id}/fulfillment-events", body)
        assert reply.status in (200, 202), reply
        expect = {"SHIPPED", "PARTIALLY_SHIPPED"} if body["type"] == "SHIPPED" else {body["type"]}
        last = wait_for_status(admin, order_id, expect)
    return last


def place(admin: ApiClient, **fields: Any) -> str:
    reply = admin.post("/orders", order_body(**fields))
    assert reply.status == 201, reply
    return str(reply.body["id"])


@pytest.fixture(scope="module")
def story(stack: Any, story_clock: TravelClock, feeder: Feeder) -> dict[str, str]:
    """Orders of two days three days apart, in every shape the dashboard counts."""
    admin = person(stack)
    nodes = {n["code"]: n["id"] for n in admin.get("/nodes").body["items"]}
    ids: dict[str, str] = {}
    # day one: shipped at once, delivered three days later (late)
    ids["late"] = place(admin, customer_email="late@example.com")
    wait_for_status(admin, ids["late"], {"SOURCED"})
    drive(admin, ids["late"], [*SHIP, {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z1"}])
    story_clock.travel(days=3)
    admin = person(stack)  # a token of three days ago has expired
    drive(admin, ids["late"], ["DELIVERED"])
    # today: delivered the same day (on time), from the mobile app
    ids["quick"] = place(admin, channel="MOBILE", customer_email="quick@example.com")
    wait_for_status(admin, ids["quick"], {"SOURCED"})
    drive(
        admin,
        ids["quick"],
        [*SHIP, {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z2"}, "DELIVERED"],
    )
    # a split: no single node holds 520 widgets
    ids["split"] = place(admin, line_items=[{"sku": "SKU-WIDGET-B", "quantity": 520}])
    wait_for_status(admin, ids["split"], {"SOURCED"})
    # backordered while holding what it could, then cancelled (never sourced: no node counted)
    ids["short"] = place(admin, channel="POS", line_items=[{"sku": "SKU-TOOL-Z", "quantity": 100000}])
    wait_for_status(admin, ids["short"], {"BACKORDERED"})
    assert admin.post(f"/orders/{ids['short']}/cancel", {}).status == 200
    # in euros, from a product priced in euros stocked at one node
    ensure_product(admin, "SKU-EURO", "12.50", currency="EUR")
    reply = admin.post("/inventory", {"node_id": nodes["DC-EAST"], "sku": "SKU-EURO", "on_hand": 50})
    assert reply.status in (201, 409), reply
    euro_line = {"sku": "SKU-EURO", "quantity": 3, "unit_price": "12.50"}
    ids["euro"] = place(admin, channel="MARKETPLACE", currency="EUR", line_items=[euro_line])
    wait_for_status(admin, ids["euro"], {"SOURCED"})
    # picked up at a store
    pickup = {
        "fulfillment_type": "STORE_PICKUP",
        "pickup_node_id": nodes["STR-CHI-01"],
        "shipping_address": None,
    }
    ids["pickup"] = place(admin, channel="API", **pickup)
    wait_for_status(admin, ids["pickup"], {"SOURCED"})
    drive(admin, ids["pickup"], ["PICKING", "PACKING", "READY_FOR_PICKUP", "PICKED_UP"])
    # sourced, then cancelled: its node was chosen for it
    ids["changed_mind"] = place(admin, customer_email="mind@example.com")
    wait_for_status(admin, ids["changed_mind"], {"SOURCED"})
    assert admin.post(f"/orders/{ids['changed_mind']}/cancel", {}).status == 200
    assert feeder.catch_up() > 0
    return ids


# ---------------------------------------------------------------------------- independent figures
def stored_orders(admin: ApiClient, first: str, last: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        query = f"/orders?created_from={first}&created_to={last}T23:59:59.999Z&limit=200"
        page = admin.get(query + (f"&cursor={cursor}" if cursor else "")).body
        found += [admin.get(f"/orders/{o['id']}").body for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_figures(orders: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """The dashboard's figures by their definitions (ADR 0029), from whole orders."""
    statuses = Counter(o["status"] for o in orders)
    mine = [o for o in orders if o["currency"] == currency]
    revenue = sum((Decimal(o["total_amount"]) for o in mine), Decimal("0"))
    by_channel: dict[str, dict[str, Any]] = {}
    by_type: dict[str, dict[str, Any]] = {}
    for o in orders:
        for group, key in ((by_channel, o["channel"]), (by_type, o["fulfillment_type"])):
            entry = group.setdefault(key, {"orders": 0, "revenue": Decimal("0")})
            entry["orders"] += 1
            entry["revenue"] += Decimal(o["total_amount"]) if o["currency"] == currency else 0
    node_orders: Counter[str] = Counter()
    node_units: Counter[str] = Counter()
    sourced = split = backordered = delivered = on_time = cancelled = 0
    for o in orders:
        history = [h["status"] for h in o["status_history"]]
        plan: dict[str, int] = {}
        if "SOURCED" in history:
            for allocation in o["allocations"]:
                if allocation["state"] != "EXPIRED":
                    plan[allocation["node_id"]] = plan.get(allocation["node_id"], 0) + allocation["quantity"]
        sourced += bool(plan)
        split += len(plan) > 1
        for node, units in plan.items():
            node_orders[node] += 1
            node_units[node] += units
        backordered += "BACKORDERED" in history
        cancelled += "CANCELLED" in history
        reached = [h["at"] for h in o["status_history"] if h["status"] in ("DELIVERED", "PICKED_UP")]
        if reached:
            delivered += 1
            stamps = [s["delivered_at"] for s in o["shipments"] if s.get("delivered_at")]
            when = max(stamps) if stamps else reached[0]
            on_time += (at(when) - at(o["created_at"])) <= timedelta(hours=48)
    return {
        "orders": len(orders),
        "revenue": f"{revenue:.2f}",
        "average_order_value": f"{(revenue / len(mine) if mine else 0).quantize(CENT, ROUND_HALF_UP)}",
        "by_channel": {
            k: {"orders": v["orders"], "revenue": f"{v['revenue']:.2f}"} for k, v in by_channel.items()
        },
        "by_fulfillment_type": {
            k: {"orders": v["orders"], "revenue": f"{v['revenue']:.2f}"} for k, v in by_type.items()
        },
        "by_status": dict(statuses),
        "nodes": {n: (node_orders[n], node_units[n]) for n in node_orders},
        "split_rate": round(split / sourced, 4) if sourced else None,
        "backorder_rate": round(backordered / len(orders), 4) if orders else None,
        "on_time_delivery_rate": round(on_time / delivered, 4) if delivered else None,
        "delivered": delivered,
        "cancelled": cancelled,
    }


def assert_dashboard_matches(admin: ApiClient, first: str, last: str) -> dict[str, Any]:
    board = admin.get(f"/analytics/dashboard?from_date={first}&to_date={last}")
    assert board.status == 200, board
    figures = board.body
    expected = expected_figures(stored_orders(admin, first, last), figures["currency"])
    for key in ("orders", "revenue", "average_order_value", "by_channel", "by_fulfillment_type", "by_status"):
        assert figures[key] == expected[key], key
    for key in ("split_rate", "backorder_rate", "on_time_delivery_rate", "delivered", "cancelled"):
        assert figures[key] == expected[key], key
    assert {n["node_id"]: (n["orders"], n["units"]) for n in figures["top_nodes"]} == expected["nodes"]
    return figures


# ---------------------------------------------------------------------------- tests
def test_the_dashboard_agrees_with_the_orders_stored(stack: Any, story: dict[str, str]) -> None:
    admin = person(stack)
    figures = assert_dashboard_matches(admin, "2026-06-01", TODAY)
    # the story's shapes are all there (so the comparison above compared something)
    assert figures["currency"] == "USD" and figures["revenue_by_currency"]["EUR"] == {
        "orders": 1,
        "revenue": "37.50",
    }
    assert figures["orders"] == 7 and figures["delivered"] == 3 and figures["cancelled"] == 2
    assert figures["split_rate"] and figures["backorder_rate"] == round(1 / 7, 4)
    assert figures["on_time_delivery_rate"] == round(2 / 3, 4)  # the one delivered after 3 days was late
    names = {n["id"]: n["name"] for n in admin.get("/nodes").body["items"]}
    assert all(n["node_name"] == names[n["node_id"]] for n in figures["top_nodes"])
    # the default range is the last 30 days, today included
    default = admin.get("/analytics/dashboard").body
    assert (default["from_date"], default["to_date"]) == ("2026-05-17", TODAY)
    assert default["orders"] == figures["orders"]
    # an order is counted on the day it was placed, even when delivered days later
    only_day_one = assert_dashboard_matches(admin, "2026-06-12", "2026-06-12")
    assert only_day_one["orders"] == 1 and only_day_one["by_status"] == {"DELIVERED": 1}
    assert only_day_one["on_time_delivery_rate"] == 0.0


def test_volume_is_a_daily_series_and_stock_alerts_come_from_the_stock(
    stack: Any, story: dict[str, str]
) -> None:
    admin = person(stack)
    volume = admin.get("/analytics/orders/volume?days=5").body
    assert [d["date"] for d in volume["series"]] == [
        "2026-06-11",
        "2026-06-12",
        "2026-06-13",
        "2026-06-14",
        TODAY,
    ]
    assert [d["orders"] for d in volume["series"]] == [0, 1, 0, 0, 6]
    day_one = admin.get(f"/orders/{story['late']}").body
    assert volume["series"][1]["revenue"] == day_one["total_amount"]
    items = admin.get("/inventory?limit=500").body["items"]
    low = [i for i in items if i["available"] <= i["reorder_level"]]
    summary = admin.get("/analytics/inventory/summary").body
    assert summary["low_stock"] == len(low) and summary["out_of_stock"] == sum(
        i["available"] <= 0 for i in low
    )
    assert summary["on_hand"] == sum(i["on_hand"] for i in items)
    assert summary["reserved"] == sum(i["reserved"] for i in items)
    assert summary["skus"] == len({i["sku"] for i in items}) and summary["nodes"] == len(
        admin.get("/nodes").body["items"]
    )
    assert {(a["sku"], a["node_id"]) for a in summary["alerts"]} == {(i["sku"], i["node_id"]) for i in low}
    board = admin.get("/analytics/dashboard").body
    assert board["inventory_alerts"]["low_stock"] == len(low)


def test_a_retried_batch_is_counted_once(stack: Any, story: dict[str, str], feeder: Feeder) -> None:
    admin = person(stack)
    before = admin.get(f"/analytics/dashboard?from_date={TODAY}").body["orders"]
    wait_for_status(admin, place(admin, customer_email="retry@example.com"), {"SOURCED"})
    records = feeder.pending()
    assert len(records) >= 4
    feeder.invoke(records[:2])  # an attempt that got this far (then the function failed)
    feeder.invoke(records)  # Lambda retries from the same first record, now with more
    feeder.invoke(records)  # and once more, the same
    feeder.position += len(records)
    after = admin.get(f"/analytics/dashboard?from_date={TODAY}").body
    assert after["orders"] == before + 1
    assert_dashboard_matches(admin, "2026-06-01", TODAY)


def test_tenants_see_only_their_own_figures(
    stack: Any, story: dict[str, str], other_tenant: ApiClient, feeder: Feeder
) -> None:
    admin = person(stack)
    demo_before = admin.get("/analytics/dashboard").body
    acme = other_tenant
    ensure_product(acme, "SKU-ACME", "99.00")
    order = acme.post("/orders", order_body(line_items=[{"sku": "SKU-ACME", "quantity": 1}])).body
    wait_for_status(acme, order["id"], {"BACKORDERED", "FAILED"})
    feeder.catch_up()
    mine = acme.get("/analytics/dashboard").body
    assert mine["orders"] == 1 and mine["revenue"] == "99.00" and mine["top_nodes"] == []
    assert acme.get("/analytics/inventory/summary").body["nodes"] == 0
    assert admin.get("/analytics/dashboard").body["orders"] == demo_before["orders"]


def test_the_reconcile_job_repairs_a_corrupted_bucket(
    stack: Any, story: dict[str, str], story_clock: TravelClock, feeder: Feeder
) -> None:
    admin = person(stack)
    feeder.catch_up()
    right = assert_dashboard_matches(admin, "2026-06-01", TODAY)
    boto3.client("dynamodb").update_item(
        TableName=stack["InsightsTable"],
        Key={"pk": {"S": "T#demo#AN"}, "sk": {"S": f"D#{TODAY}"}},
        UpdateExpression="ADD #o :five, #d :minus",
        ExpressionAttributeNames={"#o": "o", "#d": "s.DELIVERED"},
        ExpressionAttributeValues={":five": {"N": "5"}, ":minus": {"N": "-1"}},
    )
    assert admin.get("/analytics/dashboard?from_date=2026-06-01").body["orders"] == right["orders"] + 5
    # orders changed a moment ago: the stream may not have counted them yet, so the day waits
    early = admin.post("/ops/jobs/reconcile_analytics/run", {})
    assert early.status == 200, early
    assert TODAY in early.body["result"]["unsettled"] and TODAY not in early.body["result"]["fixed"]
    story_clock.travel(minutes=30)
    admin = person(stack)
    run = admin.post("/ops/jobs/reconcile_analytics/run", {}).body["result"]
    assert run["fixed"] == [TODAY] and run["unsettled"] == [] and run["raced"] == []
    assert "2026-06-12" not in run["fixed"]  # that day was in step
    assert_dashboard_matches(admin, "2026-06-01", TODAY)
    again = admin.post("/ops/jobs/reconcile_analytics/run", {}).body["result"]
    assert again["fixed"] == [] and again["in_step"] == again["days"]


def test_the_reconcile_job_rebuilds_lost_buckets_for_every_tenant(
    stack: Any, story: dict[str, str], story_clock: TravelClock, feeder: Feeder, invoke: Any
) -> None:
    admin = person(stack)
    feeder.catch_up()
    story_clock.travel(minutes=30)  # every change counted and settled
    admin = person(stack)
    right = assert_dashboard_matches(admin, "2026-06-01", TODAY)
    table = boto3.client("dynamodb")
    for day in ("2026-06-12", TODAY):  # as if the counters were new: nothing kept yet
        table.delete_item(
            TableName=stack["InsightsTable"], Key={"pk": {"S": "T#demo#AN"}, "sk": {"S": f"D#{day}"}}
        )
    assert admin.get("/analytics/dashboard?from_date=2026-06-01").body["orders"] == 0
    # the nightly run, as the schedule invokes it (every tenant), told to go further back
    result = invoke("LearningFunction", {"job": "reconcile_analytics", "days": 30})
    assert result["tenants"] >= 1
    rebuilt = assert_dashboard_matches(admin, "2026-06-01", TODAY)
    assert rebuilt["orders"] == right["orders"] and rebuilt["top_nodes"] == right["top_nodes"]


def test_bad_ranges_are_client_mistakes(stack: Any) -> None:
    admin = person(stack)
    for query, code in (
        ("from_date=2026-02-30", "validation_failed"),
        ("to_date=15/06/2026", "validation_failed"),
        ("from_date=2026-06-10&to_date=2026-06-01", "invalid_date_range"),
        ("from_date=2025-01-01&to_date=2026-06-01", "invalid_date_range"),
        ("currency=dollars", "validation_failed"),
        ("since=yesterday", "validation_failed"),
    ):
        reply = admin.get(f"/analytics/dashboard?{query}")
        assert reply.status == 422 and reply.body["error"]["code"] == code, (query, reply)
    for days in ("0", "367", "many"):
        assert admin.get(f"/analytics/orders/volume?days={days}").status == 422
    assert len(admin.get("/analytics/orders/volume?days=366").body["series"]) == 366
