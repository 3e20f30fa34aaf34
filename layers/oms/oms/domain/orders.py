"""Building orders: identity, numbering, pricing and totals (pure)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal

from oms.domain import audit
from oms.domain.audit import TrailBlock
from oms.domain.errors import ValidationFailed
from oms.domain.lifecycle import DEFAULT_WORKFLOW, OrderStatus, Workflow
from oms.domain.models import AuditEvent, Order, OrderCreate, OrderLine, Principal
from oms.domain.money import to_money

_NAMESPACE = uuid.UUID("5b0c3d1e-7f0a-4c55-9b9e-6b1f3c2a9d10")


def order_id_for(
    tenant_id: str, idempotency_key: str | None, external_order_id: str | None, channel: str
) -> str:
    """Deterministic ids make duplicates impossible: a retried request or a re-delivered
    marketplace order maps to the same key, and the create is a conditional put on that key."""
    if external_order_id:
        return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}|ext|{channel}|{external_order_id}"))
    if idempotency_key:
        return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}|idem|{idempotency_key}"))
    return str(uuid.uuid4())


def order_number_for(order_id: str, created_at: str) -> str:
    """Human-friendly and derived from the id (50 random bits), so no counter is needed."""
    digest = base64.b32encode(uuid.UUID(order_id).bytes).decode()[:10]
    return f"ORD-{created_at[:10].replace('-', '')}-{digest}"


def fingerprint(request: OrderCreate) -> str:
    """Hash of the validated request, so the same key with the same body replays."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_order(
    request: OrderCreate,
    *,
    order_id: str,
    principal: Principal,
    now: str,
    catalog_prices: Mapping[str, Decimal],
    idempotency_key: str | None,
) -> Order:
    """Price the lines and compute totals on the server.

    A SKU in the tenant's catalog is priced from the catalog: a client price that disagrees is
    refused (a stale cart must not silently change what the customer pays). A SKU outside the
    catalog (marketplace orders) keeps the price the channel charged, which is then required.
    """
    lines: list[OrderLine] = []
    problems: list[dict[str, object]] = []
    for number, line in enumerate(request.line_items, start=1):
        catalog = catalog_prices.get(line.sku)
        if catalog is not None:
            if line.unit_price is not None and to_money(line.unit_price) != to_money(catalog):
                problems.append(
                    {
                        "loc": ["line_items", number - 1, "unit_price"],
                        "msg": f"catalog price of {line.sku} is {to_money(catalog)}",
                        "type": "price_mismatch",
                    }
                )
                continue
            price = to_money(catalog)
        elif line.unit_price is not None:
            price = to_money(line.unit_price)
        else:
            problems.append(
                {
                    "loc": ["line_items", number - 1, "unit_price"],
                    "msg": f"{line.sku} is not in the catalog, so unit_price is required",
                    "type": "missing",
                }
            )
            continue
        lines.append(
            OrderLine(
                line_number=number,
                sku=line.sku,
                product_name=line.product_name,
                quantity=line.quantity,
                unit_price=price,
                line_total=to_money(price * line.quantity),
            )
        )
    if problems:
        raise ValidationFailed("Some line items could not be priced", details=problems)

    subtotal = to_money(sum((line.line_total for line in lines), Decimal("0")))
    total = to_money(subtotal + request.shipping_amount + request.tax_amount - request.discount_amount)
    if total < 0:
        raise ValidationFailed(
            "discount_amount exceeds the order value",
            details=[{"loc": ["discount_amount"], "msg": "total would be negative", "type": "value_error"}],
        )
    actor = f"user:{principal.email}"
    return Order(
        id=order_id,
        tenant_id=principal.tenant_id,
        order_number=order_number_for(order_id, now),
        status=OrderStatus.PENDING,
        version=1,
        channel=request.channel,
        fulfillment_type=request.fulfillment_type,
        customer_email=request.customer_email,
        customer_name=request.customer_name,
        customer_phone=request.customer_phone,
        currency=request.currency,
        line_items=lines,
        shipping_address=request.shipping_address,
        pickup_node_id=request.pickup_node_id,
        subtotal=subtotal,
        shipping_amount=to_money(request.shipping_amount),
        tax_amount=to_money(request.tax_amount),
        discount_amount=to_money(request.discount_amount),
        total_amount=total,
        external_order_id=request.external_order_id,
        notes=request.notes,
        tags=request.tags,
        events=[
            AuditEvent(
                seq=1,
                type="order.created",
                at=now,
                actor=actor,
                to_status=OrderStatus.PENDING,
                data={"total_amount": str(total), "lines": len(lines)},
            )
        ],
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(request),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


# ------------------------------------------------------------------ changing an order
def advance(
    order: Order,
    target: OrderStatus,
    *,
    actor: str,
    now: str,
    event_type: str,
    reason: str | None = None,
    data: dict[str, object] | None = None,
    workflow: Workflow | None = None,
    **changes: object,
) -> Order:
    """The next version of `order` in `target`, with its history and audit trail appended.

    Checks the transition table; the caller writes the result conditioned on the old version.
    """
    (workflow or DEFAULT_WORKFLOW).check(order.status, target)
    return record_event(
        order, event_type, actor=actor, now=now, data=data, to_status=target, reason=reason, **changes
    )


def record_event(
    order: Order,
    event_type: str,
    *,
    actor: str,
    now: str,
    data: dict[str, object] | None = None,
    to_status: OrderStatus | None = None,
    reason: str | None = None,
    **changes: object,
) -> Order:
    """Append an audit event (and, with `to_status`, a status change) to a new order version."""
    payload = dict(data or {})
    if reason:
        payload.setdefault("reason", reason)
    event = AuditEvent(
        seq=audit.last_seq(order.events) + 1,
        type=event_type,
        at=now,
        actor=actor,
        from_status=order.status if to_status is not None else None,
        to_status=to_status,
        data=payload,
    )
    update: dict[str, object] = {
        "version": order.version + 1,
        "updated_at": now,
        "events": [*order.events, event],
        **changes,
    }
    if to_status is not None:
        update["status"] = to_status
    return order.model_copy(update=update)


def seen_event(order: Order, event_id: str | None) -> bool:
    """Has a callback with this sender id already been applied to the order, as far as its header
    knows? When `ask_stored_trail` is also true, the answer may be in the stored blocks."""
    return audit.seen_callback(order.events, order.past, event_id)


def ask_stored_trail(order: Order, event_id: str | None) -> bool:
    """Only when the header's digest of stored entries was cut can a sender id be in a stored
    block and nowhere in the header."""
    return bool(event_id) and order.past_cut > 0


def split_trail(order: Order) -> tuple[Order, list[TrailBlock]]:
    """The order as its header stores it (the first entry and the current block), and the complete
    blocks to store before that header is written (ADR 0012)."""
    kept, past, cut, blocks = audit.split_trail(order.events, order.past, order.past_cut)
    if not blocks:
        return order, []
    return order.model_copy(update={"events": kept, "past": past, "past_cut": cut}), blocks
