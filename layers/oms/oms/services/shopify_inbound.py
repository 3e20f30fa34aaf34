"""Shopify webhooks in: the Function URL verifies and queues (receive_shopify); the connector
worker applies each delivery once (process_shopify)."""

from __future__ import annotations

import json
from typing import Any

from oms.adapters import queues
from oms.config import settings
from oms.domain.connectors import (
    SHOPIFY_TOPICS,
    ConnectorStatus,
    ConnectorType,
    ImportProblem,
    shopify_hmac_valid,
    shopify_order,
)
from oms.services import orders as order_service
from oms.services import tasklog
from oms.services.connectors import (
    cancel_from_channel,
    credentials,
    note,
)
from oms.services.context import repos


def receive_shopify(
    tenant_id: str, connector_id: str, headers: dict[str, str], raw_body: bytes
) -> tuple[int, dict[str, Any]]:
    """The Function URL's work, kept to one read and one send so Shopify gets its answer within a
    second: verify the signature over the raw bytes, then queue. Nothing is stored for a request
    that fails verification."""
    h = {k.lower(): v for k, v in headers.items()}
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None or found[0].get("type") != ConnectorType.SHOPIFY.value:
        return 404, {"error": {"code": "connector_not_found", "message": "unknown connector"}}
    connector = found[0]
    if not shopify_hmac_valid(
        credentials(connector)["webhook_secret"], raw_body, h.get("x-shopify-hmac-sha256")
    ):
        return 401, {
            "error": {"code": "invalid_signature", "message": "X-Shopify-Hmac-Sha256 does not match"}
        }
    topic, event_id = (
        h.get("x-shopify-topic", ""),
        h.get("x-shopify-event-id") or h.get("x-shopify-webhook-id"),
    )
    if topic not in SHOPIFY_TOPICS:
        return 200, {"ignored": f"topic {topic!r} is not handled"}
    if not event_id:
        return 400, {"error": {"code": "missing_event_id", "message": "X-Shopify-Event-Id is required"}}
    if connector["status"] == ConnectorStatus.INACTIVE.value:
        return 200, {"ignored": "connector is inactive"}
    try:
        payload_text = raw_body.decode("utf-8")
        json.loads(payload_text)
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": {"code": "malformed_json", "message": "the body is not JSON"}}
    queues.send(
        str(settings().connector_queue_url),
        {
            "kind": "shopify",
            "tenant_id": tenant_id,
            "connector_id": connector_id,
            "topic": topic,
            "event_id": event_id,
            "triggered_at": h.get("x-shopify-triggered-at"),
            "body": payload_text,
        },
    )
    return 200, {"queued": True}


def process_shopify(tenant_id: str, connector_id: str, topic: str, event_id: str, body: str) -> str:
    """Apply one Shopify webhook (from the queue). Returns what happened."""
    with tasklog.task("connector.shopify_import", tenant_id, f"{connector_id}:{event_id}") as run:
        if repos.connectors.claim(tenant_id, connector_id, event_id) == "DONE":
            run.outcome = "skipped"
            note(tenant_id, connector_id, "duplicate_event", event_id=event_id, topic=topic)
            return "duplicate"
        found = repos.connectors.get(tenant_id, connector_id)
        if found is None:
            run.outcome = "skipped"
            return "connector_deleted"
        connector = found[0]
        payload = json.loads(body)
        cfg = connector["config"]
        try:
            imported = shopify_order(payload, connector_id, cfg["shop_domain"], cfg.get("pickup_node_id"))
            order, created = order_service.import_order(tenant_id, imported)
        except ImportProblem as exc:
            note(
                tenant_id,
                connector_id,
                "import_failed",
                event_id=event_id,
                topic=topic,
                reason=str(exc),
                shopify_order_id=payload.get("id"),
            )
            repos.connectors.finish_claim(tenant_id, connector_id, event_id)
            run.outcome, run.details = "failure", {"reason": str(exc)}
            return "import_failed"
        outcome = "imported" if created else "known"
        if topic == "orders/cancelled" or imported.cancelled:
            outcome = cancel_from_channel(tenant_id, connector_id, order, event_id)
        note(
            tenant_id,
            connector_id,
            f"order_{outcome}",
            event_id=event_id,
            topic=topic,
            order_id=order.id,
            order_number=order.order_number,
            shopify_order_id=payload.get("id"),
        )
        repos.connectors.finish_claim(tenant_id, connector_id, event_id)
        run.details = {"order_id": order.id, "result": outcome}
        return outcome
