"""Small builders for domain objects used across unit tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oms.domain.models import NodeStatus, NodeType, OrderCreate, Principal, Role
from oms.domain.network import Node
from oms.domain.products import CatalogPrice

PRINCIPAL = Principal(user_id="u1", email="admin@example.com", tenant_id="t1", role=Role.SUPERADMIN)
NOW = "2026-11-21T10:00:00.000Z"


def order_request(**overrides: Any) -> OrderCreate:
    data: dict[str, Any] = {
        "channel": "WEB",
        "fulfillment_type": "SHIP_TO_HOME",
        "customer_email": "Alice@Example.com",
        "customer_name": "Alice",
        "line_items": [
            {"sku": "SKU-A", "quantity": 2, "unit_price": "29.99"},
            {"sku": "SKU-B", "quantity": 1, "unit_price": "10.00"},
        ],
        "shipping_address": {
            "address1": "1 Main St",
            "city": "New York",
            "state": "NY",
            "latitude": 40.7614,
            "longitude": -73.9776,
        },
    }
    data.update(overrides)
    return OrderCreate.model_validate(data)


def catalog_for(request: OrderCreate, currency: str = "USD") -> dict[str, CatalogPrice]:
    """A catalog that prices every line of `request` at the price the line states (1.00 if none):
    for tests about sourcing and rules, where the catalog itself is not the subject."""
    return {
        line.sku: CatalogPrice(line.unit_price if line.unit_price is not None else Decimal("1.00"), currency)
        for line in request.line_items
    }


def node(code: str, lat: float, lon: float, **overrides: Any) -> Node:
    data: dict[str, Any] = dict(
        id=f"n-{code}",
        tenant_id="t1",
        code=code,
        name=code,
        node_type=NodeType.DISTRIBUTION_CENTER,
        status=NodeStatus.ACTIVE,
        latitude=lat,
        longitude=lon,
        can_ship=True,
        can_pickup=True,
        can_curbside=False,
        can_same_day=False,
        daily_order_capacity=100,
        shipping_cost_multiplier=Decimal("1.0"),
        created_at=NOW,
        updated_at=NOW,
    )
    data.update(overrides)
    return Node(**data)
