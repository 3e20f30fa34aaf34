"""Stock alerts on the local cloud (ADR 0039): the inventory table's stream reaches the stock alerts
function through the cloud's own stream poller, and the alert's event reaches a subscriber signed."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from oms.domain.webhooks import verify_signature
from tests.fakes import Receiver

pytestmark = pytest.mark.e2e


def test_stock_run_out_over_http_is_alerted_and_announced(http: requests.Session, cloud_url: str) -> None:
    receiver = Receiver()
    endpoint = http.post(
        f"{cloud_url}/webhooks/endpoints",
        json={"url": receiver.url, "event_types": ["inventory.out_of_stock", "inventory.restocked"]},
        timeout=10,
    ).json()
    try:
        node = http.get(f"{cloud_url}/nodes", timeout=10).json()["items"][0]
        sku = f"SKU-E2E-{uuid.uuid4().hex[:8].upper()}"
        item = http.post(
            f"{cloud_url}/inventory",
            json={"node_id": node["id"], "sku": sku, "on_hand": 6, "reorder_level": 2},
            timeout=10,
        ).json()
        adjusted = http.post(
            f"{cloud_url}/inventory/{item['id']}/adjust", json={"delta": -6, "reason": "DAMAGED"}, timeout=10
        )
        assert adjusted.status_code == 200, adjusted.text
        deadline, alerts, mine = time.monotonic() + 30, [], []
        while time.monotonic() < deadline and not (alerts and mine):
            alerts = http.get(f"{cloud_url}/inventory/alerts?sku={sku}", timeout=10).json()["items"]
            mine = [r for r in receiver.requests if sku.encode() in r["body"]]
            time.sleep(0.2)
        assert [(a["kind"], a["state"], a["source"]) for a in alerts] == [("OUT_OF_STOCK", "OPEN", "stream")]
        (hook,) = mine
        body = json.loads(hook["body"])
        assert (
            body["type"] == "inventory.out_of_stock" and body["data"]["data"]["alert_id"] == alerts[0]["id"]
        )
        headers = hook["headers"]
        assert verify_signature(
            endpoint["secret"],
            headers["X-OMS-Signature"],
            headers["X-OMS-Timestamp"],
            hook["body"],
            time.time(),
        )
    finally:
        http.delete(f"{cloud_url}/webhooks/endpoints/{endpoint['id']}", timeout=10)
        receiver.server.shutdown()
