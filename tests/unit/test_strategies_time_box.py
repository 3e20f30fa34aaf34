"""OPTIMAL_SPLIT's time box, driven by a fake clock (no timed assertions: speed is measured by
scripts/bench/bench_sourcing.py), and its staged, pruned search against brute force."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from itertools import combinations

import pytest

from oms.domain.sourcing_engine import PARTIALLY_SOURCED, SOURCED, source_order
from oms.domain.strategies import optimal_split
from tests.unit.factories import node
from tests.unit.test_strategies import DC_EAST, NETWORK, ORDER, STR_NYC, TODAY, make_order, rule, run

MULT = [Decimal("0.85"), Decimal("1.0"), Decimal("1.3")]


class FakeClock:
    """Seconds that stand still at 0.0 for `still` reads, then jump far past any deadline; counts
    its reads. source_order reads it once on entry, once to set the deadline, then the strategy."""

    def __init__(self, still: int | None = None) -> None:
        self.still, self.reads = still, 0

    def __call__(self) -> float:
        self.reads += 1
        return 0.0 if self.still is None or self.reads <= self.still else 1e9


def random_network(seed: int, count: int, lines: int, empty: float = 0.0):
    """`count` nodes across the US, stock 0-20 of `lines` SKUs (a share `empty` more cells empty)."""
    rng = random.Random(seed)
    nodes = [
        node(f"R{i}", rng.uniform(26, 48), rng.uniform(-123, -70), shipping_cost_multiplier=rng.choice(MULT))
        for i in range(count)
    ]
    skus = [f"SKU-{j}" for j in range(lines)]
    stock = {
        (n.id, s): 0 if rng.random() < empty else rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 20])
        for n in nodes
        for s in skus
    }
    order = make_order(
        line_items=[{"sku": s, "quantity": rng.randint(1, 4), "unit_price": "1"} for s in skus]
    )
    return nodes, stock, order


def test_optimal_split_stops_at_the_first_clock_read_past_the_deadline(monkeypatch):
    # The clock is read at every step (checks in every loop: preparation, dominance, bounds,
    # search). Whichever read the deadline passes at, the strategy stops there and answers with
    # the best plan found so far: valid, covering the order, never dearer than the greedy.
    monkeypatch.setattr(optimal_split, "_CHECK_EVERY", 1)
    nodes, stock, order = random_network(0, 60, 6)

    def decide(strategy: str, clock) -> object:
        return source_order(order, nodes, stock, TODAY, rule=rule(strategy), clock=clock)

    untimed = FakeClock()
    exact = decide("OPTIMAL_SPLIT", untimed)
    greedy = decide("LEAST_COST_SPLIT", FakeClock())
    assert exact.optimal is True and exact.outcome == greedy.outcome == SOURCED
    assert exact.estimated_cost < greedy.estimated_cost  # room for the search to improve on
    strategy_reads = untimed.reads - 3  # the engine: entry, deadline, processing time
    assert strategy_reads > 100  # the search really is interrupted at many different points
    costs = set()
    for still in range(2, untimed.reads - 1):
        clock = FakeClock(still)
        timed_out = decide("OPTIMAL_SPLIT", clock)
        assert timed_out.optimal is False, still
        assert "not proven optimal" in timed_out.reason
        assert clock.reads == still + 2  # one read past the deadline, then the engine's last
        assert timed_out.outcome == SOURCED and not timed_out.backordered
        assert len(timed_out.nodes_used) <= 3
        for a in timed_out.allocations:
            assert a.quantity <= stock[(a.node_id, a.sku)]
        assert exact.estimated_cost <= timed_out.estimated_cost <= greedy.estimated_cost
        costs.add(timed_out.estimated_cost)
    assert len(costs) > 1  # later deadlines find better plans on the way to the optimum
    # the deadline passing only after the strategy's last read changes nothing
    finished = decide("OPTIMAL_SPLIT", FakeClock(untimed.reads - 1))
    assert finished.optimal is True and finished.allocations == exact.allocations


def test_optimal_split_out_of_time_at_once_keeps_the_greedy_or_a_whole_node():
    # The first read is past the deadline: the answer is the incumbent, the greedy (or the
    # cheapest node holding everything, when that is cheaper).
    stock = {(STR_NYC.id, "SKU-A"): 2, (DC_EAST.id, "SKU-B"): 5}
    greedy = run("LEAST_COST_SPLIT", stock)
    timed_out = source_order(ORDER, NETWORK, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=FakeClock(2))
    assert timed_out.optimal is False and "not proven optimal" in timed_out.reason
    assert timed_out.outcome == SOURCED and timed_out.estimated_cost == greedy.estimated_cost
    nodes, stock, order = random_network(7, 300, 10)
    exact = source_order(order, nodes, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=FakeClock())
    timed_out = source_order(order, nodes, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=FakeClock(2))
    greedy = source_order(order, nodes, stock, TODAY, rule=rule("LEAST_COST_SPLIT"))
    assert exact.optimal is True and timed_out.optimal is False
    assert exact.estimated_cost <= timed_out.estimated_cost <= greedy.estimated_cost


def test_optimal_split_reads_the_clock_every_check_every_steps():
    # Default settings, a 300-node network: at least one read per _CHECK_EVERY search steps.
    nodes, stock, order = random_network(3, 300, 10)
    clock = FakeClock()
    decision = source_order(order, nodes, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=clock)
    found = re.search(r"after (\d+) search steps", decision.reason)
    assert decision.optimal is True and found
    # the engine reads three times, the strategy once after its incumbent, then every N steps
    assert clock.reads - 4 == int(found.group(1)) // optimal_split._CHECK_EVERY > 0


def test_optimal_split_out_of_time_when_no_plan_covers_the_order(monkeypatch):
    # Sparse stock, nothing covers: the best fill counts first, a time-out never ships fewer
    # units than the greedy, and the rest is backordered.
    monkeypatch.setattr(optimal_split, "_CHECK_EVERY", 1)
    nodes, stock, order = random_network(9, 80, 8, empty=0.9)

    def units(decision) -> int:
        return sum(a.quantity for a in decision.allocations)

    greedy = source_order(order, nodes, stock, TODAY, rule=rule("LEAST_COST_SPLIT"))
    untimed = FakeClock()
    exact = source_order(order, nodes, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=untimed)
    assert exact.outcome == PARTIALLY_SOURCED and units(exact) > units(greedy)
    for still in range(2, untimed.reads - 1):
        clock = FakeClock(still)
        timed_out = source_order(order, nodes, stock, TODAY, rule=rule("OPTIMAL_SPLIT"), clock=clock)
        assert timed_out.optimal is False and clock.reads == still + 2
        assert units(greedy) <= units(timed_out) <= units(exact)
        assert sum(timed_out.backordered.values()) == sum(exact.backordered.values()) + units(exact) - units(
            timed_out
        )


def brute_force(stock, order, k: int, penalty: Decimal, decision) -> tuple[int, int]:
    """Every node subset up to k: (most units, then least cost in cents)."""
    needs = [(line.sku, line.quantity) for line in order.line_items]
    cents = {c["node_id"]: int(Decimal(c["estimated_cost"]) * 100) for c in decision.candidates}
    rows = {n: [min(stock.get((n, s), 0), q) for s, q in needs] for n in cents}
    rows = {n: row for n, row in rows.items() if any(row)}
    best = (0, 0)
    for size in range(1, k + 1):
        for subset in combinations(rows, size):
            fill = sum(min(q, sum(rows[n][j] for n in subset)) for j, (_, q) in enumerate(needs))
            cost = sum(cents[n] for n in subset) + int(penalty * 100) * (size - 1)
            if fill > best[0] or (fill == best[0] and cost < best[1]):
                best = (fill, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimal_split_staged_and_pruned_is_still_exact(monkeypatch, seed):
    # Tiny stages and both dominance settings, so that every path of the preparation (stages
    # growing, nodes cut by cost, nodes dominated) is taken on 20-45 nodes, against brute force.
    monkeypatch.setattr(optimal_split, "_STAGES", (3, 9, float("inf")))
    monkeypatch.setattr(optimal_split, "_DOMINANCE_WORK", 50 if seed % 2 else 20_000)
    rng = random.Random(seed)
    k, penalty = rng.choice([1, 2, 3]), rng.choice([Decimal("0"), Decimal("2"), Decimal("15")])
    nodes, stock, order = random_network(
        seed, rng.randint(20, 45), rng.randint(2, 6), rng.choice([0, 0.5, 0.8])
    )
    chosen = rule("OPTIMAL_SPLIT", max_split_nodes=k, extra_package_penalty=penalty)
    decision = source_order(order, nodes, stock, TODAY, rule=chosen, time_budget_ms=1e9)
    fill, cost = brute_force(stock, order, k, penalty, decision)
    assert decision.optimal is True
    if k == 1 and fill < sum(line.quantity for line in order.line_items):
        assert decision.allocations == []  # a partial answer is not allowed without splits
        return
    assert sum(a.quantity for a in decision.allocations) == fill
    assert fill == 0 or int(decision.estimated_cost * 100) == cost
