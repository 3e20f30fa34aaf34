"""Worked examples for every strategy, the candidate filter, backorders and the decision trail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms.domain import strategies
from oms.domain.models import NodeStatus, NodeType
from oms.domain.orders import build_order, order_id_for
from oms.domain.rules import SourcingRule, SourcingRuleFields
from oms.domain.sourcing import SourcingPlan
from oms.domain.sourcing_engine import BACKORDERED, PARTIALLY_SOURCED, SOURCED, source_order
from oms.domain.strategies.base import package_cost
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, node, order_request

TODAY = NOW[:10]
DC, STORE, DARK = NodeType.DISTRIBUTION_CENTER, NodeType.RETAIL_STORE, NodeType.DARK_STORE

# The seed's network (reference.md): coordinates and shipping cost multipliers.
DC_EAST = node("DC-EAST", 40.5187, -74.4121, shipping_cost_multiplier=Decimal("0.9"))
DC_WEST = node("DC-WEST", 33.9425, -118.4081, shipping_cost_multiplier=Decimal("0.85"))
DC_MID = node("DC-MID", 41.8781, -87.6298, shipping_cost_multiplier=Decimal("1.0"))
STR_NYC = node("STR-NYC-01", 40.7484, -73.9967, node_type=STORE, shipping_cost_multiplier=Decimal("1.2"))
STR_LA = node("STR-LA-01", 34.0736, -118.4004, node_type=STORE, shipping_cost_multiplier=Decimal("1.15"))
STR_CHI = node("STR-CHI-01", 41.8937, -87.6267, node_type=STORE, shipping_cost_multiplier=Decimal("1.1"))
STR_MIA = node("STR-MIA-01", 25.7907, -80.1300, node_type=STORE, shipping_cost_multiplier=Decimal("1.3"))
DARK_SF = node("DARK-SF-01", 37.7749, -122.4194, node_type=DARK, shipping_cost_multiplier=Decimal("1.05"))
NETWORK = [DC_EAST, DC_WEST, DC_MID, STR_NYC, STR_LA, STR_CHI, STR_MIA, DARK_SF]


def make_order(**kw):
    request = order_request(**kw)
    return build_order(
        request,
        order_id=order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )


ORDER = make_order()  # Manhattan; SKU-A x2, SKU-B x1


def stock_everywhere(nodes, qty=10, skus=("SKU-A", "SKU-B")):
    return {(n.id, s): qty for n in nodes for s in skus}


def rule(strategy: str, **kw) -> SourcingRuleFields:
    return SourcingRuleFields(name=f"use {strategy}", priority=1, strategy=strategy, **kw)


def run(strategy: str, stock, nodes=NETWORK, order=ORDER, **kw):
    return source_order(order, nodes, stock, TODAY, rule=rule(strategy, **kw))


def used(decision) -> set[str]:
    return {a.node_code for a in decision.allocations}


def entry(decision, code: str) -> dict:
    return next(c for c in decision.candidates if c["code"] == code)


# ------------------------------------------------------------------ registry and cost model
def test_registry_holds_the_eight_strategies():
    assert strategies.names() == [
        "AI_ADAPTIVE",
        "AI_HYBRID",
        "COST_OPTIMAL",
        "DISTANCE_OPTIMAL",
        "INVENTORY_RESERVATION",
        "LEAST_COST_SPLIT",
        "OPTIMAL_SPLIT",
        "STORE_NEAREST",
    ]
    with pytest.raises(KeyError):
        strategies.get("NOPE")
    with pytest.raises(ValueError, match="already registered"):
        strategies.register(type(strategies.get("COST_OPTIMAL"))())


def test_package_cost_uses_miles_and_the_multiplier():
    far = node("X", 0, 0, shipping_cost_multiplier=Decimal("1.2"))
    assert package_cost(far, 160.9344) == Decimal("9.60")  # 100 miles: (5 + 3) * 1.2
    assert package_cost(far, None) == Decimal("6.00")  # pickup: no distance


# ------------------------------------------------------------------ single-node strategies
def test_distance_optimal_picks_the_nearest_node_and_scores_07_dist_03_inv():
    decision = run("DISTANCE_OPTIMAL", stock_everywhere(NETWORK))
    assert decision.outcome == SOURCED and used(decision) == {"STR-NYC-01"}
    nyc, mia = entry(decision, "STR-NYC-01"), entry(decision, "STR-MIA-01")
    assert nyc["chosen"] and nyc["reason"].startswith("chosen (single)")
    assert "holds every line but" in mia["reason"]
    max_d = max(c["distance_km"] for c in decision.candidates)
    for c in decision.candidates:  # equal stock everywhere: inv = 1 for all
        assert c["score"] == pytest.approx(0.7 * (1 - c["distance_km"] / max_d) + 0.3, abs=1e-4)


def test_distance_optimal_prefers_depth_only_on_near_ties():
    stock = stock_everywhere([STR_NYC], qty=3) | stock_everywhere([DC_EAST], qty=100)
    assert used(run("DISTANCE_OPTIMAL", stock, nodes=[STR_NYC, DC_EAST, STR_LA])) == {"DC-EAST"}
    stock |= stock_everywhere([STR_LA], qty=1000)  # deep but far: distance dominates
    assert used(run("DISTANCE_OPTIMAL", stock, nodes=[STR_NYC, DC_EAST, STR_LA])) == {"DC-EAST"}


def test_cost_optimal_uses_the_rule_weights():
    stock = stock_everywhere(NETWORK)
    # Cost only: DC-EAST (about 30 miles at 0.9) beats the store next door (1 mile at 1.2).
    assert used(run("COST_OPTIMAL", stock, cost_weight=1.0, distance_weight=0.0)) == {"DC-EAST"}
    assert used(run("COST_OPTIMAL", stock, cost_weight=0.0, distance_weight=1.0)) == {"STR-NYC-01"}
    balanced = run("COST_OPTIMAL", stock)
    east = entry(balanced, "DC-EAST")
    costs = [Decimal(c["estimated_cost"]) for c in balanced.candidates]
    max_d = max(c["distance_km"] for c in balanced.candidates)
    expected = 0.5 * (1 - float(Decimal(east["estimated_cost"]) / max(costs))) + 0.5 * (
        1 - east["distance_km"] / max_d
    )
    assert east["score"] == pytest.approx(expected, abs=1e-4)


def test_store_nearest_ships_from_stores_only_with_08_dist_02_inv():
    decision = run("STORE_NEAREST", stock_everywhere(NETWORK))
    assert used(decision) == {"STR-NYC-01"}
    assert "uses DARK_STORE, RETAIL_STORE only" in entry(decision, "DC-EAST")["reason"]
    assert entry(decision, "DC-EAST")["score"] is None
    # A deep, far store does not beat a thin, near one (0.8 on distance), unlike INVENTORY_RESERVATION.
    stock = stock_everywhere([STR_NYC], qty=3) | stock_everywhere([STR_CHI], qty=1000)
    assert used(run("STORE_NEAREST", stock)) == {"STR-NYC-01"}
    assert used(run("INVENTORY_RESERVATION", stock)) == {"STR-CHI-01"}


def test_inventory_reservation_scores_08_inv_02_dist():
    stock = stock_everywhere([STR_NYC], qty=3) | stock_everywhere([STR_LA], qty=50)
    decision = run("INVENTORY_RESERVATION", stock, nodes=[STR_NYC, STR_LA])
    assert used(decision) == {"STR-LA-01"}
    la, nyc = entry(decision, "STR-LA-01"), entry(decision, "STR-NYC-01")
    assert la["score"] == pytest.approx(0.8 * 1 + 0.2 * 0, abs=1e-4)
    expected = 0.8 * (6 / 100) + 0.2 * (1 - nyc["distance_km"] / la["distance_km"])
    assert nyc["score"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("strategy", ["DISTANCE_OPTIMAL", "COST_OPTIMAL", "INVENTORY_RESERVATION"])
def test_single_node_strategies_fall_back_to_a_split(strategy):
    stock = {(STR_NYC.id, "SKU-A"): 2, (DC_EAST.id, "SKU-B"): 5}
    decision = run(strategy, stock)
    assert decision.outcome == SOURCED
    assert {(a.node_code, a.sku, a.quantity) for a in decision.allocations} == {
        ("STR-NYC-01", "SKU-A", 2),
        ("DC-EAST", "SKU-B", 1),
    }
    assert "not used in the split (short of SKU-A 0/2, SKU-B 0/1)" in entry(decision, "STR-MIA-01")["reason"]


# ------------------------------------------------------------------ split strategies
def three_sku_order():
    return make_order(
        line_items=[
            {"sku": "SKU-A", "quantity": 2, "unit_price": "5"},
            {"sku": "SKU-B", "quantity": 2, "unit_price": "5"},
            {"sku": "SKU-C", "quantity": 2, "unit_price": "5"},
        ]
    )


def test_least_cost_split_is_the_seeds_greedy():
    # SKU-C is only at STR-MIA-01 (hardest, goes first); SKU-A/B then follow the score order
    # (0.6 cost + 0.4 inv): DC-EAST is cheapest and holds them, so the split is MIA + EAST.
    stock = {
        (STR_MIA.id, "SKU-C"): 2,
        (STR_MIA.id, "SKU-A"): 1,
        (DC_EAST.id, "SKU-A"): 5,
        (DC_EAST.id, "SKU-B"): 5,
        (STR_NYC.id, "SKU-B"): 2,
    }
    decision = run("LEAST_COST_SPLIT", stock, order=three_sku_order())
    assert decision.outcome == SOURCED
    assert {(a.node_code, a.sku, a.quantity) for a in decision.allocations} == {
        ("STR-MIA-01", "SKU-C", 2),
        ("DC-EAST", "SKU-A", 2),
        ("DC-EAST", "SKU-B", 2),
    }
    east = entry(decision, "DC-EAST")
    assert east["reason"].startswith("chosen (split)") and "rank 1 of" in east["reason"]


def test_greedy_respects_max_split_nodes_and_backorders_the_rest():
    nodes = [node(f"N{i}", 40.7 + i / 100, -74.0) for i in range(4)]
    order = make_order(line_items=[{"sku": "SKU-A", "quantity": 4, "unit_price": "1"}])
    stock = {(n.id, "SKU-A"): 1 for n in nodes}
    decision = run("LEAST_COST_SPLIT", stock, nodes=nodes, order=order, max_split_nodes=3)
    assert decision.outcome == PARTIALLY_SOURCED
    assert len(decision.nodes_used) == 3 and decision.backordered == {"SKU-A": 1}
    assert "backordered SKU-A x1" in decision.reason
    assert run("LEAST_COST_SPLIT", stock, nodes=nodes, order=order, max_split_nodes=4).outcome == SOURCED


def test_optimal_split_beats_the_greedy_where_the_greedy_opens_an_extra_package():
    # SKU-C (hardest) needs MIA + MID; the greedy then takes A and B from DC-EAST, the best
    # scorer: three packages, 5.26 + 26.36 + 49.13 + 2 x 2.00 = 84.75. MIA holds A and B too, so
    # the optimum ships two packages: 26.36 + 49.13 + 2.00 = 77.49.
    stock = {
        (DC_EAST.id, "SKU-A"): 9,
        (DC_EAST.id, "SKU-B"): 9,
        (STR_MIA.id, "SKU-A"): 2,
        (STR_MIA.id, "SKU-B"): 2,
        (STR_MIA.id, "SKU-C"): 1,
        (DC_MID.id, "SKU-C"): 1,
    }
    order = three_sku_order()
    greedy = run("LEAST_COST_SPLIT", stock, order=order)
    best = run("OPTIMAL_SPLIT", stock, order=order)
    assert greedy.outcome == best.outcome == SOURCED
    assert used(greedy) == {"DC-EAST", "STR-MIA-01", "DC-MID"}
    assert greedy.estimated_cost == Decimal("84.75")
    assert used(best) == {"STR-MIA-01", "DC-MID"} and best.estimated_cost == Decimal("77.49")
    assert best.optimal is True
    assert "not used in the split" in entry(best, "DC-EAST")["reason"]
    assert "exact optimum" in best.reason


def test_optimal_split_trades_packages_against_the_penalty():
    # One far node holds all; two near nodes hold half each.
    near_a = node("NEAR-A", 40.76, -73.98)
    near_b = node("NEAR-B", 40.77, -73.97)
    far = node("FAR", 34.05, -118.24)  # Los Angeles: about 2,450 miles, $78.5 a package
    stock = {(near_a.id, "SKU-A"): 2, (near_b.id, "SKU-B"): 1, (far.id, "SKU-A"): 2, (far.id, "SKU-B"): 1}
    nodes = [near_a, near_b, far]
    cheap = run("OPTIMAL_SPLIT", stock, nodes=nodes, extra_package_penalty=Decimal("2"))
    assert used(cheap) == {"NEAR-A", "NEAR-B"}
    assert Decimal("12.00") <= cheap.estimated_cost <= Decimal("12.10")  # 2 x about $5 + $2
    dear = run("OPTIMAL_SPLIT", stock, nodes=nodes, extra_package_penalty=Decimal("100"))
    assert used(dear) == {"FAR"}
    assert run("OPTIMAL_SPLIT", stock, nodes=nodes, max_split_nodes=1).outcome == SOURCED


# ------------------------------------------------------------------ filters, pickup, backorders
def test_candidate_filter_explains_every_exclusion():
    nodes = [
        node("OK", 40.75, -73.99),
        node("CLOSED", 40.75, -73.99, status=NodeStatus.MAINTENANCE),
        node("GONE", 40.75, -73.99, deleted_at=NOW),
        node("FULL", 40.75, -73.99, current_daily_orders=100, capacity_date=TODAY),
        node("YESTERDAY", 40.75, -73.99, current_daily_orders=100, capacity_date="2026-11-20"),
        node("NOSHIP", 40.75, -73.99, can_ship=False),
        node("BANNED", 40.75, -73.99),
        node("STORE", 40.75, -73.99, node_type=STORE),
        node("NOSAMEDAY", 40.75, -73.99),
        node("FAR", 34.05, -118.24),
    ]
    decision = source_order(
        ORDER,
        nodes,
        stock_everywhere(nodes),
        TODAY,
        rule=rule(
            "DISTANCE_OPTIMAL",
            excluded_node_ids=["n-BANNED"],
            allowed_node_types=["DISTRIBUTION_CENTER"],
            max_distance_km=500,
        ),
    )
    reasons = {c["code"]: c["reason"] for c in decision.candidates}
    assert reasons["CLOSED"] == "excluded: node is MAINTENANCE"
    assert reasons["GONE"] == "excluded: node is deleted"
    assert "daily capacity" in reasons["FULL"]
    assert reasons["NOSHIP"] == "excluded: lacks can_ship"
    assert "exclusion list" in reasons["BANNED"]
    assert "RETAIL_STORE not allowed" in reasons["STORE"]
    assert "beyond 500 km" in reasons["FAR"]
    assert not reasons["YESTERDAY"].startswith("excluded")  # yesterday's count does not apply
    same_day = rule("DISTANCE_OPTIMAL", required_capabilities=["can_same_day"])
    assert (
        source_order(ORDER, nodes[:1], stock_everywhere(nodes), TODAY, rule=same_day).outcome == BACKORDERED
    )


def test_fulfilment_type_implies_the_capability():
    curbside = node("CURB", 40.75, -73.99, can_curbside=True)
    order = make_order(fulfillment_type="CURBSIDE_PICKUP", pickup_node_id="n-CURB", shipping_address=None)
    plain = node("PLAIN", 40.75, -73.99, id="n-CURB")
    assert used(run("DISTANCE_OPTIMAL", stock_everywhere([curbside]), [curbside], order)) == {"CURB"}
    decision = run("DISTANCE_OPTIMAL", stock_everywhere([plain]), [plain], order)
    assert decision.outcome == BACKORDERED and "lacks can_curbside" in decision.candidates[0]["reason"]


def test_pickup_is_pinned_to_its_node_even_when_another_is_better():
    order = make_order(fulfillment_type="STORE_PICKUP", pickup_node_id=STR_CHI.id, shipping_address=None)
    stock = stock_everywhere(NETWORK, qty=100) | stock_everywhere([STR_CHI], qty=3)
    decision = run("INVENTORY_RESERVATION", stock, order=order)
    assert used(decision) == {"STR-CHI-01"}
    assert entry(decision, "STR-NYC-01")["reason"] == "excluded: not the pickup node of this order"
    short = stock_everywhere(NETWORK) | {(STR_CHI.id, "SKU-A"): 1, (STR_CHI.id, "SKU-B"): 1}
    partial = run("INVENTORY_RESERVATION", short, order=order)
    assert partial.outcome == PARTIALLY_SOURCED and partial.backordered == {"SKU-A": 1}
    whole = run("INVENTORY_RESERVATION", short, order=order, max_split_nodes=1)
    assert whole.outcome == BACKORDERED and whole.backordered == {"SKU-A": 2, "SKU-B": 1}


def test_no_split_rule_backorders_rather_than_splitting():
    stock = {(STR_NYC.id, "SKU-A"): 2, (DC_EAST.id, "SKU-B"): 5}
    for strategy in strategies.names():
        decision = run(strategy, stock, max_split_nodes=1)
        assert decision.outcome == BACKORDERED, strategy
        assert decision.allocations == [] and decision.backordered == {"SKU-A": 2, "SKU-B": 1}


def test_no_nodes_and_no_stock():
    empty = source_order(ORDER, [], {}, TODAY)
    assert empty.outcome == BACKORDERED and "no eligible node" in empty.reason
    dry = source_order(ORDER, NETWORK, {}, TODAY)
    assert dry.outcome == BACKORDERED and dry.backordered == {"SKU-A": 2, "SKU-B": 1}


# ------------------------------------------------------------------ rules and the trail
def test_rules_choose_the_strategy_and_default_applies_without_a_match():
    rules = [
        SourcingRule(
            id="r-market",
            name="Marketplace",
            priority=1,
            strategy="LEAST_COST_SPLIT",
            conditions=[{"field": "channel", "operator": "EQUALS", "value": "MARKETPLACE"}],
        ),
    ]
    stock = stock_everywhere(NETWORK)
    plain = source_order(ORDER, NETWORK, stock, TODAY, rules)
    assert plain.strategy == "DISTANCE_OPTIMAL" and plain.rule_id is None and plain.rule_name is None
    assert source_order(ORDER, NETWORK, stock, TODAY, rules, default_strategy="COST_OPTIMAL").strategy == (
        "COST_OPTIMAL"
    )
    market = source_order(make_order(channel="MARKETPLACE"), NETWORK, stock, TODAY, rules)
    assert (market.strategy, market.rule_id, market.rule_name) == (
        "LEAST_COST_SPLIT",
        "r-market",
        "Marketplace",
    )


def test_decision_trail_serialises_and_converts_to_the_foundation_plan():
    decision = run("OPTIMAL_SPLIT", stock_everywhere(NETWORK))
    data = decision.to_dict()
    assert data["strategy"] == "OPTIMAL_SPLIT" and data["optimal"] is True
    assert data["estimated_cost"] == str(decision.estimated_cost)
    assert data["processing_ms"] >= 0
    assert len(data["candidates"]) == len(NETWORK)
    for c in data["candidates"]:
        assert {"node_id", "code", "distance_km", "estimated_cost", "stock", "score", "reason"} <= set(c)
    plan = decision.to_plan()
    assert isinstance(plan, SourcingPlan) and plan.outcome == SOURCED
    assert SourcingPlan.from_dict(plan.to_dict()).allocations == plan.allocations
