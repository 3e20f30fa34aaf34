"""Refunds told to the sales channel an order came from (ADR 0040): `order.refunded` of a Shopify
order becomes a `refundCreate` (the returned lines, no restock, shipping, against the order's
payments), once per event; an Amazon order's refund is logged for a person to issue."""

from __future__ import annotations

from oms.adapters import shopify, shopify_outbound
from oms.domain.connectors import ConnectorType
from oms.domain.errors import TransientStoreError
from oms.domain.events import DomainEvent
from oms.domain.stock_sync import RefundProblem, refund_input, refund_marker
from oms.services import return_settlement, tasklog
from oms.services.connectors import credentials, note, record_failure, record_success
from oms.services.context import repos
from oms.services.shipments import channel_target

REFUND_EVENT = "order.refunded"


def push_refund(event: DomainEvent, attempt: int = 1) -> str:
    """Refund the channel order; raises to be retried by the queue."""
    target = channel_target(event, "refund_skipped")
    if isinstance(target, str):
        return target
    order, link, connector = target
    connector_id = link.connector_id
    data = dict(event.data or {})
    if not data.get("amount"):
        # a REFUNDED status set by hand (refunded elsewhere): no refund of ours to tell the channel
        note(event.tenant_id, connector_id, "refund_skipped", order_id=order.id, reason="no_refund_data")
        return "no_refund_data"
    data["refund_id"] = str(data.get("refund_id") or event.event_id)  # the marker names one refund
    if connector["type"] != ConnectorType.SHOPIFY.value:
        # SP-API has no refund call for merchant-fulfilled orders we could make safely: a person
        # issues it in Seller Central (ADR 0040)
        if repos.connectors.claim(event.tenant_id, connector_id, event.event_id) != "DONE":
            note(
                event.tenant_id,
                connector_id,
                "refund_manual",
                order_id=order.id,
                amazon_order_id=link.channel_order_id,
                amount=data.get("amount"),
                currency=data.get("currency"),
                refund_id=data.get("refund_id"),
            )
            repos.connectors.finish_claim(event.tenant_id, connector_id, event.event_id)
        return "manual"
    if repos.connectors.claim(event.tenant_id, connector_id, event.event_id) == "DONE":
        note(event.tenant_id, connector_id, "duplicate_event", event_id=event.event_id, order_id=order.id)
        return "duplicate"
    with tasklog.task("connector.push_refund", event.tenant_id, f"{connector_id}:{order.id}") as run:
        config = credentials(connector)
        try:
            shop_order = shopify_outbound.order_for_refund(config, link.channel_order_id)
            marker = refund_marker(data["refund_id"])
            existing = next((r for r in shop_order["refunds"] if marker in str(r.get("note") or "")), None)
            if existing is not None:  # an earlier attempt got through before it could say so
                result = str(existing.get("id") or "already-refunded")
            else:
                refund = refund_input(
                    shop_order["id"], data, shop_order["line_items"], shop_order["transactions"]
                )
                result = shopify_outbound.create_refund(config, refund)
        except (shopify.ShopifyRejected, RefundProblem, TransientStoreError) as exc:
            retryable = isinstance(exc, TransientStoreError)
            run.outcome = "retry" if retryable else "failure"
            note(
                event.tenant_id,
                connector_id,
                "refund_failed",
                order_id=order.id,
                refund_id=data.get("refund_id"),
                attempt=attempt,
                error=str(exc)[:500],
                will_retry=retryable,
            )
            record_failure(event.tenant_id, connector_id, str(exc))
            if retryable:
                raise
            _tell_the_return(event, data, "FAILED")
            return "rejected"
        record_success(event.tenant_id, connector)
        _tell_the_return(event, data, "DONE")
        repos.connectors.finish_claim(event.tenant_id, connector_id, event.event_id)
        note(
            event.tenant_id,
            connector_id,
            "refund_pushed",
            order_id=order.id,
            refund_id=data.get("refund_id"),
            amount=data.get("amount"),
            result=result,
            already=existing is not None,
        )
        run.details = {"result": result}
        return "refunded"


def _tell_the_return(event: DomainEvent, data: dict[str, object], status: str) -> None:
    """The return's `refund.channel_status` says what the channel made of its refund (ADR 0038)."""
    return_id, refund_id = data.get("return_id"), data.get("refund_id")
    if isinstance(return_id, str) and isinstance(refund_id, str):
        return_settlement.record_channel_refund(event.tenant_id, return_id, refund_id, status)
