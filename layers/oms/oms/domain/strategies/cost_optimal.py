"""COST_OPTIMAL: the rule's weights trade shipping cost against distance (seed: w_c cost + w_d dist)."""

from __future__ import annotations

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Candidate, Strategy
from oms.domain.strategies.registry import register


class CostOptimal(Strategy):
    name = "COST_OPTIMAL"
    description = "cost_weight * cost + distance_weight * distance (rule weights, default 0.5/0.5)"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return rule.cost_weight * candidate.cost_score + rule.distance_weight * candidate.dist_score


STRATEGY = register(CostOptimal())
