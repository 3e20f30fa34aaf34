"""Order endpoints: create, idempotency, reads, listing, tenancy, cancellation, manual status."""

from decimal import Decimal

import pytest

from tests.component.helpers import ensure_product, order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def test_create_computes_totals_and_returns_201(admin):
    r = admin.post("/orders", order_body())
    assert r.status == 201, r
    assert r.body["status"] == "PENDING" and r.body["order_number"].startswith("ORD-")
    assert r.body["subtotal"] == "159.97" and r.body["total_amount"] == "159.97"
    assert r.body["channel_link"] is None
    assert r.headers["location"] == f"/orders/{r.body['id']}"


def test_idempotency_key_replays_and_refuses_a_different_body(admin):
    first = admin.post("/orders", order_body(), headers={"Idempotency-Key": "checkout-42"})
    again = admin.post("/orders", order_body(), headers={"Idempotency-Key": "checkout-42"})
    assert first.status == again.status == 201
    assert again.body["id"] == first.body["id"] and again.headers.get("idempotent-replayed") == "true"
    wait_for_status(admin, first.body["id"], {"SOURCED"})
    replay = admin.post("/orders", order_body(), headers={"Idempotency-Key": "checkout-42"})
    assert replay.status == 201 and replay.body == first.body  # the first answer, byte for byte
    other = admin.post(
        "/orders", order_body(customer_name="Mallory"), headers={"Idempotency-Key": "checkout-42"}
    )
    assert other.status == 422 and other.body["error"]["code"] == "idempotency_key_reused"


def test_external_order_id_creates_once(admin):
    a = admin.post("/orders", order_body(channel="MARKETPLACE", external_order_id="shop-1001"))
    b = admin.post("/orders", order_body(channel="MARKETPLACE", external_order_id="shop-1001"))
    assert a.body["id"] == b.body["id"]


def test_price_mismatch_is_422(admin):
    body = order_body(line_items=[{"sku": "SKU-WIDGET-A", "quantity": 1, "unit_price": "1.00"}])
    r = admin.post("/orders", body)
    assert r.status == 422 and r.body["error"]["details"][0]["type"] == "price_mismatch"


@pytest.mark.parametrize(
    "patch",
    [
        {"line_items": []},
        {"customer_email": "x"},
        {"fulfillment_type": "TELEPORT"},
        {"line_items": [{"sku": "SKU-WIDGET-A", "quantity": -1}]},
        {"shipping_address": None},
    ],
)
def test_invalid_orders_are_422_and_store_nothing(admin, patch):
    before = admin.get("/orders?limit=200").body["count"]
    r = admin.post("/orders", order_body(**patch))
    assert r.status == 422, r
    assert admin.get("/orders?limit=200").body["count"] == before


def test_read_by_id_and_number_and_tenant_isolation(admin, other_tenant):
    order = admin.post("/orders", order_body()).body
    assert admin.get(f"/orders/{order['id']}").body["order_number"] == order["order_number"]
    assert admin.get(f"/orders/number/{order['order_number']}").body["id"] == order["id"]
    assert other_tenant.get(f"/orders/{order['id']}").status == 404
    assert other_tenant.get(f"/orders/number/{order['order_number']}").status == 404
    assert order["id"] not in [o["id"] for o in other_tenant.get("/orders").body["items"]]


def test_listing_filters_and_cursor_pagination(admin):
    email = "pager@example.com"
    ids = {
        admin.post("/orders", order_body(customer_email=email, channel=ch)).body["id"]
        for ch in ("WEB", "POS", "WEB", "MOBILE", "WEB")
    }
    seen, cursor = [], None
    while True:
        url = f"/orders?customer_email={email}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(url).body
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == ids and len(seen) == 5
    web = admin.get(f"/orders?customer_email={email}&channel=WEB&limit=50").body["items"]
    assert len(web) == 3 and all(o["channel"] == "WEB" for o in web)
    created = sorted(o["created_at"] for o in admin.get(f"/orders?customer_email={email}").body["items"])
    ranged = admin.get(
        f"/orders?customer_email={email}&created_from={created[1]}&created_to={created[3]}"
    ).body
    assert len(ranged["items"]) == 3
    assert admin.get("/orders?status=NOT_A_STATUS").status == 422
    assert admin.get("/orders?cursor=bm9wZQ").status == 422


