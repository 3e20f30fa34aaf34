"""The product view of inventory: stock grouped by SKU across nodes, and product-level settings
applied to every node's stock item of a SKU at once."""

from __future__ import annotations

from itertools import islice
from typing import Any

from oms.domain.clock import now_iso
from oms.domain.errors import NotFound
from oms.domain.inventory import item_id_for
from oms.domain.models import Principal
from oms.domain.network import InventoryItem
from oms.domain.product_stock import ProductStockQuery, ProductStockUpdate, product_stock, wanted
from oms.domain.products import SKU_PATTERN
from oms.services.context import repos, retry_lost_updates

_MAX_READ = 2000  # stock items one listing request reads, at most (filters skip SKUs, not reads)


def _rows(tenant_id: str, batch: list[tuple[str, list[str]]], names: dict[str, str]) -> list[dict[str, Any]]:
    items = repos.stock.batch_get(tenant_id, [i for _, ids in batch for i in ids])
    by_sku: dict[str, list[InventoryItem]] = {}
    for item in items:
        by_sku.setdefault(item.sku, []).append(item)
    products = repos.products.get_many(tenant_id, (sku for sku, _ in batch))
    return [product_stock(sku, by_sku.get(sku, []), products.get(sku), names) for sku, _ in batch]


def list_product_stock(principal: Principal, query: ProductStockQuery) -> dict[str, Any]:
    """A page of SKUs in SKU order, each with its stock at every node (or at `node_id` only),
    filtered by `search` and `low_stock`. A page may hold fewer than `limit` rows while
    `next_cursor` is set: the filters skipped SKUs and the request had looked at enough."""
    tenant_id = principal.tenant_id
    after = repos.product_stock.after(tenant_id, query.cursor)
    names = {n.id: n.name for n in repos.nodes.all(tenant_id)}
    if query.node_id is not None and query.node_id not in names:
        return {"items": [], "count": 0, "next_cursor": None}
    node_ids = [query.node_id] if query.node_id else sorted(names)
    page_size = min(query.limit + 1, 100)
    skus = repos.product_stock.skus(tenant_id, node_ids, after, page_size=page_size)
    batch_size = max(1, min(page_size, _MAX_READ // max(len(node_ids), 1)))  # SKUs read together
    found: list[dict[str, Any]] = []
    read = 0
    while batch := list(islice(skus, batch_size)):
        for (_, ids), row in zip(batch, _rows(tenant_id, batch, names), strict=True):
            read += len(ids)
            if wanted(row, query.search, query.low_stock):
                if len(found) == query.limit:  # one more exists: the next page starts after the last shown
                    return _page(found, repos.product_stock.cursor(tenant_id, found[-1]["sku"]))
                found.append(row)
            if read >= _MAX_READ:
                return _page(found, repos.product_stock.cursor(tenant_id, row["sku"]))
    return _page(found, None)


def _page(items: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    return {"items": items, "count": len(items), "next_cursor": cursor}


def _read(tenant_id: str, sku: str) -> tuple[list[InventoryItem], dict[str, str]]:
    """Every node's stock item of `sku`, read consistently: item ids follow from (node, SKU), so
    this is the tenant's node list and one BatchGetItem, with no index that could lag."""
    names = {n.id: n.name for n in repos.nodes.all(tenant_id)}
    if not SKU_PATTERN.fullmatch(sku):
        return [], names
    ids = [item_id_for(tenant_id, node_id, sku) for node_id in sorted(names)]
    return repos.stock.batch_get(tenant_id, ids, consistent=True), names


def get_product_stock(principal: Principal, sku: str) -> dict[str, Any]:
    items, names = _read(principal.tenant_id, sku)
    if not items:
        raise NotFound(f"no stock records for {sku}", code="sku_not_found")
    return product_stock(sku, items, repos.products.get(principal.tenant_id, sku), names)


def update_product_stock(principal: Principal, sku: str, request: ProductStockUpdate) -> dict[str, Any]:
    """Write the settings to the SKU's stock item at every node: one transaction over its items,
    each conditioned on the version read (those that already have the settings only checked), so
    a stock movement meanwhile is kept and the change is made again over it; repeating the
    request writes nothing."""
    tenant_id = principal.tenant_id

    def attempt() -> None:
        items, _ = _read(tenant_id, sku)
        if not items:
            raise NotFound(f"no stock records for {sku}", code="sku_not_found")
        # every item, the unchanged ones too: their versions are checked in the same transaction
        repos.product_stock.apply_settings(tenant_id, [(i, request.changes_for(i)) for i in items], now_iso())

    retry_lost_updates(attempt, f"stock of {sku}")  # 409 concurrent_update after a few lost races
    return get_product_stock(principal, sku)
