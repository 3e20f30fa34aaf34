"""A Shopify order arrives through the Function URL on the local cloud's gateway, is imported and
sourced by the real pipeline; the ops CLI reads the dead-letter queues."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.component.test_connectors import SECRET, SHOP, shopify_order

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_a_shopify_webhook_becomes_a_sourced_order(http: requests.Session, cloud_url: str) -> None:
    connector = http.post(
        f"{cloud_url}/connectors",
        json={
            "type": "SHOPIFY",
            "name": "e2e shop",
            "config": {"shop_domain": SHOP, "access_token": "shpat_e2e_token", "webhook_secret": SECRET},
        },
        timeout=10,
    ).json()
    assert connector["webhook_url"].startswith(f"{cloud_url}/_fn/ShopifyWebhookFunction/shopify/")
    shopify_id = int(time.time() * 1000) % 10**12
    body = json.dumps(shopify_order(shopify_id)).encode()
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Event-Id": str(uuid.uuid4()),
    }
    reply = requests.post(connector["webhook_url"], data=body, headers=headers, timeout=10)
    assert reply.status_code == 200 and reply.json() == {"queued": True}
    bad = requests.post(connector["webhook_url"], data=body + b" ", headers=headers, timeout=10)
    assert bad.status_code == 401
    deadline, order = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        items = http.get(f"{cloud_url}/orders?limit=100", timeout=10).json()["items"]
        order = next((o for o in items if o.get("external_order_id") == f"shopify:{SHOP}:{shopify_id}"), None)
        if order and order["status"] not in ("PENDING", "CONFIRMED", "SOURCING"):
            break
        time.sleep(0.3)
    assert order is not None and order["status"] in (
        "SOURCED",
        "PICKING",
        "PACKING",
        "READY_TO_SHIP",
        "SHIPPED",
    )


def test_the_ops_cli_lists_dead_letter_queues(cloud_url: str) -> None:
    out = subprocess.run(
        [sys.executable, "scripts/ops.py", "--api", cloud_url, "dlq", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    queues = {q["queue"] for q in json.loads(out.stdout)["items"]}
    assert queues == {"warehouse", "carrier", "webhooks", "webhook_deliveries", "connectors"}