def test_cursor_from_another_partition_is_refused(admin):
    email = "cursor@example.com"
    for _ in range(3):
        admin.post("/orders", order_body(customer_email=email))
    cursor = admin.get(f"/orders?customer_email={email}&limit=1").body["next_cursor"]
    assert cursor
    assert admin.get(f"/orders?cursor={cursor}").status == 422


def test_cancel_releases_stock_once_and_is_final(admin, demo_nodes):
    # A SKU of its own: other tests' orders are still being sourced in the background.
    ensure_product(admin, "SKU-CANCEL-ME", "7.50")
    item = admin.post(
        "/inventory", {"node_id": demo_nodes["DC-EAST"], "sku": "SKU-CANCEL-ME", "on_hand": 5}
    ).body
    body = order_body(line_items=[{"sku": "SKU-CANCEL-ME", "quantity": 2, "unit_price": "7.50"}])
    order = admin.post("/orders", body).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    assert admin.get(f"/inventory/{item['id']}").body["reserved"] == 2
    cancelled = admin.post(f"/orders/{order['id']}/cancel", {"reason": "customer asked"})
    assert cancelled.status == 200 and cancelled.body["status"] == "CANCELLED"
    stock = admin.get(f"/inventory/{item['id']}").body
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (5, 0, 5)
    again = admin.post(f"/orders/{order['id']}/cancel", {})
    assert again.status == 200 and again.body["status"] == "CANCELLED"
    assert admin.get(f"/inventory/{item['id']}").body["reserved"] == 0
    types = [e["type"] for e in admin.get(f"/orders/{order['id']}/events").body["items"]]
    assert types.count("order.cancelled") == 1


def test_illegal_manual_transition_is_409_with_allowed_targets(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    r = admin.patch(f"/orders/{order['id']}/status", {"status": "DELIVERED"})
    assert r.status == 409 and r.body["error"]["code"] == "illegal_transition"
    assert "PICKING" in r.body["error"]["details"]["allowed"]


def test_user_role_cannot_patch_status(user, admin):
    order = admin.post("/orders", order_body()).body
    assert user.patch(f"/orders/{order['id']}/status", {"status": "CANCELLED"}).status == 403


def test_a_create_interrupted_between_its_two_writes_is_completed_by_the_retry(admin):
    """The body is written first; if the process dies before the header, the client's retry (same
    key, same body) completes the order from what was stored, and a different body is refused."""
    from oms.data.orders import body_record
    from oms.domain import orders as order_rules
    from oms.domain.models import OrderCreate, Principal, Role
    from oms.domain.products import CatalogPrice

    principal = Principal(user_id="u", email="admin@example.com", tenant_id="demo", role=Role.SUPERADMIN)
    request = OrderCreate.model_validate(order_body())
    order_id = order_rules.order_id_for("demo", "crash-1", None, "WEB")
    earlier = "2026-01-02T03:04:05.000Z"
    half = order_rules.build_order(
        request,
        order_id=order_id,
        principal=principal,
        now=earlier,
        catalog_prices={
            "SKU-WIDGET-A": CatalogPrice(Decimal("29.99"), "USD"),
            "SKU-GADGET-X": CatalogPrice(Decimal("99.99"), "USD"),
        },
        idempotency_key="crash-1",
    )
    body_record(half).save()
    assert admin.get(f"/orders/{order_id}").status == 404  # half an order is not an order
    other = admin.post(
        "/orders", order_body(customer_name="Someone Else"), headers={"Idempotency-Key": "crash-1"}
    )
    assert other.status == 422
    retry = admin.post("/orders", order_body(), headers={"Idempotency-Key": "crash-1"})
    assert retry.status == 201 and retry.body["id"] == order_id
    assert retry.body["created_at"] == earlier and retry.body["order_number"] == half.order_number
    wait_for_status(admin, order_id, {"SOURCED"})
