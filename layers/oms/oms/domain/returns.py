"""Returns (RMA): the tenant's return policy, what a request may return, the return's state
machine and its receipts (issue 13, ADR 0038). Pure: no I/O; "now" is passed in.

A return belongs to one order. It may ask back only units that were delivered (or picked up),
within the tenant's window counted from the delivery, and never more than was delivered across
every return of the order (a REJECTED return takes nothing). Receipts come in parts and never
exceed what the return asked back; each unit is SELLABLE (back on hand) or DAMAGED (written off).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from oms.domain.clock import parse_iso
from oms.domain.errors import Conflict, DomainError, ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Order
from oms.domain.return_requests import (
    Condition,
    ExchangeLineIn,
    ReceiptLineIn,
    ReceiveRequest,
    Resolution,
    ReturnCreate,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
)

R = ReturnStatus
# The return's state machine: which status may follow which.
RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED}),
    R.APPROVED: frozenset({R.PARTIALLY_RECEIVED, R.RECEIVED, R.EXCHANGED}),
    R.PARTIALLY_RECEIVED: frozenset({R.PARTIALLY_RECEIVED, R.RECEIVED, R.REFUNDED, R.CREDITED, R.EXCHANGED}),
    R.RECEIVED: frozenset({R.REFUNDED, R.CREDITED, R.EXCHANGED}),
    R.REJECTED: frozenset(),
    R.REFUNDED: frozenset(),
    R.EXCHANGED: frozenset(),
    R.CREDITED: frozenset(),
}
RECEIVING = frozenset({R.APPROVED, R.PARTIALLY_RECEIVED})
SETTLED = frozenset({R.REFUNDED, R.EXCHANGED, R.CREDITED})
# Order phases in which every shipped unit counts as delivered.
_ALL_DELIVERED = frozenset(
    {
        OrderStatus.DELIVERED,
        OrderStatus.PICKED_UP,
        OrderStatus.PARTIALLY_RETURNED,
        OrderStatus.RETURNED,
        OrderStatus.REFUNDED,
    }
)
_SOME_DELIVERED = frozenset({OrderStatus.PARTIALLY_DELIVERED})


# ------------------------------------------------------------------ the return
class ReturnLine(BaseModel):
    sku: str
    product_name: str | None = None
    quantity: int
    reason: ReturnReason
    unit_price: Decimal
    received_sellable: int = 0
    received_damaged: int = 0

    @property
    def received(self) -> int:
        return self.received_sellable + self.received_damaged


class Receipt(BaseModel):
    """One receive call: what arrived where (its key makes a retried call a no-op)."""

    key: str
    node_id: str
    lines: list[ReceiptLineIn]
    at: str
    actor: str


class RefundLine(BaseModel):
    sku: str
    quantity: int
    amount: Decimal


class Refund(BaseModel):
    id: str
    amount: Decimal
    currency: str
    items_amount: Decimal
    discount: Decimal
    tax: Decimal
    shipping: Decimal
    restocking_fee: Decimal
    return_shipping_fee: Decimal = Decimal("0.00")
    lines: list[RefundLine]
    channel_status: str | None = None
    created_at: str


class StoreCredit(BaseModel):
    id: str
    amount: Decimal
    currency: str


class Return(BaseModel):
    id: str
    tenant_id: str
    rma_number: str
    order_id: str
    order_number: str
    status: ReturnStatus
    resolution: Resolution
    lines: list[ReturnLine]
    exchange_lines: list[ExchangeLineIn] = Field(default_factory=list)
    exchange_order_id: str | None = None
    refund: Refund | None = None
    store_credit: StoreCredit | None = None
    # what the return was worth when it was settled (a refund, a credit, an exchange's credit)
    settlement: Refund | None = None
    customer_email: str
    customer_user_id: str | None = None
    note: str | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    requested_by: str
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    receipts: list[Receipt] = Field(default_factory=list)
    version: int = 1
    created_at: str
    updated_at: str
    received_at: str | None = None

    def public(self) -> dict[str, Any]:
        data = self.model_dump(
            mode="json",
            exclude={
                "tenant_id",
                "customer_user_id",
                "idempotency_key",
                "request_fingerprint",
                "receipts",
                "version",
                "settlement",
            },
        )
        return data

    def customer_view(self) -> dict[str, Any]:
        data = self.public()
        for internal in ("decided_by", "requested_by", "decision_note"):
            data.pop(internal, None)
        return data

    def quantities(self) -> dict[str, int]:
        return {line.sku: line.quantity for line in self.lines}

    def received_quantities(self) -> dict[str, int]:
        return {line.sku: line.received for line in self.lines if line.received}

    @property
    def received_units(self) -> int:
        return sum(line.received for line in self.lines)


# ------------------------------------------------------------------ what was delivered
def delivered_units(order: Order) -> dict[str, int]:
    """Units per SKU the customer has: every shipped unit once the order is delivered (or picked
    up), the units shipped from the nodes whose shipments were delivered when it is partially
    delivered, none before."""
    status = order.status
    ever_delivered = status in _ALL_DELIVERED or any(
        h.status in (OrderStatus.DELIVERED, OrderStatus.PICKED_UP) for h in order.status_history
    )
    shipped = [a for a in order.allocations if a.state == "SHIPPED"]
    if ever_delivered:
        chosen = shipped
        if not chosen:  # an order without allocations (imported as delivered): its lines
            return {line.sku: line.quantity for line in order.line_items}
    elif status in _SOME_DELIVERED or any(s.delivered_at for s in order.shipments):
        delivered = [s for s in order.shipments if s.delivered_at]
        if any(s.node_id is None for s in delivered):
            chosen = shipped
        else:
            nodes = {s.node_id for s in delivered}
            chosen = [a for a in shipped if a.node_id in nodes]
    else:
        return {}
    units: dict[str, int] = {}
    for a in chosen:
        units[a.sku] = units.get(a.sku, 0) + a.quantity
    ordered = {line.sku: line.quantity for line in order.line_items}
    return {sku: min(q, ordered.get(sku, q)) for sku, q in units.items() if q > 0}


def delivered_at(order: Order) -> str | None:
    """When the order was delivered: the latest delivery a carrier reported, else the time it
    entered DELIVERED / PICKED_UP / PARTIALLY_DELIVERED."""
    times = [s.delivered_at for s in order.shipments if s.delivered_at]
    if times:
        return max(times)
    entered = [
        h.at
        for h in order.status_history
        if h.status in (OrderStatus.DELIVERED, OrderStatus.PICKED_UP, OrderStatus.PARTIALLY_DELIVERED)
    ]
    return max(entered) if entered else None


def taken_units(returns: list[Return], exclude: str | None = None) -> dict[str, int]:
    """Units per SKU the order's returns ask back (a REJECTED one takes nothing)."""
    taken: dict[str, int] = {}
    for r in returns:
        if r.status is ReturnStatus.REJECTED or r.id == exclude:
            continue
        for line in r.lines:
            taken[line.sku] = taken.get(line.sku, 0) + line.quantity
    return taken


