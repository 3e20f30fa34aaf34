"""The order search index (ADR 0028): entries from stream changes, idempotent and order-free
application, filters, sorts, keyset pages and cursors; product ranking."""

from __future__ import annotations

import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.domain.errors import MalformedRequest
from oms.domain.order_index import OrderIndex, money
from oms.domain.products import Product
from oms.domain.projections import OrderChange
from oms.domain.search import OrderSearch, OrderSearchQuery, ProductSearch, encode_cursor
from oms.domain.search_orders import LAG_LIMIT_MS, collapse, entries_by_tenant, segment_stamp
from oms.domain.search_products import search_products

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATUSES = ["PENDING", "SOURCED", "SHIPPED", "DELIVERED", "CANCELLED"]


def placed(i: int, **over: Any) -> dict[str, Any]:
    entry = {
        "o": f"o{i:03d}",
        "n": f"ORD-202611{i % 28 + 1:02d}-X{i:05d}",
        "c": ["Alice Smith", "Bob Jones", "Chloé Martin"][i % 3],
        "e": f"user{i}@example.com",
        "s": ["SKU-A"] if i % 2 else ["SKU-A", "SKU-B"],
        "p": ["Widget"],
        "ch": ["WEB", "API"][i % 2],
        "f": "SHIP_TO_HOME",
        "at": f"2026-11-{i % 28 + 1:02d}T{i % 24:02d}:00:00.000Z",
        "a": f"{10 + i * 7 % 90}.{i % 100:02d}",
        "cu": "USD",
    }
    entry.update(over)
    return entry


def status(i: int, version: int, state: str) -> dict[str, Any]:
    return {"o": f"o{i:03d}", "v": version, "st": state, "u": f"2026-11-29T00:00:{version:02d}.000Z"}


def corpus(n: int = 40) -> list[dict[str, Any]]:
    entries = []
    for i in range(n):
        entries.append(placed(i))
        for version in range(1, i % 4 + 2):
            entries.append(status(i, version, STATUSES[(i + version) % len(STATUSES)]))
    return entries


def state(index: OrderIndex) -> list[tuple[Any, ...]]:
    return sorted(
        (
            order_id,
            index.docs[n] is not None,
            index.status[n],
            index.version[n],
            index.updated[n],
            index.docs[n].customer_name if index.docs[n] else None,  # type: ignore[union-attr]
            index.cents[n],
        )
        for n, order_id in enumerate(index.ids)
    )


def search(index: OrderIndex, **request: Any) -> dict[str, Any]:
    hits, total, _ = index.search(OrderSearch(**request).spec("t1"))
    return {"ids": [h["id"] for h in hits], "total": total, "hits": hits}


# ------------------------------------------------------------------ entries
def _change(item: str, old: Any, new: Any, tenant: str = "t1", order: str = "o1") -> OrderChange:
    return OrderChange("1", tenant, order, item, old, new, None)  # type: ignore[arg-type]


def test_entries_are_the_placed_bodies_and_the_status_changes_per_tenant() -> None:
    body = {
        "order_number": "ORD-1",
        "customer_name": "Ann",
        "customer_email": "ann@x.io",
        "line_items": [{"sku": "A", "product_name": "Apple"}, {"sku": "A", "product_name": "Apple"}],
        "channel": "WEB",
        "fulfillment_type": "SHIP_TO_HOME",
        "created_at": "2026-11-29T10:00:00.000Z",
        "total_amount": "12.50",
        "currency": "EUR",
        "tags": ["vip"],
        "external_order_id": "E-1",
    }
    changes = [
        _change("body", None, body),
        _change("header", None, {"status": "PENDING", "version": 1, "updated_at": "u1"}),
        _change("header", {"status": "PENDING", "version": 1}, {"status": "PENDING", "version": 2}),
        _change(
            "header", {"status": "PENDING"}, {"status": "SOURCED", "version": 3, "updated_at": "u3"}, "t2"
        ),
        _change("body", {"x": 1}, body),  # a body rewritten: not a new order
    ]
    found = entries_by_tenant(changes)
    assert found["t1"] == [
        {"o": "o1", "n": "ORD-1", "c": "Ann", "e": "ann@x.io", "s": ["A"], "p": ["Apple"], "ch": "WEB",
         "f": "SHIP_TO_HOME", "at": "2026-11-29T10:00:00.000Z", "a": "12.50", "cu": "EUR",
         "t": ["vip"], "x": "E-1"},
        {"o": "o1", "v": 1, "st": "PENDING", "u": "u1"},
    ]  # fmt: skip
    assert found["t2"] == [{"o": "o1", "v": 3, "st": "SOURCED", "u": "u3"}]


