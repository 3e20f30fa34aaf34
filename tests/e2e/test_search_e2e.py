"""Search on the embedded local cloud, over HTTP (ADR 0028): the stream poller feeds the
projection function, which writes the index's segments; `/search/...` is served by the search
function. An order is found with a typo, and its status follows. How soon (issue 10 allows 5 s) is
printed as a figure, not asserted: the suite shares two cores with the chaos run, and speed is
`make bench`'s to judge, never a timed assertion's."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.component.helpers import order_body

pytestmark = pytest.mark.e2e
PATIENCE = 60.0  # seconds to wait for the index on a loaded machine (issue 10's bound is 5 s)


def _search(http: requests.Session, url: str, query: str) -> list[dict[str, Any]]:
    reply = http.post(f"{url}/search/orders", json={"query": query, "limit": 5}, timeout=30)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["items"])


def _found_within(
    http: requests.Session, url: str, query: str, order_id: str, started: float
) -> dict[str, Any]:
    deadline = started + PATIENCE
    while True:
        hit = next((i for i in _search(http, url, query) if i["id"] == order_id), None)
        if hit is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert hit is not None, f"{order_id} not searchable {PATIENCE} s after it was placed"
    return hit


def test_an_order_is_searchable_by_a_typo_and_follows_its_status(
    http: requests.Session, cloud_url: str, record_property: Any
) -> None:
    surname = f"Quenzel{uuid.uuid4().hex[:5]}"
    body = order_body(
        customer_name=f"Marigold {surname}", line_items=[{"sku": "SKU-WIDGET-A", "quantity": 1}]
    )
    started = time.monotonic()
    created = http.post(f"{cloud_url}/orders", json=body, timeout=10)
    assert created.status_code == 201, created.text
    order = created.json()
    hit = _found_within(http, cloud_url, f"Marigld {surname}", order["id"], started)  # one typo
    found_after = time.monotonic() - started
    assert hit["order_number"] == order["order_number"]
    assert _search(http, cloud_url, order["order_number"][:15])  # a prefix of its number finds orders
    # the simulated warehouse and carrier move it on; the index follows within the same bound
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        current = http.get(f"{cloud_url}/orders/{order['id']}", timeout=10).json()
        if current["status"] == "DELIVERED":
            break
        time.sleep(0.5)
    assert current["status"] == "DELIVERED"
    changed = time.monotonic()
    while time.monotonic() < changed + PATIENCE:
        (hit,) = [i for i in _search(http, cloud_url, surname) if i["id"] == order["id"]]
        if hit["status"] == "DELIVERED":
            break
        time.sleep(0.1)
    assert hit["status"] == "DELIVERED"
    followed_after = time.monotonic() - changed
    record_property(
        "summary",
        f"search e2e: a new order searchable after {found_after:.1f} s, its DELIVERED status after "
        f"{followed_after:.1f} s (issue 10 allows 5 s; on a loaded machine)",
    )
