"""Sourcing decision latency (pure compute) per strategy, and the split strategies' cost gap.

Method: random networks in the continental US (multipliers 0.85-1.3), stock 0-20 per node and SKU
with a third of the cells empty, orders of 1-4 units per line shipped to a random US point, the
default rule (max 3 nodes, $2 per extra package). Latency is `source_order` end to end (filter,
score, allocate, trail), wall clock, best of 3 per order, for 3 lines x 8 nodes, 5 x 50 and
10 x 1,000. The instances are built first and then frozen out of the garbage collector
(`gc.freeze`), so a collection does not walk twenty networks that one Lambda invocation would never
hold at once.

OPTIMAL_SPLIT's time box: 200 orders of 10 lines x 1,000 nodes, built and timed one at a time,
under the deployed time budget (`SOURCING_TIME_BUDGET_MS`, default `DEFAULT_TIME_BUDGET_MS`); p99
must be at most 100 ms, and the share of orders that hit the budget (their answer is the best plan
found, marked `optimal: false`) is printed.

The cost gap compares each split strategy with the exact optimum (OPTIMAL_SPLIT with an unlimited
budget, which proves it) over 1,000 orders of 2-6 lines x 8-60 nodes, on orders where both ship
the same number of units.
"""

from __future__ import annotations

import gc
import os
import random
import time
from decimal import Decimal
from typing import Any

from benchlib import figure

from oms.domain import strategies
from oms.domain.models import NodeType, Order, OrderCreate, Principal, Role
from oms.domain.network import Node
from oms.domain.orders import build_order, order_id_for
from oms.domain.products import CatalogPrice
from oms.domain.rules import SourcingRuleFields
from oms.domain.sourcing_engine import DEFAULT_TIME_BUDGET_MS, source_order

NOW = "2026-11-21T10:00:00.000Z"
PRINCIPAL = Principal(user_id="bench", email="bench@example.com", tenant_id="t1", role=Role.SUPERADMIN)
MULTIPLIERS = ["0.85", "0.9", "1.0", "1.05", "1.15", "1.3"]
SIZES = ((3, 8, 300, None), (5, 50, 200, 2.0), (10, 1000, 20, 50.0))
GAP_ORDERS = 1000
# each order is sourced this many times and its best time kept: a shared two-core machine's
# scheduling noise (±50 % between runs at 2 ms) measures the machine, not the code
REPEATS = 3
BOX_ORDERS, BOX_LINES, BOX_NODES, BOX_P99_MS = 200, 10, 1000, 100.0


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


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _frozen(build: Any) -> Any:
    """Build the instances, then take them (and all else alive) out of the collector's walks."""
    gc.unfreeze()
    gc.collect()
    made = build()
    gc.freeze()
    return made


def _latency(rng: random.Random) -> list[dict[str, Any]]:
    figures = []
    for lines, count, reps, target in SIZES:
        instances = _frozen(lambda: [_instance(rng, lines, count) for _ in range(reps)])  # noqa: B023
        for name in strategies.names():
            if name == "OPTIMAL_SPLIT" and (lines, count) == (BOX_LINES, BOX_NODES):
                continue  # measured on more orders by _time_box
            rule = _rule(name)
            times = []
            for nodes, stock, order in instances:
                runs = []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    source_order(order, nodes, stock, NOW[:10], rule=rule)
                    runs.append((time.perf_counter() - started) * 1000)
                times.append(min(runs))
            label = f"sourcing {name} {lines}x{count}"
            figures.append(figure(f"{label} p50", _percentile(times, 0.5), "ms", target=target))
            figures.append(figure(f"{label} p99", _percentile(times, 0.99), "ms"))
    return figures


def _time_box(rng: random.Random, budget_ms: float) -> list[dict[str, Any]]:
    """OPTIMAL_SPLIT at 10 lines x 1,000 nodes under the deployed budget: p50, p99 (target), and
    how many orders ran into the budget (their plan is the best found, marked not optimal). One
    order at a time, as one invocation would hold it, after a collection outside the clock."""
    rule = _rule("OPTIMAL_SPLIT")
    times, cpu, hit = [], [], 0
    for _ in range(BOX_ORDERS):
        nodes, stock, order = _instance(rng, BOX_LINES, BOX_NODES)
        gc.collect()
        started, started_cpu = time.perf_counter(), time.thread_time()
        decision = source_order(order, nodes, stock, NOW[:10], rule=rule, time_budget_ms=budget_ms)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        hit += decision.optimal is False
    label = f"sourcing OPTIMAL_SPLIT {BOX_LINES}x{BOX_NODES}"
    note = f"{BOX_ORDERS} orders, search budget {budget_ms:g} ms"
    return [
        figure(f"{label} p50", _percentile(times, 0.5), "ms", note=note),
        figure(f"{label} p99", _percentile(times, 0.99), "ms", target=BOX_P99_MS, note=note),
        figure(f"{label} max", max(times), "ms"),
        # CPU time of the same runs: what the wall clock would read on a core of its own
        figure(f"{label} p99 cpu", _percentile(cpu, 0.99), "ms"),
        figure(f"{label} budget hit", hit / BOX_ORDERS * 100, "%", note=f"{hit} of {BOX_ORDERS} orders"),
    ]


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
    box_rng = random.Random(20261129)  # noqa: S311
    budget_ms = float(os.environ.get("SOURCING_TIME_BUDGET_MS", DEFAULT_TIME_BUDGET_MS))
    try:
        return _latency(rng) + _time_box(box_rng, budget_ms) + _gap(rng)
    finally:
        gc.unfreeze()
