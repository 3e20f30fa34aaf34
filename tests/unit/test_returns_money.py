"""What a return is worth: pro-rated discount and tax, shipping policies, restocking fee,
rounding remainder, never more than was paid (issue 13)."""

from __future__ import annotations

from decimal import Decimal

from oms.domain.return_requests import DEFAULT_POLICY, ReturnPolicy, ReturnStatus
from oms.domain.returns import Return
from oms.domain.returns_money import refunded_total, settlement
from tests.unit.test_returns import SOON, delivered_order, make_return, receive


def settle(order, ret, others=(), policy=DEFAULT_POLICY):  # type: ignore[no-untyped-def]
    refund = settlement(order, ret, list(others), policy, settlement_id=f"rf-{ret.id}", now=SOON)
    return ret.model_copy(update={"settlement": refund, "refund": refund, "status": ReturnStatus.REFUNDED})


def received(order, lines, rid="o1-R1", others=(), **kw):  # type: ignore[no-untyped-def]
    ret = make_return(
        order,
        [{"sku": s, "quantity": q, "reason": r} for s, q, r, _ in lines],
        rid=rid,
        others=list(others),
        **kw,
    )
    return receive(ret, [{"sku": s, "quantity": q, "condition": c} for s, q, _, c in lines])


def test_refund_is_the_paid_price_of_the_received_units():
    order = delivered_order()
    ret = received(order, [("SKU-A", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret).refund
    assert refund is not None
    assert refund.amount == Decimal("29.99") and refund.items_amount == Decimal("29.99")
    assert [(line.sku, line.quantity, line.amount) for line in refund.lines] == [
        ("SKU-A", 1, Decimal("29.99"))
    ]


def test_damaged_units_are_refunded_too():
    order = delivered_order()
    ret = received(order, [("SKU-A", 2, "DAMAGED", "DAMAGED")])
    assert settle(order, ret).refund.amount == Decimal("59.98")  # type: ignore[union-attr]


def test_only_received_units_are_refunded():
    order = delivered_order()
    ret = make_return(order, [{"sku": "SKU-A", "quantity": 2, "reason": "DEFECTIVE"}])
    part = receive(ret, [{"sku": "SKU-A", "quantity": 1, "condition": "SELLABLE"}])
    assert settle(order, part).refund.amount == Decimal("29.99")  # type: ignore[union-attr]


def test_discount_and_tax_are_pro_rated_by_line_value():
    # subtotal 69.98, discount 10.00, tax 5.60
    order = delivered_order(discount="10.00", tax="5.60")
    ret = received(order, [("SKU-B", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret).refund
    assert refund is not None
    # 10.00 * 10/69.98 = 1.429 -> 1.43 ; 5.60 * 10/69.98 = 0.800 -> 0.80
    assert (refund.discount, refund.tax) == (Decimal("1.43"), Decimal("0.80"))
    assert refund.amount == Decimal("10.00") - Decimal("1.43") + Decimal("0.80")


def test_restocking_fee_only_on_reasons_that_carry_it():
    policy = ReturnPolicy(restocking_fee_percent=Decimal("15"), restocking_fee_reasons=["SIZE_OR_FIT"])
    order = delivered_order()
    ret = received(order, [("SKU-A", 1, "SIZE_OR_FIT", "SELLABLE"), ("SKU-B", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret, policy=policy).refund
    assert refund is not None
    assert refund.restocking_fee == Decimal("4.50")  # 15 % of 29.99 = 4.4985
    assert refund.amount == Decimal("39.99") - Decimal("4.50")


def test_return_shipping_fee_is_deducted():
    order = delivered_order()
    ret = received(order, [("SKU-B", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret, policy=ReturnPolicy(return_shipping_fee=Decimal("3.00"))).refund
    assert refund is not None and refund.amount == Decimal("7.00")


def test_shipping_never():
    order = delivered_order(shipping="8.00")
    ret = received(order, [("SKU-A", 2, "DEFECTIVE", "SELLABLE"), ("SKU-B", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret, policy=ReturnPolicy(refund_shipping="NEVER")).refund
    assert refund is not None and refund.shipping == Decimal("0.00")


def test_shipping_full_return_only_with_the_refund_that_completes_it():
    policy = ReturnPolicy(refund_shipping="FULL_RETURN")
    order = delivered_order(shipping="8.00")
    first = settle(order, received(order, [("SKU-A", 2, "DEFECTIVE", "SELLABLE")]), policy=policy)
    assert first.refund.shipping == Decimal("0.00")  # type: ignore[union-attr]
    second = received(order, [("SKU-B", 1, "DEFECTIVE", "SELLABLE")], rid="o1-R2", others=[first])
    refund = settle(order, second, others=[first], policy=policy).refund
    assert refund is not None and refund.shipping == Decimal("8.00")
    assert refund.amount == Decimal("18.00")


def test_shipping_always_is_pro_rated():
    policy = ReturnPolicy(refund_shipping="ALWAYS")
    order = delivered_order(shipping="8.00")
    refund = settle(order, received(order, [("SKU-B", 1, "DEFECTIVE", "SELLABLE")]), policy=policy).refund
    assert refund is not None and refund.shipping == Decimal("1.14")  # 8 * 10 / 69.98


def test_the_last_refund_takes_the_remainder_so_cents_add_up():
    # three units at 10.00, discount 10.00: each unit's share is 3.333.. -> 3.33; the last 3.34
    lines = [{"sku": "SKU-A", "quantity": 3, "unit_price": "10.00"}]
    order = delivered_order(lines=lines, discount="10.00", tax="1.00")
    done: list[Return] = []
    for n in range(3):
        ret = received(order, [("SKU-A", 1, "DEFECTIVE", "SELLABLE")], rid=f"o1-R{n}", others=done)
        done.append(settle(order, ret, others=done))
    discounts = [r.refund.discount for r in done]  # type: ignore[union-attr]
    assert discounts == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert sum(r.refund.tax for r in done) == Decimal("1.00")  # type: ignore[union-attr]
    assert refunded_total(done) == order.total_amount == Decimal("21.00")


def test_never_more_than_was_paid():
    # a channel order whose total is below its figures (the channel's own total)
    order = delivered_order(tax="5.00").model_copy(update={"total_amount": Decimal("50.00")})
    ret = received(order, [("SKU-A", 2, "DEFECTIVE", "SELLABLE"), ("SKU-B", 1, "DEFECTIVE", "SELLABLE")])
    refund = settle(order, ret).refund
    assert refund is not None and refund.amount == Decimal("50.00")


def test_nothing_received_is_worth_nothing():
    order = delivered_order()
    ret = make_return(order, [{"sku": "SKU-A", "quantity": 1, "reason": "DEFECTIVE"}])
    refund = settlement(order, ret, [], DEFAULT_POLICY, settlement_id="x", now=SOON)
    assert refund.amount == Decimal("0.00") and refund.lines == []


def test_a_settled_return_cannot_be_settled_again():
    import pytest

    from oms.domain.errors import Conflict
    from oms.domain.returns import check_move

    order = delivered_order()
    refunded = settle(order, received(order, [("SKU-A", 1, "DEFECTIVE", "SELLABLE")]))
    for target in (ReturnStatus.REFUNDED, ReturnStatus.CREDITED, ReturnStatus.EXCHANGED):
        with pytest.raises(Conflict):
            check_move(refunded, target)
    # what the order has left to pay back shrinks by what was refunded
    again = received(order, [("SKU-A", 1, "DEFECTIVE", "SELLABLE")], rid="o1-R2", others=[refunded])
    second = settle(order, again, others=[refunded]).refund
    assert second is not None and refunded.refund is not None
    assert refunded.refund.amount + second.amount == Decimal("59.98")
