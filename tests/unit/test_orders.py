from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.domain import orders
from oms.domain.errors import ValidationFailed
from oms.domain.lifecycle import OrderStatus
from tests.unit.factories import NOW, PRINCIPAL, order_request


def build(request=None, prices=None, key=None):
    request = request or order_request()
    oid = orders.order_id_for("t1", key, request.external_order_id, request.channel.value)
    return orders.build_order(
        request, order_id=oid, principal=PRINCIPAL, now=NOW, catalog_prices=prices or {}, idempotency_key=key
    )


def test_totals_are_computed_on_the_server_in_decimal():
    order = build(order_request(shipping_amount="5.00", tax_amount="3.10", discount_amount="1.10"))
    assert order.subtotal == Decimal("69.98")
    assert order.total_amount == Decimal("76.98")
    assert all(isinstance(x.line_total, Decimal) for x in order.line_items)
    assert order.status == OrderStatus.PENDING and order.version == 1
    assert order.customer_email == "alice@example.com"
    assert order.events[0].type == "order.created"


def test_catalog_price_wins_and_a_disagreeing_client_price_is_refused():
    order = build(
        order_request(line_items=[{"sku": "SKU-A", "quantity": 1}]), prices={"SKU-A": Decimal("12.5")}
    )
    assert order.line_items[0].unit_price == Decimal("12.50")
    with pytest.raises(ValidationFailed) as info:
        build(
            order_request(line_items=[{"sku": "SKU-A", "quantity": 1, "unit_price": "1.00"}]),
            prices={"SKU-A": Decimal("12.50")},
        )
    assert info.value.details[0]["type"] == "price_mismatch"


def test_unknown_sku_without_price_is_refused():
    with pytest.raises(ValidationFailed):
        build(order_request(line_items=[{"sku": "SKU-Z", "quantity": 1}]))


def test_ids_are_deterministic_for_keys_and_external_ids():
    a = orders.order_id_for("t1", "key-1", None, "WEB")
    assert a == orders.order_id_for("t1", "key-1", None, "WEB")
    assert a != orders.order_id_for("t2", "key-1", None, "WEB")
    assert orders.order_id_for("t1", None, "ext-9", "MARKETPLACE") == orders.order_id_for(
        "t1", "k", "ext-9", "MARKETPLACE"
    )
    assert orders.order_id_for("t1", None, None, "WEB") != orders.order_id_for("t1", None, None, "WEB")


def test_order_number_is_derived_from_id_and_date():
    order = build(key="abc")
    assert order.order_number.startswith("ORD-20261121-") and len(order.order_number) == 23
    assert orders.order_number_for(order.id, NOW) == order.order_number


def test_fingerprint_ignores_formatting_but_not_content():
    a = order_request()
    b = order_request(customer_email="alice@example.com")  # normalised to the same value
    assert orders.fingerprint(a) == orders.fingerprint(b)
    assert orders.fingerprint(a) != orders.fingerprint(order_request(customer_name="Bob"))


@pytest.mark.parametrize(
    "override",
    [
        {"line_items": []},
        {"line_items": [{"sku": "A", "quantity": 0, "unit_price": "1"}]},
        {"line_items": [{"sku": "A", "quantity": 1, "unit_price": "1.001"}]},
        {"line_items": [{"sku": "A", "quantity": 1, "unit_price": "-1"}]},
        {"customer_email": "not-an-email"},
        {"channel": "FAX"},
        {"shipping_address": None},
        {"fulfillment_type": "STORE_PICKUP"},
        {
            "line_items": [
                {"sku": "A", "quantity": 1, "unit_price": "1"},
                {"sku": "A", "quantity": 1, "unit_price": "1"},
            ]
        },
        {"surprise": 1},
    ],
)
def test_invalid_requests_are_rejected(override):
    with pytest.raises(ValidationError):
        order_request(**override)


def test_advance_appends_history_and_checks_transitions():
    order = build()
    nxt = orders.advance(order, OrderStatus.CONFIRMED, actor="system", now=NOW, event_type="order.confirmed")
    assert nxt.version == 2 and nxt.status == OrderStatus.CONFIRMED
    assert [h.status for h in nxt.status_history] == [OrderStatus.PENDING, OrderStatus.CONFIRMED]
    assert nxt.events[-1].from_status == OrderStatus.PENDING and nxt.events[-1].seq == 2
    assert order.version == 1  # the original is untouched
    with pytest.raises(Exception) as info:
        orders.advance(order, OrderStatus.SHIPPED, actor="x", now=NOW, event_type="x")
    assert getattr(info.value, "status", None) == 409
