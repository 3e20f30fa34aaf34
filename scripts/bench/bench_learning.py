"""The learning loop's speed: the built-in advisor's latency, and the statistics jobs' compute at
100,000 labelled outcomes (issue 9).

- advisor: `BuiltinAdvisor.advise` on a request with 3 patterns and 8 or 100 candidates, p50/p99
  over 2,000 requests (best of 3 per request, like bench_sourcing);
- jobs: `update_node_performance` (7- and 30-day node statistics) and `discover_patterns` (node
  ranking per cluster, proposals) over 100,000 outcomes in 200 clusters x 50 nodes, pure compute
  (the DynamoDB reads are per day partition and priced in bench_cost);
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchlib import figure

from oms.domain.advisor import AdviceRequest, CandidateView, NodeMetrics, OrderSummary, PatternView
from oms.domain.clock import iso
from oms.domain.learning import stats
from oms.domain.learning.builtin import BuiltinAdvisor
from oms.domain.learning.stats import LabelledOutcome

NOW = datetime(2026, 11, 21, 10, tzinfo=UTC)
OUTCOMES = 100_000


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _request(rng: random.Random, candidates: int, i: int) -> AdviceRequest:
    nodes = [f"n{k}" for k in range(candidates)]
    cluster = "WEB|US-NE|50-100|SHIP_TO_HOME"
    ranking = [
        {"node_id": n, "mean_score": round(rng.random(), 3), "samples": rng.randint(0, 80)} for n in nodes
    ]
    return AdviceRequest(
        tenant_id="t1",
        strategy="AI_ADAPTIVE",
        order=OrderSummary(
            order_id=f"o-{i}",
            channel="WEB",
            fulfillment_type="SHIP_TO_HOME",
            region="US-NE",
            amount_bucket="50-100",
            total_amount="69.98",
            currency="USD",
            lines=2,
            units=3,
            cluster=cluster,
        ),
        patterns=[PatternView(cluster=cluster, samples=500, ranking=ranking)] * 3,
        node_metrics=[NodeMetrics(node_id=n, samples=50, mean_score=0.7) for n in nodes],
        candidates=[
            CandidateView(
                node_id=n,
                code=n,
                node_type="DISTRIBUTION_CENTER",
                distance_km=100.0,
                estimated_cost="7.00",
                holds_every_line=True,
                rule_score=0.5,
            )
            for n in nodes
        ],
    )


def _advisor(rng: random.Random) -> list[dict[str, Any]]:
    advisor, figures = BuiltinAdvisor(), []
    for candidates in (8, 100):
        requests = [_request(rng, candidates, i) for i in range(2000)]
        times = []
        for request in requests:
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                advisor.advise(request)
                runs.append((time.perf_counter() - started) * 1000)
            times.append(min(runs))
        label = f"built-in advisor, {candidates} candidates"
        target = 2.0 if candidates == 8 else None
        figures.append(figure(f"{label} p50", _percentile(times, 0.5), "ms", target=target))
        figures.append(figure(f"{label} p99", _percentile(times, 0.99), "ms"))
    return figures


def _outcomes(rng: random.Random) -> list[LabelledOutcome]:
    clusters = [f"WEB|R{r}|B{b}|SHIP_TO_HOME" for r in range(20) for b in range(10)]
    return [
        LabelledOutcome(
            order_id=f"o{i}",
            node_id=f"n{rng.randrange(50)}",
            cluster=rng.choice(clusters),
            strategy=rng.choice(("DISTANCE_OPTIMAL", "AI_ADAPTIVE")),
            sourced_at=iso(NOW - timedelta(minutes=rng.randrange(30 * 24 * 60))),
            score=round(rng.random(), 4),
            delivery_hours=round(rng.uniform(5, 90), 2),
            cost_variance=round(rng.uniform(-0.3, 0.3), 4),
        )
        for i in range(OUTCOMES)
    ]


def _jobs(rng: random.Random) -> list[dict[str, Any]]:
    outcomes = _outcomes(rng)
    started = time.perf_counter()
    for days in (7, 30):
        stats.node_performance(stats.within(outcomes, NOW, days))
    performance_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    found = stats.patterns(stats.within(outcomes, NOW, 30))
    proposals = [stats.proposal_for(p) for p in found if stats.deserves_proposal(p)]
    patterns_ms = (time.perf_counter() - started) * 1000
    return [
        figure("update_node_performance at 100,000 outcomes", performance_ms, "ms", target=10_000),
        figure(
            "discover_patterns at 100,000 outcomes",
            patterns_ms,
            "ms",
            target=10_000,
            note=f"{len(found)} clusters, {len(proposals)} proposals",
        ),
    ]


def run() -> list[dict[str, Any]]:
    rng = random.Random(20261129)  # noqa: S311 - reproducible test data
    return _advisor(rng) + _jobs(rng)
