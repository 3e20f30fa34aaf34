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

from oms.domain.clock import now_iso
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
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Triggered-At": now_iso(),
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
    assert queues == {
        "warehouse",
        "carrier",
        "webhooks",
        "webhook_deliveries",
        "connectors",
        "learning",
        "exceptions",
        "email_feedback",
        "actions",
        "stock_sync",
    }


def test_the_seeds_requests_work_through_the_gateway(http: requests.Session, cloud_url: str) -> None:
    """The KubeRiva seed's curl examples, as written (trailing slashes, its field names), and
    Shopify calling the public receiver beside the Function URL."""
    from tests.component.helpers import order_body

    shop, secret = "mystore.myshopify.com", "my-hmac-secret"
    connector = http.post(
        f"{cloud_url}/connectors/",
        json={
            "name": "My Shopify Store",
            "connector_type": "SHOPIFY",
            "direction": "BIDIRECTIONAL",
            "config": {
                "shop_url": shop,
                "access_token": "shpat_xxxxxxxxxxxx",
                "webhook_secret": secret,
                "api_version": "2024-01",
            },
        },
        timeout=10,
    )
    assert connector.status_code == 201, connector.text
    view = connector.json()
    assert view["connector_type"] == "SHOPIFY" and view["config"]["shop_domain"] == shop
    shopify_id = int(time.time() * 1000) % 10**12 + 7
    body = json.dumps(shopify_order(shopify_id)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(secret.encode(), body, hashlib.sha256).digest()
        ).decode(),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Triggered-At": now_iso(),
    }
    public = f"{cloud_url}{view['webhook_path']}"
    reply = requests.post(public, data=body, headers=headers, timeout=10)
    assert reply.status_code == 200 and reply.json() == {"queued": True}, reply.text
    # a byte over 0x7f in the signature header: refused (401), not a 500, on both receivers
    forged = {**headers, "X-Shopify-Hmac-Sha256": "\xe9" + headers["X-Shopify-Hmac-Sha256"][1:]}
    for url in (public, view["webhook_url"]):
        bad = requests.post(url, data=body, headers=forged, timeout=10)
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_signature", bad.text
    deadline, found = time.monotonic() + 30, None
    while time.monotonic() < deadline and found is None:
        items = http.get(f"{cloud_url}/orders/?limit=100", timeout=10).json()["items"]
        found = next((o for o in items if o.get("external_order_id") == f"shopify:{shop}:{shopify_id}"), None)
        time.sleep(0.3)
    assert found is not None
    created = http.post(f"{cloud_url}/orders/", json=order_body(), timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers.get("X-Request-Id")
    odd = http.post(f"{cloud_url}/orders", data=b"[" * 100_000, timeout=10)
    assert odd.status_code == 400 and odd.json()["error"]["code"] == "malformed_json", odd.text
