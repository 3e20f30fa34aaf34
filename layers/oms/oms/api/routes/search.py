"""Search: orders (free text, filters, sort, cursor) and products, for every signed-in person.

Answered from the order search index kept from the orders stream (ADR 0028), so an order is
found a moment after it was placed or changed, not in the same instant."""

from __future__ import annotations

from typing import Any

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import Principal
from oms.domain.search import OrderSearch, OrderSearchQuery, ProductSearch
from oms.services import search


@route(app, "/search/orders", ["POST"], body=OrderSearch)
def search_orders(principal: Principal, *, body: OrderSearch) -> dict[str, Any]:
    """Find orders by text (number, customer name and email, SKU, product name, tags, external
    id; prefixes and one typo per word), filtered, sorted, a page at a time."""
    return search.search_orders(principal, body)


@route(app, "/search/orders", ["GET"], query=OrderSearchQuery)
def search_orders_by_query(principal: Principal, *, query: OrderSearchQuery) -> dict[str, Any]:
    """Find orders (as POST /search/orders; `q` is the text, `status` comma-separated)."""
    return search.search_orders(principal, query)


@route(app, "/search/products", ["POST"], body=ProductSearch)
def search_products(principal: Principal, *, body: ProductSearch) -> dict[str, Any]:
    """Find products by text (sku, name, description, category) and price range."""
    return search.search_products(principal, body)
