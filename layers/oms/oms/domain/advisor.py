"""The sourcing advisor: what AI_ADAPTIVE and AI_HYBRID ask, what they get back, and when they
fall back to DISTANCE_OPTIMAL (ADR 0023). Pure: advisors live in adapters (Claude) and in
`oms.domain.learning.builtin` (the statistical model); the engine only sees this interface.

The request carries what the seed's prompt carries: the order summary, the top-3 matching
historical patterns, 7-day node metrics and the candidates (eligible nodes with their rule score).
The answer is `[{node_id, score 0..1, reason}]`, validated here whoever produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Blend `w * ai + (1 - w) * rule` (the seed's code; its README claims 0.6 for ADAPTIVE).
AI_WEIGHTS: dict[str, float] = {"AI_ADAPTIVE": 1.0, "AI_HYBRID": 0.6}
AI_STRATEGIES = frozenset(AI_WEIGHTS)
FALLBACK_STRATEGY = "DISTANCE_OPTIMAL"
MIN_PATTERN_SAMPLES = 10  # the best matching pattern needs this many labelled outcomes
MIN_BEST_SCORE = 0.4  # an answer whose best node scores below this is not trusted

FallbackReason = Literal[
    "no_advisor",  # no key and no built-in model configured
    "few_samples",  # best matching pattern has < MIN_PATTERN_SAMPLES outcomes
    "error",  # the call failed (HTTP error, 429, 5xx)
    "timeout",
    "invalid_answer",  # unparseable, or not the candidates asked about
    "low_score",  # best score < MIN_BEST_SCORE
    "budget_spent",  # the tenant's daily token budget is used up
    "breaker_open",  # recent calls failed; the circuit breaker is open
]


class OrderSummary(BaseModel):
    model_config = ConfigDict(frozen=True)
    order_id: str
    channel: str
    fulfillment_type: str
    region: str
    amount_bucket: str
    total_amount: str
    currency: str
    lines: int
    units: int
    cluster: str


class CandidateView(BaseModel):
    """An eligible node as the advisor sees it."""

    model_config = ConfigDict(frozen=True)
    node_id: str
    code: str
    node_type: str
    distance_km: float | None
    estimated_cost: str
    holds_every_line: bool
    rule_score: float


class NodeMetrics(BaseModel):
    """A node's labelled outcomes over the last 7 days (all clusters)."""

    model_config = ConfigDict(frozen=True)
    node_id: str
    samples: int
    mean_score: float
    mean_delivery_hours: float | None = None
    mean_cost_variance_pct: float | None = None


class PatternView(BaseModel):
    """A cluster's node ranking, from `discover_patterns`."""

    model_config = ConfigDict(frozen=True)
    cluster: str
    samples: int
    ranking: list[dict[str, Any]] = Field(default_factory=list)  # [{node_id, mean_score, samples}]


class AdviceRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    tenant_id: str
    strategy: str
    order: OrderSummary
    patterns: list[PatternView]  # best match first, at most 3
    node_metrics: list[NodeMetrics]
    candidates: list[CandidateView]
    metrics_version: str = ""  # changes when the stats behind patterns/metrics change (cache key)


class NodeAdvice(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    node_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0.0, le=1.0)
    reason: str = Field(default="", max_length=500)


class AdviceAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    recommendations: list[NodeAdvice] = Field(min_length=1, max_length=1000)


class Advice(BaseModel):
    """What an advisor returns: scores per candidate plus the audit of the call."""

    model_config = ConfigDict(frozen=True)
    advisor: str  # "claude" | "builtin"
    model: str = ""
    scores: dict[str, float]
    reasons: dict[str, str] = Field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    cached: bool = False


class AdviceUnavailable(Exception):
    """The advisor could not answer; `reason` says why (a FallbackReason)."""

    def __init__(self, reason: FallbackReason, detail: str = "", *, audit: dict[str, Any] | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: FallbackReason = reason
        self.detail = detail
        self.audit = audit or {}


class Advisor(Protocol):
    name: str

    def advise(self, request: AdviceRequest) -> Advice:
        """Scores for the request's candidates, or raise AdviceUnavailable."""
        ...


def parse_answer(raw: Any, candidates: Sequence[CandidateView]) -> tuple[dict[str, float], dict[str, str]]:
    """Validate an advisor's answer (a dict with `recommendations`, or the bare list) against the
    candidates asked about. Unknown node ids are dropped; none left is an invalid answer."""
    payload = {"recommendations": raw} if isinstance(raw, list) else raw
    try:
        answer = AdviceAnswer.model_validate(payload)
    except ValidationError as exc:
        raise AdviceUnavailable("invalid_answer", str(exc.errors(include_url=False)[:1])) from exc
    known = {c.node_id for c in candidates}
    scores = {r.node_id: r.score for r in answer.recommendations if r.node_id in known}
    if not scores:
        raise AdviceUnavailable("invalid_answer", "no recommendation names a candidate")
    reasons = {r.node_id: r.reason for r in answer.recommendations if r.node_id in known}
    return scores, reasons


def judge(advice: Advice) -> FallbackReason | None:
    """Whether an answer may be used: its best score must reach MIN_BEST_SCORE."""
    if max(advice.scores.values(), default=0.0) < MIN_BEST_SCORE:
        return "low_score"
    return None


def blend(strategy: str, ai_score: float | None, rule_score: float) -> float:
    """`w * ai + (1 - w) * rule`; a candidate the advisor did not score gets 0 from it."""
    w = AI_WEIGHTS[strategy]
    return w * (ai_score or 0.0) + (1 - w) * rule_score
