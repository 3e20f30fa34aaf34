"""The whole system on the embedded local cloud, over HTTP: an order reaches DELIVERED on its
own (warehouse and carrier simulated), a cancellation gives stock back, and a burst of
concurrent orders for scarce stock never oversells."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.component.helpers import order_body

pytestmark = pytest.mark.e2e


def order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_email": "e2e@example.com",
        "customer_name": "End To End",
        "line_items": [{"sku": "SKU-WIDGET-A", "quantity": 2}],
    }
    return order_body(**{**body, **overrides})


def wait_for(http: requests.Session, url: str, order_id: str, statuses: set[str], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        body = http.get(f"{url}/orders/{order_id}", timeout=10).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{order_id} stuck in {body and body['status']}")


def test_health_and_auth(cloud_url: str) -> None:
    assert requests.get(f"{cloud_url}/health", timeout=5).json()["status"] == "ok"
    assert requests.get(f"{cloud_url}/orders", timeout=5).status_code == 401


def test_the_deep_health_check_sees_a_healthy_local_cloud(http: requests.Session, cloud_url: str) -> None:
    assert requests.get(f"{cloud_url}/health?deep=1", timeout=5).status_code == 401
    reply = http.get(f"{cloud_url}/health?deep=1", timeout=10)
    assert reply.status_code == 200, reply.text
    assert [c["name"] for c in reply.json()["checks"] if not c["ok"]] == []


def test_an_order_reaches_delivered_by_itself(http: requests.Session, cloud_url: str) -> None:
    created = http.post(f"{cloud_url}/orders", json=order(), headers={"Idempotency-Key": "e2e-1"}, timeout=10)
    assert created.status_code == 201, created.text
    final = wait_for(http, cloud_url, created.json()["id"], {"DELIVERED"})
    statuses = [h["status"] for h in final["status_history"]]
    assert statuses[:4] == ["PENDING", "CONFIRMED", "SOURCING", "SOURCED"] and statuses[-1] == "DELIVERED"
    assert final["shipments"] and final["shipments"][0]["tracking_number"]
    events = http.get(f"{cloud_url}/orders/{final['id']}/events", timeout=10).json()["items"]
    assert events[0]["type"] == "order.created" and events[-1]["type"] == "fulfilment.delivered"


def test_cancel_releases_stock(http: requests.Session, cloud_url: str) -> None:
    before = http.get(f"{cloud_url}/inventory/sku/SKU-TOOL-Z", timeout=10).json()
    created = http.post(
        f"{cloud_url}/orders", json=order(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 3}]), timeout=10
    ).json()
    wait_for(http, cloud_url, created["id"], {"SOURCED", "PICKING", "PACKING"})
    cancelled = http.post(f"{cloud_url}/orders/{created['id']}/cancel", json={"reason": "e2e"}, timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    after = http.get(f"{cloud_url}/inventory/sku/SKU-TOOL-Z", timeout=10).json()
    assert after["reserved"] == before["reserved"] and after["on_hand"] == before["on_hand"]


def test_concurrent_orders_for_scarce_stock_never_oversell(http: requests.Session, cloud_url: str) -> None:
    nodes = {n["code"]: n["id"] for n in http.get(f"{cloud_url}/nodes", timeout=10).json()["items"]}
    product = {"sku": "SKU-SCARCE", "name": "Scarce", "price": "3.00"}  # orders are priced from it
    assert http.post(f"{cloud_url}/products", json=product, timeout=10).status_code in (201, 409)
    item = http.post(
        f"{cloud_url}/inventory",
        json={"node_id": nodes["DC-EAST"], "sku": "SKU-SCARCE", "on_hand": 10},
        timeout=10,
    ).json()

    def place(i: int) -> str:
        body = order(
            customer_email=f"burst{i}@example.com",
            line_items=[{"sku": "SKU-SCARCE", "quantity": 1, "unit_price": "3.00"}],
        )
        reply = http.post(f"{cloud_url}/orders", json=body, timeout=30)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(place, range(30)))
    outcomes = [
        wait_for(
            http,
            cloud_url,
            oid,
            {
                "SOURCED",
                "PICKING",
                "PACKING",
                "READY_TO_SHIP",
                "SHIPPED",
                "OUT_FOR_DELIVERY",
                "DELIVERED",
                "BACKORDERED",
                "FAILED",
            },
        )
        for oid in ids
    ]
    won = [o for o in outcomes if o["status"] not in ("BACKORDERED", "FAILED")]
    assert len(won) == 10
    stock = http.get(f"{cloud_url}/inventory/{item['id']}", timeout=10).json()
    # every unit is either still reserved or already shipped (on-hand decremented) - never more
    assert stock["available"] == 0
    assert (10 - stock["on_hand"]) + stock["reserved"] == 10
    assert stock["on_hand"] - stock["reserved"] == stock["available"]
