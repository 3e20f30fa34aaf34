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
from bisect import bisect_left
from decimal import Decimal

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Allocation, Candidate, Context, Strategy, greedy_split
from oms.domain.strategies.registry import register

_CHECK_EVERY = 512  # search nodes between clock reads


class _OutOfTime(Exception):
    pass


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def _suffix_bounds(caps: list[list[int]], m: int, k: int) -> tuple[list[list[list[int]]], list[int]]:
    """For nodes i.. and each SKU, the units its r best holders give (r = 0..k): r more nodes can
    never add more of that SKU. And the most units any single node i.. gives, over all SKUs."""
    n = len(caps)
    top: list[list[int]] = [[] for _ in range(m)]  # per SKU, the k largest caps seen so far
    tops: list[list[list[int]]] = [[[0] * (k + 1) for _ in range(m)] for _ in range(n + 1)]
    suffix_best = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        for j in range(m):
            if caps[i][j]:
                top[j] = sorted([*top[j], caps[i][j]], reverse=True)[:k]
            running = 0
            row = tops[i][j]
            for r in range(1, k + 1):
                running += top[j][r - 1] if r <= len(top[j]) else 0
                row[r] = running
        suffix_best[i] = max(suffix_best[i + 1], sum(caps[i]))
    return tops, suffix_best


class OptimalSplit(Strategy):
    name = "OPTIMAL_SPLIT"
    description = "exact minimum shipping + per-package penalty within max_split_nodes (time-boxed)"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        """Scored like LEAST_COST_SPLIT so the trail reads alike and the greedy seed is identical."""
        return 0.6 * candidate.cost_score + 0.4 * candidate.inv_score

    def allocate(self, ctx: Context) -> Allocation:
        search = _Search(ctx)
        optimal = search.run()
        if search.best_fill < sum(search.need) and not ctx.allow_partial:
            return Allocation(mode="none", optimal=optimal, note="no allowed node set covers the order")
        pool, caps = search.pool, search.caps
        lines = _fill(ctx.needs, [(pool[i].node.id, caps[i]) for i in search.best_set])
        how = "exact optimum" if optimal else "best found within the time budget (not proven optimal)"
        note = f"{how}: {len(lines)} package(s) after {search.visited} search nodes"
        return Allocation(lines, "split" if lines else "none", optimal=optimal, note=note)


class _Search:
    """Depth-first branch and bound over node subsets in ascending cost; money in integer cents."""

    def __init__(self, ctx: Context) -> None:
        self.deadline = time.perf_counter() + ctx.time_budget_s
        skus = list(ctx.needs)
        self.need = [ctx.needs[s] for s in skus]
        pool = [c for c in ctx.candidates if any(c.stock.get(s, 0) > 0 for s in skus)]
        pool.sort(key=lambda c: (c.cost, -c.score, c.node.code))
        self.pool = pool
        self.n, self.m, self.k = len(pool), len(skus), ctx.max_nodes
        self.caps = [[min(c.stock.get(s, 0), self.need[j]) for j, s in enumerate(skus)] for c in pool]
        self.costs = [_cents(c.cost) for c in pool]
        self.penalty = _cents(ctx.rule.extra_package_penalty)
        self.tops, self.suffix_best = _suffix_bounds(self.caps, self.m, self.k)
        self.holders = [[i for i in range(self.n) if self.caps[i][j]] for j in range(self.m)]
        self.rarest = sorted(range(self.m), key=lambda j: len(self.holders[j]))
        self.visited = 0
        # Incumbent: the seed's greedy, so a time-out is never worse than LEAST_COST_SPLIT.
        index = {c.node.id: i for i, c in enumerate(pool)}
        seed = greedy_split(ctx)
        self.best_set = [index[node_id] for node_id in seed.lines if node_id in index]
        self.best_fill = seed.units()
        self.best_cost = (
            sum(self.costs[i] for i in self.best_set) + self.penalty * (len(self.best_set) - 1)
            if self.best_set
            else 0
        )

    def run(self) -> bool:
        """True when the search finished (the answer is proven optimal)."""
        try:
            self._branch(0, [], list(self.need), 0, 0)
        except _OutOfTime:
            return False
        return True

    def _tick(self) -> None:
        self.visited += 1
        if self.visited % _CHECK_EVERY == 0 and time.perf_counter() > self.deadline:
            raise _OutOfTime

    def _offer(self, fill: int, cost: int, chosen: list[int]) -> None:
        if fill > self.best_fill or (fill == self.best_fill and cost < self.best_cost):
            self.best_fill, self.best_cost, self.best_set = fill, cost, list(chosen)

    def _branch(self, start: int, chosen: list[int], rem: list[int], fill: int, cost: int) -> None:
        self._tick()
        if chosen:
            self._offer(fill, cost, chosen)
        if len(chosen) >= self.k or not any(rem):
            return
        slots = self.k - len(chosen)
        extra = self.penalty if chosen else 0
        if slots == 1:
            self._last(start, chosen, rem, fill, cost + extra)
            return
        m, caps, tops = self.m, self.caps, self.tops
        for i in range(start, self.n):
            new_cost = cost + self.costs[i] + extra
            reach = sum(min(rem[j], tops[i][j][slots]) for j in range(m))
            bound = fill + min(reach, slots * self.suffix_best[i])
            # Bound and cost only get worse further down the cost-sorted list: stop, not skip.
            if bound < self.best_fill or (bound == self.best_fill and new_cost >= self.best_cost):
                break
            gain = [min(rem[j], caps[i][j]) for j in range(m)]
            got = sum(gain)
            if got == 0:
                continue
            chosen.append(i)
            self._branch(i + 1, chosen, [rem[j] - gain[j] for j in range(m)], fill + got, new_cost)
            chosen.pop()

    def _last(self, start: int, chosen: list[int], rem: list[int], fill: int, cost: int) -> None:
        """The final node: no recursion, just the best single addition (the hot loop)."""
        cap_fill = fill + sum(rem)
        if self.best_fill == cap_fill:
            self._last_to_complete(start, chosen, rem, cost)
            return
        for i in range(start, self.n):
            self._tick()
            new_cost = cost + self.costs[i]
            if self.best_fill == cap_fill and new_cost >= self.best_cost:
                break  # nothing can fill more, and every later node costs at least as much
            if fill + self.suffix_best[i] < self.best_fill:
                break
            got = sum(map(min, rem, self.caps[i]))
            if got:
                self._offer(fill + got, new_cost, [*chosen, i])

    def _last_to_complete(self, start: int, chosen: list[int], rem: list[int], cost: int) -> None:
        """Only a node holding all that is left can help: walk the holders of the rarest SKU."""
        m, caps = self.m, self.caps
        if any(rem[j] > self.tops[start][j][1] for j in range(m)):
            return  # no single node from here on holds enough of some SKU
        column = self.holders[next(j for j in self.rarest if rem[j])]
        for i in column[bisect_left(column, start) :]:
            self.visited += 1
            new_cost = cost + self.costs[i]
            if new_cost >= self.best_cost:
                return
            if all(caps[i][j] >= rem[j] for j in range(m)):
                self.best_cost, self.best_set = new_cost, [*chosen, i]
                return  # the first one found is the cheapest (cost-sorted)


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
