"""DynamoDB calls and read units spent loading a sourcing decision's candidates, per order.

Method: the real template deployed into moto in-process; a tenant with N nodes, each stocking the
order's K SKUs, and the demo's five rules. `services.sourcing.decide` (what the Source step runs)
is called for one order while every botocore call is counted and its read units computed from
the returned items (the meter of bench_cost). Sizes: the demo (8 nodes x 3 SKUs), 50 x 5, and
200 x 10 (a large network; 1,000 nodes would be 100 BatchGetItem calls - see the note).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from benchlib import figure

SIZES = ((8, 3), (50, 5), (200, 10))


def _tenant(tenant_id: str, n_nodes: int, skus: list[str]) -> None:
    from oms.demo import RULES
    from oms.domain.clock import now_iso
    from oms.domain.inventory import item_id_for
    from oms.domain.models import NodeStatus, NodeType
    from oms.domain.network import InventoryItem, Node
    from oms.domain.products import Product
    from oms.services.context import repos

    now = now_iso()
    for i in range(n_nodes):
        node = Node(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            code=f"N{i:04d}",
            name=f"Node {i}",
            node_type=NodeType.DISTRIBUTION_CENTER if i % 5 == 0 else NodeType.RETAIL_STORE,
            status=NodeStatus.ACTIVE,
            latitude=30 + (i * 7919 % 1700) / 100,
            longitude=-120 + (i * 104729 % 4500) / 100,
            can_ship=True,
            can_pickup=True,
            can_curbside=False,
            can_same_day=False,
            daily_order_capacity=500,
            shipping_cost_multiplier=Decimal("1.0"),
            created_at=now,
            updated_at=now,
        )
        repos.nodes.insert(node)
        for sku in skus:
            repos.stock.insert(
                InventoryItem(
                    id=item_id_for(tenant_id, node.id, sku),
                    tenant_id=tenant_id,
                    node_id=node.id,
                    sku=sku,
                    on_hand=50,
                    reserved=0,
                    available=50,
                    reorder_level=0,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    for sku in skus:  # API orders are priced from the catalog
        repos.products.insert(Product(tenant_id=tenant_id, sku=sku, name=sku, price=Decimal("10.00")))
    for rule in RULES:
        rule_id = str(uuid.uuid4())
        repos.rules.insert(tenant_id, rule_id, {"id": rule_id, **rule})


def run() -> list[dict[str, Any]]:
    from bench_cost import Meter

    from infra.local.testing import deployed_template

    figures: list[dict[str, Any]] = []
    with deployed_template():
        from oms.domain.models import OrderCreate, Principal, Role
        from oms.services import orders, sourcing

        meter = Meter()
        meter.install()
        for n_nodes, n_skus in SIZES:
            tenant = f"bench-{n_nodes}x{n_skus}"
            skus = [f"SKU-{i}" for i in range(n_skus)]
            _tenant(tenant, n_nodes, skus)
            principal = Principal(
                user_id="u", email="bench@example.com", tenant_id=tenant, role=Role.SUPERADMIN
            )
            request = OrderCreate.model_validate(
                {
                    "channel": "WEB",
                    "fulfillment_type": "SHIP_TO_HOME",
                    "customer_email": "c@example.com",
                    "customer_name": "Bench",
                    "line_items": [{"sku": s, "quantity": 1, "unit_price": "10.00"} for s in skus],
                    "shipping_address": {
                        "address1": "1 Main St",
                        "city": "New York",
                        "state": "NY",
                        "postal_code": "10001",
                        "country": "US",
                        "latitude": 40.75,
                        "longitude": -73.99,
                    },
                }
            )
            order = orders.preview_order(request, principal)
            meter.calls.clear()
            meter.dynamo.ru = 0
            meter.enabled = True
            decision = sourcing.decide(order)
            meter.enabled = False
            calls = sum(v for k, v in meter.calls.items() if k.startswith("dynamodb:"))
            detail = ", ".join(f"{k.split(':')[1]} {v}" for k, v in sorted(meter.calls.items()))
            print(
                f"  {n_nodes} nodes x {n_skus} SKUs: {detail}; {meter.dynamo.ru:.1f} RU; "
                f"outcome {decision.outcome} by {decision.strategy} in {decision.processing_ms:.1f} ms"
            )
            size = f"{n_nodes} nodes x {n_skus} SKUs"
            figures.append(figure(f"candidate loading DynamoDB calls, {size}", calls, "calls"))
            figures.append(figure(f"candidate loading read units, {size}", meter.dynamo.ru, "RU"))
    return figures
