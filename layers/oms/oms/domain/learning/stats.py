"""Statistics over labelled outcomes: rolling node performance, per-cluster patterns, the
proposals they justify, experiment arms and winners. Pure functions over plain records, so the
scheduled jobs and `make simulate` run the same code."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.domain.advisor import AI_STRATEGIES, FALLBACK_STRATEGY
from oms.domain.clock import parse_iso
from oms.domain.learning.features import AMOUNT_BUCKETS, TOP_BUCKET, US_REGIONS

# discover_patterns: a cluster earns a proposal with this much evidence
PROPOSAL_MIN_SAMPLES = 50
PROPOSAL_MIN_AI_SAMPLES = 10
PROPOSAL_MIN_LIFT = 0.10
# evaluate_experiments: a winner needs both arms this large and this far apart
EXPERIMENT_MIN_SAMPLES = 50
EXPERIMENT_MIN_DIFFERENCE = 0.05
ALL_CLUSTERS = "*"


@dataclass(frozen=True)
class LabelledOutcome:
    """One allocation's outcome, labelled."""

    order_id: str
    node_id: str
    cluster: str
    strategy: str
    sourced_at: str
    score: float
    delivery_hours: float | None = None
    cost_variance: float | None = None
    experiment_id: str | None = None
    arm: str | None = None

    @property
    def by_ai(self) -> bool:
        return self.strategy in AI_STRATEGIES


@dataclass
class Stat:
    """Running aggregate of outcome scores (and delivery hours, cost variance when known)."""

    samples: int = 0
    score_sum: float = 0.0
    hours_sum: float = 0.0
    hours_n: int = 0
    variance_sum: float = 0.0
    variance_n: int = 0

    def add(self, o: LabelledOutcome) -> None:
        self.samples += 1
        self.score_sum += o.score
        if o.delivery_hours is not None:
            self.hours_sum += o.delivery_hours
            self.hours_n += 1
        if o.cost_variance is not None:
            self.variance_sum += o.cost_variance
            self.variance_n += 1

    @property
    def mean(self) -> float:
        return self.score_sum / self.samples if self.samples else 0.0

    def view(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "mean_score": round(self.mean, 4),
            "mean_delivery_hours": round(self.hours_sum / self.hours_n, 2) if self.hours_n else None,
            "mean_cost_variance_pct": round(100 * self.variance_sum / self.variance_n, 2)
            if self.variance_n
            else None,
        }


def within(outcomes: Iterable[LabelledOutcome], now: datetime, days: int) -> list[LabelledOutcome]:
    since = now - timedelta(days=days)
    return [o for o in outcomes if parse_iso(o.sourced_at) >= since]


def node_performance(outcomes: Iterable[LabelledOutcome]) -> dict[tuple[str, str], dict[str, Any]]:
    """(node_id, cluster) -> stats, and (node_id, "*") across clusters."""
    stats: defaultdict[tuple[str, str], Stat] = defaultdict(Stat)
    for o in outcomes:
        stats[(o.node_id, o.cluster)].add(o)
        stats[(o.node_id, ALL_CLUSTERS)].add(o)
    return {key: s.view() for key, s in sorted(stats.items())}


@dataclass
class Pattern:
    cluster: str
    samples: int
    ranking: list[dict[str, Any]]  # nodes best first: {node_id, mean_score, samples}
    ai_samples: int
    ai_mean: float | None
    baseline_samples: int
    baseline_mean: float | None  # DISTANCE_OPTIMAL's outcomes in this cluster

    @property
    def ai_lift(self) -> float | None:
        if self.ai_mean is None or not self.baseline_mean:
            return None
        return (self.ai_mean - self.baseline_mean) / self.baseline_mean

    def view(self) -> dict[str, Any]:
        lift = self.ai_lift
        return {
            "cluster": self.cluster,
            "samples": self.samples,
            "ranking": self.ranking,
            "ai_samples": self.ai_samples,
            "ai_mean": None if self.ai_mean is None else round(self.ai_mean, 4),
            "baseline_samples": self.baseline_samples,
            "baseline_mean": None if self.baseline_mean is None else round(self.baseline_mean, 4),
            "ai_lift_pct": None if lift is None else round(100 * lift, 2),
        }


def patterns(outcomes: Iterable[LabelledOutcome]) -> list[Pattern]:
    """Per cluster: its nodes ranked by mean outcome score, and AI against DISTANCE_OPTIMAL."""
    by_cluster: defaultdict[str, list[LabelledOutcome]] = defaultdict(list)
    for o in outcomes:
        by_cluster[o.cluster].append(o)
    found = []
    for cluster, items in sorted(by_cluster.items()):
        per_node: defaultdict[str, Stat] = defaultdict(Stat)
        ai, base = Stat(), Stat()
        for o in items:
            per_node[o.node_id].add(o)
            if o.by_ai:
                ai.add(o)
            elif o.strategy == FALLBACK_STRATEGY:
                base.add(o)
        ranking = [
            {"node_id": node_id, "mean_score": round(s.mean, 4), "samples": s.samples}
            for node_id, s in sorted(per_node.items(), key=lambda kv: (-kv[1].mean, -kv[1].samples, kv[0]))
        ]
        found.append(
            Pattern(
                cluster,
                len(items),
                ranking,
                ai.samples,
                ai.mean if ai.samples else None,
                base.samples,
                base.mean if base.samples else None,
            )
        )
    return found


