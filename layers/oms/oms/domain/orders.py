"""Building orders: identity, numbering, pricing and totals (pure). API orders are priced from
the catalog; channel orders keep the channel's own figures (two separate, explicit paths)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from oms.domain import audit
from oms.domain.audit import TrailBlock
from oms.domain.channels import ChannelLink
from oms.domain.errors import ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import (
    AuditEvent,
    ChannelOrderRequest,
    Order,
    OrderCreate,
    OrderFields,
    OrderLine,
    Principal,
    Role,
)
from oms.domain.money import to_money
from oms.domain.products import CatalogPrice
from oms.domain.workflow_graph import DEFAULT_TENANT_WORKFLOW, TenantWorkflow

# API orders and channel orders live in separate id spaces: nothing a client sends can derive the
# id of a channel's order (ADR 0013). The API space is the one every order used before.
_NAMESPACE = uuid.UUID("5b0c3d1e-7f0a-4c55-9b9e-6b1f3c2a9d10")
_CHANNEL_NAMESPACE = uuid.UUID("0c7d6a52-3f1e-5b8a-9e4d-2a6f8c1b7e93")


def order_id_for(
    tenant_id: str, idempotency_key: str | None, external_order_id: str | None, channel: str
) -> str:
    """Deterministic ids make duplicates impossible: a retried request maps to the same key, and
    the create is a conditional put on that key."""
    if external_order_id:
        return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}|ext|{channel}|{external_order_id}"))
    if idempotency_key:
        return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}|idem|{idempotency_key}"))
    return str(uuid.uuid4())


def channel_order_id_for(tenant_id: str, channel: str, account: str, channel_order_id: str) -> str:
    """The id of a channel's order: a redelivered or re-polled order maps to the same key. Not
    the connector: two connectors of one shop must not import its orders twice."""
    return str(uuid.uuid5(_CHANNEL_NAMESPACE, f"{tenant_id}|{channel}|{account}|{channel_order_id}"))


_LEGACY_SALES_CHANNEL = {"SHOPIFY": "WEB", "AMAZON": "MARKETPLACE"}  # as the imports set it


def legacy_channel_order_id(tenant_id: str, link: ChannelLink) -> str:
    """Where a channel order imported before the id spaces were split was stored: under the API
    space, from the external id `shopify:<shop>:<id>` / `amazon:<seller>:<id>`, which clients may
    no longer send."""
    external = f"{link.channel.lower()}:{link.account}:{link.channel_order_id}"
    return order_id_for(tenant_id, None, external, _LEGACY_SALES_CHANNEL[link.channel])


def order_number_for(order_id: str, created_at: str) -> str:
    """Human-friendly and derived from the id (50 random bits), so no counter is needed."""
    digest = base64.b32encode(uuid.UUID(order_id).bytes).decode()[:10]
    return f"ORD-{created_at[:10].replace('-', '')}-{digest}"


def fingerprint(request: BaseModel) -> str:
    """Hash of the validated request, so the same key with the same body replays."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _line_problem(index: int, msg: str, kind: str) -> dict[str, object]:
    return {"loc": ["line_items", index, "unit_price"], "msg": msg, "type": kind}


def price_lines(request: OrderCreate, catalog: Mapping[str, CatalogPrice]) -> list[OrderLine]:
    """Lines priced from the catalog, and only from it. A SKU without a sellable catalog price is
    refused (`unpriced_sku`), as is a client price that disagrees (`price_mismatch`: a stale cart
    must not silently change what the customer pays) or a price in another currency."""
    lines: list[OrderLine] = []
    problems: list[dict[str, object]] = []
    for number, line in enumerate(request.line_items, start=1):
        entry = catalog.get(line.sku)
        if entry is None:
            problems.append(
                _line_problem(number - 1, f"{line.sku} has no active price in the catalog", "unpriced_sku")
            )
            continue
        price = to_money(entry.price)
        if entry.currency != request.currency:
            problems.append(
                _line_problem(
                    number - 1,
                    f"{line.sku} is priced in {entry.currency}, the order is in {request.currency}",
                    "currency_mismatch",
                )
            )
            continue
        if line.unit_price is not None and to_money(line.unit_price) != price:
            problems.append(
                _line_problem(number - 1, f"catalog price of {line.sku} is {price}", "price_mismatch")
            )
            continue
        lines.append(_line(number, line.sku, line.product_name or entry.name, line.quantity, price))
    if problems:
        unpriced = any(p["type"] == "unpriced_sku" for p in problems)
        raise ValidationFailed(
            "Some line items could not be priced from the catalog",
            details=problems,
            code="unpriced_sku" if unpriced else None,
        )
    return lines


def _line(number: int, sku: str, name: str | None, quantity: int, price: Decimal) -> OrderLine:
    return OrderLine(
        line_number=number,
        sku=sku,
        product_name=name,
        quantity=quantity,
        unit_price=price,
        line_total=to_money(price * quantity),
    )


@dataclass(frozen=True)
class Totals:
    """An order's money. Every figure is non-negative and the discount never exceeds what it
    discounts (the goods, and the shipping a channel may have waived)."""

    subtotal: Decimal
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    total: Decimal | None = None  # a channel's own total (taxes may be included in its prices)

    def checked(self) -> Totals:
        figures = {
            "subtotal": self.subtotal,
            "shipping_amount": self.shipping,
            "tax_amount": self.tax,
            "discount_amount": self.discount,
        }
        if self.total is not None:
            figures["total_amount"] = self.total
        problems: list[dict[str, object]] = [
            {"loc": [name], "msg": "must not be negative", "type": "negative_amount"}
            for name, value in figures.items()
            if value < 0
        ]
        if self.discount > self.subtotal + self.shipping:
            problems.append(
                {
                    "loc": ["discount_amount"],
                    "msg": f"discount {to_money(self.discount)} exceeds the order value "
                    f"{to_money(self.subtotal + self.shipping)}",
                    "type": "discount_exceeds_subtotal",
                }
            )
        if problems:
            raise ValidationFailed("the order's amounts are not consistent", details=problems)
        total = self.subtotal + self.shipping + self.tax - self.discount if self.total is None else self.total
        return Totals(
            to_money(self.subtotal),
            to_money(self.shipping),
            to_money(self.tax),
            to_money(self.discount),
            to_money(total),
        )


