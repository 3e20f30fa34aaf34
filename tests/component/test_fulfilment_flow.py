"""The fulfilment state machine under moto: intake, callbacks, split shipping, pickup, backorder,
failure handling and concurrency."""

import threading

import pytest

from tests.component.helpers import ensure_product, order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")

SHIP_EVENTS = [
    {"type": "PICKING"},
    {"type": "PACKING"},
    {"type": "READY_TO_SHIP"},
    {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z999"},
    {"type": "OUT_FOR_DELIVERY"},
    {"type": "DELIVERED"},
]


def send(admin, order_id, event, expect):
    r = admin.post(f"/orders/{order_id}/fulfillment-events", event)
    assert r.status in (200, 202), r
    # progress within a wait is applied at once; an event that ends a wait resumes the machine
    # only an event with a next step for the machine (book the carrier) resumes it (202, ADR 0022)
    assert (r.status == 202) == (event["type"] == "READY_TO_SHIP"), r
    return wait_for_status(admin, order_id, {expect})


def test_order_goes_from_pending_to_delivered_and_stock_leaves(admin, queues):
    before = admin.get("/inventory/sku/SKU-WIDGET-A").body
    order = admin.post("/orders", order_body()).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    # Default rule, DISTANCE_OPTIMAL (0.7 distance + 0.3 stock depth): the DC 45 km away holding
    # 500 beats the store 2 km away holding 40
    assert sourced["allocations"][0]["node_code"] == "DC-EAST"
    trail = admin.get(f"/orders/{order['id']}/sourcing").body["items"]
    assert trail[0]["outcome"] == "SOURCED" and trail[0]["rule_name"] == "Default"
    chosen = [c for c in trail[0]["candidates"] if c["chosen"]]
    assert [c["code"] for c in chosen] == ["DC-EAST"] and chosen[0]["reason"].startswith("chosen")
    pick = queues.wait_for_order("WarehouseQueue", order["id"])
    assert pick["type"] == "PICK_REQUEST" and pick["nodes"][0]["lines"][0]["sku"] == "SKU-WIDGET-A"
    assert admin.get("/inventory/sku/SKU-WIDGET-A").body["reserved"] == before["reserved"] + 2
    for event in SHIP_EVENTS:
        send(admin, order["id"], event, event["type"])
        if event["type"] == "READY_TO_SHIP":
            assert queues.wait_for_order("CarrierQueue", order["id"])["type"] == "SHIPMENT_REQUEST"
    after = admin.get("/inventory/sku/SKU-WIDGET-A").body
    assert after["on_hand"] == before["on_hand"] - 2 and after["reserved"] == before["reserved"]
    item = admin.get(f"/inventory/{sourced['allocations'][0]['item_id']}").body
    sale = next(m for m in item["adjustments"] if m["reference"] == f"order:{order['order_number']}")
    assert sale["reason"] == "SOLD" and sale["delta_on_hand"] == -2
    assert sale["on_hand_after"] == sale["on_hand_before"] - 2
    final = admin.get(f"/orders/{order['id']}").body
    assert [h["status"] for h in final["status_history"]] == [
        "PENDING",
        "CONFIRMED",
        "SOURCING",
        "SOURCED",
        "PICKING",
        "PACKING",
        "READY_TO_SHIP",
        "SHIPPED",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
    ]
    assert final["shipments"][0]["tracking_number"] == "1Z999"
    events = admin.get(f"/orders/{order['id']}/events").body["items"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_illegal_callback_is_409_and_changes_nothing(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    r = admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "DELIVERED"})
    assert r.status == 409 and "PICKING" in r.body["error"]["details"]["allowed"]
    assert admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "TELEPORTED"}).status == 422
    assert (
        admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "SHIPPED"}).status == 422
    )  # no tracking
    assert admin.get(f"/orders/{order['id']}").body["status"] == "SOURCED"


def test_duplicate_callback_is_applied_once(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    send(admin, order["id"], {"type": "PICKING", "event_id": "wms-1"}, "PICKING")
    dup = admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "PICKING", "event_id": "wms-1"})
    assert dup.status == 200 and dup.body["duplicate"] is True
    types = [e["type"] for e in admin.get(f"/orders/{order['id']}/events").body["items"]]
    assert types.count("fulfilment.picking") == 1


def test_a_retried_ready_to_ship_step_still_books_the_carrier(admin, stack):
    # The state machine retries a Task whose answer was lost (Lambda.ServiceException after the
    # function wrote): the retry finds the event applied and must still ask for the carrier.
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    for step in ("PICKING", "PACKING", "READY_TO_SHIP"):
        send(admin, order["id"], {"type": step, "event_id": f"wms-{step}"}, step)
    retry = stack.invoke(
        "FulfilmentTaskFunction",
        {
            "task": "apply_event",
            "tenant_id": "demo",
            "order_id": order["id"],
            "event": {"type": "READY_TO_SHIP", "event_id": "wms-READY_TO_SHIP"},
        },
    )
    assert not retry.errored, retry.payload
    assert retry.payload["next"] == "REQUEST_CARRIER" and retry.payload["request"]["order_id"] == order["id"]
    types = [e["type"] for e in admin.get(f"/orders/{order['id']}/events").body["items"]]
    assert types.count("fulfilment.ready_to_ship") == 1