def deserves_proposal(pattern: Pattern) -> bool:
    lift = pattern.ai_lift
    return (
        pattern.samples >= PROPOSAL_MIN_SAMPLES
        and pattern.ai_samples >= PROPOSAL_MIN_AI_SAMPLES
        and pattern.baseline_samples > 0
        and lift is not None
        and lift >= PROPOSAL_MIN_LIFT
    )


def cluster_conditions(cluster: str) -> list[dict[str, Any]]:
    """Rule conditions that select exactly a cluster's orders."""
    channel, region_code, bucket, fulfillment_type = cluster.split("|")
    conditions: list[dict[str, Any]] = [
        {"field": "channel", "operator": "EQUALS", "value": channel},
        {"field": "fulfillment_type", "operator": "EQUALS", "value": fulfillment_type},
    ]
    if region_code.startswith("US-") and region_code[3:] in US_REGIONS:
        conditions.append({"field": "shipping_country", "operator": "EQUALS", "value": "US"})
        states = sorted(US_REGIONS[region_code[3:]])
        conditions.append({"field": "shipping_state", "operator": "IN", "value": states})
    elif not region_code.startswith("US-"):
        conditions.append({"field": "shipping_country", "operator": "EQUALS", "value": region_code})
    low = Decimal("0")
    for bound, label in AMOUNT_BUCKETS:
        if label == bucket:
            conditions.append(_amount("GREATER_THAN_OR_EQUAL", low))
            conditions.append(_amount("LESS_THAN", bound))
        low = bound
    if bucket == TOP_BUCKET:
        conditions.append(_amount("GREATER_THAN_OR_EQUAL", low))
    return conditions


def _amount(operator: str, bound: Decimal) -> dict[str, Any]:
    return {"field": "total_amount", "operator": operator, "value": str(bound)}


def proposal_for(pattern: Pattern) -> dict[str, Any]:
    """What a pending proposal suggests for a cluster where AI did better: an AI_ADAPTIVE rule for
    exactly that cluster, inserted inactive when applied (a person switches it on)."""
    lift = pattern.ai_lift or 0.0
    return {
        "kind": "sourcing_rule",
        "cluster": pattern.cluster,
        "evidence": pattern.view(),
        "summary": (
            f"In {pattern.cluster}, AI sourcing scored {pattern.ai_mean:.3f} over {pattern.ai_samples} "
            f"orders against {pattern.baseline_mean:.3f} for DISTANCE_OPTIMAL ({100 * lift:+.1f}%)"
        ),
        "rule": {
            "name": f"AI for {pattern.cluster}"[:200],
            "priority": 100,
            "strategy": "AI_ADAPTIVE",
            "conditions": cluster_conditions(pattern.cluster),
            "is_active": False,
        },
    }


# ---------------------------------------------------------------------- experiments
def arm_for(experiment_id: str, order_id: str, traffic_split_pct: float) -> str:
    """ "B" for `traffic_split_pct` % of orders, decided by a hash of (experiment, order): the same
    order always lands in the same arm, and arms of different experiments are independent."""
    digest = hashlib.sha256(f"{experiment_id}|{order_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64 * 100
    return "B" if bucket < traffic_split_pct else "A"


@dataclass
class ArmResult:
    samples: int = 0
    mean_score: float | None = None


@dataclass
class ExperimentResult:
    arms: dict[str, ArmResult] = field(default_factory=dict)
    winner: str | None = None  # "A" | "B" | None (not yet decided)
    reason: str = ""


def evaluate_experiment(outcomes: Sequence[LabelledOutcome], experiment_id: str) -> ExperimentResult:
    stats = {"A": Stat(), "B": Stat()}
    for o in outcomes:
        if o.experiment_id == experiment_id and o.arm in stats:
            stats[o.arm].add(o)
    result = ExperimentResult(
        arms={k: ArmResult(s.samples, round(s.mean, 4) if s.samples else None) for k, s in stats.items()}
    )
    a, b = stats["A"], stats["B"]
    if min(a.samples, b.samples) < EXPERIMENT_MIN_SAMPLES:
        result.reason = (
            f"needs {EXPERIMENT_MIN_SAMPLES} labelled outcomes per arm (A {a.samples}, B {b.samples})"
        )
    elif abs(a.mean - b.mean) < EXPERIMENT_MIN_DIFFERENCE:
        result.reason = (
            f"arms within {EXPERIMENT_MIN_DIFFERENCE} of each other ({a.mean:.3f} vs {b.mean:.3f})"
        )
    else:
        result.winner = "A" if a.mean > b.mean else "B"
        result.reason = f"{result.winner} scores {max(a.mean, b.mean):.3f} against {min(a.mean, b.mean):.3f}"
    return result
