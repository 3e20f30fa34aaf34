"""The built-in advisor: Thompson sampling over an empirical-Bayes model of outcome scores per
(cluster, node), from the same request the Claude advisor gets (ADR 0023). It needs no key and no
network, so AI_ADAPTIVE works offline, in tests and in `make simulate`.

For each candidate: the prior is the node's 7-day mean score across clusters (itself shrunk
towards the mean of all nodes), worth PRIOR_STRENGTH outcomes; the evidence is the node's mean in
the order's cluster (from the best matching pattern; a pattern of a neighbouring cluster counts
half). The posterior mean is their weighted average and its spread shrinks with the evidence; the
score is one draw from it, seeded by (order, node), so a decision can be replayed exactly. Nodes
with little evidence therefore get tried now and then (exploration); proven ones win on merit.
"""

from __future__ import annotations

import hashlib
import math
import random
import time

from oms.domain.advisor import Advice, AdviceRequest, AdviceUnavailable

PRIOR_STRENGTH = 4.0  # outcomes the prior is worth (an unseen node: spread 0.1)
SPREAD = 0.2  # the spread of one outcome score around its node's mean
DEFAULT_MEAN = 0.6  # before anything is labelled
NEIGHBOUR_WEIGHT = 0.5  # a pattern of a neighbouring cluster counts this much


def _rng(order_id: str, node_id: str) -> random.Random:
    seed = int.from_bytes(hashlib.sha256(f"{order_id}|{node_id}".encode()).digest()[:8], "big")
    return random.Random(seed)  # noqa: S311 - exploration, not secrets


class BuiltinAdvisor:
    name = "builtin"

    def advise(self, request: AdviceRequest) -> Advice:
        if not request.candidates:
            raise AdviceUnavailable("invalid_answer", "no candidates to score")
        started = time.perf_counter()
        metrics = {m.node_id: m for m in request.node_metrics}
        total = sum(m.samples for m in request.node_metrics)
        weighted = sum(m.mean_score * m.samples for m in request.node_metrics)
        overall = weighted / total if total else DEFAULT_MEAN
        evidence: dict[str, tuple[float, float]] = {}  # node -> (weighted samples, mean)
        for pattern in request.patterns:
            weight = 1.0 if pattern.cluster == request.order.cluster else NEIGHBOUR_WEIGHT
            for entry in pattern.ranking:
                node_id = str(entry.get("node_id"))
                if node_id in evidence:
                    continue  # the best matching pattern speaks for this node
                samples, mean = float(entry.get("samples", 0)), float(entry.get("mean_score", 0.0))
                evidence[node_id] = (weight * samples, mean)
        scores: dict[str, float] = {}
        reasons: dict[str, str] = {}
        for c in request.candidates:
            node = metrics.get(c.node_id)
            if node is not None and node.samples:
                shrunk = PRIOR_STRENGTH * overall + node.samples * node.mean_score
                prior = shrunk / (PRIOR_STRENGTH + node.samples)
            else:
                prior = overall
            n, mean = evidence.get(c.node_id, (0.0, 0.0))
            posterior = (PRIOR_STRENGTH * prior + n * mean) / (PRIOR_STRENGTH + n)
            spread = SPREAD / math.sqrt(PRIOR_STRENGTH + n)
            draw = _rng(request.order.order_id, c.node_id).gauss(posterior, spread)
            scores[c.node_id] = round(min(1.0, max(0.0, draw)), 4)
            seen = f"{n:g} outcomes in this cluster" if n else "no outcomes in this cluster yet"
            reasons[c.node_id] = f"expected outcome {posterior:.2f} ± {spread:.2f} ({seen})"
        return Advice(
            advisor=self.name,
            model="thompson-eb-v1",
            scores=scores,
            reasons=reasons,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
