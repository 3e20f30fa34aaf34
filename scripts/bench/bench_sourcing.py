"""Sourcing decision latency (pure compute) per strategy, and the split strategies' cost gap.

Method: random networks in the continental US (multipliers 0.85-1.3), stock 0-20 per node and SKU
with a third of the cells empty, orders of 1-4 units per line shipped to a random US point, the
default rule (max 3 nodes, $2 per extra package). Latency is `source_order` end to end (filter,
score, allocate, trail) for 3 lines x 8 nodes, 5 x 50 and 10 x 1,000. The cost gap compares each
split strategy with the exact optimum (OPTIMAL_SPLIT with an unlimited budget, which proves it) over
1,000 orders of 2-6 lines x 8-60 nodes, on orders where both ship the same number of units.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from benchlib import figure

from oms.domain import strategies
from oms.domain.models import Node, NodeType, Order, OrderCreate, Principal, Role
from oms.domain.orders import build_order, order_id_for
from oms.domain.products import CatalogPrice
from oms.domain.rules import SourcingRuleFields
from oms.domain.sourcing_engine import source_order

NOW = "2026-11-21T10:00:00.000Z"
PRINCIPAL = Principal(user_id="bench", email="bench@example.com", tenant_id="t1", role=Role.SUPERADMIN)
MULTIPLIERS = ["0.85", "0.9", "1.0", "1.05", "1.15", "1.3"]
SIZES = ((3, 8, 300, None), (5, 50, 200, 2.0), (10, 1000, 20, 50.0))
GAP_ORDERS = 1000


def _network(rng: random.Random, count: int) -> list[Node]:
    return [
        Node(
            id=f"n{i}",
            tenant_id="t1",
            code=f"N{i}",
            name=f"N{i}",
            node_type=rng.choice(list(NodeType)),
            status="ACTIVE",
            latitude=rng.uniform(26, 48),
            longitude=rng.uniform(-123, -70),
            can_ship=True,
            can_pickup=True,
            can_curbside=False,
            can_same_day=False,
            daily_order_capacity=1000,
            shipping_cost_multiplier=Decimal(rng.choice(MULTIPLIERS)),
            created_at=NOW,
            updated_at=NOW,
        )
        for i in range(count)
    ]


def _instance(
    rng: random.Random, lines: int, count: int
) -> tuple[list[Node], dict[tuple[str, str], int], Order]:
    nodes = _network(rng, count)
    skus = [f"SKU-{i}" for i in range(lines)]
    stock = {(n.id, s): rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 20]) for n in nodes for s in skus}
    request = OrderCreate.model_validate(
        {
            "channel": "WEB",
            "fulfillment_type": "SHIP_TO_HOME",
            "customer_email": "bench@example.com",
            "customer_name": "Bench",
            "line_items": [{"sku": s, "quantity": rng.randint(1, 4), "unit_price": "10"} for s in skus],
            "shipping_address": {
                "address1": "1 Main St",
                "city": "X",
                "latitude": rng.uniform(26, 48),
                "longitude": rng.uniform(-123, -70),
            },
        }
    )
    order = build_order(
        request,
        order_id=order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices={s: CatalogPrice(Decimal("10"), "USD") for s in skus},
        idempotency_key=None,
    )
    return nodes, stock, order


def _rule(strategy: str) -> SourcingRuleFields:
    return SourcingRuleFields(name="bench", priority=1, strategy=strategy)


def _latency(rng: random.Random) -> list[dict[str, Any]]:
    figures = []
    for lines, count, reps, target in SIZES:
        instances = [_instance(rng, lines, count) for _ in range(reps)]
        for name in strategies.names():
            rule = _rule(name)
            times = []
            for nodes, stock, order in instances:
                started = time.perf_counter()
                source_order(order, nodes, stock, NOW[:10], rule=rule)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            label = f"sourcing {name} {lines}x{count}"
            figures.append(figure(f"{label} p50", times[len(times) // 2], "ms", target=target))
            figures.append(figure(f"{label} p99", times[min(len(times) - 1, int(len(times) * 0.99))], "ms"))
    return figures


def _gap(rng: random.Random) -> list[dict[str, Any]]:
    gaps: dict[str, list[float]] = {"LEAST_COST_SPLIT": [], "OPTIMAL_SPLIT": []}
    fewer_units = dict.fromkeys(gaps, 0)
    timeouts = 0
    for _ in range(GAP_ORDERS):
        nodes, stock, order = _instance(rng, rng.randint(2, 6), rng.randint(8, 60))
        exact = source_order(order, nodes, stock, NOW[:10], rule=_rule("OPTIMAL_SPLIT"), time_budget_ms=1e9)
        exact_units = sum(a.quantity for a in exact.allocations)
        if not exact_units:
            continue
        for name, values in gaps.items():
            got = source_order(order, nodes, stock, NOW[:10], rule=_rule(name))
            timeouts += name == "OPTIMAL_SPLIT" and got.optimal is False
            if sum(a.quantity for a in got.allocations) < exact_units:
                fewer_units[name] += 1
                continue
            values.append(float((got.estimated_cost - exact.estimated_cost) / exact.estimated_cost) * 100)
    figures = []
    for name, values in gaps.items():
        mean = sum(values) / len(values) if values else 0.0
        note = f"{len(values)} orders; {fewer_units[name]} shipped fewer units than the optimum"
        target = 0.5 if name == "OPTIMAL_SPLIT" else None
        figures.append(figure(f"cost gap {name} mean", mean, "%", target=target, note=note))
        figures.append(figure(f"cost gap {name} max", max(values, default=0.0), "%"))
    figures.append(figure("OPTIMAL_SPLIT time-outs", timeouts, "orders"))
    return figures


def run() -> list[dict[str, Any]]:
    rng = random.Random(20261121)  # noqa: S311 - reproducible test data, not secrets
    return _latency(rng) + _gap(rng)
