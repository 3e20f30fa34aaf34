"""STORE_NEAREST: ship from stores only (seed code: 0.8 dist + 0.2 inv; its README wrongly says it
is identical to DISTANCE_OPTIMAL)."""

from __future__ import annotations

from oms.domain.models import NodeType
from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Candidate, Strategy
from oms.domain.strategies.registry import register


class StoreNearest(Strategy):
    name = "STORE_NEAREST"
    node_types = frozenset({NodeType.RETAIL_STORE, NodeType.DARK_STORE})
    description = "0.8 distance + 0.2 inventory over retail and dark stores only"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return 0.8 * candidate.dist_score + 0.2 * candidate.inv_score


STRATEGY = register(StoreNearest())
