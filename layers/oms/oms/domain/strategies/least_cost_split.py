"""LEAST_COST_SPLIT: the seed's greedy split, always (0.6 cost + 0.4 inv, hardest SKU first)."""

from __future__ import annotations

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Allocation, Candidate, Context, Strategy, greedy_split
from oms.domain.strategies.registry import register


class LeastCostSplit(Strategy):
    name = "LEAST_COST_SPLIT"
    description = "0.6 cost + 0.4 inventory, then a greedy split within max_split_nodes"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return 0.6 * candidate.cost_score + 0.4 * candidate.inv_score

    def allocate(self, ctx: Context) -> Allocation:
        return greedy_split(ctx)


STRATEGY = register(LeastCostSplit())
