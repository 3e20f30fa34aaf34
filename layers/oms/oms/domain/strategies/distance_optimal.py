"""DISTANCE_OPTIMAL: nearest wins, stock depth breaks near-ties (seed: 0.7 dist + 0.3 inv)."""

from __future__ import annotations

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Candidate, Strategy
from oms.domain.strategies.registry import register


class DistanceOptimal(Strategy):
    name = "DISTANCE_OPTIMAL"
    description = "0.7 distance + 0.3 inventory; one node if possible, else a split"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return 0.7 * candidate.dist_score + 0.3 * candidate.inv_score


STRATEGY = register(DistanceOptimal())
