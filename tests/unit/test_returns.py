"""Returns: what may be returned, the return's state machine and receipts (issue 13)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from oms.domain.audit import AuditEvent
from oms.domain.errors import Conflict, DomainError, ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Allocation, Order, Shipment
from oms.domain.orders import build_order
from oms.domain.return_requests import (
    DEFAULT_POLICY,
    Condition,
    ReceiveRequest,
    Resolution,
    ReturnCreate,
    ReturnPolicy,
    ReturnStatus,
)
from oms.domain.returns import (
    OverReturn,
    Return,
    apply_receipt,
    check_request,
    decide,
    delivered_at,
    delivered_units,
    order_phase_after,
)
from tests.unit.factories import PRINCIPAL, catalog_for, order_request

DELIVERED_AT = "2026-11-01T10:00:00.000Z"
SOON = "2026-11-05T10:00:00.000Z"


def delivered_order(
    status: OrderStatus = OrderStatus.DELIVERED,
    *,
    lines: list[dict[str, Any]] | None = None,
    discount: str = "0.00",
    tax: str = "0.00",
    shipping: str = "0.00",
    shipments: list[Shipment] | None = None,
    allocations: list[Allocation] | None = None,
) -> Order:
    request = order_request(**({"line_items": lines} if lines else {}))
    order = build_order(
        request,
        order_id="6f1c0b3e-7a8d-4c55-9b1e-2d3f4a5b6c7d",
        principal=PRINCIPAL,
        now="2026-10-30T10:00:00.000Z",
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )
    subtotal = order.subtotal
    total = subtotal + Decimal(shipping) + Decimal(tax) - Decimal(discount)
    if allocations is None:
        allocations = [
            Allocation(node_id="n1", sku=line.sku, quantity=line.quantity, state="SHIPPED")
            for line in order.line_items
        ]
    if shipments is None:
        shipments = [
            Shipment(
                node_id="n1",
                carrier="UPS",
                tracking_number="1Z",
                shipped_at="2026-10-31T10:00:00.000Z",
                delivered_at=DELIVERED_AT,
            )
        ]
    entry = AuditEvent(seq=2, type="fulfilment.delivered", at=DELIVERED_AT, actor="x", to_status=status)
    return order.model_copy(
        update={
            "status": status,
            "status_code": status.value,
            "allocations": allocations,
            "shipments": shipments,
            "events": [*order.events, entry],
            "discount_amount": Decimal(discount),
            "tax_amount": Decimal(tax),
            "shipping_amount": Decimal(shipping),
            "total_amount": total,
        }
    )


def make_return(order: Order, lines: list[dict[str, Any]], rid: str = "o1-R1", **kw: Any) -> Return:
    request = ReturnCreate.model_validate({"lines": lines, "resolution": kw.pop("resolution", "REFUND")})
    checked = check_request(order, request, kw.pop("others", []), kw.pop("policy", DEFAULT_POLICY), SOON)
    return Return(
        id=rid,
        tenant_id="t1",
        rma_number="RMA-1",
        order_id=order.id,
        order_number=order.order_number,
        status=kw.pop("status", ReturnStatus.APPROVED),
        resolution=request.resolution,
        lines=checked,
        customer_email=order.customer_email,
        requested_by="user:a",
        created_at=SOON,
        updated_at=SOON,
    )


def receive(ret: Return, lines: list[dict[str, Any]], key: str = "k1") -> Return:
    return apply_receipt(
        ret, ReceiveRequest.model_validate({"node_id": "n1", "lines": lines}), key, "user:a", SOON
    )


# ------------------------------------------------------------------ delivered units
def test_delivered_units_are_shipped_allocations_once_delivered():
    order = delivered_order()
    assert delivered_units(order) == {"SKU-A": 2, "SKU-B": 1}
    assert delivered_at(order) == DELIVERED_AT


def test_nothing_delivered_before_delivery_is_not_returnable():
    order = delivered_order(
        OrderStatus.SHIPPED,
        shipments=[Shipment(node_id="n1", carrier="UPS", tracking_number="1Z", shipped_at=DELIVERED_AT)],
    ).model_copy(update={"events": []})
    assert delivered_units(order) == {}
    with pytest.raises(Conflict) as info:
        make_return(order, [{"sku": "SKU-A", "quantity": 1, "reason": "DAMAGED"}])
    assert info.value.code == "not_returnable"


def test_partially_delivered_counts_only_the_delivered_nodes_units():
    allocations = [
        Allocation(node_id="n1", sku="SKU-A", quantity=2, state="SHIPPED"),
        Allocation(node_id="n2", sku="SKU-B", quantity=1, state="SHIPPED"),
    ]
    shipments = [
        Shipment(
            node_id="n1",
            carrier="UPS",
            tracking_number="1",
            shipped_at=DELIVERED_AT,
            delivered_at=DELIVERED_AT,
        ),
        Shipment(node_id="n2", carrier="UPS", tracking_number="2", shipped_at=DELIVERED_AT),
    ]
    order = delivered_order(OrderStatus.PARTIALLY_DELIVERED, allocations=allocations, shipments=shipments)
    assert delivered_units(order) == {"SKU-A": 2}
    with pytest.raises(OverReturn):
        make_return(order, [{"sku": "SKU-B", "quantity": 1, "reason": "DAMAGED"}])
    # what was delivered may come back, but the order keeps its phase while SKU-B is on its way
    # (a closed phase would refuse that shipment's DELIVERED callback)
    ret = make_return(order, [{"sku": "SKU-A", "quantity": 2, "reason": "DAMAGED"}])
    done = receive(ret, [{"sku": "SKU-A", "quantity": 2, "condition": "SELLABLE"}])
    assert done.status is ReturnStatus.RECEIVED
    assert order_phase_after(order, [done]) is None


# ------------------------------------------------------------------ requests
def test_a_request_takes_the_paid_unit_price():
    ret = make_return(delivered_order(), [{"sku": "SKU-A", "quantity": 1, "reason": "SIZE_OR_FIT"}])
    assert ret.lines[0].unit_price == Decimal("29.99") and ret.lines[0].quantity == 1


def test_over_return_is_refused_with_details():
    with pytest.raises(OverReturn) as info:
        make_return(delivered_order(), [{"sku": "SKU-A", "quantity": 3, "reason": "DAMAGED"}])
    assert info.value.status == 422
    assert info.value.details == {"sku": "SKU-A", "delivered": 2, "already_returned": 0, "requested": 3}


def test_over_return_across_two_returns_is_refused_but_rejected_ones_take_nothing():
    order = delivered_order()
    first = make_return(order, [{"sku": "SKU-A", "quantity": 2, "reason": "DAMAGED"}])
    with pytest.raises(OverReturn) as info:
        make_return(order, [{"sku": "SKU-A", "quantity": 1, "reason": "DAMAGED"}], others=[first])
    assert info.value.details["already_returned"] == 2
    rejected = first.model_copy(update={"status": ReturnStatus.REJECTED})
    again = make_return(order, [{"sku": "SKU-A", "quantity": 2, "reason": "DAMAGED"}], others=[rejected])
    assert again.lines[0].quantity == 2


def test_unknown_sku_is_refused():
    with pytest.raises(ValidationFailed) as info:
        make_return(delivered_order(), [{"sku": "SKU-Z", "quantity": 1, "reason": "DAMAGED"}])
    assert info.value.code == "unknown_sku"


def test_window_closes_days_after_delivery():
    order = delivered_order()
    policy = ReturnPolicy(return_window_days=3)
    request = ReturnCreate.model_validate({"lines": [{"sku": "SKU-A", "quantity": 1, "reason": "OTHER"}]})
    check_request(order, request, [], policy, "2026-11-04T10:00:00.000Z")  # exactly 3 days: open
    with pytest.raises(Conflict) as info:
        check_request(order, request, [], policy, "2026-11-04T10:00:00.001Z")
    assert info.value.code == "return_window_closed"


def test_request_shape_rules():
    with pytest.raises(ValueError):
        ReturnCreate.model_validate(
            {
                "lines": [{"sku": "A", "quantity": 1, "reason": "OTHER"}],
                "exchange_lines": [{"sku": "A", "quantity": 1}],
            }
        )
    with pytest.raises(ValueError):
        ReturnCreate.model_validate(
            {
                "lines": [
                    {"sku": "A", "quantity": 1, "reason": "OTHER"},
                    {"sku": "A", "quantity": 1, "reason": "OTHER"},
                ]
            }
        )
    with pytest.raises(ValueError):
        ReturnPolicy.model_validate({"return_window_days": 366})
    with pytest.raises(ValueError):
        ReturnPolicy.model_validate({"restocking_fee_percent": "101"})


# ------------------------------------------------------------------ state machine and receipts
def test_approve_and_reject_only_while_requested():
    ret = make_return(
        delivered_order(), [{"sku": "SKU-A", "quantity": 1, "reason": "OTHER"}], status=ReturnStatus.REQUESTED
    )
    approved = decide(ret, True, "user:a", "ok", SOON)
    assert approved.status is ReturnStatus.APPROVED and approved.decided_by == "user:a"
    with pytest.raises(Conflict) as info:
        decide(approved, False, "user:a", "no", SOON)
    assert info.value.code == "return_not_pending"


def test_receipts_before_approval_are_refused():
    ret = make_return(
        delivered_order(), [{"sku": "SKU-A", "quantity": 1, "reason": "OTHER"}], status=ReturnStatus.REQUESTED
    )
    with pytest.raises(Conflict) as info:
        receive(ret, [{"sku": "SKU-A", "quantity": 1, "condition": "SELLABLE"}])
    assert info.value.code == "return_not_approved"


def test_partial_receipts_add_up_and_never_exceed_the_approved_quantity():
    order = delivered_order()
    ret = make_return(order, [{"sku": "SKU-A", "quantity": 2, "reason": "DAMAGED"}])
    part = receive(ret, [{"sku": "SKU-A", "quantity": 1, "condition": "SELLABLE"}])
    assert part.status is ReturnStatus.PARTIALLY_RECEIVED
    assert order_phase_after(order, [part]) is OrderStatus.PARTIALLY_RETURNED
    with pytest.raises(DomainError) as info:
        receive(part, [{"sku": "SKU-A", "quantity": 2, "condition": "DAMAGED"}], key="k2")
    assert info.value.code == "over_receipt" and info.value.status == 422
    done = receive(part, [{"sku": "SKU-A", "quantity": 1, "condition": Condition.DAMAGED}], key="k2")
    assert done.status is ReturnStatus.RECEIVED
    assert (done.lines[0].received_sellable, done.lines[0].received_damaged) == (1, 1)
    assert [r.key for r in done.receipts] == ["k1", "k2"]
    assert order_phase_after(order, [done]) is OrderStatus.PARTIALLY_RETURNED  # SKU-B still out


def test_every_delivered_unit_back_is_returned():
    order = delivered_order()
    ret = make_return(
        order,
        [
            {"sku": "SKU-A", "quantity": 2, "reason": "DAMAGED"},
            {"sku": "SKU-B", "quantity": 1, "reason": "OTHER"},
        ],
    )
    done = receive(
        ret,
        [
            {"sku": "SKU-A", "quantity": 2, "condition": "SELLABLE"},
            {"sku": "SKU-B", "quantity": 1, "condition": "DAMAGED"},
        ],
    )
    assert order_phase_after(order, [done]) is OrderStatus.RETURNED
    assert order_phase_after(order, [ret]) is None


def test_customer_view_hides_internal_fields():
    ret = make_return(delivered_order(), [{"sku": "SKU-A", "quantity": 1, "reason": "OTHER"}])
    ret = ret.model_copy(update={"decided_by": "user:b", "decision_note": "internal"})
    view = ret.customer_view()
    assert "decided_by" not in view and "requested_by" not in view and "decision_note" not in view
    assert "receipts" not in ret.public() and "settlement" not in ret.public()
    assert ret.resolution is Resolution.REFUND


# ------------------------------------------------------------------ events, emails, channel
def test_return_entries_are_events_of_their_own_type_and_a_full_refund_is_one_event():
    from oms.domain.events import SUBSCRIBABLE_EVENT_TYPES, events_from_change, for_channel
    from oms.domain.orders import advance, record_event

    order = delivered_order()
    old = order.model_dump(mode="json")
    asked = record_event(order, "return.requested", actor="user:a", now=SOON, data={"return_id": "r"})
    refunded = advance(
        asked,
        OrderStatus.REFUNDED,
        actor="user:a",
        now=SOON,
        event_type="order.refunded",
        data={"refund_id": "f"},
    )
    events = events_from_change(old, refunded.model_dump(mode="json"), order.order_number)
    assert [(e.type, e.data) for e in events] == [
        ("return.requested", {"return_id": "r"}),
        ("order.refunded", {"refund_id": "f"}),
    ]
    for kind in (
        "return.requested",
        "return.approved",
        "return.rejected",
        "return.received",
        "order.refunded",
    ):
        assert kind in SUBSCRIBABLE_EVENT_TYPES
    assert "order.partially_returned" in SUBSCRIBABLE_EVENT_TYPES
    assert for_channel("order.refunded", True) and not for_channel("order.refunded", False)


def test_return_events_send_their_emails_once_per_entry():
    import json

    from oms.domain.events import events_from_change
    from oms.domain.orders import record_event
    from oms.domain.workflow_actions import ActionMessage, event_messages

    order = delivered_order()
    received = record_event(order, "return.received", actor="user:a", now=SOON, data={})
    (event,) = events_from_change(order.model_dump(mode="json"), received.model_dump(mode="json"), "N1")
    (raw,) = event_messages(event)
    message = ActionMessage.model_validate(json.loads(raw))
    assert message.type == "email" and message.config == {"template": "return_received"}
    assert message.effect_key() == f"{event.sequence:08d}#return_received-email"
    approved = record_event(order, "return.approved", actor="user:a", now=SOON, data={})
    (quiet,) = events_from_change(order.model_dump(mode="json"), approved.model_dump(mode="json"), "N1")
    assert event_messages(quiet) == []


def test_partially_returned_is_a_phase_of_the_lifecycle():
    from oms.domain.lifecycle import DEFAULT_WORKFLOW, STATUS_GROUPS
    from oms.domain.workflow_graph import default_doc
    from oms.domain.workflow_stock import stock_work
    from oms.domain.workflow_validation import problems

    S = OrderStatus
    for source in (S.DELIVERED, S.PICKED_UP, S.PARTIALLY_DELIVERED):
        assert DEFAULT_WORKFLOW.can(source, S.PARTIALLY_RETURNED)
    for target in (S.PARTIALLY_RETURNED, S.RETURNED, S.REFUNDED):
        assert DEFAULT_WORKFLOW.can(S.PARTIALLY_RETURNED, target)
    assert STATUS_GROUPS[S.PARTIALLY_RETURNED] == "CLOSED"
    assert stock_work(S.DELIVERED, S.PARTIALLY_RETURNED) is not None
    assert problems(default_doc()) == []


def test_the_policy_shows_money_and_percent_as_plain_strings():
    shown = ReturnPolicy(restocking_fee_percent=Decimal("100"), return_shipping_fee=Decimal("5")).public()
    assert shown["restocking_fee_percent"] == "100" and shown["return_shipping_fee"] == "5.00"
    assert ReturnPolicy().public()["restocking_fee_reasons"] == ["NO_LONGER_NEEDED", "SIZE_OR_FIT"]
