"""From labelled outcomes to what the advisor is shown: patterns (30 days) and 7-day node metrics.
The scheduled jobs store these; `make simulate` computes them on its own clock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from oms.domain.advisor import NodeMetrics, PatternView
from oms.domain.learning.stats import ALL_CLUSTERS, LabelledOutcome, node_performance, patterns, within


def pattern_views(outcomes: Iterable[LabelledOutcome]) -> list[PatternView]:
    return [PatternView(cluster=p.cluster, samples=p.samples, ranking=p.ranking) for p in patterns(outcomes)]


def node_metrics(outcomes: Iterable[LabelledOutcome]) -> list[NodeMetrics]:
    found = []
    for (node_id, cluster), view in node_performance(outcomes).items():
        if cluster == ALL_CLUSTERS:
            found.append(
                NodeMetrics(
                    node_id=node_id,
                    samples=view["samples"],
                    mean_score=view["mean_score"],
                    mean_delivery_hours=view["mean_delivery_hours"],
                    mean_cost_variance_pct=view["mean_cost_variance_pct"],
                )
            )
    return found


def snapshot(
    outcomes: Sequence[LabelledOutcome], now: datetime
) -> tuple[list[PatternView], list[NodeMetrics], str]:
    """Patterns over 30 days, node metrics over 7, and a version naming this state (cache key)."""
    month, week = within(outcomes, now, 30), within(outcomes, now, 7)
    version = hashlib.sha256(f"{now.isoformat()}|{len(month)}|{len(week)}".encode()).hexdigest()[:12]
    return pattern_views(month), node_metrics(week), version
