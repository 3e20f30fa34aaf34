"""AI_ADAPTIVE and AI_HYBRID: DISTANCE_OPTIMAL's scoring, then overlaid by an advisor.

The strategy's own score is the rule score the advisor is shown; the engine asks the advisor
(`oms.domain.ai_overlay`) and blends `w * ai + (1 - w) * rule` (w = 1.0 ADAPTIVE, 0.6 HYBRID), or
falls back to DISTANCE_OPTIMAL with the reason in the decision trail.
"""

from __future__ import annotations

from oms.domain.rules import SourcingRuleFields
from oms.domain.strategies.base import Candidate, Strategy
from oms.domain.strategies.registry import register


class _AiStrategy(Strategy):
    def score(self, candidate: Candidate, rule: SourcingRuleFields) -> float:
        return 0.7 * candidate.dist_score + 0.3 * candidate.inv_score  # DISTANCE_OPTIMAL's


class AiAdaptive(_AiStrategy):
    name = "AI_ADAPTIVE"
    description = "the advisor's score alone (w = 1.0); DISTANCE_OPTIMAL when it cannot advise"


class AiHybrid(_AiStrategy):
    name = "AI_HYBRID"
    description = "0.6 advisor + 0.4 DISTANCE_OPTIMAL score; DISTANCE_OPTIMAL when it cannot advise"


ADAPTIVE = register(AiAdaptive())
HYBRID = register(AiHybrid())
