from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.domain import orders
from oms.domain.channels import ChannelLink
from oms.domain.errors import ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import ChannelOrderRequest, Order
from oms.domain.products import CatalogPrice
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, order_request


def build(request=None, prices=None, key=None):
    request = request or order_request()
    oid = orders.order_id_for("t1", key, request.external_order_id, request.channel.value)
    return orders.build_order(
        request,
        order_id=oid,
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request) if prices is None else prices,
        idempotency_key=key,
    )


def test_totals_are_computed_on_the_server_in_decimal():
    order = build()
    assert order.subtotal == Decimal("69.98") and order.total_amount == Decimal("69.98")
    assert (order.shipping_amount, order.tax_amount, order.discount_amount) == (Decimal("0.00"),) * 3
    assert all(isinstance(x.line_total, Decimal) for x in order.line_items)
    assert order.status == OrderStatus.PENDING and order.version == 1
    assert order.customer_email == "alice@example.com"
    assert order.events[0].type == "order.created" and order.created_by == "user:admin@example.com"
    assert order.channel_link is None


@pytest.mark.parametrize("field", ["shipping_amount", "tax_amount", "discount_amount"])
def test_an_api_client_states_no_amounts(field):
    with pytest.raises(ValidationError) as info:
        order_request(**{field: "1.00"})
    assert info.value.errors()[0]["loc"] == (field,) and info.value.errors()[0]["type"] == "extra_forbidden"


def test_catalog_price_wins_and_a_disagreeing_client_price_is_refused():
    order = build(
        order_request(line_items=[{"sku": "SKU-A", "quantity": 1}]),
        prices={"SKU-A": CatalogPrice(Decimal("12.5"), "USD", "Widget A")},
    )
    assert order.line_items[0].unit_price == Decimal("12.50")
    assert order.line_items[0].product_name == "Widget A"  # the catalog names a line left unnamed
    with pytest.raises(ValidationFailed) as info:
        build(
            order_request(line_items=[{"sku": "SKU-A", "quantity": 1, "unit_price": "1.00"}]),
            prices={"SKU-A": CatalogPrice(Decimal("12.50"), "USD")},
        )
    assert info.value.details[0]["type"] == "price_mismatch" and info.value.code == "validation_failed"


def test_a_sku_without_a_catalog_price_is_refused_whatever_the_client_says():
    request = order_request(
        line_items=[
            {"sku": "SKU-A", "quantity": 1, "unit_price": "0.00"},
            {"sku": "SKU-B", "quantity": 1},
        ]
    )
    with pytest.raises(ValidationFailed) as info:
        build(request, prices={"SKU-B": CatalogPrice(Decimal("5.00"), "USD")})
    assert info.value.code == "unpriced_sku"
    assert info.value.details == [
        {
            "loc": ["line_items", 0, "unit_price"],
            "msg": "SKU-A has no active price in the catalog",
            "type": "unpriced_sku",
        }
    ]


def test_a_catalog_price_in_another_currency_is_refused():
    request = order_request(currency="EUR", line_items=[{"sku": "SKU-A", "quantity": 1}])
    with pytest.raises(ValidationFailed) as info:
        build(request, prices={"SKU-A": CatalogPrice(Decimal("5.00"), "USD")})
    assert info.value.details[0]["type"] == "currency_mismatch"


def channel_request(**overrides):
    data = order_request().model_dump(mode="json") | {
        "external_order_id": "shopify:s.myshopify.com:1001",
        "tags": ["source:shopify", "connector:c1"],
        "line_items": [{"sku": "FREE-GIFT", "quantity": 1, "unit_price": "0.00"}],
    }
    return ChannelOrderRequest.model_validate(data | overrides)


LINK = ChannelLink(channel="SHOPIFY", connector_id="c1", account="s.myshopify.com", channel_order_id="1001")


