"""OPTIMAL_SPLIT: the cheapest set of at most `max_split_nodes` nodes, found exactly, time-boxed.

Objective, lexicographic: ship as many units as any allowed node set can, then minimise
sum(package cost of each node used) + extra_package_penalty * (packages - 1). Given a node set,
feasibility is per SKU (units = min(need, sum of stock)), so the search is over node subsets:
depth-first in ascending cost, pruned by an upper bound on the units still reachable and by cost
(candidates are cost-sorted, so once one is too dear, every later one is).

The time box covers everything the strategy does, preparation included. The incumbent comes first
(the seed's greedy, so the answer is never worse than LEAST_COST_SPLIT, or the cheapest node that
holds every line if that is better); then, in stages over the cheapest 32, 256 and then all nodes,
the tables are built one node at a time, leaving out nodes that cannot beat the best plan so far
and nodes that `max_split_nodes` cheaper nodes dominate, and the stage is searched. The clock
(`Context.clock`, injected by the engine) is read once after the incumbent and then every
`_CHECK_EVERY` steps of any of these loops; past `Context.deadline` the best plan found so far is
returned with `optimal=False`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from decimal import Decimal

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Allocation, Candidate, Context, Strategy, greedy_split
from oms.domain.strategies.registry import register

_CHECK_EVERY = 64  # loop steps between clock reads (a step is a few microseconds at most)
_DOMINANCE_WORK = 20_000  # pairwise comparisons spent on dominance per order, at most
_STAGES = (32, 256, math.inf)  # pool sizes of the successive stages (cheapest nodes first)


class _OutOfTime(Exception):
    pass


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class OptimalSplit(Strategy):
    name = "OPTIMAL_SPLIT"
    description = "exact minimum shipping + per-package penalty within max_split_nodes (time-boxed)"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        """Scored like LEAST_COST_SPLIT so the trail reads alike and the greedy seed is identical."""
        return 0.6 * candidate.cost_score + 0.4 * candidate.inv_score

    def allocate(self, ctx: Context) -> Allocation:
        search = _Search(ctx)
        optimal = search.run()
        if search.best_fill < search.total and not ctx.allow_partial:
            return Allocation(mode="none", optimal=optimal, note="no allowed node set covers the order")
        lines = _fill(ctx.needs, search.best_plan())
        how = "exact optimum" if optimal else "best found within the time budget (not proven optimal)"
        note = f"{how}: {len(lines)} package(s) after {search.steps} search steps"
        return Allocation(lines, "split" if lines else "none", optimal=optimal, note=note)


class _Search:
    """Depth-first branch and bound over node subsets in ascending cost; money in integer cents.

    Nodes are numbered once, cheapest first (`order`); their per-SKU rows are built on demand. The
    search runs in stages over growing prefixes of that order (`_STAGES`), so a cheap plan found
    among the nearest nodes cuts the dearer ones before their rows are even built; the last stage
    holds every node that could still improve the plan, so finishing it proves the optimum.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.clock: Callable[[], float] | None = ctx.clock if ctx.deadline < math.inf else None
        self.deadline = ctx.deadline
        self.skus = list(ctx.needs)
        self.need = [ctx.needs[s] for s in self.skus]
        self.total = sum(self.need)
        self.m, self.k = len(self.skus), ctx.max_nodes
        self.penalty = _cents(ctx.rule.extra_package_penalty)
        self.steps = 0
        self.order: list[Candidate] = []  # every candidate, cheapest first
        self.cents: list[int] = []
        self.rows: dict[int, list[int]] = {}  # position in `order` -> units per SKU (capped by need)
        self.best_set: list[int] = []  # positions in `order`
        self.best_fill = 0
        self.best_cost = 0
        self.dominance_work = _DOMINANCE_WORK
        self.packed: dict[int, int] = {}  # position in `order` -> its row packed for dominance
        # the current stage: positions in `order`, and their tables
        self.members: list[int] = []
        self.n = 0
        self.caps: list[list[int]] = []
        self.costs: list[int] = []

    # ------------------------------------------------------------------ the clock
    def _check(self) -> None:
        """Count a step; every `_CHECK_EVERY` steps, stop if the deadline has passed."""
        self.steps += 1
        if self.steps % _CHECK_EVERY == 0 and self.clock is not None and self.clock() > self.deadline:
            raise _OutOfTime

    def run(self) -> bool:
        """True when the search finished (the answer is proven optimal)."""
        self._incumbent()
        try:
            if self.clock is not None and self.clock() > self.deadline:
                raise _OutOfTime  # the incumbent alone took the budget
            scanned, pool = 0, list(self.best_set)
            for limit in _STAGES:
                scanned, pool, exhausted = self._grow(scanned, pool, limit)
                self._stage(pool)
                self._branch(0, [], list(self.need), 0, 0)
                if exhausted:
                    return True
        except _OutOfTime:
            return False
        raise AssertionError("the last stage is unlimited")  # pragma: no cover

    def best_plan(self) -> list[tuple[str, list[int]]]:
        return [(self.order[g].node.id, self.rows[g]) for g in self.best_set]

    # ------------------------------------------------------------------ preparation
    def _row(self, g: int) -> list[int]:
        row = self.rows.get(g)
        if row is None:
            stock = self.order[g].stock
            row = [min(stock.get(s, 0), q) for s, q in zip(self.skus, self.need, strict=True)]
            self.rows[g] = row
        return row

    def _incumbent(self) -> None:
        """Number the candidates, cheapest first; then the incumbent: the seed's greedy (or the
        cheapest node holding every line, if better), the answer whenever the clock runs out, so
        a time-out is never worse than LEAST_COST_SPLIT. Not clock-checked: the guarantee needs it
        (a few milliseconds at 1,000 nodes)."""
        ctx = self.ctx
        ranked = sorted((_cents(c.cost), -c.score, c.node.code, i, c) for i, c in enumerate(ctx.candidates))
        self.order = [c for *_, c in ranked]
        self.cents = [cost for cost, *_ in ranked]
        where = {c.node.id: g for g, c in enumerate(self.order)}
        plans = [sorted(where[n] for n in greedy_split(ctx).lines)]
        whole = next((g for g, c in enumerate(self.order) if c.fills_all), None)
        if whole is not None:
            plans.append([whole])
        for plan in plans:
            rem = list(self.need)
            kept = []
            for g in plan:  # keep only nodes that still add something, in cost order
                got = [min(r, c) for r, c in zip(rem, self._row(g), strict=True)]
                if any(got):
                    kept.append(g)
                    rem = [r - u for r, u in zip(rem, got, strict=True)]
            fill, cost = self.total - sum(rem), self._cost(kept)
            if (
                not self.best_set
                or fill > self.best_fill
                or (fill == self.best_fill and cost < self.best_cost)
            ):
                self.best_set, self.best_fill, self.best_cost = kept, fill, cost

    def _cost(self, positions: list[int]) -> int:
        return sum(self.cents[g] for g in positions) + self.penalty * (len(positions) - 1) if positions else 0

    def _useful(self, g: int) -> bool:
        """Can a plan using node g beat the best one? Not if it holds nothing; and with the best
        plan complete, alone it must hold everything for less, and with company it pays at least
        one more package (the cheapest node's) and the penalty."""
        row = self._row(g)
        got = sum(row)
        if not got:
            return False
        if self.best_fill < self.total:
            return True
        cost = self.cents[g]
        if got == self.total:
            return cost < self.best_cost
        return cost + self.cents[0] + self.penalty < self.best_cost

    def _grow(self, scanned: int, pool: list[int], limit: float) -> tuple[int, list[int], bool]:
        """The next stage's pool: the last one's nodes still useful, the best plan's, and further
        nodes in cost order until `limit` nodes. Exhausted when no later node can help."""
        keep = set(self.best_set)
        pool = [g for g in pool if g in keep or self._useful(g)]
        taken = set(pool)
        total = len(self.order)
        while scanned < total and len(pool) < limit:
            self._check()
            if self.best_fill == self.total and self.cents[scanned] >= self.best_cost:
                scanned = total  # cost-sorted: every later node is dearer still
                break
            if scanned not in taken and self._useful(scanned):
                pool.append(scanned)
            scanned += 1
        pool.sort()
        return scanned, pool, scanned >= total

    def _stage(self, pool: list[int]) -> None:
        """The tables of one stage: dominated nodes out, then rows, costs and bounds."""
        members = self._undominated(pool)
        self.members = members
        self.n = len(members)
        self.caps = [self.rows[g] for g in members]
        self.costs = [self.cents[g] for g in members]
        self._bounds()
        self.holders: list[list[int]] = [[] for _ in range(self.m)]
        for i, row in enumerate(self.caps):
            self._check()
            for j in range(self.m):
                if row[j]:
                    self.holders[j].append(i)
        self.rarest = sorted(range(self.m), key=lambda j: len(self.holders[j]))

    def _undominated(self, pool: list[int]) -> list[int]:
        """Drop a node when `max_split_nodes` nodes kept before it (no dearer) hold at least as
        much of every SKU: in any plan it can be swapped for one of them that the plan does not
        use, shipping as much for no more. The best plan's nodes stay. Comparisons are capped by
        `_DOMINANCE_WORK` per order; past that, nodes are kept unexamined (always safe).

        A row is packed into one integer, a field of `shift` bits per SKU whose top bit is a guard,
        so that "h holds at least as much of every SKU as i" is one subtraction: ((h | guards) - i)
        keeps every guard bit exactly when no field borrows."""
        shift = max(self.need).bit_length() + 1
        guards = sum(1 << (j * shift + shift - 1) for j in range(self.m))
        kept: list[int] = []
        packed: list[int] = []
        best = set(self.best_set)
        for g in pool:
            self._check()
            mine = self.packed.get(g)
            if mine is None:
                mine = self.packed[g] = sum(c << (j * shift) for j, c in enumerate(self.rows[g]))
            if g not in best and self.dominance_work > 0:
                dominators = 0
                for other in packed:  # cost-sorted, so every kept node is no dearer than g
                    if ((other | guards) - mine) & guards == guards:
                        dominators += 1
                        if dominators >= self.k:
                            break
                self.dominance_work -= len(packed)
                if dominators >= self.k:
                    continue
            kept.append(g)
            packed.append(mine)
        return kept

    def _bounds(self) -> None:
        """For nodes i.. and each SKU, the units its r best holders give (r = 0..k): r more nodes
        can never add more of that SKU. And the most units any single node i.. gives, over all
        SKUs. A SKU's row is shared between positions until a larger holder shows up."""
        n, m, k = self.n, self.m, self.k
        top: list[list[int]] = [[] for _ in range(m)]
        current: list[list[int]] = [[0] * (k + 1) for _ in range(m)]
        self.tops: list[list[list[int]]] = [current] * (n + 1)
        self.suffix_best = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            self._check()
            row = self.caps[i]
            changed = False
            for j in range(m):
                cap, held = row[j], top[j]
                if cap and (len(held) < k or cap > held[-1]):
                    held.append(cap)
                    held.sort(reverse=True)
                    del held[k:]
                    sums = [0] * (k + 1)
                    for r in range(1, k + 1):
                        sums[r] = sums[r - 1] + (held[r - 1] if r <= len(held) else 0)
                    if not changed:
                        current, changed = list(current), True
                    current[j] = sums
            self.tops[i] = current
            self.suffix_best[i] = max(self.suffix_best[i + 1], sum(row))

    # ------------------------------------------------------------------ the search
    def _offer(self, fill: int, cost: int, chosen: list[int]) -> None:
        if fill > self.best_fill or (fill == self.best_fill and cost < self.best_cost):
            self.best_fill, self.best_cost = fill, cost
            self.best_set = [self.members[i] for i in chosen]

    def _branch(self, start: int, chosen: list[int], rem: list[int], fill: int, cost: int) -> None:
        self._check()
        if chosen:
            self._offer(fill, cost, chosen)
        if len(chosen) >= self.k or not any(rem):
            return
        slots = self.k - len(chosen)
        extra = self.penalty if chosen else 0
        if slots == 1:
            self._last(start, chosen, rem, fill, cost + extra)
            return
        m, caps, tops, costs = self.m, self.caps, self.tops, self.costs
        for i in range(start, self.n):
            self._check()
            new_cost = cost + costs[i] + extra
            reach = sum(min(rem[j], tops[i][j][slots]) for j in range(m))
            bound = fill + min(reach, slots * self.suffix_best[i])
            # Bound and cost only get worse further down the cost-sorted list: stop, not skip.
            if bound < self.best_fill or (bound == self.best_fill and new_cost >= self.best_cost):
                break
            gain = [min(rem[j], caps[i][j]) for j in range(m)]
            got = sum(gain)
            if got == 0:
                continue
            # Short of the best fill, it needs a later (no cheaper) node and one more penalty.
            short = fill + got < self.best_fill == bound and i + 1 < self.n
            if short and new_cost + self.penalty + costs[i + 1] >= self.best_cost:
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
            self._check()
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
            self._check()
            new_cost = cost + self.costs[i]
            if new_cost >= self.best_cost:
                return
            if all(caps[i][j] >= rem[j] for j in range(m)):
                self._offer(self.total, new_cost, [*chosen, i])
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
