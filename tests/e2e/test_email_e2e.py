"""Customer email on the embedded local cloud (ADR 0036): an order that reaches DELIVERED on its
own gets its confirmation, shipped (with tracking) and delivered emails, once each, through the
workflow's actions, SES (moto) and the local mailbox the dashboard shows."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.component.helpers import order_body

pytestmark = pytest.mark.e2e


def _mail_for(url: str, to: str, templates: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        reply = requests.get(f"{url}/local/mailbox", timeout=10)
        assert reply.status_code == 200, reply.text
        found = [m for m in reply.json()["messages"] if to in m["to"]]
        if len(found) >= templates:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{len(found)} emails to {to}: {[m['subject'] for m in found]}")


def test_an_order_s_emails_reach_the_local_mailbox_once_each(http: requests.Session, cloud_url: str) -> None:
    to = f"mail-{uuid.uuid4().hex[:8]}@example.com"
    body = order_body(
        customer_email=to, customer_name="Mail Reader", line_items=[{"sku": "SKU-WIDGET-A", "quantity": 1}]
    )
    created = http.post(f"{cloud_url}/orders", json=body, timeout=10)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    mail = _mail_for(cloud_url, to, 3)
    subjects = sorted(m["subject"] for m in mail)
    assert len(subjects) == 3, subjects
    assert any("confirmed" in s for s in subjects) and any("shipped" in s for s in subjects)
    assert any("delivered" in s for s in subjects)
    order = http.get(f"{cloud_url}/orders/{order_id}", timeout=10).json()
    shipped = next(m for m in mail if "shipped" in m["subject"])
    assert order["shipments"][0]["tracking_number"] in shipped["text"]
    assert shipped["html"] and shipped["from"] and shipped["sent_at"]
    log = http.get(f"{cloud_url}/orders/{order_id}/emails", timeout=10).json()["items"]
    assert sorted(e["status"] for e in log) == ["SENT", "SENT", "SENT"]
    assert {e["message_id"] for e in log} == {m["id"] for m in mail}
