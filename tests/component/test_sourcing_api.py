"""Sourcing through the API: the rules endpoints, dry runs, rules applied to real orders, node
daily capacity, backorders re-sourced when stock arrives (oldest first), re-source refusals."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from oms.data import keys
from oms.data.records import NodeCapacityRecord, ReservationRecord
from oms.domain.clock import iso, utcnow
from tests.component.helpers import ensure_product, order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")

RULE = {
    "name": "Big spenders",
    "priority": 5,
    "strategy": "COST_OPTIMAL",
    "conditions": [{"field": "total_amount", "operator": "GREATER_THAN_OR_EQUAL", "value": "1000"}],
    "cost_weight": 0.8,
    "distance_weight": 0.2,
}


def own_sku() -> str:
    return f"SKU-T-{uuid.uuid4().hex[:8].upper()}"


def stock(admin: Any, node_id: str, sku: str, on_hand: int) -> dict[str, Any]:
    ensure_product(admin, sku, "10.00")
    reply = admin.post("/inventory", {"node_id": node_id, "sku": sku, "on_hand": on_hand})
    assert reply.status == 201, reply
    return dict(reply.body)


def line(sku: str, quantity: int) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": quantity, "unit_price": "10.00"}]


# ------------------------------------------------------------------ rules CRUD
def test_rule_lifecycle_create_list_get_patch_toggle_delete(admin):
    created = admin.post("/sourcing-rules", RULE)
    assert created.status == 201
    rule = created.body
    assert rule["id"] and rule["version"] == 1 and rule["is_active"] is True
    assert rule["conditions"][0]["value"] == "1000" and rule["max_split_nodes"] == 3

    listed = admin.get("/sourcing-rules").body["items"]
    priorities = [r["priority"] for r in listed]
    assert priorities == sorted(priorities) and listed[0]["id"] == rule["id"]  # 5 comes before the demo's 10

    patched = admin.patch(f"/sourcing-rules/{rule['id']}", {"priority": 250, "max_split_nodes": 1})
    assert patched.status == 200 and patched.body["priority"] == 250 and patched.body["version"] == 2
    assert patched.body["name"] == "Big spenders"  # untouched fields stay

    toggled = admin.post(f"/sourcing-rules/{rule['id']}/toggle", {})
    assert toggled.body["is_active"] is False
    assert rule["id"] not in {r["id"] for r in admin.get("/sourcing-rules?active=true").body["items"]}
    assert rule["id"] in {r["id"] for r in admin.get("/sourcing-rules?active=false").body["items"]}

    assert admin.delete(f"/sourcing-rules/{rule['id']}").status == 204
    gone = admin.get(f"/sourcing-rules/{rule['id']}")
    assert gone.status == 404 and gone.body["error"]["code"] == "rule_not_found"
    assert admin.delete(f"/sourcing-rules/{rule['id']}").status == 404


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"conditions": [{"field": "colour", "operator": "EQUALS", "value": "red"}]}, "field"),
        ({"conditions": [{"field": "channel", "operator": "LIKE", "value": "WEB"}]}, "operator"),
        (
            {"conditions": [{"field": "total_amount", "operator": "GREATER_THAN", "value": "lots"}]},
            "conditions",
        ),
        ({"conditions": [{"field": "channel", "operator": "GREATER_THAN", "value": "WEB"}]}, "conditions"),
        ({"conditions": [{"field": "channel", "operator": "EQUALS", "value": "TELEPATHY"}]}, "conditions"),
        ({"conditions": [{"field": "has_sku", "operator": "IN", "value": "SKU-1"}]}, "conditions"),
        ({"strategy": "CHEAPEST_EVER"}, "strategy"),
        ({"max_split_nodes": 0}, "max_split_nodes"),
        ({"cost_weight": 1.5}, "cost_weight"),
        ({"allowed_node_types": ["WAREHOUSE_ON_THE_MOON"]}, "allowed_node_types"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_invalid_rules_are_refused_with_422_and_nothing_stored(admin, change, where):
    before = admin.get("/sourcing-rules").body["count"]
    reply = admin.post("/sourcing-rules", {**RULE, **change})
    assert reply.status == 422, reply
    assert reply.body["error"]["code"] == "validation_failed"
    assert any(where in ".".join(map(str, d["loc"])) for d in reply.body["error"]["details"]), reply.body
    assert admin.get("/sourcing-rules").body["count"] == before


def test_a_patch_that_breaks_the_rule_is_refused_and_the_rule_is_unchanged(admin):
    rule = admin.post("/sourcing-rules", {**RULE, "is_active": False}).body
    for bad in ({"strategy": "NOPE"}, {"colour": "red"}, {}, {"priority": -1}):
        reply = admin.patch(f"/sourcing-rules/{rule['id']}", bad)
        assert reply.status == 422, (bad, reply)
    assert admin.get(f"/sourcing-rules/{rule['id']}").body == rule
    missing = admin.patch(f"/sourcing-rules/{uuid.uuid4()}", {"priority": 1})
    assert missing.status == 404


def test_rules_are_admin_only_to_change_and_tenant_scoped(admin, user, other_tenant):
    assert user.post("/sourcing-rules", RULE).status == 403
    assert user.get("/sourcing-rules").status == 200
    mine = admin.post("/sourcing-rules", {**RULE, "is_active": False}).body
    assert other_tenant.get(f"/sourcing-rules/{mine['id']}").status == 404
    assert mine["id"] not in {r["id"] for r in other_tenant.get("/sourcing-rules").body["items"]}


# ------------------------------------------------------------------ dry runs
def test_evaluate_an_order_payload_under_the_tenant_rules_reserves_nothing(admin):
    reserved_before = admin.get("/inventory/sku/SKU-GADGET-X").body["reserved"]
    # 3 x 149.99 crosses the demo's "High-Value Orders" threshold (200)
    payload = order_body(line_items=[{"sku": "SKU-GADGET-X", "quantity": 3}])
    reply = admin.post("/sourcing-rules/evaluate", {"order": payload})
    assert reply.status == 200, reply
    decision = reply.body["decision"]
    assert reply.body["dry_run"] is True
    assert decision["rule_name"] == "High-Value Orders" and decision["strategy"] == "COST_OPTIMAL"
    assert decision["outcome"] == "SOURCED" and len(decision["candidates"]) == 8
    chosen = [c for c in decision["candidates"] if c["chosen"]]
    assert chosen and all(c["score"] is not None and c["estimated_cost"] for c in chosen)
    assert decision["processing_ms"] >= 0
    assert admin.get("/inventory/sku/SKU-GADGET-X").body["reserved"] == reserved_before


def test_evaluate_a_stored_order_under_an_unsaved_rule(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    rule = {"name": "what if", "priority": 1, "strategy": "STORE_NEAREST", "max_split_nodes": 1}
    decision = admin.post("/sourcing-rules/evaluate", {"order_id": order["id"], "rule": rule}).body[
        "decision"
    ]
    assert decision["strategy"] == "STORE_NEAREST" and decision["rule_name"] == "what if"
    assert [c["code"] for c in decision["candidates"] if c["chosen"]] == ["STR-NYC-01"]
    assert all(
        "STORE_NEAREST uses" in c["reason"]
        for c in decision["candidates"]
        if c["node_type"] == "DISTRIBUTION_CENTER"
    )


def test_evaluate_refuses_bad_requests(admin):
    assert admin.post("/sourcing-rules/evaluate", {}).status == 422
    assert admin.post("/sourcing-rules/evaluate", {"order": {"channel": "WEB"}}).status == 422
    assert admin.post("/sourcing-rules/evaluate", {"order_id": str(uuid.uuid4())}).status == 404
    bad_rule = {"order": order_body(), "rule": {**RULE, "strategy": "NOPE"}}
    assert admin.post("/sourcing-rules/evaluate", bad_rule).status == 422


# ------------------------------------------------------------------ rules on real orders
def test_a_rule_filters_nodes_for_the_orders_it_matches_and_the_trail_says_why(admin, demo_nodes):
    sku = own_sku()
    for code in ("DC-EAST", "DC-MID", "STR-NYC-01"):
        stock(admin, demo_nodes[code], sku, 50)
    rule = admin.post(
        "/sourcing-rules",
        {
            "name": f"{sku} from stores only",
            "priority": 1,
            "strategy": "DISTANCE_OPTIMAL",
            "conditions": [{"field": "has_sku", "operator": "EQUALS", "value": sku}],
            "allowed_node_types": ["RETAIL_STORE"],
        },
    ).body
    order = admin.post("/orders", order_body(line_items=line(sku, 2))).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    assert {a["node_code"] for a in sourced["allocations"]} == {"STR-NYC-01"}
    trail = admin.get(f"/orders/{order['id']}/sourcing").body["items"][0]
    assert trail["rule_id"] == rule["id"] and trail["rule_name"] == rule["name"]
    by_code = {c["code"]: c for c in trail["candidates"]}
    assert "node type DISTRIBUTION_CENTER not allowed" in by_code["DC-EAST"]["reason"]
    assert by_code["STR-NYC-01"]["chosen"] and by_code["STR-NYC-01"]["stock"] == {sku: 50}


def test_an_already_sourced_order_is_not_sourced_again(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    reply = admin.post(f"/orders/{order['id']}/sourcing", {})
    assert reply.status == 409 and reply.body["error"]["code"] == "already_sourced"
    assert admin.post(f"/orders/{uuid.uuid4()}/sourcing", {}).status == 404


# ------------------------------------------------------------------ capacity
@pytest.mark.date_sensitive  # counted per UTC day: frozen, so the test cannot straddle midnight
def test_node_daily_capacity_counts_orders_and_a_full_node_is_skipped(admin, frozen_clock):
    sku = own_sku()
    code = f"CAP-{uuid.uuid4().hex[:6].upper()}"
    node = admin.post(
        "/nodes",
        {
            "code": code,
            "name": "Tiny store",
            "node_type": "RETAIL_STORE",
            "latitude": 40.75,
            "longitude": -73.99,
            "can_ship": True,
            "daily_order_capacity": 1,
            "shipping_cost_multiplier": "1.0",
        },
    ).body
    stock(admin, node["id"], sku, 10)
    first = admin.post("/orders", order_body(line_items=line(sku, 1))).body
    assert {a["node_code"] for a in wait_for_status(admin, first["id"], {"SOURCED"})["allocations"]} == {code}
    capacity = admin.get(f"/nodes/{node['id']}/capacity").body
    assert capacity["current_daily_orders"] == 1 and capacity["remaining"] == 0
    assert admin.get(f"/nodes/{node['id']}").body["current_daily_orders"] == 1

    second = admin.post("/orders", order_body(line_items=line(sku, 1))).body
    wait_for_status(admin, second["id"], {"BACKORDERED"})
    trail = admin.get(f"/orders/{second['id']}/sourcing").body["items"][0]
    mine = next(c for c in trail["candidates"] if c["code"] == code)
    assert mine["reason"] == "excluded: daily capacity of 1 orders reached"


@pytest.mark.date_sensitive
def test_capacity_reset_job_clears_finished_days_and_keeps_today(admin, invoke, frozen_clock):
    node_id = f"n-reset-{uuid.uuid4().hex[:8]}"  # counters of its own: the demo nodes' stay as they are
    pk = keys.nodes_pk("demo")
    today = utcnow().date()
    days = {"yesterday": today - timedelta(days=1), "today": today, "tomorrow": today + timedelta(days=1)}
    sks = {name: keys.node_capacity_sk(day.isoformat(), node_id) for name, day in days.items()}
    for sk in sks.values():
        NodeCapacityRecord(pk, sk, node_id=node_id, orders=3).save()
    result = invoke("MaintenanceFunction", {"job": "reset_node_capacity"})
    assert result["counters_cleared"] >= 1
    remaining = {r.sk for r in NodeCapacityRecord.query(pk, NodeCapacityRecord.sk.startswith("CAP#"))}
    assert sks["yesterday"] not in remaining
    assert {sks["today"], sks["tomorrow"]} <= remaining
    NodeCapacityRecord(pk, sks["today"]).delete()
    NodeCapacityRecord(pk, sks["tomorrow"]).delete()


# ------------------------------------------------------------------ backorders
def wait_until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition never held")


def test_a_receipt_re_sources_backorders_oldest_first(admin, demo_nodes):
    sku = own_sku()
    item = stock(admin, demo_nodes["DC-MID"], sku, 0)
    single = {"name": f"{sku} ship whole", "priority": 2, "max_split_nodes": 1}
    single["conditions"] = [{"field": "has_sku", "operator": "EQUALS", "value": sku}]
    admin.post("/sourcing-rules", single)
    older = admin.post("/orders", order_body(line_items=line(sku, 3))).body
    wait_for_status(admin, older["id"], {"BACKORDERED"})
    newer = admin.post("/orders", order_body(line_items=line(sku, 2))).body
    wait_for_status(admin, newer["id"], {"BACKORDERED"})

    # 3 arrive: enough for either order, and the older one gets them
    admin.post(f"/inventory/{item['id']}/adjust", {"delta": 3, "reason": "RECEIVED"})
    wait_for_status(admin, older["id"], {"SOURCED"}, timeout=20)
    assert admin.get(f"/orders/{newer['id']}").body["status"] == "BACKORDERED"
    assert admin.get(f"/inventory/{item['id']}").body["reserved"] == 3

    admin.post(f"/inventory/{item['id']}/adjust", {"delta": 2, "reason": "RECEIVED"})
    sourced = wait_for_status(admin, newer["id"], {"SOURCED"}, timeout=20)
    assert sourced["status_history"][-3:] == [
        {**sourced["status_history"][-3], "status": "BACKORDERED"},
        {**sourced["status_history"][-2], "status": "SOURCING"},
        {**sourced["status_history"][-1], "status": "SOURCED"},
    ]
    assert len(admin.get(f"/orders/{newer['id']}/sourcing").body["items"]) == 2  # both runs kept


def test_a_partial_hold_is_topped_up_when_the_rest_arrives(admin, demo_nodes, invoke):
    sku = own_sku()
    east = stock(admin, demo_nodes["DC-EAST"], sku, 4)
    order = admin.post("/orders", order_body(line_items=line(sku, 10))).body
    held = wait_for_status(admin, order["id"], {"BACKORDERED"})
    assert [(a["node_code"], a["quantity"], a["state"]) for a in held["allocations"]] == [
        ("DC-EAST", 4, "RESERVED")
    ]
    assert admin.get(f"/inventory/{east['id']}").body["reserved"] == 4

    # the rest arrives at the same node: the reservation grows from 4 to 10, nothing is taken twice
    admin.post(f"/inventory/{east['id']}/adjust", {"delta": 6, "reason": "RECEIVED"})
    sourced = wait_for_status(admin, order["id"], {"SOURCED"}, timeout=20)
    assert [(a["node_code"], a["quantity"]) for a in sourced["allocations"]] == [("DC-EAST", 10)]
    after = admin.get(f"/inventory/{east['id']}").body
    assert (after["on_hand"], after["reserved"], after["available"]) == (10, 10, 0)
    record = ReservationRecord.get(keys.item_pk("demo", east["id"]), keys.reservation_sk(order["id"]))
    assert (record.state, record.quantity) == ("ACTIVE", 10)


@pytest.mark.date_sensitive  # a reservation's expiry against now
def test_an_expired_order_can_be_sourced_again_from_the_same_stock(admin, invoke):
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-GIZMO-2", "quantity": 2}])).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    item_id = sourced["allocations"][0]["item_id"]
    record = ReservationRecord.get(keys.item_pk("demo", item_id), keys.reservation_sk(order["id"]))
    record.update(actions=[ReservationRecord.expires_at.set(iso(utcnow() - timedelta(minutes=1)))])
    invoke("MaintenanceFunction", {"job": "reservations"})
    assert admin.get(f"/orders/{order['id']}").body["status"] == "BACKORDERED"

    reply = admin.post(f"/orders/{order['id']}/sourcing", {})
    assert reply.status == 202, reply
    again = wait_for_status(admin, order["id"], {"SOURCED"})
    assert again["allocations"][0]["item_id"] == item_id  # the expired reservation was replaced
    record.refresh()
    assert (record.state, record.quantity) == ("ACTIVE", 2)


def test_backorder_runs_of_a_tenant_never_overlap_and_a_request_meanwhile_is_not_lost(admin, invoke):
    from oms.services.context import repos

    assert repos.leases.acquire("demo", "resource_backorders", "someone-else", 60)
    try:
        assert not repos.leases.acquire("demo", "resource_backorders", "me", 60)
        deferred = invoke("MaintenanceFunction", {"job": "resource_backorders", "tenant_id": "demo"})
        assert deferred["deferred"] == 1 and deferred["considered"] == 0
        assert repos.leases.take_rerun("demo", "resource_backorders", "someone-else")  # the holder reruns
        assert not repos.leases.take_rerun("demo", "resource_backorders", "someone-else")  # once
    finally:
        repos.leases.release("demo", "resource_backorders", "someone-else")
    ran = invoke("MaintenanceFunction", {"job": "resource_backorders", "tenant_id": "demo"})
    assert ran["deferred"] == 0
    assert repos.leases.acquire("demo", "resource_backorders", "me", 60)  # released after the run
    repos.leases.release("demo", "resource_backorders", "me")
