"""AI sourcing against rule-based sourcing, over labelled outcomes (GET
/architect/ai-sourcing/performance). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from oms.domain.advisor import AI_STRATEGIES, FALLBACK_STRATEGY
from oms.domain.learning.stats import LabelledOutcome, Stat


def _lift_pct(ai: Stat, baseline: Stat) -> float | None:
    if not ai.samples or not baseline.samples or not baseline.mean:
        return None
    return round(100 * (ai.mean - baseline.mean) / baseline.mean, 2)


def _brief(stat: Stat) -> dict[str, Any]:
    return {"samples": stat.samples, "mean_score": round(stat.mean, 4) if stat.samples else None}


def ai_against_rules(outcomes: Iterable[LabelledOutcome]) -> dict[str, Any]:
    """Per strategy (the one that really decided): samples and mean outcome score; AI
    (AI_ADAPTIVE and AI_HYBRID together) against DISTANCE_OPTIMAL, overall and per cluster."""
    per_strategy: defaultdict[str, Stat] = defaultdict(Stat)
    ai, baseline, rules = Stat(), Stat(), Stat()
    clusters: defaultdict[str, tuple[Stat, Stat]] = defaultdict(lambda: (Stat(), Stat()))
    for o in outcomes:
        per_strategy[o.strategy].add(o)
        if o.strategy in AI_STRATEGIES:
            ai.add(o)
            clusters[o.cluster][0].add(o)
        else:
            rules.add(o)
            if o.strategy == FALLBACK_STRATEGY:
                baseline.add(o)
                clusters[o.cluster][1].add(o)
    return {
        "samples": ai.samples + rules.samples,
        "strategies": [{"strategy": name, **stat.view()} for name, stat in sorted(per_strategy.items())],
        "ai": _brief(ai),
        "rule_based": _brief(rules),
        "baseline": {"strategy": FALLBACK_STRATEGY, **_brief(baseline)},
        "ai_lift_pct": _lift_pct(ai, baseline),
        "clusters": [
            {
                "cluster": cluster,
                "ai": _brief(c_ai),
                "baseline": _brief(c_base),
                "ai_lift_pct": _lift_pct(c_ai, c_base),
            }
            for cluster, (c_ai, c_base) in sorted(clusters.items())
        ],
    }
