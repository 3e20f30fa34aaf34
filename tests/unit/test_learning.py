"""The learning loop's pure parts: clusters, outcome labels, node statistics, patterns and the
proposals they justify, experiment arms and winners (worked examples with exact figures)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oms.domain.learning import features, labels, stats
from oms.domain.learning.stats import LabelledOutcome
from oms.domain.rules import Condition, SourcingRuleFields, order_facts, rule_matches
from tests.unit.test_strategies import make_order

NOW = datetime(2026, 11, 21, 10, tzinfo=UTC)


# ------------------------------------------------------------------ features
@pytest.mark.parametrize(
    ("amount", "bucket"),
    [("0", "0-50"), ("49.99", "0-50"), ("50", "50-100"), ("99.99", "50-100"), ("100", "100-250"),
     ("250", "250-500"), ("499.99", "250-500"), ("500", "500+"), ("12000", "500+")],
)  # fmt: skip
def test_amount_buckets(amount, bucket):
    assert features.amount_bucket(Decimal(amount)) == bucket


def test_regions_are_us_census_regions_or_the_country():
    assert features.region("US", "ny") == "US-NE"
    assert features.region("US", "CA") == "US-W"
    assert features.region("US", "TX") == "US-S"
    assert features.region("US", "IL") == "US-MW"
    assert features.region("US", None) == "US-??"
    assert features.region("ca", "ON") == "CA"


def test_an_orders_cluster_key():
    order = make_order()  # WEB, SHIP_TO_HOME, New York, 2 x 29.99 + 10.00
    assert features.order_cluster(order) == "WEB|US-NE|50-100|SHIP_TO_HOME"
    assert features.features(order)["units"] == 3
    assert features.similarity("WEB|US-NE|50-100|SHIP_TO_HOME", "WEB|US-W|50-100|SHIP_TO_HOME") == 3


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    ("hours", "score"),
    [(None, 0.0), (2, 1.0), (24, 1.0), (24.1, 0.5), (48, 0.5), (60, 0.2), (72, 0.2), (73, 0.0)],
)
def test_delivery_score(hours, score):
    assert labels.delivery_score(hours) == score


@pytest.mark.parametrize(
    ("predicted", "actual", "score"),
    [("10", "10.50", 1.0), ("10", "9.50", 1.0), ("10", "11.50", 0.7), ("10", "8.50", 0.7),
     ("10", "12.50", 0.3), ("10", "12.51", 0.0), ("10", None, 1.0), ("0", "3", 1.0)],
)  # fmt: skip
def test_cost_score_is_about_the_prediction(predicted, actual, score):
    variance = labels.cost_variance(Decimal(predicted), Decimal(actual) if actual else None)
    assert labels.cost_score(variance) == score


def test_the_outcome_label_is_the_seeds_formula():
    best = labels.label(20, Decimal("10"), Decimal("10.20"), backordered=False, returned=False)
    assert best.score == 1.0
    slow_costly = labels.label(40, Decimal("10"), Decimal("11.20"), backordered=False, returned=False)
    assert slow_costly.score == pytest.approx(0.4 * 0.5 + 0.3 * 0.7 + 0.2 + 0.1)  # 0.71
    worst = labels.label(None, Decimal("10"), Decimal("20"), backordered=True, returned=True)
    assert worst.score == 0.0 and worst.cost_variance == pytest.approx(1.0)


# ------------------------------------------------------------------ statistics
def outcome(node, score, *, cluster="WEB|US-NE|50-100|SHIP_TO_HOME", strategy="DISTANCE_OPTIMAL", **kw):
    return LabelledOutcome(
        order_id=kw.pop("order_id", f"o-{node}-{score}"),
        node_id=node,
        cluster=cluster,
        strategy=strategy,
        sourced_at=kw.pop("sourced_at", "2026-11-20T10:00:00.000Z"),
        score=score,
        **kw,
    )


def test_node_performance_per_cluster_and_overall():
    found = stats.node_performance(
        [
            outcome("a", 1.0, delivery_hours=10, cost_variance=0.02),
            outcome("a", 0.5, delivery_hours=30),
            outcome("a", 0.8, cluster="WEB|US-W|50-100|SHIP_TO_HOME"),
            outcome("b", 0.4),
        ]
    )
    assert found[("a", "WEB|US-NE|50-100|SHIP_TO_HOME")] == {
        "samples": 2,
        "mean_score": 0.75,
        "mean_delivery_hours": 20.0,
        "mean_cost_variance_pct": 2.0,
    }
    assert found[("a", "*")]["samples"] == 3 and found[("a", "*")]["mean_score"] == pytest.approx(
        0.7667, abs=1e-4
    )
    assert found[("b", "*")]["mean_score"] == 0.4


def test_windows_keep_the_recent_outcomes():
    old = outcome("a", 1.0, sourced_at="2026-11-10T10:00:00.000Z")
    new = outcome("a", 0.2, sourced_at="2026-11-18T10:00:00.000Z")
    assert stats.within([old, new], NOW, 7) == [new]
    assert stats.within([old, new], NOW, 30) == [old, new]


def test_patterns_rank_nodes_and_compare_ai_with_distance():
    rows = [outcome("near", 0.6, order_id=f"d{i}") for i in range(40)]
    rows += [outcome("far", 0.9, strategy="AI_ADAPTIVE", order_id=f"a{i}") for i in range(12)]
    [pattern] = stats.patterns(rows)
    assert pattern.samples == 52 and pattern.ai_samples == 12 and pattern.baseline_samples == 40
    assert [r["node_id"] for r in pattern.ranking] == ["far", "near"]
    assert pattern.ai_lift == pytest.approx(0.5)
    assert stats.deserves_proposal(pattern)
    # one sample short of 50, or too few AI samples, or too little lift: no proposal
    assert not stats.deserves_proposal(stats.patterns(rows[3:])[0])  # 49 samples
    few_ai = [outcome("near", 0.6, order_id=f"d{i}") for i in range(50)] + rows[40:49]
    assert not stats.deserves_proposal(stats.patterns(few_ai)[0])
    flat = [outcome("near", 0.6, order_id=f"d{i}") for i in range(40)]
    flat += [outcome("far", 0.65, strategy="AI_HYBRID", order_id=f"a{i}") for i in range(12)]
    assert not stats.deserves_proposal(stats.patterns(flat)[0])  # +8.3 %


def test_a_proposal_is_an_inactive_ai_rule_for_exactly_its_cluster():
    rows = [outcome("near", 0.6, order_id=f"d{i}") for i in range(40)]
    rows += [outcome("far", 0.9, strategy="AI_ADAPTIVE", order_id=f"a{i}") for i in range(12)]
    proposal = stats.proposal_for(stats.patterns(rows)[0])
    rule = SourcingRuleFields.model_validate(proposal["rule"])
    assert rule.strategy == "AI_ADAPTIVE" and rule.is_active is False
    assert "+50.0%" in proposal["summary"]
    inside = make_order()  # WEB, New York, 69.98, SHIP_TO_HOME
    assert rule_matches(rule, order_facts(inside))
    assert not rule_matches(rule, order_facts(make_order(channel="MOBILE")))
    la = {"address1": "1 Main", "city": "LA", "state": "CA", "latitude": 34.05, "longitude": -118.24}
    assert not rule_matches(rule, order_facts(make_order(shipping_address=la)))
    pricey = [{"sku": "SKU-A", "quantity": 5, "unit_price": "29.99"}]
    assert not rule_matches(rule, order_facts(make_order(line_items=pricey)))  # 149.95: 100-250
    assert all(isinstance(Condition.model_validate(c), Condition) for c in proposal["rule"]["conditions"])


def test_experiment_arms_follow_the_share_and_never_move():
    arms = [stats.arm_for("exp-1", f"order-{i}", 30) for i in range(4000)]
    share = arms.count("B") / len(arms)
    assert 0.27 < share < 0.33
    assert arms == [stats.arm_for("exp-1", f"order-{i}", 30) for i in range(4000)]
    assert {stats.arm_for("exp-1", "x", 0), stats.arm_for("exp-1", "x", 100)} == {"A", "B"}
    other = [stats.arm_for("exp-2", f"order-{i}", 30) for i in range(4000)]
    assert arms != other  # independent of another experiment's split


def test_an_experiment_has_a_winner_only_with_enough_samples_and_a_clear_gap():
    def arm(name, score, n):
        return [outcome("n", score, experiment_id="e", arm=name, order_id=f"{name}{i}") for i in range(n)]

    early = stats.evaluate_experiment(arm("A", 0.6, 49) + arm("B", 0.9, 60), "e")
    assert early.winner is None and "A 49" in early.reason
    close = stats.evaluate_experiment(arm("A", 0.6, 50) + arm("B", 0.64, 50), "e")
    assert close.winner is None
    clear = stats.evaluate_experiment(arm("A", 0.6, 50) + arm("B", 0.66, 50), "e")
    assert clear.winner == "B" and clear.arms["B"].samples == 50 and clear.arms["A"].mean_score == 0.6
