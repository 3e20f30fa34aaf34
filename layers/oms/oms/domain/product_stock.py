"""The product view of inventory (pure): a SKU's stock items at every node, as one row with
totals, and the product-level settings (reorder level, reorder quantity, name) applied to all of
them at once (KubeRiva's `GET /inventory/products`, `PATCH /inventory/products/{sku}`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import Field, model_validator

from oms.domain.models import Strict
from oms.domain.money import money_str
from oms.domain.network import InventoryItem
from oms.domain.products import Product

Level = Annotated[int, Field(ge=0, le=1_000_000_000)]


class ProductStockQuery(Strict):
    """`search`: a piece of the SKU or the product's name (any case); `node_id`: only that node's
    stock (rows, totals and flags then describe that node); `low_stock`: only products with (true)
    or without (false) a node at or under its reorder level."""

    search: str | None = Field(default=None, min_length=1, max_length=100)
    node_id: str | None = Field(default=None, min_length=1, max_length=64)
    low_stock: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class ProductStockUpdate(Strict):
    """Settings written to the SKU's stock item at every node."""

    reorder_level: Level | None = None
    reorder_quantity: Level | None = None
    product_name: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _not_empty(self) -> ProductStockUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one of reorder_level, reorder_quantity, product_name must be given")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self

    def changes_for(self, item: InventoryItem) -> dict[str, Any]:
        """What must change on `item` ({} when it already has these settings)."""
        wanted = self.model_dump(exclude_unset=True)
        return {k: v for k, v in wanted.items() if getattr(item, k) != v}


def _shared(values: Iterable[int]) -> int | None:
    """The value every node has, or None when they differ (or there is no node)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def product_stock(
    sku: str,
    items: Iterable[InventoryItem],
    product: Product | None,
    node_names: Mapping[str, str],
) -> dict[str, Any]:
    """One row of the view: the catalog's name, category and price (the first stock item's name
    when the SKU is not in the catalog), totals over the nodes, and each node's line. The
    product is `low_stock` when any node is; `reorder_level` and `reorder_quantity` are the
    nodes' common value, null when they differ."""
    stocked = sorted(items, key=lambda i: (node_names.get(i.node_id, ""), i.node_id))
    nodes = [
        {
            "node_id": i.node_id,
            "node_name": node_names.get(i.node_id),
            "item_id": i.id,
            "on_hand": i.on_hand,
            "reserved": i.reserved,
            "available": i.available,
            "reorder_level": i.reorder_level,
            "reorder_quantity": i.reorder_quantity,
            "low_stock": i.low_stock,
        }
        for i in stocked
    ]
    name = product.name if product else next((i.product_name for i in stocked if i.product_name), None)
    return {
        "sku": sku,
        "name": name,
        "category": product.category if product else None,
        "price": money_str(product.price) if product else None,
        "currency": product.currency if product else None,
        "total_on_hand": sum(i.on_hand for i in stocked),
        "total_reserved": sum(i.reserved for i in stocked),
        "total_available": sum(i.available for i in stocked),
        "low_stock": any(i.low_stock for i in stocked),
        "reorder_level": _shared(i.reorder_level for i in stocked),
        "reorder_quantity": _shared(i.reorder_quantity for i in stocked),
        "nodes": nodes,
    }


def wanted(row: Mapping[str, Any], search: str | None, low_stock: bool | None) -> bool:
    """Whether a row passes the filters of the view."""
    if low_stock is not None and row["low_stock"] != low_stock:
        return False
    if not search:
        return True
    needle = search.casefold()
    return needle in row["sku"].casefold() or needle in (row["name"] or "").casefold()
