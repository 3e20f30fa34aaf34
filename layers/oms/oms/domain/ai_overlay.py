"""The AI overlay of the sourcing engine: ask the advisor about the candidates, blend its scores
with the rule score, or fall back to DISTANCE_OPTIMAL, saying why (ADR 0023). Pure: the advisor
and what it is shown (patterns, node metrics) are handed in by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from oms.domain.advisor import (
    AI_STRATEGIES,
    FALLBACK_STRATEGY,
    MIN_PATTERN_SAMPLES,
    Advice,
    AdviceRequest,
    AdviceUnavailable,
    Advisor,
    CandidateView,
    FallbackReason,
    NodeMetrics,
    OrderSummary,
    PatternView,
    blend,
    judge,
)
from oms.domain.learning.features import features, order_cluster, similarity
from oms.domain.models import Order
from oms.domain.strategies.base import Candidate

TOP_PATTERNS = 3


@dataclass
class LearningContext:
    """What the caller knows for AI strategies: an advisor (None: none configured), the tenant's
    patterns and 7-day node metrics, and the version of the statistics behind them."""

    advisor: Advisor | None
    patterns: Sequence[PatternView] = ()
    node_metrics: Sequence[NodeMetrics] = ()
    metrics_version: str = ""


@dataclass
class Overlay:
    """What the overlay did: the strategy that really decided and the audit of the advice."""

    strategy: str
    ai_scores: dict[str, float] = field(default_factory=dict)
    rule_scores: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)


def matching_patterns(cluster: str, patterns: Sequence[PatternView]) -> list[PatternView]:
    """The TOP_PATTERNS patterns closest to the cluster (the same cluster first, then those sharing
    most of its parts, then the most samples)."""
    ranked = sorted(patterns, key=lambda p: (-similarity(cluster, p.cluster), -p.samples, p.cluster))
    return [p for p in ranked if similarity(cluster, p.cluster) > 0][:TOP_PATTERNS]


def summary(order: Order) -> OrderSummary:
    f = features(order)
    return OrderSummary(
        order_id=order.id,
        channel=f["channel"],
        fulfillment_type=f["fulfillment_type"],
        region=f["region"],
        amount_bucket=f["amount_bucket"],
        total_amount=f["total_amount"],
        currency=f["currency"],
        lines=f["lines"],
        units=f["units"],
        cluster=order_cluster(order),
    )


def _fallback(strategy: str, reason: FallbackReason, detail: str, audit: dict[str, Any]) -> Overlay:
    return Overlay(
        FALLBACK_STRATEGY,
        audit={**audit, "outcome": "fallback", "fallback_reason": reason, "detail": detail},
    )


def overlay(
    order: Order, strategy: str, candidates: list[Candidate], context: LearningContext | None
) -> Overlay:
    """Re-score `candidates` in place with the advice (the caller re-sorts), or return a fallback."""
    if strategy not in AI_STRATEGIES:
        return Overlay(strategy)
    if context is None or context.advisor is None:
        return _fallback(strategy, "no_advisor", "no advisor is configured", {})
    about = summary(order)
    patterns = matching_patterns(about.cluster, context.patterns)
    base: dict[str, Any] = {"advisor": context.advisor.name, "cluster": about.cluster}
    best = patterns[0].samples if patterns else 0
    if best < MIN_PATTERN_SAMPLES:
        detail = f"the best matching pattern has {best} labelled outcomes (needs {MIN_PATTERN_SAMPLES})"
        return _fallback(strategy, "few_samples", detail, base)
    wanted = {c.node.id for c in candidates}
    request = AdviceRequest(
        tenant_id=order.tenant_id,
        strategy=strategy,
        order=about,
        patterns=patterns,
        node_metrics=[m for m in context.node_metrics if m.node_id in wanted],
        candidates=[
            CandidateView(
                node_id=c.node.id,
                code=c.node.code,
                node_type=c.node.node_type.value,
                distance_km=c.distance_km,
                estimated_cost=str(c.cost),
                holds_every_line=c.fills_all,
                rule_score=round(c.score, 4),
            )
            for c in candidates
        ],
        metrics_version=context.metrics_version,
    )
    try:
        advice = context.advisor.advise(request)
    except AdviceUnavailable as exc:
        return _fallback(strategy, exc.reason, exc.detail, {**base, **exc.audit})
    audit = {**base, **_audit(advice)}
    refused = judge(advice)
    if refused is not None:
        best_score = max(advice.scores.values(), default=0.0)
        return _fallback(strategy, refused, f"the best advised score is {best_score:.2f}", audit)
    rule_scores = {c.node.id: c.score for c in candidates}
    for c in candidates:
        c.score = blend(strategy, advice.scores.get(c.node.id), rule_scores[c.node.id])
    return Overlay(
        strategy,
        ai_scores=dict(advice.scores),
        rule_scores=rule_scores,
        reasons=dict(advice.reasons),
        audit={**audit, "outcome": "used"},
    )


def _audit(advice: Advice) -> dict[str, Any]:
    return {
        "advisor": advice.advisor,
        "model": advice.model,
        "input_tokens": advice.input_tokens,
        "output_tokens": advice.output_tokens,
        "latency_ms": round(advice.latency_ms, 2),
        "cached": advice.cached,
    }
