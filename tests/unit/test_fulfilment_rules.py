import pytest

from oms.domain import orders
from oms.domain.errors import Conflict
from oms.domain.fulfilment import decide, replayed_next_step
from oms.domain.lifecycle import OrderStatus as S
from oms.domain.models import Allocation, FulfilmentEvent, Shipment
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, order_request


def order_in(status, **kw):
    request = order_request(**kw)
    order = orders.build_order(
        request,
        order_id=orders.order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )
    allocations = [
        Allocation(node_id="n1", sku="SKU-A", quantity=2, item_id="i1"),
        Allocation(node_id="n2", sku="SKU-B", quantity=1, item_id="i2"),
    ]
    return order.model_copy(update={"status": status, "allocations": allocations})


def ev(**kw):
    return FulfilmentEvent.model_validate(kw)


def test_ready_to_ship_requests_a_carrier():
    outcome = decide(order_in(S.PACKING), ev(type="READY_TO_SHIP"))
    assert outcome.target == S.READY_TO_SHIP and outcome.next_step == "REQUEST_CARRIER"


def test_a_retried_ready_to_ship_asks_for_the_carrier_again_until_the_order_moves_on():
    # the step's first run applied the event and its answer was lost: the booking is still owed
    assert replayed_next_step(order_in(S.READY_TO_SHIP), ev(type="READY_TO_SHIP")) == "REQUEST_CARRIER"
    assert replayed_next_step(order_in(S.SHIPPED), ev(type="READY_TO_SHIP")) == "NONE"
    assert replayed_next_step(order_in(S.PACKING), ev(type="PACKING")) == "NONE"


def test_shipping_one_node_of_two_is_partial_and_commits_only_that_node():
    outcome = decide(
        order_in(S.READY_TO_SHIP), ev(type="SHIPPED", node_id="n1", carrier="UPS", tracking_number="1")
    )
    assert outcome.target == S.PARTIALLY_SHIPPED
    assert [a.node_id for a in outcome.committing] == ["n1"]
    full = decide(order_in(S.READY_TO_SHIP), ev(type="SHIPPED", carrier="UPS", tracking_number="1"))
    assert full.target == S.SHIPPED and len(full.committing) == 2


def test_late_event_is_a_conflict():
    with pytest.raises(Conflict):
        decide(order_in(S.DELIVERED), ev(type="PICKING"))


def test_pickup_events_do_not_apply_to_shipping_orders_and_vice_versa():
    with pytest.raises(Conflict):
        decide(order_in(S.PACKING), ev(type="READY_FOR_PICKUP"))
    pickup = order_in(S.PACKING, fulfillment_type="STORE_PICKUP", pickup_node_id="n1", shipping_address=None)
    with pytest.raises(Conflict):
        decide(pickup, ev(type="READY_TO_SHIP"))
    assert decide(pickup, ev(type="READY_FOR_PICKUP")).target == S.READY_FOR_PICKUP


def test_delivery_of_one_shipment_of_two_is_partial():
    order = order_in(S.SHIPPED)
    shipped = [a.model_copy(update={"state": "SHIPPED"}) for a in order.allocations]
    order = order.model_copy(
        update={
            "allocations": shipped,
            "shipments": [
                Shipment(node_id="n1", carrier="UPS", tracking_number="1", shipped_at=NOW),
                Shipment(node_id="n2", carrier="UPS", tracking_number="2", shipped_at=NOW),
            ],
        }
    )
    assert decide(order, ev(type="DELIVERED", node_id="n1")).target == S.PARTIALLY_DELIVERED
    assert decide(order, ev(type="DELIVERED")).target == S.DELIVERED


def test_shipped_needs_tracking():
    with pytest.raises(ValueError):
        ev(type="SHIPPED")


def test_an_event_one_or_two_steps_ahead_is_accepted_for_later():
    from oms.domain.errors import EventNotYetApplicable
    from oms.domain.fulfilment import accept, decide_or_wait

    order = order_in(S.SOURCED)
    assert accept(order, ev(type="PICKING")) is True
    assert accept(order, ev(type="PACKING")) is False  # PICKING is still in flight
    with pytest.raises(EventNotYetApplicable):
        decide_or_wait(order, ev(type="PACKING"))
    with pytest.raises(Conflict) as info:
        accept(order, ev(type="DELIVERED"))  # too far ahead: a mistake, not a reordering
    assert "PICKING" in info.value.details["allowed"]
    with pytest.raises(Conflict):
        accept(order_in(S.CANCELLED), ev(type="PICKING"))
