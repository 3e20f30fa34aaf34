"""What every strategy shares: the candidate, the cost model, single-node pick and the seed's greedy.

A strategy only decides how to score a candidate and, if it wants, how to allocate; filtering,
normalisation and the decision trail live in `oms.domain.sourcing_engine`, so strategies stay tiny.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from oms.domain.geo import KM_PER_MILE
from oms.domain.models import NodeType
from oms.domain.money import to_money
from oms.domain.network import Node

if TYPE_CHECKING:
    from oms.domain.rules import SourcingRuleFields

BASE_PACKAGE_COST = Decimal("5")
COST_PER_MILE = Decimal("0.03")


def package_cost(node: Node, distance_km: float | None) -> Decimal:
    """Seed formula `(5 + 0.03 * miles) * multiplier` in miles (its README wrongly says km)."""
    miles = Decimal(repr(round((distance_km or 0.0) / KM_PER_MILE, 4)))
    return to_money((BASE_PACKAGE_COST + COST_PER_MILE * miles) * node.shipping_cost_multiplier)


@dataclass
class Candidate:
    """An eligible node with what the order needs from it, plus its normalised sub-scores."""

    node: Node
    distance_km: float | None
    cost: Decimal
    stock: dict[str, int]
    fills_all: bool
    dist_score: float = 0.0
    cost_score: float = 0.0
    inv_score: float = 0.0
    score: float = 0.0

    @property
    def sum_inv(self) -> int:
        return sum(self.stock.values())


@dataclass
class Context:
    """Everything an allocation needs; candidates come sorted best score first. A strategy that
    searches stops at `deadline`, read on `clock` (both from the caller, so tests can drive time)."""

    needs: dict[str, int]
    candidates: list[Candidate]
    rule: SourcingRuleFields
    max_nodes: int
    allow_partial: bool
    clock: Callable[[], float] | None = None
    deadline: float = math.inf


@dataclass
class Allocation:
    """node_id -> sku -> quantity, with how it was found (for the trail)."""

    lines: dict[str, dict[str, int]] = field(default_factory=dict)
    mode: str = "none"  # single | split | none
    optimal: bool | None = None
    note: str = ""

    def units(self) -> int:
        return sum(q for per_sku in self.lines.values() for q in per_sku.values())


def plan_cost(lines: dict[str, dict[str, int]], costs: dict[str, Decimal], penalty: Decimal) -> Decimal:
    """Shipping per package (one per node used) plus the penalty for every package beyond the first."""
    used = [node_id for node_id, per_sku in lines.items() if any(per_sku.values())]
    if not used:
        return Decimal("0.00")
    return to_money(sum((costs[n] for n in used), Decimal("0")) + penalty * (len(used) - 1))


def best_single(ctx: Context) -> Allocation | None:
    """The best-scoring candidate that holds every line, if any."""
    for candidate in ctx.candidates:
        if candidate.fills_all:
            return Allocation(
                {candidate.node.id: dict(ctx.needs)},
                "single",
                note=f"{candidate.node.code} is the best-scoring node that holds every line",
            )
    return None


def greedy_split(ctx: Context, ranked: Sequence[Candidate] | None = None) -> Allocation:
    """The seed's split: hardest SKU first (fewest nodes with stock), nodes in score order, take
    min(available, needed), open no more than `max_nodes` nodes. Partial only if allowed."""
    order = list(ctx.candidates if ranked is None else ranked)
    remaining = dict(ctx.needs)
    used: list[str] = []
    lines: dict[str, dict[str, int]] = {}
    holders = {sku: len([c for c in order if c.stock.get(sku, 0) > 0]) for sku in remaining}
    for sku in sorted(remaining, key=lambda s: (holders[s], s)):
        for candidate in order:
            if remaining[sku] == 0:
                break
            node_id = candidate.node.id
            if node_id not in used and len(used) >= ctx.max_nodes:
                continue
            take = min(candidate.stock.get(sku, 0), remaining[sku])
            if take <= 0:
                continue
            lines.setdefault(node_id, {})[sku] = take
            remaining[sku] -= take
            if node_id not in used:
                used.append(node_id)
    short = sum(remaining.values())
    if short and not ctx.allow_partial:
        return Allocation(mode="none", note="no allowed combination of nodes covers the order")
    note = f"greedy split over {len(used)} node(s), hardest SKU first, nodes in score order"
    return Allocation(lines, "split" if lines else "none", note=note)


class Strategy:
    """A scoring rule plus an allocation policy; subclasses usually set only weights."""

    name: ClassVar[str]
    node_types: ClassVar[frozenset[NodeType] | None] = None  # None: any type the rule allows
    description: ClassVar[str] = ""

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        raise NotImplementedError

    def allocate(self, ctx: Context) -> Allocation:
        """Seed behaviour: one node that holds everything, else fall back to a split."""
        single = best_single(ctx)
        if single is not None:
            return single
        if ctx.max_nodes <= 1 and not ctx.allow_partial:
            return Allocation(mode="none", note="no single node holds every line and splits are off")
        return greedy_split(ctx)