def build_order(
    request: OrderCreate,
    *,
    order_id: str,
    principal: Principal,
    now: str,
    catalog_prices: Mapping[str, CatalogPrice],
    idempotency_key: str | None,
    start_code: str | None = None,
) -> Order:
    """An order made through the API: priced from the catalog, totals computed on the server
    (the subtotal; an API client states no shipping, tax or discount)."""
    lines = price_lines(request, catalog_prices)
    totals = Totals(subtotal=sum((line.line_total for line in lines), Decimal("0"))).checked()
    order = _assemble(
        request,
        lines,
        totals,
        order_id=order_id,
        actor=principal.actor,
        tenant_id=principal.tenant_id,
        now=now,
        idempotency_key=idempotency_key,
        channel_link=None,
        start_code=start_code,
    )
    if principal.role is Role.CUSTOMER:  # a shopper's own order: theirs by account, never by email
        order = order.model_copy(update={"customer_user_id": principal.user_id})
    return order


def build_channel_order(
    request: ChannelOrderRequest,
    totals: Totals,
    link: ChannelLink,
    *,
    tenant_id: str,
    now: str,
    start_code: str | None = None,
) -> Order:
    """An order a sales channel sold: its lines at the channel's prices and its own totals (the
    sale happened there; the catalog is not consulted), linked to the channel by the server."""
    lines = [
        _line(number, line.sku, line.product_name, line.quantity, to_money(line.unit_price))
        for number, line in enumerate(request.line_items, start=1)
    ]
    return _assemble(
        request,
        lines,
        totals.checked(),
        order_id=channel_order_id_for(tenant_id, link.channel, link.account, link.channel_order_id),
        actor=f"connector:{link.connector_id}",
        tenant_id=tenant_id,
        now=now,
        idempotency_key=None,
        channel_link=link,
        start_code=start_code,
    )


def _assemble(
    request: OrderFields,
    lines: list[OrderLine],
    totals: Totals,
    *,
    order_id: str,
    actor: str,
    tenant_id: str,
    now: str,
    idempotency_key: str | None,
    channel_link: ChannelLink | None,
    start_code: str | None = None,
) -> Order:
    """`start_code`: the tenant workflow's start status (the anchor of PENDING)."""
    code = start_code or OrderStatus.PENDING.value
    total = totals.total if totals.total is not None else totals.subtotal
    return Order(
        id=order_id,
        tenant_id=tenant_id,
        order_number=order_number_for(order_id, now),
        status=OrderStatus.PENDING,
        status_code=code,
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
        subtotal=totals.subtotal,
        shipping_amount=totals.shipping,
        tax_amount=totals.tax,
        discount_amount=totals.discount,
        total_amount=total,
        external_order_id=request.external_order_id,
        channel_link=channel_link,
        notes=request.notes,
        tags=list(request.tags),
        events=[
            AuditEvent(
                seq=1,
                type="order.created",
                at=now,
                actor=actor,
                to_status=OrderStatus.PENDING,
                to_code=code,
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
    workflow: TenantWorkflow | None = None,
    code: str | None = None,
    **changes: object,
) -> Order:
    """The next version of `order` in phase `target`, with its history and audit trail appended.

    Checks the tenant's graph (ADR 0035) from the order's current code: to `code` (a person's
    choice, which must be of phase `target`) or else to the anchor of `target` (the machine's
    move). The caller writes the result conditioned on the old version."""
    graph = workflow or DEFAULT_TENANT_WORKFLOW
    if code is None:
        to_code = graph.check(order.status, order.status_code, target)
    else:
        if graph.phase_of(code) != target:
            raise ValueError(f"{code} is not a status of phase {target.value}")
        graph.check_move(order.status, order.status_code, code)
        to_code = code
    return record_event(
        order,
        event_type,
        actor=actor,
        now=now,
        data=data,
        to_status=target,
        to_code=to_code,
        reason=reason,
        anchor=code is None or graph.is_anchor(code),
        **changes,
    )


def record_event(
    order: Order,
    event_type: str,
    *,
    actor: str,
    now: str,
    data: dict[str, object] | None = None,
    to_status: OrderStatus | None = None,
    to_code: str | None = None,
    reason: str | None = None,
    anchor: bool = True,
    **changes: object,
) -> Order:
    """Append an audit event (and, with `to_status`, a status change) to a new order version."""
    payload = dict(data or {})
    if reason:
        payload.setdefault("reason", reason)
    changing = to_status is not None
    code = (to_code or (to_status.value if to_status is not None else None)) if changing else None
    event = AuditEvent(
        seq=audit.last_seq(order.events) + 1,
        type=event_type,
        at=now,
        actor=actor,
        from_status=order.status if changing else None,
        to_status=to_status,
        from_code=order.code if changing else None,
        to_code=code,
        anchor=None if anchor or not changing else False,
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
        update["status_code"] = code
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
    blocks to store before that header is written (ADR 0018)."""
    kept, past, cut, blocks = audit.split_trail(order.events, order.past, order.past_cut)
    if not blocks:
        return order, []
    return order.model_copy(update={"events": kept, "past": past, "past_cut": cut}), blocks
