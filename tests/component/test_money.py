"""Issue 8, finding 3: money is the server's. As the demo USER, a discount as large as the order
gave a 201 with a total of 0.00, and a SKU outside the catalog, priced by the client at 0.00, was
sold for nothing. Now prices come only from the catalog and an API client states no amounts."""

from __future__ import annotations

import pytest

from tests.component.helpers import order_body

pytestmark = pytest.mark.usefixtures("stack")


def order_count(client) -> int:
    return int(client.get("/orders?limit=200").body["count"])


def test_a_discount_equal_to_the_line_total_is_refused(user):
    before = order_count(user)
    body = order_body(line_items=[{"sku": "SKU-WIDGET-A", "quantity": 2}], discount_amount="59.98")
    reply = user.post("/orders", body)
    assert reply.status == 422, reply
    assert reply.body["error"]["details"] == [
        {
            "loc": ["body", "discount_amount"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert order_count(user) == before


@pytest.mark.parametrize(
    "field", ["shipping_amount", "tax_amount", "discount_amount", "subtotal", "total_amount"]
)
def test_an_api_client_states_no_amounts(user, field):
    reply = user.post("/orders", order_body(**{field: "0.00"}))
    assert reply.status == 422 and reply.body["error"]["details"][0]["loc"] == ["body", field]


def test_a_sku_outside_the_catalog_priced_by_the_client_at_zero_is_refused(user):
    before = order_count(user)
    body = order_body(line_items=[{"sku": "SKU-NOT-IN-CATALOG", "quantity": 5, "unit_price": "0.00"}])
    reply = user.post("/orders", body)
    assert reply.status == 422 and reply.body["error"]["code"] == "unpriced_sku"
    assert reply.body["error"]["details"] == [
        {
            "loc": ["line_items", 0, "unit_price"],
            "msg": "SKU-NOT-IN-CATALOG has no active price in the catalog",
            "type": "unpriced_sku",
        }
    ]
    # nor does any price make it one: the client cannot price what the catalog does not
    body["line_items"][0]["unit_price"] = "25.00"
    assert user.post("/orders", body).body["error"]["code"] == "unpriced_sku"
    assert order_count(user) == before


def test_a_client_price_must_be_the_catalog_price(user):
    cheap = order_body(line_items=[{"sku": "SKU-TOOL-Z", "quantity": 1, "unit_price": "0.00"}])
    reply = user.post("/orders", cheap)
    assert reply.status == 422 and reply.body["error"]["details"][0]["type"] == "price_mismatch"
    # the KubeRiva seed's own example sends the catalog price as a JSON number: that is accepted
    seed = order_body(line_items=[{"sku": "SKU-WIDGET-A", "quantity": 2, "unit_price": 29.99}])
    made = user.post("/orders", seed)
    assert made.status == 201, made
    assert (made.body["subtotal"], made.body["discount_amount"], made.body["total_amount"]) == (
        "59.98",
        "0.00",
        "59.98",
    )


def test_the_dry_run_takes_the_same_order_and_the_same_rules(admin):
    evaluated = admin.post("/sourcing-rules/evaluate", {"order": order_body()})
    assert evaluated.status == 200 and evaluated.body["decision"]["outcome"] == "SOURCED"
    discounted = admin.post("/sourcing-rules/evaluate", {"order": order_body(discount_amount="1.00")})
    assert discounted.status == 422
    assert discounted.body["error"]["details"][0]["loc"] == ["body", "order", "discount_amount"]
    unpriced = admin.post(
        "/sourcing-rules/evaluate", {"order": order_body(line_items=[{"sku": "SKU-NOPE", "quantity": 1}])}
    )
    assert unpriced.status == 422 and unpriced.body["error"]["code"] == "unpriced_sku"
