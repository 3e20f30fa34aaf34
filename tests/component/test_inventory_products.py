"""The product view of inventory: stock grouped by SKU across nodes (`GET /inventory/products`) and
product-level settings for every node at once (`PATCH /inventory/products/{sku}`): routing beside
`/inventory/{item_id}`, totals, filters, pages, who may write, tenant isolation, and no update lost
to a concurrent stock movement."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable

pytestmark = pytest.mark.usefixtures("stack")

DEMO_SKUS = {
    "SKU-WIDGET-A",
    "SKU-WIDGET-B",
    "SKU-GADGET-X",
    "SKU-GADGET-Y",
    "SKU-GIZMO-1",
    "SKU-GIZMO-2",
    "SKU-TOOL-Z",
    "SKU-ACCESSORY-1",
}


def new_sku() -> str:
    return f"SKU-V-{uuid.uuid4().hex[:8].upper()}"


def stock(admin: ApiClient, nodes: dict[str, str], sku: str, **per_code: int) -> dict[str, str]:
    """Stock `sku` at the named nodes (code -> on hand); item ids by code."""
    ids = {}
    for code, on_hand in per_code.items():
        reply = admin.post(
            "/inventory", {"node_id": nodes[code], "sku": sku, "on_hand": on_hand, "reorder_level": 5}
        )
        assert reply.status == 201, reply
        ids[code] = reply.body["id"]
    return ids


def every_page(client: ApiClient, query: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        url = f"/inventory/products?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url)
        assert page.status == 200, page
        assert len(page.body["items"]) <= limit and page.body["count"] == len(page.body["items"])
        rows += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            return rows
    raise AssertionError("the pages never ended")


def test_inventory_products_is_its_own_route_not_an_item_id(admin, stack):
    # through the catch-all route (the HTTP API in front of the function): ApiClient's events
    listed = admin.get("/inventory/products?limit=2")
    assert listed.status == 200, listed
    assert set(listed.body) == {"items", "count", "next_cursor"} and len(listed.body["items"]) == 2
    item_id = listed.body["items"][0]["nodes"][0]["item_id"]
    assert admin.get(f"/inventory/{item_id}").body["id"] == item_id  # the item route still answers
    assert admin.get("/inventory/products/").status == 200  # with a trailing slash too
    # `PATCH /inventory/products` is not an item's PATCH either
    assert admin.patch("/inventory/products", {"reorder_level": 1}).status == 405

    # an event naming the resource itself (as a REST API resource per route would send it)
    def exact(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["resource"] = event["requestContext"]["resourcePath"] = "/inventory/products"
        event["pathParameters"] = None
        return _api_callable(stack)(event, context)

    direct = ApiClient(exact).with_token(admin.token).get("/inventory/products?limit=2")
    assert direct.status == 200 and direct.body == listed.body

    # over HTTP through the local cloud's gateway, as `make run` serves it
    from infra.local.gateway import Gateway

    server = Gateway(stack, stack.invoke, port=0).start()
    try:
        headers = {"Authorization": f"Bearer {admin.token}"}
        over_http = requests.get(f"{server.url}/inventory/products?limit=2", headers=headers, timeout=30)
        item = requests.get(f"{server.url}/inventory/{item_id}", headers=headers, timeout=30)
        one = requests.get(f"{server.url}/inventory/products/SKU-WIDGET-A", headers=headers, timeout=30)
    finally:
        server.stop()
    assert over_http.status_code == 200 and over_http.json() == listed.body
    assert item.status_code == 200 and item.json()["id"] == item_id
    assert one.status_code == 200 and one.json()["sku"] == "SKU-WIDGET-A"


def test_a_sku_is_one_row_with_its_nodes_and_totals(user, demo_nodes):
    rows = every_page(user, "&search=widget-a", 50)
    assert [r["sku"] for r in rows] == ["SKU-WIDGET-A"]
    row = rows[0]
    assert (row["name"], row["category"], row["price"], row["currency"]) == (
        "Premium Widget A",
        "Widgets",
        "29.99",
        "USD",
    )
    assert {n["node_id"] for n in row["nodes"]} == set(demo_nodes.values())
    assert row["total_on_hand"] == sum(n["on_hand"] for n in row["nodes"]) == 3 * 500 + 4 * 40 + 120
    assert row["total_available"] == row["total_on_hand"] - row["total_reserved"]
    names = {n["node_name"] for n in row["nodes"]}
    assert "East Coast DC (Edison NJ)" in names
    sample = row["nodes"][0]
    assert set(sample) == {
        "node_id",
        "node_name",
        "item_id",
        "on_hand",
        "reserved",
        "available",
        "reorder_level",
        "reorder_quantity",
        "low_stock",
    }
    assert row["low_stock"] is False and row["reorder_level"] is None  # DCs 50, stores 5, dark store 12
    assert user.get("/inventory/products/SKU-WIDGET-A").body == row


def test_every_sku_once_in_sku_order_across_pages(admin, user, demo_nodes):
    mine = sorted(new_sku() for _ in range(3))
    stock(admin, demo_nodes, mine[0], **{"DC-MID": 7})
    stock(admin, demo_nodes, mine[1], **{"DARK-SF-01": 9, "STR-NYC-01": 1})
    stock(admin, demo_nodes, mine[2], **{"DC-EAST": 3})
    rows = every_page(user, "", 3)
    skus = [r["sku"] for r in rows]
    assert skus == sorted(set(skus)) and DEMO_SKUS | set(mine) <= set(skus)
    by_sku = {r["sku"]: r for r in rows}
    # a SKU stocked but not in the catalog: its stock item's name, no price
    assert by_sku[mine[1]]["price"] is None and by_sku[mine[1]]["total_on_hand"] == 10
    assert [n["node_id"] for n in by_sku[mine[1]]["nodes"]] == sorted(
        [demo_nodes["DARK-SF-01"], demo_nodes["STR-NYC-01"]],
        key=lambda nid: next(n for n in by_sku[mine[1]]["nodes"] if n["node_id"] == nid)["node_name"],
    )
    assert every_page(user, "", 200) == rows  # the page size changes nothing
    assert user.get("/inventory/products?limit=0").status == 422
    assert user.get("/inventory/products?limit=201").status == 422
    assert user.get("/inventory/products?cursor=bm9wZQ").status == 422
    assert user.get("/inventory/products?low_stock=maybe").status == 422
    assert user.get("/inventory/products?colour=red").status == 422


def test_filters_node_search_and_low_stock(admin, user, demo_nodes):
    sku = new_sku()
    stock(admin, demo_nodes, sku, **{"DC-MID": 100, "STR-CHI-01": 2})  # the store is under its level (5)
    whole = user.get(f"/inventory/products/{sku}").body
    assert whole["low_stock"] is True and whole["total_on_hand"] == 102 and whole["reorder_level"] == 5
    low = every_page(user, "&low_stock=true", 50)
    assert sku in [r["sku"] for r in low] and all(r["low_stock"] for r in low)
    assert sku not in [r["sku"] for r in every_page(user, "&low_stock=false", 50)]

    at_dc = every_page(user, f"&node_id={demo_nodes['DC-MID']}", 50)
    assert all([n["node_id"] for n in r["nodes"]] == [demo_nodes["DC-MID"]] for r in at_dc)
    mine = next(r for r in at_dc if r["sku"] == sku)
    assert mine["total_on_hand"] == 100 and mine["low_stock"] is False  # that node's figures only
    at_store = every_page(user, f"&node_id={demo_nodes['STR-CHI-01']}&low_stock=true", 50)
    assert sku in [r["sku"] for r in at_store]
    assert sku not in [r["sku"] for r in every_page(user, f"&node_id={demo_nodes['DC-EAST']}", 50)]
    assert every_page(user, "&node_id=no-such-node", 50) == []

    by_name = every_page(user, "&search=PREMIUM%20widget", 50)  # the catalog's name, any case
    assert [r["sku"] for r in by_name] == ["SKU-WIDGET-A"]
    assert every_page(user, f"&search={sku[-8:].lower()}", 50)[0]["sku"] == sku
    assert every_page(user, "&search=nothing-like-this", 50) == []


def test_patch_sets_every_node_at_once(admin, user, demo_nodes):
    sku = new_sku()
    ids = stock(admin, demo_nodes, sku, **{"DC-EAST": 40, "DC-WEST": 8, "STR-LA-01": 3})
    assert user.patch(f"/inventory/products/{sku}", {"reorder_level": 10}).status == 403
    changed = admin.patch(
        f"/inventory/products/{sku}", {"reorder_level": 10, "reorder_quantity": 50, "product_name": "Lamp"}
    )
    assert changed.status == 200, changed
    assert changed.body["reorder_level"] == 10 and changed.body["reorder_quantity"] == 50
    assert changed.body["name"] == "Lamp" and changed.body["low_stock"] is True
    assert {n["node_id"]: n["low_stock"] for n in changed.body["nodes"]} == {
        demo_nodes["DC-EAST"]: False,
        demo_nodes["DC-WEST"]: True,
        demo_nodes["STR-LA-01"]: True,
    }
    versions = {}
    for item_id in ids.values():
        item = admin.get(f"/inventory/{item_id}").body
        assert (item["reorder_level"], item["reorder_quantity"], item["product_name"]) == (10, 50, "Lamp")
        versions[item_id] = item["version"]
    # the same request again changes nothing (no write: the versions stay)
    assert admin.patch(f"/inventory/products/{sku}", {"reorder_level": 10}).body == changed.body
    assert {i: admin.get(f"/inventory/{i}").body["version"] for i in ids.values()} == versions
    assert user.get(f"/inventory/products/{sku}").body == changed.body

    for bad in ({}, {"reorder_level": -1}, {"reorder_level": None}, {"reorder_level": "ten"}, {"x": 1}):
        reply = admin.patch(f"/inventory/products/{sku}", bad)
        assert reply.status == 422, (bad, reply)
    missing = admin.patch(f"/inventory/products/{new_sku()}", {"reorder_level": 1})
    assert missing.status == 404 and missing.body["error"]["code"] == "sku_not_found"
    assert admin.patch("/inventory/products/bad%20sku", {"reorder_level": 1}).status == 404
    assert user.get(f"/inventory/products/{new_sku()}").status == 404


def test_another_tenant_sees_and_changes_none_of_it(admin, other_tenant):
    before = admin.get("/inventory/products/SKU-WIDGET-A").body
    assert other_tenant.get("/inventory/products").body == {"items": [], "count": 0, "next_cursor": None}
    assert other_tenant.get("/inventory/products/SKU-WIDGET-A").status == 404
    assert other_tenant.patch("/inventory/products/SKU-WIDGET-A", {"reorder_level": 999}).status == 404
    assert admin.get("/inventory/products/SKU-WIDGET-A").body == before
    # a cursor from the demo tenant's listing is no cursor of another's
    cursor = admin.get("/inventory/products?limit=1").body["next_cursor"]
    assert other_tenant.get(f"/inventory/products?cursor={cursor}").status == 422


def test_no_update_is_lost_to_concurrent_stock_movements(admin, demo_nodes):
    """Adjustments and product-level changes race on the same stock items: every adjustment that
    answered 200 is in on_hand, and the reorder level is one that a PATCH set, at every node."""
    sku = new_sku()
    ids = stock(admin, demo_nodes, sku, **{"DC-EAST": 1000, "DC-MID": 1000, "STR-NYC-01": 1000})
    rng = random.Random(7)
    moves = [(rng.choice(list(ids.values())), rng.choice([-3, -1, 2, 5])) for _ in range(24)]
    levels = [11, 22, 33, 44, 55, 66]

    def adjust(move: tuple[str, int]) -> tuple[str, int, int]:
        item_id, delta = move
        reason = "RECEIVED" if delta > 0 else "DAMAGED"
        reply = admin.post(f"/inventory/{item_id}/adjust", {"delta": delta, "reason": reason})
        return item_id, delta, reply.status

    def patch(level: int) -> Any:
        return admin.patch(f"/inventory/products/{sku}", {"reorder_level": level, "reorder_quantity": level})

    with ThreadPoolExecutor(max_workers=8) as pool:
        adjusted = [pool.submit(adjust, m) for m in moves]
        patched = [pool.submit(patch, level) for level in levels]
        adjusted_results = [f.result() for f in adjusted]
        patched_results = [f.result() for f in patched]

    assert all(status in (200, 409) for _, _, status in adjusted_results), adjusted_results
    assert all(r.status in (200, 409) for r in patched_results), patched_results
    assert all(r.body["error"]["code"] == "concurrent_update" for r in patched_results if r.status == 409)
    applied_levels = {levels[i] for i, r in enumerate(patched_results) if r.status == 200}
    assert applied_levels, "no PATCH got through"
    final = admin.get(f"/inventory/products/{sku}").body
    for node in final["nodes"]:
        expected = 1000 + sum(
            d for item, d, status in adjusted_results if item == node["item_id"] and status == 200
        )
        assert node["on_hand"] == expected, (node, expected)
    assert final["reorder_level"] in applied_levels  # the same level at every node
    assert final["reorder_quantity"] == final["reorder_level"]  # both fields of one PATCH, together
    assert sum(1 for _, _, status in adjusted_results if status == 200) > 0