def test_a_segment_is_stamped_with_its_first_record_unless_that_is_far_from_now() -> None:
    now = 1_800_000_000_000
    assert segment_stamp(now - 3000, now) == now - 3000  # a retry within the limit: the same key
    assert segment_stamp(now - LAG_LIMIT_MS - 1, now) == now  # late: stamped now
    assert segment_stamp(now + LAG_LIMIT_MS + 1, now) == now
    assert segment_stamp(None, now) == now


def test_money_is_two_decimals() -> None:
    assert [money(c) for c in (0, 5, 1999, -250)] == ["0.00", "0.05", "19.99", "-2.50"]


# ------------------------------------------------------------------ applying
@SETTINGS
@given(st.randoms(use_true_random=False), st.integers(0, 40))
def test_applying_is_idempotent_and_order_free(rng: random.Random, repeats: int) -> None:
    entries = corpus(30)
    reference = OrderIndex()
    reference.apply(entries)
    shuffled = entries + [rng.choice(entries) for _ in range(repeats)]
    rng.shuffle(shuffled)
    index = OrderIndex()
    index.apply(shuffled)
    assert state(index) == state(reference)
    assert search(index, query="smith")["ids"] == search(reference, query="smith")["ids"]
    compacted = OrderIndex()
    compacted.apply(collapse(shuffled))
    assert state(compacted) == state(reference)
    assert len(collapse(shuffled)) <= 60


def test_a_status_read_before_its_body_waits_for_it() -> None:
    index = OrderIndex()
    index.apply([status(1, 3, "SHIPPED")])
    assert len(index) == 0 and search(index)["total"] == 0 and search(index, query="alice")["total"] == 0
    index.apply([placed(1), status(1, 2, "SOURCED")])
    assert [h["status"] for h in search(index)["hits"]] == ["SHIPPED"]


# ------------------------------------------------------------------ filters and sorts
@pytest.fixture(scope="module")
def index() -> OrderIndex:
    built = OrderIndex()
    built.apply(corpus())
    return built


def _docs(index: OrderIndex) -> list[SimpleNamespace]:
    """The placed orders as plain records, to check the index's answers against."""
    return [
        SimpleNamespace(
            order_id=index.ids[n],
            status=index.status[n],
            channel=index.channel[n],
            created_at=index.docs[n].created_at,  # type: ignore[union-attr]
            created_ms=index.created[n],
            total_cents=index.cents[n],
        )
        for n in index.placed
    ]


def test_filters_are_what_they_say(index: OrderIndex) -> None:
    docs = _docs(index)
    shipped = {d.order_id for d in docs if d.status in ("SHIPPED", "CANCELLED")}
    assert set(search(index, status=["SHIPPED", "CANCELLED"], limit=100)["ids"]) == shipped
    assert set(search(index, status="PENDING", limit=100)["ids"]) == {
        d.order_id for d in docs if d.status == "PENDING"
    }
    assert set(search(index, channel="API", limit=100)["ids"]) == {
        d.order_id for d in docs if d.channel == "API"
    }
    day = {d.order_id for d in docs if d.created_at.startswith("2026-11-05")}
    assert set(search(index, from_date="2026-11-05", to_date="2026-11-05", limit=100)["ids"]) == day
    after_ten = {
        d.order_id
        for d in docs
        if d.created_at >= "2026-11-05T10:00:00.000Z" and d.created_at[:10] <= "2026-11-05"
    }
    assert (
        set(search(index, from_date="2026-11-05T10:00:00Z", to_date="2026-11-05", limit=100)["ids"])
        == after_ten
    )
    cheap = {d.order_id for d in docs if 2000 <= d.total_cents <= 5000}
    assert set(search(index, min_amount="20.00", max_amount="50", limit=100)["ids"]) == cheap
    assert search(index, fulfillment_type="STORE_PICKUP")["total"] == 0


def test_sorts(index: OrderIndex) -> None:
    docs = _docs(index)
    newest = [d.order_id for d in sorted(docs, key=lambda d: (-d.created_ms, d.order_id))]
    assert search(index, limit=100)["ids"] == newest  # the default without a query
    priciest = search(index, sort="-total_amount", limit=100)["hits"]
    amounts = [Decimal(h["total_amount"]) for h in priciest]
    assert amounts == sorted(amounts, reverse=True)
    oldest = search(index, sort="created_at", limit=100)["hits"]
    assert [h["created_at"] for h in oldest] == sorted(h["created_at"] for h in oldest)
    ranked = search(index, query="alice smyth", limit=100)["hits"]  # relevance, the default with a query
    assert ranked and all(h["customer_name"] == "Alice Smith" for h in ranked)
    assert [h["score"] for h in ranked] == sorted((h["score"] for h in ranked), reverse=True)
    exact = search(index, query="Chloe Martin")["hits"][0]
    assert exact["customer_name"] == "Chloé Martin" and exact["score"] == 1.0