def received_units(returns: list[Return]) -> dict[str, int]:
    """Units per SKU received back across the order's returns."""
    got: dict[str, int] = {}
    for r in returns:
        for line in r.lines:
            if line.received:
                got[line.sku] = got.get(line.sku, 0) + line.received
    return got


def check_request(
    order: Order, request: ReturnCreate, returns: list[Return], policy: ReturnPolicy, now: str
) -> list[ReturnLine]:
    """The lines of a new return, each at the unit price the order paid; or the refusal."""
    delivered = delivered_units(order)
    if not delivered:
        raise Conflict(
            "nothing of this order has been delivered or picked up yet",
            code="not_returnable",
            details={"status": order.status.value},
        )
    since = delivered_at(order)
    if since is not None:
        closes = parse_iso(since) + timedelta(days=policy.return_window_days)
        if parse_iso(now) > closes:
            raise Conflict(
                f"the return window of {policy.return_window_days} days closed",
                code="return_window_closed",
                details={"delivered_at": since, "window_days": policy.return_window_days},
            )
    lines_by_sku = {line.sku: line for line in order.line_items}
    unknown = [line.sku for line in request.lines if line.sku not in lines_by_sku]
    if unknown:
        raise ValidationFailed(
            "the order has no line with this sku",
            code="unknown_sku",
            details=[
                {"loc": ["body", "lines"], "msg": f"{sku} is not on the order", "type": "unknown_sku"}
                for sku in unknown
            ],
        )
    taken = taken_units(returns)
    out = []
    for line in request.lines:
        have = delivered.get(line.sku, 0)
        already = taken.get(line.sku, 0)
        if already + line.quantity > have:
            raise OverReturn(line.sku, have, already, line.quantity)
        paid = lines_by_sku[line.sku]
        out.append(
            ReturnLine(
                sku=line.sku,
                product_name=paid.product_name,
                quantity=line.quantity,
                reason=line.reason,
                unit_price=paid.unit_price,
            )
        )
    return out


