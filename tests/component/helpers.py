"""Shared helpers for component and end-to-end tests."""

from __future__ import annotations

import time
from typing import Any

NYC = {
    "address1": "456 Park Ave",
    "city": "New York",
    "state": "NY",
    "postal_code": "10022",
    "latitude": 40.7614,
    "longitude": -73.9776,
}


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "WEB",
        "fulfillment_type": "SHIP_TO_HOME",
        "customer_email": "customer@example.com",
        "customer_name": "John Doe",
        "line_items": [
            {"sku": "SKU-WIDGET-A", "product_name": "Premium Widget A", "quantity": 2, "unit_price": "29.99"},
            {"sku": "SKU-GADGET-X", "product_name": "Gadget X Pro", "quantity": 1},
        ],
        "shipping_address": NYC,
    }
    body.update(overrides)
    if body.get("shipping_address") is None:
        body.pop("shipping_address", None)
    return body


def wait_for_status(client: Any, order_id: str, statuses: set[str], timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = client.get(f"/orders/{order_id}")
        if last.status == 200 and last.body["status"] in statuses:
            return dict(last.body)
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} never reached {statuses}; last: {last}")
