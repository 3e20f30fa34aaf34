"""INVENTORY_RESERVATION: draw from the deepest stock so thin nodes keep their last units
(seed: 0.8 inv + 0.2 dist)."""

from __future__ import annotations

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Candidate, Strategy
from oms.domain.strategies.registry import register


class InventoryReservation(Strategy):
    name = "INVENTORY_RESERVATION"
    description = "0.8 inventory + 0.2 distance; one node if possible, else a split"

    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return 0.8 * candidate.inv_score + 0.2 * candidate.dist_score


STRATEGY = register(InventoryReservation())