@SETTINGS
@given(
    st.sampled_from(["relevance", "created_at", "-created_at", "total_amount", "-total_amount"]),
    st.integers(1, 7),
    st.sampled_from([None, "smith", "sku-a", "ord-2026111", "example"]),
)
def test_pages_walk_every_match_once_in_order(index: OrderIndex, sort: str, limit: int, query: Any) -> None:
    everything = search(index, query=query, sort=sort, limit=100)
    walked, cursor = [], None
    while True:
        request = OrderSearch(query=query, sort=sort, limit=limit, cursor=cursor)  # type: ignore[arg-type]
        spec = request.spec("t1")
        hits, total, last = index.search(spec)
        assert total == everything["total"]
        walked += [h["id"] for h in hits]
        if last is None:
            break
        cursor = encode_cursor(spec, last)
    assert walked == everything["ids"]


# ------------------------------------------------------------------ cursors and requests
def test_a_cursor_is_bound_to_its_query_and_sealed() -> None:
    spec = OrderSearch(query="smith", limit=2).spec("t1")
    cursor = encode_cursor(spec, (-1.0, -5, "o001"))
    assert OrderSearch(query="smith", limit=5, cursor=cursor).spec("t1").after == (-1.0, -5, "o001")
    for other in (
        OrderSearch(query="smyth", cursor=cursor),
        OrderSearch(query="smith", status="SHIPPED", cursor=cursor),
        OrderSearch(query="smith", sort="created_at", cursor=cursor),
    ):
        with pytest.raises(MalformedRequest) as raised:
            other.spec("t1")
        assert raised.value.code == "invalid_cursor"
    with pytest.raises(MalformedRequest):
        OrderSearch(query="smith", cursor=cursor).spec("t2")  # another tenant's
    with pytest.raises(MalformedRequest):
        OrderSearch(query="smith", cursor=cursor[:-1] + ("0" if cursor[-1] != "0" else "1")).spec("t1")


@SETTINGS
@given(st.text(max_size=300))
def test_any_string_as_a_cursor_is_refused_cleanly(garbage: str) -> None:
    try:
        OrderSearch(cursor=garbage or None).spec("t1")
    except MalformedRequest as exc:
        assert exc.code == "invalid_cursor" and exc.status == 400


def test_get_statuses_are_comma_separated_and_checked() -> None:
    spec = OrderSearchQuery(q="x", status="SHIPPED, DELIVERED").spec("t1")
    assert spec.statuses == {"SHIPPED", "DELIVERED"} and spec.terms == ["x"]
    with pytest.raises(ValueError, match="unknown status"):
        OrderSearchQuery(status="SHIPPED,NOPE")


def test_date_bounds_take_the_whole_day() -> None:
    spec = OrderSearch(from_date="2026-11-29", to_date="2026-11-29").spec("t1")
    assert spec.to_ms is not None and spec.from_ms is not None
    assert spec.to_ms - spec.from_ms == 86_400_000 - 1
    with pytest.raises(ValueError):
        OrderSearch(from_date="2026-11-30", to_date="2026-11-29T23:59:59Z")


# ------------------------------------------------------------------ products
def test_products_rank_filter_and_page() -> None:
    fan = {"tenant_id": "t1", "category": "Fans"}
    catalog = [
        Product(**fan, sku="SKU-FAN-1", name="Zephyr Fan", description="quiet", price=Decimal("12.50")),
        Product(**fan, sku="SKU-FAN-2", name="Zephyr Fan Max", price=Decimal("40.00")),
        Product(
            tenant_id="t1",
            sku="SKU-LAMP",
            name="Lamp",
            description="zephyr-like glow",
            price=Decimal(9),
            active=False,
        ),
    ]

    def skus(**request: Any) -> list[str]:
        hits, _, _ = search_products(catalog, ProductSearch(**request).spec("t1"))
        return [h["sku"] for h in hits]

    assert skus(query="zephr") == ["SKU-FAN-1", "SKU-FAN-2", "SKU-LAMP"]
    assert skus(query="zephyr fan max") == ["SKU-FAN-2"]
    assert skus(query="sku-fan-1") == ["SKU-FAN-1"]
    assert skus(query="zephyr", category="fans") == ["SKU-FAN-1", "SKU-FAN-2"]
    assert skus(query="zephyr", active=False) == ["SKU-LAMP"]
    assert skus(min_price="10", max_price="40.00") == ["SKU-FAN-1", "SKU-FAN-2"]
    assert skus(max_price="9.00") == ["SKU-LAMP"]
    first = ProductSearch(limit=2).spec("t1")
    hits, total, last = search_products(catalog, first)
    assert [h["sku"] for h in hits] == ["SKU-FAN-1", "SKU-FAN-2"] and total == 3 and last is not None
    rest = ProductSearch(limit=2, cursor=encode_cursor(first, last)).spec("t1")
    assert [h["sku"] for h in search_products(catalog, rest)[0]] == ["SKU-LAMP"]
    assert hits[0]["price"] == "12.50" and "tenant_id" not in hits[0] and hits[0]["score"] == 0.0
