"""Returns arriving and being settled (issue 13, ADR 0038): receipts put sellable units back on
hand (adjustment RETURNED) and write damaged ones off (adjustment DAMAGED) in the same
transaction as the return and the order header; refunds and store credits; exchanges.

Each effect happens once: a receipt carries its key (the Idempotency-Key, else a new one) and its
adjustments are keyed by it; a refund is recorded with the return (conditioned on its version) and
the order's refunded total (conditioned on the order's version), so a repeat answers the same
refund and two concurrent refunds of one order are decided one after the other, each within what
is left of what was paid; an exchange order's id derives from the return."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from oms.adapters import jobs
from oms.domain import orders as order_rules
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict
from oms.domain.inventory import item_id_for
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import AdjustmentReason, Order, OrderCreate, Principal
from oms.domain.money import money_str
from oms.domain.network import Adjustment, InventoryItem
from oms.domain.return_requests import Condition, ReceiveRequest, Resolution, ReturnStatus
from oms.domain.returns import (
    Refund,
    Return,
    StoreCredit,
    apply_receipt,
    check_move,
    delivered_units,
    order_phase_after,
    received_units,
)
from oms.domain.returns_money import settlement
from oms.services import inventory, orders, workflows
from oms.services.context import repos
from oms.services.returns import event_data, order_after, policy_of, readable_return, settlement_id

_NS = uuid.UUID("5d0b8f6e-2c4a-4e1b-9a7f-3e8c1d2b4f60")
_TRIES = 5


# ------------------------------------------------------------------ receipts
def _items(principal: Principal, node_id: str, ret: Return, skus: list[str]) -> dict[str, InventoryItem]:
    """The node's stock items of the SKUs, created empty where the node has none yet."""
    names = {line.sku: line.product_name for line in ret.lines}
    wanted = {item_id_for(principal.tenant_id, node_id, sku): sku for sku in skus}
    found = {i.id: i for i in repos.stock.batch_get(principal.tenant_id, list(wanted), consistent=True)}
    for item_id, sku in wanted.items():
        if item_id in found:
            continue
        now = now_iso()
        with contextlib.suppress(Conflict):  # a concurrent receipt created it: fine
            repos.stock.insert(
                InventoryItem(
                    id=item_id,
                    tenant_id=principal.tenant_id,
                    node_id=node_id,
                    sku=sku,
                    product_name=names.get(sku),
                    on_hand=0,
                    reserved=0,
                    available=0,
                    reorder_level=0,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        item = repos.stock.get(principal.tenant_id, item_id)
        if item is not None:
            found[item_id] = item
    return {found[i].sku: found[i] for i in wanted if i in found}


def _adjustments(
    items: dict[str, InventoryItem], request: ReceiveRequest, ret: Return, key: str, actor: str, now: str
) -> tuple[list[tuple[InventoryItem, int, int]], list[Adjustment]]:
    per: dict[tuple[str, Condition], int] = {}
    for line in request.lines:
        per[(line.sku, line.condition)] = per.get((line.sku, line.condition), 0) + line.quantity
    running = {sku: item.on_hand for sku, item in items.items()}
    adjustments = []
    for (sku, condition), qty in sorted(per.items()):
        item = items[sku]
        delta = qty if condition is Condition.SELLABLE else 0
        before = running[sku]
        running[sku] = before + delta
        adjustments.append(
            Adjustment(
                id=str(uuid.uuid5(_NS, f"{ret.tenant_id}|{ret.id}|{key}|{sku}|{condition.value}")),
                item_id=item.id,
                node_id=item.node_id,
                sku=sku,
                reason=AdjustmentReason.RETURNED if delta else AdjustmentReason.DAMAGED,
                delta_on_hand=delta,
                delta_reserved=0,
                on_hand_before=before,
                on_hand_after=running[sku],
                reserved_before=item.reserved,
                reserved_after=item.reserved,
                note=f"{'returned' if delta else 'written off (damaged)'} on {ret.rma_number}: {qty} unit(s)",
                reference=f"return:{ret.rma_number}",
                actor=actor,
                created_at=now,
            )
        )
    changes = [(items[sku], running[sku] - items[sku].on_hand, 0) for sku in sorted(items)]
    return changes, adjustments


def receive(
    principal: Principal, return_id: str, request: ReceiveRequest, idempotency_key: str | None
) -> Return:
    """Units of an approved return arrived at a node of the tenant."""
    readable_return(principal, return_id)
    inventory.get_node(principal, request.node_id)  # 404 node_not_found: not the tenant's
    key = idempotency_key or str(uuid.uuid4())
    for _ in range(_TRIES):
        ret = readable_return(principal, return_id)
        if any(r.key == key for r in ret.receipts):
            return _after_receipt(principal, ret)  # a retried receipt: it took effect once
        order = repos.orders.require(principal.tenant_id, ret.order_id)
        now = now_iso()
        received = apply_receipt(ret, request, key, principal.actor, now)
        skus = sorted({line.sku for line in request.lines})
        items = _items(principal, request.node_id, ret, skus)
        changes, adjustments = _adjustments(items, request, ret, key, principal.actor, now)
        others = [r for r in repos.returns.of_order(principal.tenant_id, ret.order_id) if r.id != ret.id]
        after = [*others, received]
        data = event_data(
            received,
            node_id=request.node_id,
            received=[line.model_dump(mode="json") for line in request.lines],
        )
        updated = order_after(
            order,
            after,
            entry="return.received",
            data=data,
            actor=principal.actor,
            now=now,
            phase=order_phase_after(order, after),
        )
        try:
            repos.stock.apply_on_hand_changes(
                principal.tenant_id,
                changes,
                adjustments,
                now,
                order=(updated, order.version),
                also=[repos.returns.record_with_condition(received, ret.version)],
            )
        except Conflict as exc:
            if exc.code in ("concurrent_update", "stock_conflict"):
                continue  # the return, the order or an item moved: look again
            raise
        if any(line.condition is Condition.SELLABLE for line in request.lines):
            jobs.request_backorder_resource(principal.tenant_id, skus)
        return _after_receipt(principal, received)
    raise Conflict("the return is being changed by others; retry", code="concurrent_update")


def _after_receipt(principal: Principal, ret: Return) -> Return:
    """An EXCHANGE return all of whose units arrived gets its replacement order (also when a
    retried receipt finds the receipt applied and the order not made yet)."""
    if ret.resolution is Resolution.EXCHANGE and ret.status is ReturnStatus.RECEIVED:
        return exchange(principal, ret.id)
    return ret


# ------------------------------------------------------------------ refunds and credits
def _fully_refunded(order_status: OrderStatus, returns: list[Return], delivered: dict[str, int]) -> bool:
    got = received_units(returns)
    every_unit_back = all(got.get(sku, 0) >= q for sku, q in delivered.items())
    open_ones = [r for r in returns if r.status not in (ReturnStatus.REJECTED, *_SETTLED)]
    return every_unit_back and not open_ones and any(r.refund for r in returns)


_SETTLED = (ReturnStatus.REFUNDED, ReturnStatus.CREDITED, ReturnStatus.EXCHANGED)


def refund(principal: Principal, return_id: str) -> Return:
    """Settle a received return by its resolution: REFUND pays back (order.refunded), STORE_CREDIT
    records a credit. Idempotent: a settled return answers its settlement."""
    for _ in range(_TRIES):
        ret = readable_return(principal, return_id)
        if ret.resolution is Resolution.EXCHANGE:
            raise Conflict(
                "an exchange is settled by its replacement order when every unit arrives",
                code="return_is_exchange",
            )
        if ret.status in _SETTLED:
            return ret
        if ret.received_units == 0:
            raise Conflict("no unit of this return has been received yet", code="not_received")
        target = ReturnStatus.REFUNDED if ret.resolution is Resolution.REFUND else ReturnStatus.CREDITED
        check_move(ret, target)
        now = now_iso()
        order, returns, worth = _worth(principal, ret, now)
        update: dict[str, Any] = {
            "status": target,
            "settlement": worth,
            "version": ret.version + 1,
            "updated_at": now,
        }
        if target is ReturnStatus.REFUNDED:
            channel = "PENDING" if order.channel_link is not None else None
            update["refund"] = worth.model_copy(update={"channel_status": channel})
        else:
            update["store_credit"] = StoreCredit(id=worth.id, amount=worth.amount, currency=worth.currency)
        settled = ret.model_copy(update=update)
        after = [settled if r.id == ret.id else r for r in returns]
        if target is ReturnStatus.REFUNDED:
            data = {
                "return_id": ret.id,
                "refund_id": worth.id,
                "amount": money_str(worth.amount),
                "currency": worth.currency,
                "shipping": money_str(worth.shipping),
                "lines": [
                    {"sku": line.sku, "quantity": line.quantity, "amount": money_str(line.amount)}
                    for line in worth.lines
                ],
                "reason": "customer return",
            }
            done = _fully_refunded(order.status, after, delivered_units(order))
            updated = order_after(
                order,
                after,
                entry="order.refunded",
                data=data,
                actor=principal.actor,
                now=now,
                phase=OrderStatus.REFUNDED if done else None,
            )
        else:
            data = event_data(settled, store_credit_id=worth.id, amount=money_str(worth.amount))
            updated = order_after(
                order, after, entry="return.credited", data=data, actor=principal.actor, now=now
            )
        try:
            repos.returns.write(settled, ret.version, updated, order.version)
        except Conflict as exc:
            if exc.code == "concurrent_update":
                continue  # another refund of the order (or this one) got there first: decide again
            raise
        return settled
    raise Conflict("the order is being refunded by others; retry", code="concurrent_update")


# ------------------------------------------------------------------ exchanges
def exchange(principal: Principal, return_id: str) -> Return:
    """The replacement order of a received EXCHANGE return: its lines at the catalog's prices, the
    return's credit as its discount (up to its subtotal), sourced like any order. Its id derives
    from the return, so a retried receipt creates one order."""
    for _ in range(_TRIES):
        ret = readable_return(principal, return_id)
        if ret.status is ReturnStatus.EXCHANGED:
            return ret
        check_move(ret, ReturnStatus.EXCHANGED)
        now = now_iso()
        order, returns, credit = _worth(principal, ret, now)
        replacement = _replacement_order(principal, ret, order, credit.amount, now)
        settled = ret.model_copy(
            update={
                "status": ReturnStatus.EXCHANGED,
                "settlement": credit,
                "exchange_order_id": replacement,
                "version": ret.version + 1,
                "updated_at": now,
            }
        )
        after = [settled if r.id == ret.id else r for r in returns]
        data = event_data(settled, exchange_order_id=replacement, credit=money_str(credit.amount))
        updated = order_after(
            order, after, entry="return.exchanged", data=data, actor=principal.actor, now=now
        )
        try:
            repos.returns.write(settled, ret.version, updated, order.version)
        except Conflict as exc:
            if exc.code == "concurrent_update":
                continue
            raise
        return settled
    raise Conflict("the return is being changed by others; retry", code="concurrent_update")


def _replacement_order(principal: Principal, ret: Return, original: Any, credit: Any, now: str) -> str:
    request = OrderCreate.model_validate(
        {
            "channel": original.channel,
            "fulfillment_type": original.fulfillment_type,
            "customer_email": original.customer_email,
            "customer_name": original.customer_name,
            "customer_phone": original.customer_phone,
            "currency": original.currency,
            "line_items": [{"sku": line.sku, "quantity": line.quantity} for line in ret.exchange_lines],
            "shipping_address": original.shipping_address.model_dump() if original.shipping_address else None,
            "pickup_node_id": original.pickup_node_id,
            "notes": f"Exchange for return {ret.rma_number} of order {original.order_number}",
            "tags": ["exchange", f"exchange-of:{ret.rma_number}"[:50]],
        }
    )
    key = f"exchange:{ret.id}"
    order_id = order_rules.order_id_for(principal.tenant_id, key, None, request.channel.value)
    prices = repos.products.prices(principal.tenant_id, (line.sku for line in request.line_items))
    built = order_rules.build_order(
        request,
        order_id=order_id,
        principal=principal,
        now=now,
        catalog_prices=prices,
        idempotency_key=key,
        start_code=workflows.current(principal.tenant_id).anchor(OrderStatus.PENDING),
    )
    discount = min(credit, built.subtotal)
    first = built.events[0]
    built = built.model_copy(
        update={
            "discount_amount": discount,
            "total_amount": built.subtotal - discount,
            "customer_user_id": original.customer_user_id,
            "events": [
                first.model_copy(
                    update={
                        "data": {
                            **first.data,
                            "total_amount": str(built.subtotal - discount),
                            "exchange_of": ret.id,
                        }
                    }
                )
            ],
        }
    )
    stored, created = repos.orders.insert(built)
    if created:
        orders.start_intake(stored)
    return stored.id


# ------------------------------------------------------------------ the channel's answer
CHANNEL_STATUSES = ("PENDING", "DONE", "FAILED")


def record_channel_refund(tenant_id: str, return_id: str, refund_id: str, status: str) -> Return | None:
    """What the sales channel made of a refund (the connector worker's consumer of
    `order.refunded`, ADR 0040): `refund.channel_status` DONE or FAILED. A DONE refund stays DONE
    (a late FAILED of an earlier attempt changes nothing). None when the return or the refund is
    not there (another tenant's, or a refund id that is not this return's)."""
    if status not in CHANNEL_STATUSES:
        raise ValueError(f"channel status must be one of {CHANNEL_STATUSES}")
    for _ in range(_TRIES):
        ret = repos.returns.get(tenant_id, return_id)
        if ret is None or ret.refund is None or ret.refund.id != refund_id:
            return None
        if ret.refund.channel_status in (status, "DONE"):
            return ret
        updated = ret.model_copy(
            update={
                "refund": ret.refund.model_copy(update={"channel_status": status}),
                "version": ret.version + 1,
                "updated_at": now_iso(),
            }
        )
        try:
            repos.returns.save(updated, ret.version)
        except Conflict as exc:
            if exc.code == "concurrent_update":
                continue
            raise
        return updated
    raise Conflict("the return is being changed by others; retry", code="concurrent_update")


def _worth(principal: Principal, ret: Return, now: str) -> tuple[Order, list[Return], Refund]:
    """The return's order, the order's returns, and what the return is worth now."""
    order = repos.orders.require(principal.tenant_id, ret.order_id)
    returns = repos.returns.of_order(principal.tenant_id, ret.order_id)
    worth = settlement(
        order,
        ret,
        returns,
        policy_of(principal.tenant_id),
        settlement_id=settlement_id(ret, "settlement"),
        now=now,
    )
    return order, returns, worth