def test_a_step_whose_reads_stay_throttled_is_retried_not_failed(admin, stack):
    # DynamoDB throttling every attempt the SDK makes: the step raises TransientStoreError, which
    # the state machine retries, instead of an unknown error that would fail the order for good.
    from infra.local import chaos

    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    chaos.configure("ddb_throttle=1", speed=1000)
    try:
        step = {"task": "confirm", "tenant_id": "demo", "order_id": order["id"]}
        outcome = stack.invoke("FulfilmentTaskFunction", step)
    finally:
        chaos.configure(None)
    assert outcome.errored and outcome.error_type == "TransientStoreError", outcome.payload
    assert "storage busy" in outcome.payload["errorMessage"]


def test_pickup_order_path(admin, demo_nodes):
    body = order_body(
        fulfillment_type="STORE_PICKUP", pickup_node_id=demo_nodes["STR-CHI-01"], shipping_address=None
    )
    order = admin.post("/orders", body).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    assert {a["node_code"] for a in sourced["allocations"]} == {"STR-CHI-01"}
    for step in ("PICKING", "PACKING", "READY_FOR_PICKUP", "PICKED_UP"):
        send(admin, order["id"], {"type": step}, step)


def test_unfillable_order_holds_what_it_can_and_cancel_gives_it_back(admin):
    before = admin.get("/inventory/sku/SKU-TOOL-Z").body["reserved"]
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 100000}])).body
    backordered = wait_for_status(admin, order["id"], {"BACKORDERED"})
    held = sum(a["quantity"] for a in backordered["allocations"] if a["state"] == "RESERVED")
    # the default rule splits over up to 3 nodes: it holds stock at the 3 best-scoring nodes
    assert 0 < held <= 1500 and len({a["node_id"] for a in backordered["allocations"]}) == 3
    assert admin.get("/inventory/sku/SKU-TOOL-Z").body["reserved"] == before + held
    event = [
        e
        for e in admin.get(f"/orders/{order['id']}/events").body["items"]
        if e["type"] == "order.backordered"
    ]
    assert event[-1]["data"]["backordered"] == {"SKU-TOOL-Z": 100000 - held}
    assert admin.post(f"/orders/{order['id']}/cancel", {}).body["status"] == "CANCELLED"
    assert admin.get("/inventory/sku/SKU-TOOL-Z").body["reserved"] == before


def test_split_order_ships_partially_then_fully(admin):
    # 520 widgets: no single node holds that many (DCs hold 500), so the order splits.
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-WIDGET-B", "quantity": 520}])).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    nodes = sorted({a["node_id"] for a in sourced["allocations"]})
    assert 2 <= len(nodes) <= 3 and sum(a["quantity"] for a in sourced["allocations"]) == 520
    for step in ("PICKING", "PACKING", "READY_TO_SHIP"):
        send(admin, order["id"], {"type": step}, step)
    for i, node_id in enumerate(nodes):
        expect = "SHIPPED" if i == len(nodes) - 1 else "PARTIALLY_SHIPPED"
        send(
            admin,
            order["id"],
            {"type": "SHIPPED", "node_id": node_id, "carrier": "UPS", "tracking_number": f"T{i}"},
            expect,
        )
    for i, node_id in enumerate(nodes):
        expect = "DELIVERED" if i == len(nodes) - 1 else "PARTIALLY_DELIVERED"
        send(admin, order["id"], {"type": "DELIVERED", "node_id": node_id}, expect)


def test_concurrent_orders_never_oversell(admin, demo_nodes):
    # Only 7 units of a fresh SKU exist anywhere; 20 orders of 1 race for them.
    node_id = demo_nodes["DC-EAST"]
    ensure_product(admin, "SKU-RARE", "5.00")
    item = admin.post("/inventory", {"node_id": node_id, "sku": "SKU-RARE", "on_hand": 7}).body
    results = []

    def place(i):
        body = order_body(
            customer_email=f"race{i}@example.com",
            line_items=[{"sku": "SKU-RARE", "quantity": 1, "unit_price": "5.00"}],
        )
        results.append(admin.post("/orders", body).body["id"])

    threads = [threading.Thread(target=place, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = [
        wait_for_status(admin, oid, {"SOURCED", "BACKORDERED", "FAILED"}, timeout=60)["status"]
        for oid in results
    ]
    stock = admin.get(f"/inventory/{item['id']}").body
    assert final.count("SOURCED") == 7
    assert stock["available"] == 0 and stock["reserved"] == 7 and stock["on_hand"] == 7
