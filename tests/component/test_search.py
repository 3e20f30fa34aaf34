"""Order and product search through the API (ADR 0028): the index is kept from the orders stream
(the ProjectionFunction is fed the stream's records here, as its mapping would), tenant-scoped,
idempotent for a retried batch, and what it shows follows the orders' status changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.domain.clock import ManualClock, use_clock
from tests.component.apiclient import ApiClient
from tests.component.helpers import ensure_product, order_body, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")

CONTRACT_FIELDS = {
    "id", "order_number", "status", "channel", "fulfillment_type", "customer_name", "customer_email",
    "total_amount", "currency", "created_at", "updated_at", "skus", "score",
}  # fmt: skip


def _order_records(stack: Any) -> list[dict[str, Any]]:
    """The records the projection mapping lets through (order bodies and headers)."""
    return [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["sk"]["S"] in ("ORDER", "BODY")]


def project(stack: Any, invoke: Any) -> None:
    """The projection function, fed the whole stream in batches of 100 (batches it already saw
    again too: they must change nothing)."""
    records = _order_records(stack)
    for start in range(0, len(records), 100):
        assert invoke("ProjectionFunction", {"Records": records[start : start + 100]}) == {
            "batchItemFailures": []
        }


def find(client: ApiClient, **body: Any) -> dict[str, Any]:
    reply = client.post("/search/orders", body)
    assert reply.status == 200, reply
    return dict(reply.body)


def ids(result: dict[str, Any]) -> list[str]:
    return [item["id"] for item in result["items"]]


@pytest.fixture(scope="module")
def zephyr(stack: Any) -> dict[str, Any]:
    """An order of a customer with a rare name, for a SKU only it has, placed and sourced."""
    from tests.component.apiclient import ApiClient as Client
    from tests.component.conftest import _api_callable, _login

    admin = _login(Client(_api_callable(stack)), "admin@example.com", "admin123")
    made = admin.post("/product-categories", {"name": "Fans", "description": "Desk and ceiling fans"})
    assert made.status in (201, 409), made  # 409: it exists already
    ensure_product(admin, "SKU-ZEPHYR-9", "12.50", description="A breeze of a fan", category="Fans")
    reply = admin.post(
        "/orders",
        order_body(
            customer_name="Alice Zabriskie",
            customer_email="alice.zabriskie@example.com",
            line_items=[{"sku": "SKU-ZEPHYR-9", "product_name": "Zephyr Fan", "quantity": 2}],
            tags=["gift-wrap"],
            external_order_id="EXT-777-ZB",
        ),
    )
    assert reply.status == 201, reply
    return wait_for_status(admin, reply.body["id"], {"SOURCED", "BACKORDERED"})


def test_an_order_is_searchable_once_the_stream_carried_it(admin: ApiClient, stack: Any, invoke: Any) -> None:
    name = f"Quillon {uuid.uuid4().hex[:6]}"
    order = admin.post("/orders", order_body(customer_name=name)).body
    assert find(admin, query=name)["total"] == 0  # the writing handler does not index
    project(stack, invoke)
    assert ids(find(admin, query=name)) == [order["id"]]


def test_found_by_typo_number_prefix_sku_email_tag_and_external_id(
    admin: ApiClient, zephyr: dict[str, Any], stack: Any, invoke: Any
) -> None:
    project(stack, invoke)
    typo = find(admin, query="Alise Zabriskie")
    assert ids(typo)[:1] == [zephyr["id"]]
    assert zephyr["id"] in ids(find(admin, query="zabrskie"))  # one typo in the last name
    prefix = zephyr["order_number"][:15]  # ORD-20261129-AB
    assert zephyr["id"] in ids(find(admin, query=prefix, limit=100))
    assert ids(find(admin, query=zephyr["order_number"]))[:1] == [zephyr["id"]]
    assert ids(find(admin, query="SKU-ZEPHYR-9")) == [zephyr["id"]]
    assert ids(find(admin, query="sku-zeph")) == [zephyr["id"]]
    assert ids(find(admin, query="alice.zabriskie@example.com"))[:1] == [zephyr["id"]]
    assert ids(find(admin, query="zephyr fan")) == [zephyr["id"]]  # the line's product name
    assert zephyr["id"] in ids(find(admin, query="gift-wrap", limit=100))
    assert ids(find(admin, query="EXT-777-ZB")) == [zephyr["id"]]
    hit = typo["items"][0]
    assert set(hit) == CONTRACT_FIELDS
    assert hit["order_number"] == zephyr["order_number"]
    assert hit["total_amount"] == zephyr["total_amount"] and hit["currency"] == zephyr["currency"]
    assert hit["skus"] == ["SKU-ZEPHYR-9"] and hit["created_at"] == zephyr["created_at"]
    assert hit["status"] == zephyr["status"]
    # exact beats one typo: the exact name ranks first, with a higher score
    exact = find(admin, query="Alice Zabriskie")
    assert exact["items"][0]["score"] > typo["items"][0]["score"]
    # the same through GET
    reply = admin.get("/search/orders?q=Alise%20Zabriskie&limit=5")
    assert reply.status == 200 and ids(reply.body)[:1] == [zephyr["id"]]
    assert isinstance(reply.body["took_ms"], float)


def test_a_status_change_is_reflected(admin: ApiClient, stack: Any, invoke: Any) -> None:
    name = f"Statusy {uuid.uuid4().hex[:6]}"
    order = wait_for_status(
        admin, admin.post("/orders", order_body(customer_name=name)).body["id"], {"SOURCED"}
    )
    project(stack, invoke)
    assert [i["status"] for i in find(admin, query=name)["items"]] == ["SOURCED"]
    assert admin.post(f"/orders/{order['id']}/cancel", {"reason": "changed mind"}).status == 200
    project(stack, invoke)
    (hit,) = find(admin, query=name)["items"]
    assert hit["status"] == "CANCELLED" and hit["updated_at"] > order["updated_at"]
    assert ids(find(admin, query=name, status="CANCELLED")) == [order["id"]]
    assert ids(find(admin, query=name, status=["SOURCED", "PICKING"])) == []
    assert admin.get(f"/search/orders?q={name.replace(' ', '+')}&status=SHIPPED,CANCELLED").body["total"] == 1


def test_filters_sort_and_pages(admin: ApiClient, stack: Any, invoke: Any) -> None:
    tag = f"batch-{uuid.uuid4().hex[:8]}"
    made = []
    for quantity, channel in ((1, "WEB"), (3, "MOBILE"), (2, "WEB")):
        body = order_body(tags=[tag], channel=channel)
        body["line_items"] = [{"sku": "SKU-WIDGET-A", "quantity": quantity}]
        made.append(admin.post("/orders", body).body)
    project(stack, invoke)
    cheapest = sorted(made, key=lambda o: float(o["total_amount"]))
    by_amount = find(admin, query=tag, sort="total_amount")
    assert ids(by_amount) == [o["id"] for o in cheapest] and by_amount["total"] == 3
    assert ids(find(admin, query=tag, sort="-created_at")) == [o["id"] for o in reversed(made)]
    assert ids(find(admin, query=tag, channel="WEB", sort="created_at")) == [made[0]["id"], made[2]["id"]]
    low, high = cheapest[1]["total_amount"], cheapest[2]["total_amount"]
    assert ids(find(admin, query=tag, min_amount=low, max_amount=high, sort="total_amount")) == [
        cheapest[1]["id"], cheapest[2]["id"],
    ]  # fmt: skip
    day = made[0]["created_at"][:10]
    assert find(admin, query=tag, from_date=day, to_date=day)["total"] == 3
    before = (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()
    assert find(admin, query=tag, to_date=before)["total"] == 0
    # a page at a time, each order once, then the end
    seen, cursor = [], None
    while True:
        page = find(admin, query=tag, limit=1, sort="-total_amount", **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        assert page["total"] == 3
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in reversed(cheapest)]


def test_another_tenant_never_sees_them(
    admin: ApiClient, other_tenant: ApiClient, zephyr: dict[str, Any], stack: Any, invoke: Any
) -> None:
    theirs = other_tenant.post("/orders", order_body(customer_name="Alice Zabriskie"))
    project(stack, invoke)
    assert find(admin, query="Alice Zabriskie")["total"] >= 1
    assert zephyr["id"] not in ids(find(other_tenant, query="Alice Zabriskie", limit=100))
    assert zephyr["id"] not in ids(find(other_tenant, limit=100))
    if theirs.status == 201:  # acme has no catalog: its order may be refused; if not, it is its own
        assert theirs.body["id"] not in ids(find(admin, query="Alice Zabriskie", limit=100))
        assert theirs.body["id"] in ids(find(other_tenant, query="Alice Zabriskie"))
    cursor = find(admin, query="zabriskie", limit=1)["next_cursor"] or "x"
    reply = other_tenant.post("/search/orders", {"query": "zabriskie", "limit": 1, "cursor": cursor})
    assert reply.status == 400 and reply.body["error"]["code"] == "invalid_cursor"


def test_a_retried_batch_writes_the_same_segment_and_no_duplicate(
    admin: ApiClient, stack: Any, invoke: Any
) -> None:
    from oms.data.records import SearchIndexRecord
    from oms.data.search_index import index_pk

    name = f"Retry {uuid.uuid4().hex[:6]}"
    order = admin.post("/orders", order_body(customer_name=name)).body
    mine = [r for r in _order_records(stack) if order["id"] in r["dynamodb"]["Keys"]["pk"]["S"]]
    first_at = datetime.fromtimestamp(float(mine[0]["dynamodb"]["ApproximateCreationDateTime"]), UTC)

    def segments() -> int:
        return sum(1 for r in SearchIndexRecord.query(index_pk("demo")) if r.sk.startswith("S#"))

    with use_clock(ManualClock(first_at + timedelta(seconds=1))):  # the retry comes a second later
        assert invoke("ProjectionFunction", {"Records": mine}) == {"batchItemFailures": []}
        before = segments()
        assert invoke("ProjectionFunction", {"Records": mine}) == {"batchItemFailures": []}
        assert segments() == before  # the same key, written again
    project(stack, invoke)  # and in other batches, later, again
    result = find(admin, query=name)
    assert ids(result) == [order["id"]] and result["total"] == 1


def test_client_mistakes_are_4xx_with_a_code(admin: ApiClient) -> None:
    for body, status, code in (
        ({"status": "SHIPPING"}, 422, "validation_failed"),
        ({"status": []}, 422, "validation_failed"),
        ({"limit": 0}, 422, "validation_failed"),
        ({"limit": 101}, 422, "validation_failed"),
        ({"sort": "price"}, 422, "validation_failed"),
        ({"from_date": "2026-12-01", "to_date": "2026-11-01"}, 422, "validation_failed"),
        ({"from_date": "yesterday"}, 422, "validation_failed"),
        ({"min_amount": "50.00", "max_amount": "10.00"}, 422, "validation_failed"),
        ({"min_amount": "1.234"}, 422, "validation_failed"),
        ({"query": "x" * 201}, 422, "validation_failed"),
        ({"tenant_id": "acme"}, 422, "validation_failed"),
        ({"cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        ({"cursor": "eyJhIjoxfQ.0123456789abcdef"}, 400, "invalid_cursor"),
    ):
        reply = admin.post("/search/orders", body)
        assert (reply.status, reply.body["error"]["code"]) == (status, code), (body, reply)
    page = find(admin, limit=1)
    if page["next_cursor"]:
        tampered = page["next_cursor"][:-3] + ("abc" if page["next_cursor"][-3:] != "abc" else "abd")
        for body in (
            {"limit": 1, "cursor": tampered},
            {"limit": 1, "sort": "created_at", "cursor": page["next_cursor"]},
        ):
            reply = admin.post("/search/orders", body)
            assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_cursor"), reply
    for query in ("status=NOPE", "limit=abc", "q=" + "y" * 201, "cursor=%%%"):
        reply = admin.get(f"/search/orders?{query}")
        assert 400 <= reply.status < 500 and reply.body["error"]["code"], (query, reply)
    reply = admin.post("/search/products", {"min_price": "9.00", "max_price": "1.00"})
    assert reply.status == 422


def test_products_by_text_price_category_and_state(
    admin: ApiClient, other_tenant: ApiClient, zephyr: dict[str, Any]
) -> None:
    def skus(**body: Any) -> list[str]:
        reply = admin.post("/search/products", body)
        assert reply.status == 200, reply
        return [p["sku"] for p in reply.body["items"]]

    assert skus(query="zephr")[:1] == ["SKU-ZEPHYR-9"]  # one typo in the name
    assert skus(query="breeze") == ["SKU-ZEPHYR-9"]  # the description
    assert "SKU-ZEPHYR-9" in skus(query="fans")  # the category
    assert skus(query="sku-zeph") == ["SKU-ZEPHYR-9"]
    assert "SKU-ZEPHYR-9" in skus(min_price="12.50", max_price="12.50", limit=100)
    assert "SKU-ZEPHYR-9" not in skus(min_price="12.51", limit=100)
    assert skus(category="Fans", query="zephyr") == ["SKU-ZEPHYR-9"]
    reply = admin.post("/search/products", {"query": "zephyr"})
    product = reply.body["items"][0]
    assert product["price"] == "12.50" and product["category"] == "Fans" and product["score"] > 0
    assert reply.body["total"] == 1 and reply.body["next_cursor"] is None
    assert other_tenant.post("/search/products", {"query": "zephyr"}).body["total"] == 0
    all_skus, cursor = [], None
    while True:
        page = admin.post("/search/products", {"limit": 3, **({"cursor": cursor} if cursor else {})}).body
        all_skus += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert all_skus == sorted(all_skus) and "SKU-ZEPHYR-9" in all_skus and len(all_skus) == len(set(all_skus))


def test_inactive_products_are_found_only_when_asked(admin: ApiClient) -> None:
    ensure_product(admin, "SKU-RETIRED-1", "5.00", description="an old quokka lamp")
    assert admin.delete("/products/SKU-RETIRED-1").status == 200
    found = admin.post("/search/products", {"query": "quokka"}).body
    assert [p["sku"] for p in found["items"]] == ["SKU-RETIRED-1"]
    assert admin.post("/search/products", {"query": "quokka", "active": True}).body["total"] == 0
    assert admin.post("/search/products", {"query": "quokka", "active": False}).body["total"] == 1


def test_the_search_function_serves_search_with_its_own_role(
    anon: ApiClient, stack: Any, zephyr: dict[str, Any], invoke: Any
) -> None:
    """/search/... is routed to SearchFunction: the same app, its own (narrower) role, which the
    audit checks on every AWS call it makes."""

    def search_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = stack.invoke("SearchFunction", event)
        assert not result.errored, result.payload
        return dict(result.payload)

    token = anon.post("/auth/login", {"email": "user@example.com", "password": "user123"})  # the API's
    assert token.status == 200
    user = ApiClient(search_function).with_token(token.body["access_token"])
    project(stack, invoke)
    assert zephyr["id"] in ids(find(user, query="Alise Zabriskie"))
    assert user.post("/search/products", {"query": "zephyr"}).body["total"] == 1


def test_the_index_is_rebuilt_from_the_orders_table(
    admin: ApiClient, invoke: Any, zephyr: dict[str, Any]
) -> None:
    """An order the stream never carried to the projection is found once the index is rebuilt
    from the orders table; orders it had are not doubled."""
    name = f"Rebuilt {uuid.uuid4().hex[:6]}"
    order = admin.post("/orders", order_body(customer_name=name)).body
    assert find(admin, query=name)["total"] == 0
    result, cursor, runs = {"cursor": None}, None, 0
    while runs == 0 or cursor:
        result = invoke(
            "MaintenanceFunction", {"job": "rebuild_search_index", "tenant_id": "demo", "cursor": cursor}
        )
        cursor, runs = result["cursor"], runs + 1
    assert result["orders"] >= 1
    found = find(admin, query=name)
    assert ids(found) == [order["id"]]
    history = admin.get(f"/orders/{order['id']}").body["status_history"]
    assert found["items"][0]["status"] in {h["status"] for h in history}  # its status when rebuilt
    assert find(admin, query="Alice Zabriskie")["total"] == 1


def test_compaction_merges_segments_and_a_new_process_loads_the_same_index(
    admin: ApiClient, zephyr: dict[str, Any], stack: Any, invoke: Any
) -> None:
    from oms.data.records import SearchIndexRecord
    from oms.data.search_index import index_pk
    from oms.services import search_index

    project(stack, invoke)
    before = find(admin, query="zabriskie", limit=100)
    later = datetime.now(UTC) + timedelta(hours=1)  # every segment has settled by then
    try:
        with use_clock(ManualClock(later)):
            result = invoke("MaintenanceFunction", {"job": "compact_search_index", "tenant_id": "demo"})
        assert result["tenants"] == 1 and result["segments"] > 0 and result["blocks_written"] >= 1
        search_index.forget()  # a new process: blocks first, then the segments after their cutoff
        after = find(admin, query="zabriskie", limit=100)
        assert ids(after) == ids(before) and after["total"] == before["total"]
        assert zephyr["id"] in ids(after)
        with use_clock(ManualClock(later)):  # nothing new: a second run merges nothing
            again = invoke("MaintenanceFunction", {"job": "compact_search_index", "tenant_id": "demo"})
        assert again["segments"] == 0
    finally:  # the blocks' cutoff is an hour ahead of this module's clock: leave none behind
        for row in SearchIndexRecord.query(index_pk("demo"), SearchIndexRecord.sk.startswith("B#")):
            row.delete()
        search_index.forget()
