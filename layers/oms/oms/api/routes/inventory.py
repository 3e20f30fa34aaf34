"""Stock items, adjustments and transfers; the product view (stock grouped by SKU across nodes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import Principal, Role, Strict
from oms.domain.network import (
    AdjustRequest,
    AvailabilityRequest,
    InventoryCreate,
    InventoryUpdate,
    TransferRequest,
)
from oms.domain.product_stock import ProductStockQuery, ProductStockUpdate
from oms.services import inventory, product_stock, stock_alerts


class InventoryQuery(Strict):
    node_id: str | None = Field(default=None, max_length=64)
    sku: str | None = Field(default=None, max_length=64)
    low_stock: bool | None = None
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=2000)


@route(app, "/inventory", ["POST"], role=Role.SUPERADMIN, status=201, body=InventoryCreate)
def create_item(principal: Principal, *, body: InventoryCreate) -> dict[str, Any]:
    return inventory.item_view(inventory.create_item(principal, body))


@route(app, "/inventory", ["GET"], query=InventoryQuery)
def list_items(principal: Principal, *, query: InventoryQuery) -> dict[str, Any]:
    return inventory.list_items(
        principal, query.node_id, query.low_stock, query.sku, query.limit, query.cursor
    )


@route(app, "/inventory/sku/{sku}", ["GET"])
def sku_stock(principal: Principal, sku: str) -> dict[str, Any]:
    return inventory.sku_stock(principal, sku)


@route(app, "/inventory/check-availability", ["POST"], body=AvailabilityRequest)
def check_availability(principal: Principal, *, body: AvailabilityRequest) -> dict[str, Any]:
    return inventory.check_availability(principal, body)


@route(app, "/inventory/transfer", ["POST"], role=Role.SUPERADMIN, body=TransferRequest)
def transfer(principal: Principal, *, body: TransferRequest) -> dict[str, Any]:
    return inventory.transfer(principal, body)


# Literal paths: matched before /inventory/{item_id} (API Gateway and CirrusApp both prefer the
# literal segment), so "products" is never read as an item id.
@route(app, "/inventory/products", ["GET"], query=ProductStockQuery)
def list_product_stock(principal: Principal, *, query: ProductStockQuery) -> dict[str, Any]:
    """Stock grouped by SKU: totals, each node's line, low-stock flags (search, node_id, low_stock)."""
    return product_stock.list_product_stock(principal, query)


@route(app, "/inventory/products/{sku}", ["GET"])
def get_product_stock(principal: Principal, sku: str) -> dict[str, Any]:
    """One SKU's stock at every node, with totals."""
    return product_stock.get_product_stock(principal, sku)


@route(app, "/inventory/products/{sku}", ["PATCH"], role=Role.SUPERADMIN, body=ProductStockUpdate)
def update_product_stock(principal: Principal, sku: str, *, body: ProductStockUpdate) -> dict[str, Any]:
    """Set reorder level, reorder quantity or name on the SKU's stock item at every node at once."""
    return product_stock.update_product_stock(principal, sku, body)


class AlertQuery(Strict):
    state: Literal["OPEN", "RESOLVED"] | None = None
    kind: Literal["LOW_STOCK", "OUT_OF_STOCK"] | None = None
    node_id: str | None = Field(default=None, min_length=1, max_length=64)
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


@route(app, "/inventory/alerts", ["GET"], query=AlertQuery)
def list_stock_alerts(principal: Principal, *, query: AlertQuery) -> dict[str, Any]:
    """Low-stock and out-of-stock alerts (ADR 0039), with the counts of OPEN ones by kind."""
    return stock_alerts.list_alerts(
        principal, query.state, query.kind, query.node_id, query.sku, query.limit, query.cursor
    )


@route(app, "/inventory/{item_id}", ["GET"])
def get_item(principal: Principal, item_id: str) -> dict[str, Any]:
    return inventory.get_item(principal, item_id)


@route(app, "/inventory/{item_id}", ["PATCH"], role=Role.SUPERADMIN, body=InventoryUpdate)
def update_item(principal: Principal, item_id: str, *, body: InventoryUpdate) -> dict[str, Any]:
    return inventory.item_view(inventory.update_item(principal, item_id, body))


@route(app, "/inventory/{item_id}/adjust", ["POST"], role=Role.SUPERADMIN, body=AdjustRequest)
def adjust(principal: Principal, item_id: str, *, body: AdjustRequest) -> dict[str, Any]:
    return inventory.adjust(principal, item_id, body)