class OverReceipt(DomainError):
    status, code = 422, "over_receipt"


class OverReturn(DomainError):
    status, code = 422, "over_return"

    def __init__(self, sku: str, delivered: int, already: int, requested: int) -> None:
        super().__init__(
            f"{sku}: {requested} asked back, but {delivered} delivered and {already} already in returns",
            details={"sku": sku, "delivered": delivered, "already_returned": already, "requested": requested},
        )


# ------------------------------------------------------------------ the state machine
def check_move(ret: Return, target: ReturnStatus) -> None:
    if target not in RETURN_TRANSITIONS[ret.status]:
        code = {
            ReturnStatus.APPROVED: "return_not_pending",
            ReturnStatus.REJECTED: "return_not_pending",
            ReturnStatus.PARTIALLY_RECEIVED: "return_not_approved",
            ReturnStatus.RECEIVED: "return_not_approved",
        }.get(target, "return_not_received")
        raise Conflict(
            f"a return in {ret.status.value} cannot become {target.value}",
            code=code,
            details={"status": ret.status.value},
        )


def decide(ret: Return, approve: bool, actor: str, note: str | None, now: str) -> Return:
    target = ReturnStatus.APPROVED if approve else ReturnStatus.REJECTED
    check_move(ret, target)
    return ret.model_copy(
        update={
            "status": target,
            "decided_by": actor,
            "decision_note": note,
            "version": ret.version + 1,
            "updated_at": now,
        }
    )


def apply_receipt(ret: Return, request: ReceiveRequest, key: str, actor: str, now: str) -> Return:
    """The return after a receipt: partial receipts add up, never beyond what it asked back."""
    if ret.status not in RECEIVING:
        raise Conflict(
            f"a return in {ret.status.value} does not take receipts",
            code="return_not_approved",
            details={"status": ret.status.value},
        )
    lines = {line.sku: line.model_copy() for line in ret.lines}
    incoming: dict[str, dict[Condition, int]] = {}
    for rl in request.lines:
        if rl.sku not in lines:
            raise ValidationFailed(
                f"{rl.sku} is not on this return",
                code="unknown_sku",
                details=[
                    {"loc": ["body", "lines"], "msg": f"{rl.sku} is not on the return", "type": "unknown_sku"}
                ],
            )
        per = incoming.setdefault(rl.sku, {})
        per[rl.condition] = per.get(rl.condition, 0) + rl.quantity
    for sku, per in incoming.items():
        line = lines[sku]
        arriving = sum(per.values())
        if line.received + arriving > line.quantity:
            raise OverReceipt(
                f"{sku}: {arriving} received now, {line.received} before, but only {line.quantity} approved",
                details={
                    "sku": sku,
                    "approved": line.quantity,
                    "already_received": line.received,
                    "received": arriving,
                },
            )
        line.received_sellable += per.get(Condition.SELLABLE, 0)
        line.received_damaged += per.get(Condition.DAMAGED, 0)
    new_lines = [lines[line.sku] for line in ret.lines]
    complete = all(line.received == line.quantity for line in new_lines)
    receipt = Receipt(key=key, node_id=request.node_id, lines=request.lines, at=now, actor=actor)
    return ret.model_copy(
        update={
            "lines": new_lines,
            "status": ReturnStatus.RECEIVED if complete else ReturnStatus.PARTIALLY_RECEIVED,
            "receipts": [*ret.receipts, receipt],
            "received_at": now,
            "version": ret.version + 1,
            "updated_at": now,
        }
    )


def order_phase_after(order: Order, returns: list[Return]) -> OrderStatus | None:
    """The phase the order's returns put it in (None: no move): RETURNED once every delivered
    unit is back, PARTIALLY_RETURNED once some are. A PARTIALLY_DELIVERED order keeps its phase
    while the rest is on its way (a closed phase would refuse that shipment's DELIVERED callback);
    its received units are counted all the same, and its next receipt once delivered moves it."""
    if order.status is OrderStatus.PARTIALLY_DELIVERED:
        return None
    got = received_units(returns)
    if not any(got.values()):
        return None
    delivered = delivered_units(order)
    if all(got.get(sku, 0) >= q for sku, q in delivered.items()):
        return OrderStatus.RETURNED
    return OrderStatus.PARTIALLY_RETURNED
