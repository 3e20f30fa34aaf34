"""What a return is worth (issue 13, ADR 0038). Pure.

A settlement (a refund, a store credit, an exchange's credit) pays back the units received on the
return at the unit price the order paid, less the order's discount pro-rated by line value over
the subtotal, plus its tax pro-rated the same way, plus shipping as the tenant's policy says
(NEVER; FULL_RETURN: only by the settlement that completes the return of every delivered unit;
ALWAYS: pro-rated), less the restocking fee on lines whose reason carries one and the return
shipping fee. Every figure is Decimal, rounded half-up to cents. The settlement that completes the
order takes what is left of each figure, so rounding never leaves or exceeds a cent; and no
settlement takes the order past what was paid (`total_amount`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from oms.domain.models import Order
from oms.domain.money import to_money
from oms.domain.return_requests import RefundShipping, ReturnPolicy
from oms.domain.returns import Refund, RefundLine, Return, delivered_units

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class _Taken:
    items: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    shipping: Decimal = ZERO
    amount: Decimal = ZERO


def _taken(settled: Sequence[Refund]) -> _Taken:
    return _Taken(
        items=sum((s.items_amount for s in settled), ZERO),
        discount=sum((s.discount for s in settled), ZERO),
        tax=sum((s.tax for s in settled), ZERO),
        shipping=sum((s.shipping for s in settled), ZERO),
        amount=sum((s.amount for s in settled), ZERO),
    )


def _share(part: Decimal, value: Decimal, whole: Decimal) -> Decimal:
    return to_money(part * value / whole) if whole > 0 else ZERO


def _units(returns: Sequence[Return]) -> dict[str, int]:
    got: dict[str, int] = {}
    for r in returns:
        for line in r.lines:
            if line.received:
                got[line.sku] = got.get(line.sku, 0) + line.received
    return got


def settlement(
    order: Order,
    ret: Return,
    others: Sequence[Return],
    policy: ReturnPolicy,
    *,
    settlement_id: str,
    now: str,
) -> Refund:
    """The settlement of `ret` given the order's other returns (those settled count)."""
    settled_returns = [r for r in others if r.id != ret.id and r.settlement is not None]
    prior = _taken([r.settlement for r in settled_returns if r.settlement is not None])
    subtotal = order.subtotal
    fee_reasons = set(policy.restocking_fee_reasons)
    pct = policy.restocking_fee_percent
    lines: list[RefundLine] = []
    parts: list[tuple[Decimal, Decimal, Decimal, Decimal]] = []  # value, discount, tax, fee
    for line in ret.lines:
        qty = line.received
        if qty <= 0:
            continue
        value = to_money(line.unit_price * qty)
        disc = min(_share(order.discount_amount, value, subtotal), value)
        tax = _share(order.tax_amount, value, subtotal)
        fee = to_money(value * pct / 100) if line.reason in fee_reasons else ZERO
        parts.append((value, disc, tax, fee))
        lines.append(RefundLine(sku=line.sku, quantity=qty, amount=value - disc + tax - fee))
    items = sum((p[0] for p in parts), ZERO)
    discount = sum((p[1] for p in parts), ZERO)
    tax = sum((p[2] for p in parts), ZERO)
    fee = sum((p[3] for p in parts), ZERO)

    after = _units([*settled_returns, ret])
    ordered = {line.sku: line.quantity for line in order.line_items}
    last_of_order = all(after.get(sku, 0) >= q for sku, q in ordered.items())
    if last_of_order and lines:  # the remainder of each figure, so the cents add up exactly
        d_disc = to_money(order.discount_amount - prior.discount) - discount
        d_tax = to_money(order.tax_amount - prior.tax) - tax
        d_items = to_money(subtotal - prior.items) - items
        if d_disc or d_tax or d_items:
            last = lines[-1]
            lines[-1] = last.model_copy(update={"amount": last.amount + d_items - d_disc + d_tax})
            discount, tax, items = discount + d_disc, tax + d_tax, items + d_items

    delivered = delivered_units(order)
    every_delivered_back = all(after.get(sku, 0) >= q for sku, q in delivered.items())
    shipping = ZERO
    remaining_shipping = max(to_money(order.shipping_amount - prior.shipping), ZERO)
    if policy.refund_shipping is RefundShipping.FULL_RETURN and every_delivered_back:
        shipping = remaining_shipping
    elif policy.refund_shipping is RefundShipping.ALWAYS:
        shipping = (
            remaining_shipping
            if last_of_order
            else min(_share(order.shipping_amount, items, subtotal), remaining_shipping)
        )
    return_fee = to_money(policy.return_shipping_fee) if lines else ZERO
    amount = items - discount + tax + shipping - fee - return_fee
    headroom = max(to_money(order.total_amount - prior.amount), ZERO)
    amount = min(max(amount, ZERO), headroom)
    return Refund(
        id=settlement_id,
        amount=to_money(amount),
        currency=order.currency,
        items_amount=to_money(items),
        discount=to_money(discount),
        tax=to_money(tax),
        shipping=to_money(shipping),
        restocking_fee=to_money(fee),
        return_shipping_fee=return_fee,
        lines=[line.model_copy(update={"amount": to_money(line.amount)}) for line in lines],
        created_at=now,
    )


def refunded_total(returns: Sequence[Return]) -> Decimal:
    """Money paid back on the order (refunds only; credits are not money back)."""
    return to_money(sum((r.refund.amount for r in returns if r.refund is not None), ZERO))