def test_a_channel_order_keeps_the_channel_figures_without_a_catalog():
    totals = orders.Totals(
        subtotal=Decimal("0.00"), shipping=Decimal("4.99"), tax=Decimal("0.40"), total=Decimal("5.39")
    )
    order = orders.build_channel_order(channel_request(), totals, LINK, tenant_id="t1", now=NOW)
    assert (order.subtotal, order.shipping_amount, order.tax_amount, order.total_amount) == (
        Decimal("0.00"),
        Decimal("4.99"),
        Decimal("0.40"),
        Decimal("5.39"),
    )
    assert order.channel_link == LINK and order.created_by == "connector:c1"
    assert order.id == orders.channel_order_id_for("t1", "SHOPIFY", "s.myshopify.com", "1001")


@pytest.mark.parametrize(
    ("totals", "kind"),
    [
        (dict(subtotal=Decimal("10"), discount=Decimal("10.01")), "discount_exceeds_subtotal"),
        (dict(subtotal=Decimal("10"), shipping=Decimal("-1")), "negative_amount"),
        (dict(subtotal=Decimal("10"), total=Decimal("-0.01")), "negative_amount"),
    ],
)
def test_impossible_channel_figures_are_refused(totals, kind):
    with pytest.raises(ValidationFailed) as info:
        orders.build_channel_order(channel_request(), orders.Totals(**totals), LINK, tenant_id="t1", now=NOW)
    assert info.value.details[0]["type"] == kind


def test_a_discount_may_waive_goods_and_shipping_but_no_more():
    totals = orders.Totals(subtotal=Decimal("10"), shipping=Decimal("5"), discount=Decimal("15"))
    assert totals.checked().total == Decimal("0.00")


def test_api_ids_and_channel_ids_never_meet():
    """Whatever external id a client sends, it cannot land on a channel order's id."""
    channel_id = orders.channel_order_id_for("t1", "SHOPIFY", "s.myshopify.com", "1001")
    for external in ("1001", "s.myshopify.com:1001", "SHOPIFY|s.myshopify.com|1001"):
        for channel in ("WEB", "MARKETPLACE", "API"):
            assert orders.order_id_for("t1", None, external, channel) != channel_id
    # the id an import had before the split is still found (for orders imported earlier)
    assert orders.legacy_channel_order_id("t1", LINK) == orders.order_id_for(
        "t1", None, "shopify:s.myshopify.com:1001", "WEB"
    )


@pytest.mark.parametrize(
    "value",
    [
        "connector:abc",
        "Connector:abc",
        " CONNECTOR :abc",
        "con\u200bnector:abc",
        "\uff43\uff4f\uff4e\uff4e\uff45\uff43\uff54\uff4f\uff52\uff1aabc",
        "shopify:s.myshopify.com:1",
        "Shopify\t:1",
        "amazon:A1:113-1-1",
        "source:shopify",
        "channel:x",
        "gid://shopify/Order/1",
    ],
)
@pytest.mark.parametrize("field", ["tags", "external_order_id"])
def test_channel_namespaces_are_refused_from_clients(value, field):
    with pytest.raises(ValidationError) as info:
        order_request(**{field: [value] if field == "tags" else value})
    error = info.value.errors()[0]
    assert error["type"] == "reserved_namespace" and error["loc"][0] == field


@pytest.mark.parametrize("value", ["amazon-gift", "shopify_promo", "vip", "connectors", "1001"])
def test_ordinary_words_stay_allowed(value):
    assert order_request(tags=[value], external_order_id=value).tags == [value]


def test_an_order_imported_before_links_were_stored_gets_its_link():
    connector_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    data = build().model_dump(mode="json") | {
        "created_by": f"user:connector:{connector_id}",
        "tags": ["source:shopify", f"connector:{connector_id}"],
        "external_order_id": "shopify:s.myshopify.com:1001",
    }
    legacy = Order.model_validate(data)
    assert legacy.channel_link == ChannelLink(
        channel="SHOPIFY", connector_id=connector_id, account="s.myshopify.com", channel_order_id="1001"
    )
    # a person's order with the same tags and external id is not a channel's
    person = Order.model_validate(data | {"created_by": "user:mallory@example.com"})
    assert person.channel_link is None


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
