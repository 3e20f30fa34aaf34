"""Search use cases (ADR 0028): orders from the in-memory index kept from the stream, products
from the tenant's catalog. The tenant is the caller's, from the verified token, and nothing else."""

from __future__ import annotations

import time
from typing import Any

from oms.domain.models import Principal
from oms.domain.products import Product
from oms.domain.search import OrderSearch, OrderSearchQuery, ProductSearch, encode_cursor
from oms.domain.search_products import search_products as rank_products
from oms.services import search_index
from oms.services.context import repos

MAX_CATALOG = 10_000  # products one search reads at most (the first, in SKU order)


def search_orders(principal: Principal, request: OrderSearch | OrderSearchQuery) -> dict[str, Any]:
    started = time.perf_counter()
    spec = request.spec(principal.tenant_id)
    with search_index.current(principal.tenant_id) as index:
        hits, total, last = index.search(spec)
    return {
        "items": hits,
        "total": total,
        "next_cursor": encode_cursor(spec, last) if last is not None else None,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def search_products(principal: Principal, request: ProductSearch) -> dict[str, Any]:
    started = time.perf_counter()
    spec = request.spec(principal.tenant_id)
    hits, total, last = rank_products(_catalog(principal.tenant_id), spec)
    return {
        "items": hits,
        "total": total,
        "next_cursor": encode_cursor(spec, last) if last is not None else None,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _catalog(tenant_id: str) -> list[Product]:
    """The tenant's products, deleted ones included (the filters decide), read by pages of its
    catalog partition."""
    products: list[Product] = []
    cursor: str | None = None
    while len(products) < MAX_CATALOG:
        page, cursor = repos.products.page(tenant_id, category=None, active=None, limit=200, cursor=cursor)
        products += page
        if cursor is None:
            break
    return products[:MAX_CATALOG]
