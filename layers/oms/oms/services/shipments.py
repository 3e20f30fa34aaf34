"""Shipments pushed back to the sales channel an order came from (Shopify fulfilment, Amazon
confirmShipment), once per shipped event."""

from __future__ import annotations

from typing import Any

from oms.adapters import shopify, spapi
from oms.domain.channels import ChannelLink
from oms.domain.clock import now_iso
from oms.domain.connectors import (
    ConnectorStatus,
    ConnectorType,
)
from oms.domain.errors import TransientStoreError
from oms.domain.events import DomainEvent
from oms.domain.models import Order
from oms.services import tasklog
from oms.services.connectors import (
    credentials,
    direction,
    note,
    record_failure,
    record_success,
)
from oms.services.context import repos


def channel_target(event: DomainEvent, skipped: str) -> tuple[Order, ChannelLink, dict[str, Any]] | str:
    """The order an event is about, its channel link and the connector to tell; or why the
    channel is not told (a reason word). `skipped` names the log entry of a connector that now
    points elsewhere (another shop or seller: its channel has no such order)."""
    order = repos.orders.get(event.tenant_id, event.order_id)
    if order is None:
        return "no_order"
    link = order.channel_link  # set by an import only: never a client's tags or external id
    if link is None:
        return "not_imported"
    found = repos.connectors.get(event.tenant_id, link.connector_id)
    if found is None or found[0]["status"] == ConnectorStatus.INACTIVE.value:
        return "connector_unavailable"
    connector = found[0]
    if not _same_channel(connector, link):
        note(event.tenant_id, link.connector_id, skipped, order_id=order.id, reason="connector_changed")
        return "connector_changed"
    if not direction(connector).pushes_shipments:  # an INBOUND-only connector
        return "outbound_disabled"
    return order, link, connector


def push_shipment(event: DomainEvent, attempt: int = 1) -> str:
    """order.shipped of an order a connector imported: tell the channel (fulfilment with tracking
    for Shopify, confirmShipment for Amazon). Raises to be retried by the queue."""
    target = channel_target(event, "push_skipped")
    if isinstance(target, str):
        return target
    order, link, connector = target
    connector_id = link.connector_id
    if repos.connectors.claim(event.tenant_id, connector_id, event.event_id) == "DONE":
        note(event.tenant_id, connector_id, "duplicate_event", event_id=event.event_id, order_id=order.id)
        return "duplicate"
    shipment = order.shipments[-1] if order.shipments else None
    tracking = (shipment.tracking_number if shipment else "") or ""
    carrier = (shipment.carrier if shipment else "") or "Other"
    external = link.channel_order_id
    with tasklog.task("connector.push_shipment", event.tenant_id, f"{connector_id}:{order.id}") as run:
        try:
            if connector["type"] == ConnectorType.SHOPIFY.value:
                result = shopify.push_fulfilment(credentials(connector), external, carrier, tracking)
            else:
                _confirm_amazon(connector, order, external, carrier, tracking)
                result = "confirmed"
        except (shopify.ShopifyRejected, spapi.AmazonRejected, TransientStoreError) as exc:
            retryable = isinstance(exc, TransientStoreError)
            run.outcome = "retry" if retryable else "failure"
            note(
                event.tenant_id,
                connector_id,
                "push_failed",
                order_id=order.id,
                attempt=attempt,
                error=str(exc)[:500],
                will_retry=retryable,
            )
            record_failure(event.tenant_id, connector_id, str(exc))
            if retryable:
                raise
            return "rejected"
        record_success(event.tenant_id, connector)
        repos.connectors.finish_claim(event.tenant_id, connector_id, event.event_id)
        note(
            event.tenant_id,
            connector_id,
            "shipment_pushed",
            order_id=order.id,
            result=result,
            tracking=tracking,
        )
        run.details = {"result": result}
        return result


def _same_channel(connector: dict[str, Any], link: ChannelLink) -> bool:
    config = connector.get("config") or {}
    account = config.get("shop_domain") if link.channel == "SHOPIFY" else config.get("seller_id")
    return bool(connector.get("type") == link.channel and account == link.account)


def _confirm_amazon(
    connector: dict[str, Any], order: Order, amazon_id: str, carrier: str, tracking: str
) -> None:
    cfg = credentials(connector)
    client = spapi.SpApiClient(cfg)
    # confirmShipment names Amazon's order item ids; the order tells them by seller SKU
    item_ids = {
        str((item.get("product") or {}).get("sellerSku")): str(item.get("orderItemId"))
        for item in client.get_order(amazon_id).get("orderItems") or []
    }
    package_number = max(len(order.shipments), 1)
    payload = {
        "marketplaceId": cfg["marketplace_ids"][0],
        "packageDetail": {
            # stable per order and package: a retried confirmation edits instead of adding
            "packageReferenceId": f"{order.order_number}-{package_number}",
            "carrierCode": carrier,
            "trackingNumber": tracking,
            "shipDate": (order.shipments[-1].shipped_at if order.shipments else now_iso()),
            "orderItems": [
                {"orderItemId": item_ids[line.sku], "quantity": line.quantity}
                for line in order.line_items
                if line.sku in item_ids
            ],
        },
    }
    client.confirm_shipment(amazon_id, payload)
