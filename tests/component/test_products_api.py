"""The product catalog through the API: who may write it, the demo's prices, listing with filters
and cursors, version-conditioned changes, soft deletes, and orders priced from it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.component.helpers import order_body

pytestmark = pytest.mark.usefixtures("stack")

DEMO_PRICES = {
    "SKU-WIDGET-A": "29.99",
    "SKU-WIDGET-B": "19.99",
    "SKU-GADGET-X": "99.99",
    "SKU-GADGET-Y": "49.99",
    "SKU-GIZMO-1": "14.99",
    "SKU-GIZMO-2": "39.99",
    "SKU-TOOL-Z": "149.99",
    "SKU-ACCESSORY-1": "9.99",
}


def new_sku() -> str:
    return f"SKU-P-{uuid.uuid4().hex[:8].upper()}"


def product(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "price": "12.50", **fields}


def free_form_category(admin: Any, name: str) -> str:
    """A category without an attribute schema (a product may only name one that exists)."""
    reply = admin.post("/product-categories", {"name": name})
    assert reply.status in (201, 409), reply
    return name


def test_the_demo_catalog_holds_the_seed_skus_at_their_prices(user):
    for sku, price in DEMO_PRICES.items():
        reply = user.get(f"/products/{sku}")
        assert reply.status == 200, reply
        assert reply.body["price"] == price and reply.body["currency"] == "USD" and reply.body["active"]


def test_create_read_and_who_may_write(admin, user, other_tenant):
    sku = new_sku()
    free_form_category(admin, "Things")
    body = product(
        sku,
        description="A thing",
        category="Things",
        weight="1.250",
        attributes={"colour": "red", "sizes": ["S", "M"]},
    )
    assert user.post("/products", body).status == 403
    created = admin.post("/products", body)
    assert created.status == 201, created
    assert created.body | {"created_at": None, "updated_at": None} == {
        "sku": sku,
        "name": f"Product {sku}",
        "description": "A thing",
        "category": "Things",
        "price": "12.50",
        "currency": "USD",
        "weight": "1.250",
        "active": True,
        "attributes": {"colour": "red", "sizes": ["S", "M"]},
        "version": 1,
        "created_at": None,
        "updated_at": None,
        "deleted_at": None,
    }
    assert user.get(f"/products/{sku}").body == created.body
    again = admin.post("/products", body)
    assert again.status == 409 and again.body["error"]["code"] == "duplicate_sku"
    assert other_tenant.get(f"/products/{sku}").status == 404  # another tenant's catalog
    assert user.patch(f"/products/{sku}", {"version": 1, "price": "1.00"}).status == 403
    assert user.delete(f"/products/{sku}").status == 403


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"price": "0.00"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "1.001"}, "price"),
        ({"currency": "usd"}, "currency"),
        ({"sku": "bad sku"}, "sku"),
        ({"weight": "-1"}, "weight"),
        ({"attributes": {"blob": "x" * 9000}}, "attributes"),
        ({"attributes": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "attributes"),
        ({"attributes": ["not", "an", "object"]}, "attributes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_products_are_422_naming_the_field(admin, change, where):
    sku = new_sku()
    reply = admin.post("/products", product(sku) | change)
    assert reply.status == 422, reply
    assert any(where in d["loc"] for d in reply.body["error"]["details"]), reply
    assert admin.get(f"/products/{change.get('sku', sku)}").status in (404, 422)


def test_listing_pages_with_a_cursor_and_filters(admin, user):
    category = free_form_category(admin, f"Cat-{uuid.uuid4().hex[:6]}")
    skus = sorted(new_sku() for _ in range(5))
    for sku in skus:
        assert admin.post("/products", product(sku, category=category)).status == 201
    admin.delete(f"/products/{skus[1]}")
    seen: list[str] = []
    cursor = None
    while True:
        url = f"/products?category={category}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = user.get(url).body
        assert page["count"] == len(page["items"]) <= 2
        seen += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == skus  # in SKU order, each once, the deleted one included
    active = user.get(f"/products?category={category}&active=true&limit=200").body["items"]
    assert [p["sku"] for p in active] == [s for s in skus if s != skus[1]]
    inactive = user.get(f"/products?category={category}&active=false").body["items"]
    assert [p["sku"] for p in inactive] == [skus[1]]
    everything = user.get("/products?limit=200").body["items"]
    assert set(DEMO_PRICES) <= {p["sku"] for p in everything}
    assert user.get("/products?limit=0").status == 422
    assert user.get("/products?cursor=bm9wZQ").status == 422
    assert user.get("/products?active=maybe").status == 422


def test_a_change_is_conditioned_on_the_version_read(admin):
    sku = new_sku()
    admin.post("/products", product(sku, attributes={"a": 1}))
    changed = admin.patch(f"/products/{sku}", {"version": 1, "price": "15.00", "attributes": {"b": 2}})
    assert changed.status == 200, changed
    assert changed.body["price"] == "15.00" and changed.body["version"] == 2
    assert changed.body["attributes"] == {"b": 2} and changed.body["name"] == f"Product {sku}"
    stale = admin.patch(f"/products/{sku}", {"version": 1, "price": "1.00"})
    assert stale.status == 409 and stale.body["error"]["code"] == "version_conflict"
    assert stale.body["error"]["details"] == {"current_version": 2}
    assert admin.get(f"/products/{sku}").body["price"] == "15.00"
    assert admin.patch(f"/products/{sku}", {"price": "1.00"}).status == 422  # no version
    assert admin.patch(f"/products/{sku}", {"version": 2}).status == 422  # nothing to change
    assert admin.patch(f"/products/{sku}", {"version": 2, "name": None}).status == 422
    assert admin.patch(f"/products/{sku}", {"version": 2, "price": "0"}).status == 422
    assert admin.patch(f"/products/{new_sku()}", {"version": 1, "price": "2.00"}).status == 404


def test_orders_are_priced_from_the_catalog_as_it_is_now(admin):
    sku = new_sku()
    admin.post("/products", product(sku, price="10.00"))
    first = admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 3}]))
    assert first.status == 201 and first.body["total_amount"] == "30.00"
    admin.patch(f"/products/{sku}", {"version": 1, "price": "12.00"})
    second = admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 3}]))
    assert second.body["line_items"][0]["unit_price"] == "12.00" and second.body["total_amount"] == "36.00"
    # the first order keeps what it was sold at
    assert admin.get(f"/orders/{first.body['id']}").body["total_amount"] == "30.00"


def test_a_deleted_product_is_kept_but_has_no_price_until_restored(admin, user):
    sku = new_sku()
    admin.post("/products", product(sku))
    deleted = admin.delete(f"/products/{sku}")
    assert deleted.status == 200 and deleted.body["active"] is False and deleted.body["deleted_at"]
    assert admin.delete(f"/products/{sku}").body == deleted.body  # deleting again changes nothing
    assert user.get(f"/products/{sku}").body["deleted_at"] == deleted.body["deleted_at"]
    refused = admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 1}]))
    assert refused.status == 422 and refused.body["error"]["code"] == "unpriced_sku"
    recreated = admin.post("/products", product(sku))
    assert recreated.status == 409 and "restore" in recreated.body["error"]["message"]
    restored = admin.patch(f"/products/{sku}", {"version": deleted.body["version"], "active": True})
    assert restored.body["active"] is True and restored.body["deleted_at"] is None
    assert admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 1}])).status == 201
    assert admin.delete(f"/products/{new_sku()}").status == 404
    assert admin.get("/products/" + "A" * 2000).status == 404  # longer than any key: not there
    assert admin.delete("/products/%0Abad").status == 404


def test_an_inactive_product_has_no_price(admin):
    sku = new_sku()
    admin.post("/products", product(sku, active=False))
    refused = admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 1}]))
    assert refused.status == 422 and refused.body["error"]["code"] == "unpriced_sku"
    assert refused.body["error"]["details"][0]["loc"] == ["line_items", 0, "unit_price"]


def test_a_price_in_another_currency_does_not_price_an_order_in_dollars(admin):
    sku = new_sku()
    admin.post("/products", product(sku, currency="EUR"))
    refused = admin.post("/orders", order_body(line_items=[{"sku": sku, "quantity": 1}]))
    assert refused.status == 422 and refused.body["error"]["details"][0]["type"] == "currency_mismatch"
    euros = admin.post("/orders", order_body(currency="EUR", line_items=[{"sku": sku, "quantity": 2}]))
    assert euros.status == 201 and euros.body["total_amount"] == "25.00"
