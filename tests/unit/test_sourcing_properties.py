"""Property tests over random networks, stock and orders: the invariants every strategy keeps,
and OPTIMAL_SPLIT against the seed's greedy and against brute force."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.domain import strategies
from oms.domain.models import NodeType
from oms.domain.orders import build_order, order_id_for
from oms.domain.rules import SourcingRuleFields
from oms.domain.sourcing_engine import BACKORDERED, PARTIALLY_SOURCED, SOURCED, source_order
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, node, order_request

TODAY = NOW[:10]
SKUS = ("S0", "S1", "S2", "S3")
MULTIPLIERS = (Decimal("0.85"), Decimal("0.9"), Decimal("1.0"), Decimal("1.15"), Decimal("1.3"))
NODE_TYPES = (NodeType.DISTRIBUTION_CENTER, NodeType.RETAIL_STORE, NodeType.DARK_STORE)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_nodes: int = 7, pickup: bool = False):
    """A random network, its stock of a random order's SKUs, the order, and a rule's split limits;
    with `pickup`, sometimes a store-pickup order pinned to one of the nodes."""
    count = draw(st.integers(1, max_nodes))
    nodes = [
        node(
            f"N{i}",
            draw(st.floats(25, 49, allow_nan=False)),
            draw(st.floats(-124, -67, allow_nan=False)),
            node_type=draw(st.sampled_from(NODE_TYPES)),
            shipping_cost_multiplier=draw(st.sampled_from(MULTIPLIERS)),
        )
        for i in range(count)
    ]
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=4, unique=True))
    lines = [{"sku": s, "quantity": draw(st.integers(1, 6)), "unit_price": "1"} for s in skus]
    stock = {(n.id, s): draw(st.integers(0, 6)) for n in nodes for s in skus}
    request: dict[str, object] = {
        "line_items": lines,
        "shipping_address": {
            "address1": "1 A St",
            "city": "X",
            "state": "NY",
            "latitude": draw(st.floats(25, 49, allow_nan=False)),
            "longitude": draw(st.floats(-124, -67, allow_nan=False)),
        },
    }
    if pickup and draw(st.booleans()):
        pinned = draw(st.sampled_from(nodes))
        request |= {"fulfillment_type": "STORE_PICKUP", "pickup_node_id": pinned.id, "shipping_address": None}
    order_in = order_request(**request)
    order = build_order(
        order_in,
        order_id=order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(order_in),
        idempotency_key=None,
    )
    max_split = draw(st.integers(1, 4))
    penalty = draw(st.sampled_from([Decimal("0"), Decimal("2.00"), Decimal("7.50"), Decimal("40")]))
    return nodes, stock, order, max_split, penalty


def decide(instance, strategy: str):
    nodes, stock, order, max_split, penalty = instance
    rule = SourcingRuleFields(
        name="r", priority=1, strategy=strategy, max_split_nodes=max_split, extra_package_penalty=penalty
    )
    return source_order(order, nodes, stock, TODAY, rule=rule, time_budget_ms=10_000)


def units(decision) -> int:
    return sum(a.quantity for a in decision.allocations)


@SETTINGS
@given(instances(pickup=True))
def test_every_strategy_keeps_the_invariants(instance):
    nodes, stock, order, max_split, _ = instance
    needs = {line.sku: line.quantity for line in order.line_items}
    for name in strategies.names():
        decision = decide(instance, name)
        taken: dict[tuple[str, str], int] = {}
        for a in decision.allocations:
            assert a.quantity > 0
            taken[(a.node_id, a.sku)] = taken.get((a.node_id, a.sku), 0) + a.quantity
        assert all(q <= stock[key] for key, q in taken.items()), name  # never beyond stock
        assert len(decision.nodes_used) <= max_split, name  # never beyond max_split_nodes
        for sku, need in needs.items():  # covered, or the rest is backordered
            got = sum(q for (_, s), q in taken.items() if s == sku)
            assert got + decision.backordered.get(sku, 0) == need, name
        assert all(q > 0 for q in decision.backordered.values())
        expected = SOURCED if not decision.backordered else PARTIALLY_SOURCED if taken else BACKORDERED
        assert decision.outcome == expected
        if max_split == 1:  # no splits: one whole node, or nothing reserved at all
            assert decision.outcome in (SOURCED, BACKORDERED), name
        if order.pickup_node_id:  # click-and-collect ships from the pickup node or not at all
            assert set(decision.nodes_used) <= {order.pickup_node_id}, name
        assert len(decision.candidates) == len(nodes)  # every node is in the trail, with a reason
        assert all(c["reason"] for c in decision.candidates)


@SETTINGS
@given(instances())
def test_optimal_split_is_never_worse_than_the_greedy(instance):
    greedy = decide(instance, "LEAST_COST_SPLIT")
    best = decide(instance, "OPTIMAL_SPLIT")
    assert best.optimal is True
    assert units(best) >= units(greedy)
    if units(best) == units(greedy):
        assert best.estimated_cost <= greedy.estimated_cost


def brute_force(instance, decision) -> tuple[int, Decimal]:
    """Every node subset up to the split limit: (most units, then least cost)."""
    _, stock, order, max_split, penalty = instance
    needs = {line.sku: line.quantity for line in order.line_items}
    cost = {c["node_id"]: Decimal(c["estimated_cost"]) for c in decision.candidates}
    best = (0, Decimal("0"))
    for size in range(1, max_split + 1):
        for subset in combinations(sorted(cost), size):
            fill = sum(min(q, sum(stock[(n, s)] for n in subset)) for s, q in needs.items())
            total = sum((cost[n] for n in subset), Decimal("0")) + penalty * (size - 1)
            if fill > best[0] or (fill == best[0] and total < best[1]):
                best = (fill, total)
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_nodes=6))
def test_optimal_split_matches_brute_force(instance):
    _, _, order, max_split, _ = instance
    decision = decide(instance, "OPTIMAL_SPLIT")
    fill, cost = brute_force(instance, decision)
    total = sum(line.quantity for line in order.line_items)
    if fill < total and max_split == 1:  # a partial answer is not allowed without splits
        assert decision.allocations == []
        return
    assert units(decision) == fill
    if fill:
        assert decision.estimated_cost == cost
