"""Nodes and inventory endpoints."""

import pytest

pytestmark = pytest.mark.usefixtures("stack")

NODE = {
    "code": "WH-TEST",
    "name": "Test warehouse",
    "node_type": "WAREHOUSE",
    "latitude": 40.0,
    "longitude": -75.0,
    "can_ship": True,
    "daily_order_capacity": 50,
    "shipping_cost_multiplier": "1.25",
}


@pytest.mark.date_sensitive  # the capacity view is today's
def test_node_crud_and_soft_delete(admin):
    created = admin.post("/nodes", NODE)
    assert created.status == 201, created
    node_id = created.body["id"]
    assert admin.post("/nodes", NODE).body["error"]["code"] == "duplicate_node_code"
    assert admin.get(f"/nodes/{node_id}").body["shipping_cost_multiplier"] == "1.25"
    patched = admin.patch(f"/nodes/{node_id}", {"status": "MAINTENANCE", "daily_order_capacity": 70})
    assert patched.status == 200 and patched.body["status"] == "MAINTENANCE"
    assert admin.patch(f"/nodes/{node_id}", {}).status == 422
    cap = admin.get(f"/nodes/{node_id}/capacity").body
    assert cap["daily_order_capacity"] == 70 and cap["remaining"] == 70
    listed = admin.get("/nodes?node_type=WAREHOUSE").body["items"]
    assert [n["code"] for n in listed] == ["WH-TEST"]
    assert admin.delete(f"/nodes/{node_id}").status == 200
    assert admin.get(f"/nodes/{node_id}").status == 404
    assert "WH-TEST" not in [n["code"] for n in admin.get("/nodes").body["items"]]


def test_demo_nodes_are_seeded(admin):
    codes = {n["code"] for n in admin.get("/nodes").body["items"]}
    assert {
        "DC-EAST",
        "DC-WEST",
        "DC-MID",
        "STR-NYC-01",
        "STR-LA-01",
        "STR-CHI-01",
        "STR-MIA-01",
        "DARK-SF-01",
    } <= codes
    assert admin.get("/nodes?capability=can_fly").status == 422


def test_inventory_create_adjust_and_log(admin, demo_nodes):
    node_id = demo_nodes["DC-MID"]
    created = admin.post(
        "/inventory", {"node_id": node_id, "sku": "SKU-NEW-1", "on_hand": 10, "reorder_level": 4}
    )
    assert created.status == 201
    item_id = created.body["id"]
    assert admin.post("/inventory", {"node_id": node_id, "sku": "SKU-NEW-1"}).status == 409
    r = admin.post(f"/inventory/{item_id}/adjust", {"delta": -7, "reason": "DAMAGED", "note": "forklift"})
    assert r.status == 200
    assert r.body["item"]["on_hand"] == 3 and r.body["item"]["low_stock"] is True
    assert r.body["adjustment"]["on_hand_before"] == 10 and r.body["adjustment"]["on_hand_after"] == 3
    too_much = admin.post(f"/inventory/{item_id}/adjust", {"delta": -4, "reason": "DAMAGED"})
    assert too_much.status == 409 and too_much.body["error"]["code"] == "insufficient_stock"
    assert admin.post(f"/inventory/{item_id}/adjust", {"delta": 1, "reason": "RESERVED"}).status == 422
    assert admin.post(f"/inventory/{item_id}/adjust", {"delta": 0, "reason": "RECEIVED"}).status == 422
    detail = admin.get(f"/inventory/{item_id}").body
    assert [a["reason"] for a in detail["adjustments"]] == ["DAMAGED"]
    low = admin.get(f"/inventory?node_id={node_id}&low_stock=true").body["items"]
    assert item_id in [i["id"] for i in low]
    assert admin.patch(f"/inventory/{item_id}", {"reorder_level": 1}).body["low_stock"] is False


def test_inventory_for_unknown_node_is_404(admin):
    assert admin.post("/inventory", {"node_id": "nope", "sku": "SKU-1"}).status == 404


def test_sku_view_and_availability(admin):
    sku = admin.get("/inventory/sku/SKU-WIDGET-A").body
    assert len(sku["nodes"]) >= 8 and sku["available"] == sum(n["available"] for n in sku["nodes"])
    assert admin.get("/inventory/sku/SKU-NOPE").status == 404
    check = admin.post(
        "/inventory/check-availability",
        {"items": [{"sku": "SKU-WIDGET-A", "quantity": 30}, {"sku": "SKU-TOOL-Z", "quantity": 1}]},
    ).body
    assert check["all_fulfillable"] is True and "DC-EAST" in check["single_node_candidates"]
    assert "STR-NYC-01" in check["single_node_candidates"]  # stores hold 40 of each SKU
    huge = admin.post(
        "/inventory/check-availability", {"items": [{"sku": "SKU-WIDGET-A", "quantity": 999999}]}
    )
    assert huge.body["all_fulfillable"] is False


def test_transfer_is_atomic_and_logged(admin, demo_nodes):
    src, dst = demo_nodes["DC-EAST"], demo_nodes["STR-MIA-01"]
    before = {n["node_id"]: n for n in admin.get("/inventory/sku/SKU-GIZMO-1").body["nodes"]}
    r = admin.post(
        "/inventory/transfer", {"sku": "SKU-GIZMO-1", "from_node_id": src, "to_node_id": dst, "quantity": 25}
    )
    assert r.status == 200, r
    assert r.body["from"]["on_hand"] == before[src]["on_hand"] - 25
    assert r.body["to"]["on_hand"] == before[dst]["on_hand"] + 25
    over = admin.post(
        "/inventory/transfer",
        {"sku": "SKU-GIZMO-1", "from_node_id": src, "to_node_id": dst, "quantity": 10**6},
    )
    assert over.status == 409
    after = {n["node_id"]: n for n in admin.get("/inventory/sku/SKU-GIZMO-1").body["nodes"]}
    assert after[src]["on_hand"] == before[src]["on_hand"] - 25  # the refused transfer changed nothing
    same = admin.post(
        "/inventory/transfer", {"sku": "SKU-GIZMO-1", "from_node_id": src, "to_node_id": src, "quantity": 1}
    )
    assert same.status == 422
