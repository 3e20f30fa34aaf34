"""Shopify Admin GraphQL for the stock sync and channel refunds (ADR 0040): a SKU's inventory
item, available quantities set and read per location, an order's refundable lines and payments,
and `refundCreate`. Errors as in adapters/shopify: TransientStoreError (retry) or ShopifyRejected."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from oms.adapters.shopify import ShopifyRejected, _graphql
from oms.domain.channels import SHOPIFY_ID
from oms.domain.stock_sync import set_quantities_input

_VARIANT_BY_SKU = """
query($query: String!) {
  productVariants(first: 1, query: $query) { nodes { sku inventoryItem { id } } }
}"""

_SET_QUANTITIES = """
mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}"""

_LOCATION_LEVELS = """
query($id: ID!, $after: String) {
  location(id: $id) {
    inventoryLevels(first: 250, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { item { id sku } quantities(names: ["available"]) { name quantity } }
    }
  }
}"""

_ORDER_FOR_REFUND = """
query($id: ID!) {
  order(id: $id) {
    id
    lineItems(first: 250) { nodes { id sku quantity refundableQuantity } }
    transactions(first: 50) { id kind status gateway amountSet { shopMoney { amount } } }
    refunds(first: 50) { id note }
  }
}"""

_REFUND_CREATE = """
mutation($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id }
    userErrors { field message }
  }
}"""


def inventory_item_of(config: dict[str, Any], sku: str, cost: dict[str, Any] | None = None) -> str | None:
    """The inventory item of the variant with exactly this SKU; None when Shopify has none."""
    search = 'sku:"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'
    data = _graphql(config, _VARIANT_BY_SKU, {"query": search}, cost)
    for node in (data.get("productVariants") or {}).get("nodes") or []:
        item = (node.get("inventoryItem") or {}).get("id")
        if (
            node.get("sku") == sku
            and isinstance(item, str)
            and item.startswith("gid://shopify/InventoryItem/")
        ):
            return item
    return None


def set_available(
    config: dict[str, Any], quantities: Sequence[dict[str, Any]], cost: dict[str, Any] | None = None
) -> str:
    """Set absolute available quantities (one call, at most 250); returns the adjustment group."""
    data = _graphql(config, _SET_QUANTITIES, {"input": set_quantities_input(quantities)}, cost)
    result = data.get("inventorySetQuantities") or {}
    if result.get("userErrors"):
        raise ShopifyRejected(f"inventorySetQuantities refused: {json.dumps(result['userErrors'])[:300]}")
    return str((result.get("inventoryAdjustmentGroup") or {}).get("id") or "")


def location_levels(
    config: dict[str, Any], location_id: str, after: str | None, cost: dict[str, Any] | None = None
) -> tuple[list[tuple[str, str, int]], str | None]:
    """One page of (sku, inventory item id, available) stocked at a location, and the next cursor."""
    data = _graphql(config, _LOCATION_LEVELS, {"id": location_id, "after": after}, cost)
    location = data.get("location")
    if location is None:
        raise ShopifyRejected(f"Shopify has no location {location_id}")
    levels = location.get("inventoryLevels") or {}
    rows = []
    for node in levels.get("nodes") or []:
        item = node.get("item") or {}
        available = next(
            (
                int(q.get("quantity") or 0)
                for q in node.get("quantities") or []
                if q.get("name") == "available"
            ),
            0,
        )
        if item.get("sku") and item.get("id"):
            rows.append((str(item["sku"]), str(item["id"]), available))
    page = levels.get("pageInfo") or {}
    return rows, (str(page["endCursor"]) if page.get("hasNextPage") and page.get("endCursor") else None)


def order_for_refund(config: dict[str, Any], shopify_order_id: str) -> dict[str, Any]:
    """The order's line items (id, sku, quantity, refundable), transactions and refunds."""
    if not SHOPIFY_ID.fullmatch(shopify_order_id):
        raise ShopifyRejected("not a Shopify order id")
    order = _graphql(config, _ORDER_FOR_REFUND, {"id": f"gid://shopify/Order/{shopify_order_id}"}).get(
        "order"
    )
    if order is None:
        raise ShopifyRejected(f"Shopify has no order {shopify_order_id}")
    return {
        "id": str(order.get("id") or f"gid://shopify/Order/{shopify_order_id}"),
        "line_items": list((order.get("lineItems") or {}).get("nodes") or []),
        "transactions": list(order.get("transactions") or []),
        "refunds": list(order.get("refunds") or []),
    }


def create_refund(config: dict[str, Any], refund: dict[str, Any]) -> str:
    result = _graphql(config, _REFUND_CREATE, {"input": refund}).get("refundCreate") or {}
    if result.get("userErrors"):
        raise ShopifyRejected(f"refundCreate refused: {json.dumps(result['userErrors'])[:300]}")
    return str((result.get("refund") or {}).get("id") or "")
