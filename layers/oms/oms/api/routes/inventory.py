"""Stock items, adjustments and transfers."""

from __future__ import annotations

from typing import Any

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
from oms.services import inventory


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


@route(app, "/inventory/{item_id}", ["GET"])
def get_item(principal: Principal, item_id: str) -> dict[str, Any]:
    return inventory.get_item(principal, item_id)


@route(app, "/inventory/{item_id}", ["PATCH"], role=Role.SUPERADMIN, body=InventoryUpdate)
def update_item(principal: Principal, item_id: str, *, body: InventoryUpdate) -> dict[str, Any]:
    return inventory.item_view(inventory.update_item(principal, item_id, body))


@route(app, "/inventory/{item_id}/adjust", ["POST"], role=Role.SUPERADMIN, body=AdjustRequest)
def adjust(principal: Principal, item_id: str, *, body: AdjustRequest) -> dict[str, Any]:
    return inventory.adjust(principal, item_id, body)
