"""OPTIMAL_SPLIT: the cheapest set of at most `max_split_nodes` nodes, found exactly.

Objective, lexicographic: ship as many units as any allowed node set can, then minimise
sum(package cost of each node used) + extra_package_penalty * (packages - 1). Given a node set,
feasibility is per SKU (units = min(need, sum of stock)), so the search is over node subsets:
depth-first in ascending cost, pruned by an upper bound on the units still reachable and by cost
(candidates are cost-sorted, so once one is too dear, every later one is). The incumbent starts at
the seed's greedy, so the answer is never worse than LEAST_COST_SPLIT even when the time budget
runs out; then `optimal` is False.
"""

from __future__ import annotations

import time
from decimal import Decimal

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Allocation, Candidate, Context, Strategy, greedy_split
from oms.domain.strategies.registry import register

_CHECK_EVERY = 512  # search nodes between clock reads


class _OutOfTime(Exception):
    pass


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def _suffix_bounds(caps: list[list[int]], m: int) -> tuple[list[list[int]], list[int]]:
    """Per SKU, units nodes i.. hold together; and the most units any single node i.. gives."""
    n = len(caps)
    suffix = [[0] * m for _ in range(n + 1)]
    suffix_best = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = [suffix[i + 1][j] + caps[i][j] for j in range(m)]
        suffix_best[i] = max(suffix_best[i + 1], sum(caps[i]))
    return suffix, suffix_best


class OptimalSplit(Strategy):
    name = "OPTIMAL_SPLIT"
    description = "exact minimum shipping + per-package penalty within max_split_nodes (time-boxed)"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        """Scored like LEAST_COST_SPLIT so the trail reads alike and the greedy seed is identical."""
        return 0.6 * candidate.cost_score + 0.4 * candidate.inv_score

    def allocate(self, ctx: Context) -> Allocation:
        started = time.perf_counter()
        skus = list(ctx.needs)
        need = [ctx.needs[s] for s in skus]
        pool = [c for c in ctx.candidates if any(c.stock.get(s, 0) > 0 for s in skus)]
        pool.sort(key=lambda c: (c.cost, -c.score, c.node.code))
        n, m, k = len(pool), len(skus), ctx.max_nodes
        caps = [[min(c.stock.get(s, 0), need[j]) for j, s in enumerate(skus)] for c in pool]
        costs = [_cents(c.cost) for c in pool]
        penalty = _cents(ctx.rule.extra_package_penalty)
        suffix, suffix_best = _suffix_bounds(caps, m)

        index = {c.node.id: i for i, c in enumerate(pool)}
        seed = greedy_split(ctx)
        seed_nodes = [index[node_id] for node_id in seed.lines if node_id in index]
        best_fill = seed.units()
        best_cost = sum(costs[i] for i in seed_nodes) + penalty * (len(seed_nodes) - 1) if seed_nodes else 0
        best_set: list[int] = list(seed_nodes)
        visited = 0
        deadline = started + ctx.time_budget_s

        def search(start: int, chosen: list[int], rem: list[int], fill: int, cost: int) -> None:
            nonlocal best_fill, best_cost, best_set, visited
            visited += 1
            if visited % _CHECK_EVERY == 0 and time.perf_counter() > deadline:
                raise _OutOfTime
            if chosen and (fill > best_fill or (fill == best_fill and cost < best_cost)):
                best_fill, best_cost, best_set = fill, cost, list(chosen)
            if len(chosen) >= k or not any(rem):
                return
            slots = k - len(chosen)
            extra = penalty if chosen else 0
            for i in range(start, n):
                new_cost = cost + costs[i] + extra
                reach = sum(min(rem[j], suffix[i][j]) for j in range(m))
                bound = fill + min(reach, slots * suffix_best[i])
                # Bound and cost only get worse further down the cost-sorted list: stop, not skip.
                if bound < best_fill or (bound == best_fill and new_cost >= best_cost):
                    break
                gain = [min(rem[j], caps[i][j]) for j in range(m)]
                got = sum(gain)
                if got == 0:
                    continue
                chosen.append(i)
                search(i + 1, chosen, [rem[j] - gain[j] for j in range(m)], fill + got, new_cost)
                chosen.pop()

        optimal = True
        try:
            search(0, [], list(need), 0, 0)
        except _OutOfTime:
            optimal = False

        if best_fill < sum(need) and not ctx.allow_partial:
            return Allocation(mode="none", optimal=optimal, note="no allowed node set covers the order")
        lines = _fill(ctx.needs, [(pool[i].node.id, caps[i]) for i in best_set])
        how = "exact optimum" if optimal else "best found within the time budget (not proven optimal)"
        note = f"{how}: {len(lines)} package(s) after {visited} search nodes"
        return Allocation(lines, "split" if lines else "none", optimal=optimal, note=note)


def _fill(needs: dict[str, int], chosen: list[tuple[str, list[int]]]) -> dict[str, dict[str, int]]:
    """Allocate from the chosen nodes in order; every node the search kept contributes."""
    lines: dict[str, dict[str, int]] = {}
    rem = dict(needs)
    for node_id, caps in chosen:
        for sku, cap in zip(needs, caps, strict=True):
            take = min(rem[sku], cap)
            if take > 0:
                lines.setdefault(node_id, {})[sku] = take
                rem[sku] -= take
    return lines


STRATEGY = register(OptimalSplit())
