"""Domain events leave the system as signed webhooks through the real pipe on the local cloud:
orders table stream -> publisher -> event bus -> queue -> dispatcher -> a receiver on loopback."""

from __future__ import annotations

import json
import time

import pytest
import requests

from oms.domain.webhooks import verify_signature
from tests.e2e.test_local_cloud_e2e import order, wait_for
from tests.fakes import Receiver

pytestmark = pytest.mark.e2e


def test_an_order_is_announced_to_a_subscriber(http: requests.Session, cloud_url: str) -> None:
    from oms.domain.orders import order_id_for

    key = f"e2e-webhook-{time.time_ns()}"
    order_id = order_id_for("demo", key, None, "WEB")  # known before it exists
    receiver = Receiver()
    receiver.script = [503]  # this order's first delivery fails once: it is retried a second later
    receiver.script_match = order_id.encode()  # other tests' orders are announced too
    try:
        endpoint = http.post(
            f"{cloud_url}/webhooks/endpoints",
            json={"url": receiver.url, "event_types": ["order.created", "order.delivered"]},
            timeout=10,
        ).json()
        created = http.post(
            f"{cloud_url}/orders", json=order(), headers={"Idempotency-Key": key}, timeout=10
        ).json()
        assert created["id"] == order_id
        wait_for(http, cloud_url, created["id"], {"DELIVERED"})
        deadline = time.monotonic() + 30
        mine: list[dict] = []
        while time.monotonic() < deadline:
            mine = [
                json.loads(r["body"])["type"]
                for r in receiver.requests
                if json.loads(r["body"])["data"]["order_id"] == created["id"]
            ]
            if mine.count("order.created") >= 2 and "order.delivered" in mine:
                break
            time.sleep(0.2)
        assert mine.count("order.created") == 2 and mine.count("order.delivered") == 1, mine
        assert all(
            verify_signature(
                endpoint["secret"],
                r["headers"]["X-OMS-Signature"],
                r["headers"]["X-OMS-Timestamp"],
                r["body"],
                time.time(),
            )
            for r in receiver.requests
        )
        log_url = f"{cloud_url}/webhooks/events?endpoint_id={endpoint['id']}"
        log = http.get(log_url, timeout=10).json()["items"]
        from oms.domain.events import event_id_for

        first = next(
            d for d in log if d["event_id"] == event_id_for("demo", order_id, 1)
        )  # its order.created
        assert [a["status_code"] for a in first["attempts"]] == [503, 200] and first["state"] == "DELIVERED"
    finally:
        receiver.server.shutdown()
