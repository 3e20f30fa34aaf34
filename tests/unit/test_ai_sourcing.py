"""AI_ADAPTIVE and AI_HYBRID in the engine: the advice blended into the scores, every fallback to
DISTANCE_OPTIMAL with its reason in the trail, and the built-in advisor's model."""

from __future__ import annotations

import pytest

from oms.domain.advisor import (
    Advice,
    AdviceRequest,
    AdviceUnavailable,
    NodeMetrics,
    PatternView,
    parse_answer,
)
from oms.domain.ai_overlay import LearningContext, matching_patterns
from oms.domain.learning.builtin import BuiltinAdvisor
from oms.domain.sourcing_engine import source_order
from tests.unit.test_strategies import DC_EAST, DC_MID, NETWORK, ORDER, STR_NYC, TODAY, rule, stock_everywhere

CLUSTER = "WEB|US-NE|50-100|SHIP_TO_HOME"  # ORDER's
STOCK = stock_everywhere(NETWORK)


class Scripted:
    """An advisor that answers with fixed scores, or raises."""

    name = "scripted"

    def __init__(self, scores=None, error=None):
        self.scores, self.error, self.requests = scores or {}, error, []

    def advise(self, request: AdviceRequest) -> Advice:
        self.requests.append(request)
        if self.error:
            raise self.error
        return Advice(
            advisor=self.name,
            model="m-1",
            scores=self.scores,
            reasons={k: "why" for k in self.scores},
            input_tokens=120,
            output_tokens=30,
            latency_ms=12.5,
        )


def context(advisor, samples=40, **kw):
    pattern = PatternView(
        cluster=CLUSTER,
        samples=samples,
        ranking=[{"node_id": DC_MID.id, "mean_score": 0.9, "samples": samples}],
    )
    return LearningContext(advisor=advisor, patterns=[pattern], **kw)


def decide(strategy, learning):
    return source_order(ORDER, NETWORK, STOCK, TODAY, rule=rule(strategy), learning=learning)


def test_without_an_advisor_ai_adaptive_falls_back_to_distance_optimal():
    decision = decide("AI_ADAPTIVE", LearningContext(advisor=None))
    assert decision.strategy == "DISTANCE_OPTIMAL" and decision.requested_strategy == "AI_ADAPTIVE"
    assert decision.ai == {
        "outcome": "fallback",
        "fallback_reason": "no_advisor",
        "detail": "no advisor is configured",
    }
    assert decision.allocations[0].node_code == "STR-NYC-01"  # nearest, as DISTANCE_OPTIMAL decides
    assert decision.to_dict()["requested_strategy"] == "AI_ADAPTIVE"


def test_a_pattern_with_fewer_than_ten_samples_is_not_trusted():
    advisor = Scripted({DC_MID.id: 0.99})
    decision = decide("AI_ADAPTIVE", context(advisor, samples=9))
    assert decision.strategy == "DISTANCE_OPTIMAL" and decision.ai["fallback_reason"] == "few_samples"
    assert advisor.requests == []  # not even asked


def test_adaptive_follows_the_advice_and_the_trail_shows_both_scores():
    advisor = Scripted({DC_MID.id: 0.95, STR_NYC.id: 0.3, DC_EAST.id: 0.5})
    decision = decide("AI_ADAPTIVE", context(advisor))
    assert decision.strategy == "AI_ADAPTIVE" and decision.requested_strategy is None
    assert [a.node_code for a in decision.allocations] == ["DC-MID", "DC-MID"]
    mid = next(c for c in decision.candidates if c["code"] == "DC-MID")
    assert mid["ai_score"] == 0.95 and mid["score"] == 0.95 and mid["chosen"] and mid["ai_reason"] == "why"
    assert 0 < mid["rule_score"] < 1
    unscored = next(c for c in decision.candidates if c["code"] == "STR-MIA-01")
    assert unscored["ai_score"] is None and unscored["score"] == 0.0
    assert decision.ai == {
        "advisor": "scripted",
        "cluster": CLUSTER,
        "model": "m-1",
        "input_tokens": 120,
        "output_tokens": 30,
        "latency_ms": 12.5,
        "cached": False,
        "outcome": "used",
    }
    [request] = advisor.requests
    assert request.order.cluster == CLUSTER and request.patterns[0].samples == 40
    assert {c.node_id for c in request.candidates} == {n.id for n in NETWORK}


def test_hybrid_blends_six_tenths_advice_with_four_tenths_rule():
    advisor = Scripted({n.id: 0.5 for n in NETWORK} | {DC_MID.id: 0.8})
    decision = decide("AI_HYBRID", context(advisor))
    for c in decision.candidates:
        assert c["score"] == pytest.approx(0.6 * c["ai_score"] + 0.4 * c["rule_score"], abs=1e-4)
    best = max(decision.candidates, key=lambda c: c["score"] or 0)
    assert best["chosen"] and {a.node_code for a in decision.allocations} == {best["code"]}


