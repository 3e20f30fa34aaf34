"""Shopify webhooks in: the Function URL (or the API's public receiver) verifies and queues
(receive_shopify); the connector worker applies each delivery once (process_shopify).

What is trusted is what Shopify signed: the raw body. The headers are not signed, so each is
checked against something that is: the signature (bytes against bytes), the shop against the
connector's configured shop, the delivery's age (`X-Shopify-Triggered-At`, and the signed body's
`updated_at`), and a cancellation only when the signed body carries `cancelled_at`."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from oms.adapters import queues
from oms.config import settings
from oms.domain.clock import utcnow
from oms.domain.connectors import (
    SHOPIFY_TOPICS,
    ConnectorStatus,
    ConnectorType,
    ImportProblem,
    shop_domain_matches,
    shopify_hmac_valid,
    shopify_order,
    shopify_staleness,
    signed_staleness,
)
from oms.services import orders as order_service
from oms.services import tasklog
from oms.services.connectors import (
    cancel_from_channel,
    credentials,
    direction,
    note,
)
from oms.services.context import repos

log = logging.getLogger("oms.shopify")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")

Reply = tuple[int, dict[str, Any]]


def _error(status: int, code: str, message: str) -> Reply:
    return status, {"error": {"code": code, "message": message, "details": None}}


def _refuse(status: int, code: str, message: str, connector_id: str) -> Reply:
    log.warning("shopify delivery to connector %s refused: %s (%s)", connector_id, code, message)
    return _error(status, code, message)


def _not_found(connector_id: str) -> Reply:
    return _refuse(404, "connector_not_found", "unknown connector", connector_id[:64])


def receive_public(connector_id: str, headers: dict[str, str], raw_body: bytes) -> Reply:
    """`POST /connectors/{id}/webhook` on the API: no token, so the tenant comes from the
    connector-id index (one id, one tenant; data/connectors.py); the signature made with that
    tenant's connector secret is the authentication, as on the Function URL."""
    if not _ID.match(connector_id):
        return _not_found(connector_id)
    tenant_id = repos.connectors.owner(connector_id)
    if tenant_id is None:
        return _not_found(connector_id)
    return receive_shopify(tenant_id, connector_id, headers, raw_body)


def receive_shopify(tenant_id: str, connector_id: str, headers: dict[str, str], raw_body: bytes) -> Reply:
    """The receiver's work, kept to one read and one send so Shopify gets its answer within a
    second: verify the signature over the raw bytes, check the unsigned headers against the
    connector and the clock, then queue. Nothing is stored for a refused delivery."""
    h = {str(k).lower(): v for k, v in headers.items()}
    if not (_ID.match(tenant_id) and _ID.match(connector_id)):
        return _not_found(connector_id)
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None or found[0].get("type") != ConnectorType.SHOPIFY.value:
        return _not_found(connector_id)
    connector = found[0]
    if connector.get("tenant_id", tenant_id) != tenant_id:  # never another tenant's connector
        return _not_found(connector_id)
    config = connector["config"]
    if not shopify_hmac_valid(
        credentials(connector)["webhook_secret"], raw_body, h.get("x-shopify-hmac-sha256")
    ):
        return _refuse(401, "invalid_signature", "X-Shopify-Hmac-Sha256 does not match", connector_id)
    if not shop_domain_matches(config["shop_domain"], h.get("x-shopify-shop-domain")):
        return _refuse(
            401, "shop_mismatch", "X-Shopify-Shop-Domain is not this connector's shop", connector_id
        )
    now = utcnow()
    stale = shopify_staleness(h.get("x-shopify-triggered-at"), now)
    if stale is not None:
        return _refuse(401, "stale_delivery", stale, connector_id)
    topic, event_id = (
        h.get("x-shopify-topic", ""),
        h.get("x-shopify-event-id") or h.get("x-shopify-webhook-id"),
    )
    if topic not in SHOPIFY_TOPICS:
        return 200, {"ignored": f"topic {str(topic)[:100]!r} is not handled"}
    if not event_id or len(event_id) > 200:
        return _error(400, "missing_event_id", "X-Shopify-Event-Id is required")
    if connector["status"] == ConnectorStatus.INACTIVE.value:
        return 200, {"ignored": "connector is inactive"}
    if not direction(connector).takes_orders:
        return 200, {"ignored": "the connector's direction is OUTBOUND: it takes no orders in"}
    try:
        payload_text = raw_body.decode("utf-8")
        payload = json.loads(payload_text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _error(400, "malformed_json", "the body is not JSON")
    if not isinstance(payload, dict):
        return _error(400, "malformed_json", "the body is not an order")
    stale = signed_staleness(payload, now)
    if stale is not None:
        return _refuse(401, "stale_delivery", stale, connector_id)
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
        if imported.cancelled:  # the signed body says so; the topic header is not signed
            outcome = cancel_from_channel(tenant_id, connector_id, order, event_id)
        elif topic == "orders/cancelled":
            note(
                tenant_id,
                connector_id,
                "cancel_ignored",
                event_id=event_id,
                order_id=order.id,
                reason="orders/cancelled without cancelled_at in the signed body",
            )
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
