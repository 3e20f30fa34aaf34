"""Analytics on the running local cloud (ADR 0029): the stream poller feeds the projection
function by itself, so an order that reaches DELIVERED shows on the dashboard within seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.component.helpers import order_body

pytestmark = pytest.mark.e2e


def _today(http: requests.Session, url: str) -> dict[str, Any]:
    series = http.get(f"{url}/analytics/orders/volume?days=1", timeout=10).json()["series"]
    board = http.get(f"{url}/analytics/dashboard?from_date={series[0]['date']}", timeout=10).json()
    return {"orders": board["orders"], "delivered": board["delivered"], "volume": series[0]["orders"]}


def test_a_delivered_order_reaches_the_dashboard_by_itself(http: requests.Session, cloud_url: str) -> None:
    before = _today(http, cloud_url)
    body = order_body(
        customer_email="analytics-e2e@example.com", line_items=[{"sku": "SKU-GIZMO-1", "quantity": 1}]
    )
    created = http.post(f"{cloud_url}/orders", json=body, timeout=10)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    deadline = time.monotonic() + 60
    while http.get(f"{cloud_url}/orders/{order_id}", timeout=10).json()["status"] != "DELIVERED":
        assert time.monotonic() < deadline, "the order never reached DELIVERED"
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while True:  # counted from the stream, not by the request that wrote the order
        now = _today(http, cloud_url)
        if now["delivered"] > before["delivered"] and now["orders"] > before["orders"]:
            break
        assert time.monotonic() < deadline, f"the dashboard never counted it: {before} -> {now}"
        time.sleep(0.2)
    assert now["volume"] == now["orders"]
    summary = http.get(f"{cloud_url}/analytics/inventory/summary", timeout=10).json()
    assert summary["nodes"] >= 1 and summary["skus"] >= 8
