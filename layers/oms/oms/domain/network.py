"""Nodes and stock: the fulfilment network's models (requests strict, like every model here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator

from oms.domain.models import (
    MANUAL_REASONS,
    AdjustmentReason,
    Latitude,
    Longitude,
    NodeStatus,
    NodeType,
    Sku,
    Strict,
)


# ------------------------------------------------------------------ nodes
class NodeFields(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    node_type: NodeType | None = None
    status: NodeStatus | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: str | None = Field(default=None, max_length=500)
    can_ship: bool | None = None
    can_pickup: bool | None = None
    can_curbside: bool | None = None
    can_same_day: bool | None = None
    daily_order_capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    shipping_cost_multiplier: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=4)


class NodeCreate(NodeFields):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    name: str = Field(min_length=1, max_length=200)
    node_type: NodeType
    latitude: Latitude
    longitude: Longitude
    status: NodeStatus = NodeStatus.ACTIVE
    can_ship: bool = True
    can_pickup: bool = False
    can_curbside: bool = False
    can_same_day: bool = False
    daily_order_capacity: int = Field(default=1000, ge=0, le=10_000_000)
    shipping_cost_multiplier: Decimal = Field(default=Decimal("1.0"), gt=0, le=100, decimal_places=4)


class NodeUpdate(NodeFields):
    @model_validator(mode="after")
    def _not_empty(self) -> NodeUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        return self


class Node(BaseModel):
    id: str
    tenant_id: str
    code: str
    name: str
    node_type: NodeType
    status: NodeStatus
    latitude: float
    longitude: float
    address: str | None = None
    can_ship: bool
    can_pickup: bool
    can_curbside: bool
    can_same_day: bool
    daily_order_capacity: int
    current_daily_orders: int = 0
    capacity_date: str | None = None
    shipping_cost_multiplier: Decimal
    deleted_at: str | None = None
    created_at: str
    updated_at: str

    def has(self, capability: str) -> bool:
        return bool(getattr(self, capability))


# ------------------------------------------------------------------ inventory
class InventoryCreate(Strict):
    node_id: str = Field(min_length=1, max_length=64)
    sku: Sku
    product_name: str | None = Field(default=None, max_length=200)
    on_hand: int = Field(default=0, ge=0, le=1_000_000_000)
    reorder_level: int = Field(default=0, ge=0, le=1_000_000_000)
    reorder_quantity: int = Field(default=0, ge=0, le=1_000_000_000, description="what to reorder")


class InventoryUpdate(Strict):
    product_name: str | None = Field(default=None, max_length=200)
    reorder_level: int | None = Field(default=None, ge=0, le=1_000_000_000)
    reorder_quantity: int | None = Field(default=None, ge=0, le=1_000_000_000)

    @model_validator(mode="after")
    def _not_empty(self) -> InventoryUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one field must be given")
        return self


class AdjustRequest(Strict):
    delta: int = Field(ge=-1_000_000_000, le=1_000_000_000)
    reason: AdjustmentReason
    note: str | None = Field(default=None, max_length=500)

    @field_validator("delta")
    @classmethod
    def _non_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("delta must not be zero")
        return v

    @field_validator("reason")
    @classmethod
    def _manual(cls, v: AdjustmentReason) -> AdjustmentReason:
        if v not in MANUAL_REASONS:
            raise ValueError(
                f"{v.value} is recorded by the system; use one of "
                + ", ".join(sorted(r.value for r in MANUAL_REASONS))
            )
        return v


class TransferRequest(Strict):
    sku: Sku
    from_node_id: str = Field(min_length=1, max_length=64)
    to_node_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000_000)
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _different_nodes(self) -> TransferRequest:
        if self.from_node_id == self.to_node_id:
            raise ValueError("from_node_id and to_node_id must differ")
        return self


class AvailabilityLine(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1_000_000)


class AvailabilityRequest(Strict):
    items: list[AvailabilityLine] = Field(min_length=1, max_length=100)
    node_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=200
    )


class InventoryItem(BaseModel):
    id: str
    tenant_id: str
    node_id: str
    sku: str
    product_name: str | None = None
    on_hand: int
    reserved: int
    available: int
    reorder_level: int
    reorder_quantity: int = 0
    version: int
    created_at: str
    updated_at: str

    @property
    def low_stock(self) -> bool:
        return self.available <= self.reorder_level


class Adjustment(BaseModel):
    id: str
    item_id: str
    node_id: str
    sku: str
    reason: AdjustmentReason
    delta_on_hand: int
    delta_reserved: int
    on_hand_before: int
    on_hand_after: int
    reserved_before: int | None = None
    reserved_after: int | None = None
    reference: str | None = None
    note: str | None = None
    actor: str
    created_at: str