@pytest.mark.parametrize("reason", ["timeout", "error", "invalid_answer", "budget_spent", "breaker_open"])
def test_an_advisor_that_cannot_answer_means_distance_optimal_with_the_reason(reason):
    advisor = Scripted(
        error=AdviceUnavailable(reason, "details here", audit={"model": "m-1", "latency_ms": 3000})
    )
    decision = decide("AI_ADAPTIVE", context(advisor))
    assert decision.strategy == "DISTANCE_OPTIMAL"
    assert decision.ai["fallback_reason"] == reason and decision.ai["detail"] == "details here"
    assert decision.ai["model"] == "m-1" and decision.ai["advisor"] == "scripted"


def test_an_answer_whose_best_score_is_below_four_tenths_is_refused():
    decision = decide("AI_ADAPTIVE", context(Scripted({DC_MID.id: 0.39, STR_NYC.id: 0.1})))
    assert decision.strategy == "DISTANCE_OPTIMAL" and decision.ai["fallback_reason"] == "low_score"
    assert decision.ai["input_tokens"] == 120  # the call is audited even when its answer is not used


def test_answers_are_validated_against_the_candidates():
    candidates = decide("AI_ADAPTIVE", context(Scripted({DC_MID.id: 0.9}))).candidates
    views = [type("V", (), {"node_id": c["node_id"]})() for c in candidates]
    scores, reasons = parse_answer(
        [{"node_id": DC_MID.id, "score": 0.7, "reason": "fast"}, {"node_id": "ghost", "score": 1}], views
    )
    assert scores == {DC_MID.id: 0.7} and reasons == {DC_MID.id: "fast"}
    for bad in (
        [{"node_id": "ghost", "score": 0.9}],
        [{"node_id": DC_MID.id, "score": 1.4}],
        {"nope": []},
        "text",
    ):
        with pytest.raises(AdviceUnavailable) as caught:
            parse_answer(bad, views)
        assert caught.value.reason == "invalid_answer"


def test_patterns_are_matched_by_the_parts_of_the_cluster_they_share():
    patterns = [
        PatternView(cluster="MOBILE|US-W|0-50|STORE_PICKUP", samples=500),
        PatternView(cluster="WEB|US-W|50-100|SHIP_TO_HOME", samples=80),
        PatternView(cluster=CLUSTER, samples=12),
        PatternView(cluster="WEB|US-NE|0-50|SHIP_TO_HOME", samples=90),
        PatternView(cluster="POS|US-NE|0-50|SHIP_TO_HOME", samples=900),
    ]
    found = [p.cluster for p in matching_patterns(CLUSTER, patterns)]
    assert found == [CLUSTER, "WEB|US-NE|0-50|SHIP_TO_HOME", "WEB|US-W|50-100|SHIP_TO_HOME"]


# ------------------------------------------------------------------ the built-in advisor
def builtin_request(order_id="o-1", evidence=40):
    ranking = [
        {"node_id": DC_MID.id, "mean_score": 0.92, "samples": evidence},
        {"node_id": STR_NYC.id, "mean_score": 0.55, "samples": evidence},
    ]
    return AdviceRequest(
        tenant_id="t1",
        strategy="AI_ADAPTIVE",
        order=_summary(order_id),
        patterns=[PatternView(cluster=CLUSTER, samples=2 * evidence, ranking=ranking)],
        node_metrics=[
            NodeMetrics(node_id=DC_MID.id, samples=60, mean_score=0.9),
            NodeMetrics(node_id=STR_NYC.id, samples=60, mean_score=0.6),
        ],
        candidates=[_view(n) for n in NETWORK],
    )


def _summary(order_id):
    from oms.domain.ai_overlay import summary

    return summary(ORDER).model_copy(update={"order_id": order_id})


def _view(node):
    from oms.domain.advisor import CandidateView

    return CandidateView(
        node_id=node.id,
        code=node.code,
        node_type=node.node_type.value,
        distance_km=10.0,
        estimated_cost="5.00",
        holds_every_line=True,
        rule_score=0.5,
    )


def test_the_builtin_advisor_prefers_the_node_the_evidence_favours():
    advisor = BuiltinAdvisor()
    wins = 0
    for i in range(50):
        advice = advisor.advise(builtin_request(f"o-{i}"))
        wins += max(advice.scores, key=advice.scores.get) == DC_MID.id
        assert set(advice.scores) == {n.id for n in NETWORK} and all(
            0 <= s <= 1 for s in advice.scores.values()
        )
    assert wins >= 30  # proven best most of the time; the unproven get a try now and then
    assert "40 outcomes in this cluster" in advice.reasons[DC_MID.id]
    assert "no outcomes in this cluster yet" in advice.reasons[DC_EAST.id]


def test_the_builtin_advisor_is_reproducible_per_order():
    advisor = BuiltinAdvisor()
    assert advisor.advise(builtin_request("o-7")).scores == advisor.advise(builtin_request("o-7")).scores
    assert advisor.advise(builtin_request("o-7")).scores != advisor.advise(builtin_request("o-8")).scores


def test_the_builtin_advisor_explores_more_with_less_evidence():
    def spread(evidence):
        draws = [
            BuiltinAdvisor().advise(builtin_request(f"o-{i}", evidence)).scores[DC_MID.id] for i in range(60)
        ]
        mean = sum(draws) / len(draws)
        return (sum((d - mean) ** 2 for d in draws) / len(draws)) ** 0.5

    assert spread(2) > 2 * spread(200)
