"""Product search (pure): a tenant's catalog, indexed on the spot with the tokeniser and ranking of
order search (ADR 0028). A catalog is small (hundreds to a few thousand products) and has no
stream to keep an index from, so each search reads the tenant's catalog partition (a Query, never
a Scan) and ranks it here."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from oms.domain.products import Product
from oms.domain.search import SearchSpec
from oms.domain.search_text import TextIndex, normalise, terms

COMPOUND_EXACT, COMPOUND_PREFIX = 0.5, 0.25


def _wanted(product: Product, spec: SearchSpec) -> bool:
    price = int(product.price * 100)
    return (
        (spec.category is None or (product.category or "").casefold() == spec.category.casefold())
        and (spec.active is None or product.sellable == spec.active)
        and (spec.min_cents is None or price >= spec.min_cents)
        and (spec.max_cents is None or price <= spec.max_cents)
    )


def search_products(
    products: Sequence[Product], spec: SearchSpec
) -> tuple[list[dict[str, Any]], int, tuple[Any, ...] | None]:
    """The page of products (as GET /products/{sku} shows them, with `score`), how many match,
    and the sort key of the last one shown when more follow."""
    kept = [p for p in products if _wanted(p, spec)]
    if spec.terms:
        index = TextIndex()
        for number, product in enumerate(kept):
            index.add(number, terms(product.sku, product.name, product.description, product.category))
        scored = index.search(spec.terms)
        for number in scored:
            sku = normalise(kept[number].sku)
            for token in spec.compounds:
                scored[number] += (
                    COMPOUND_EXACT if sku == token else COMPOUND_PREFIX if sku.startswith(token) else 0.0
                )
        matched = [(kept[n], s) for n, s in scored.items()]
    else:
        matched = [(p, 0.0) for p in kept]

    def key(m: tuple[Product, float]) -> tuple[Any, ...]:
        return (-m[1], m[0].sku) if spec.sort == "relevance" else (m[0].sku,)

    pool = matched if spec.after is None else [m for m in matched if key(m) > spec.after]
    page = heapq.nsmallest(spec.limit + 1, pool, key=key)
    more = len(page) > spec.limit
    page = page[: spec.limit]
    hits = [{**p.public(), "score": round(s, 6)} for p, s in page]
    return hits, len(matched), key(page[-1]) if more and page else None
