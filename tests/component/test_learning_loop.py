"""The learning loop through the stack: a decision leaves outcome records, a delivered order's
event reaches the learning queue through the outbox, the label job (run on demand through the
API) labels it from the carrier's actual cost and the delivery time, and the statistics job
turns labels into node metrics; an AI_ADAPTIVE rule decides or falls back, saying why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from oms.data.learning import LearningRepository
from tests.component.helpers import order_body, stream_records, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def deliver(admin: Any, order_id: str, actual_cost: str) -> dict[str, Any]:
    wait_for_status(admin, order_id, {"SOURCED"})
    for event in ({"type": "PICKING"}, {"type": "PACKING"}, {"type": "READY_TO_SHIP"}):
        admin.post(f"/orders/{order_id}/fulfillment-events", event)
    wait_for_status(admin, order_id, {"READY_TO_SHIP"})
    reply = admin.post(
        f"/orders/{order_id}/fulfillment-events",
        {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1ZLEARN", "actual_cost": actual_cost},
    )
    assert reply.status == 200, reply
    admin.post(f"/orders/{order_id}/fulfillment-events", {"type": "DELIVERED"})
    return wait_for_status(admin, order_id, {"DELIVERED"})


def publish(stack: Any, invoke: Any, order_id: str) -> None:
    records = [
        r
        for r in stream_records(stack)
        if r["dynamodb"]["Keys"]["sk"]["S"] == "ORDER" and order_id in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    assert invoke("EventPublisherFunction", {"Records": records}) == {"batchItemFailures": []}


def test_a_delivered_order_is_labelled_and_counted(stack, admin, invoke):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    outcomes = LearningRepository().outcomes_of("demo", order["id"])
    assert len(outcomes) == 1
    [outcome] = outcomes
    assert outcome["strategy"] == "DISTANCE_OPTIMAL" and outcome["cluster"].startswith("WEB|")
    assert Decimal(outcome["predicted_cost"]) > 0 and outcome["sourced_at"] >= order["created_at"]
    predicted = Decimal(outcome["predicted_cost"])
    # the carrier bills 10 % more than predicted: cost score 0.7
    delivered = deliver(admin, order["id"], str((predicted * Decimal("1.10")).quantize(Decimal("0.01"))))
    assert delivered["shipments"][0]["actual_cost"] is not None

    publish(stack, invoke, order["id"])
    depth = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack["LearningQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert depth == "1"  # order.delivered only: the other nine events of its life go nowhere

    ran = admin.post("/ops/jobs/label_outcomes/run", {})
    assert ran.status == 200, ran
    assert ran.body["result"]["labelled"] == 1 and ran.body["result"]["messages"] == 1
    day = outcome["sourced_at"][:10]
    [labelled] = list(LearningRepository().labelled_on("demo", [day]))
    assert labelled.order_id == order["id"] and labelled.node_id == outcome["node_id"]
    # delivered within a day (1.0 x 0.4), 10 % over the prediction (0.7 x 0.3), never backordered
    # (0.2), not returned (0.1)
    assert labelled.score == pytest.approx(0.4 + 0.21 + 0.2 + 0.1)
    assert labelled.cost_variance == pytest.approx(0.10, abs=0.002)

    again = admin.post("/ops/jobs/label_outcomes/run", {}).body["result"]
    assert again["messages"] == 0  # the queue was drained; labelling twice would store it once anyway

    metrics = admin.post("/ops/jobs/update_node_performance/run", {})
    assert metrics.status == 200, metrics
    model = LearningRepository().model("demo")["metrics"]
    rows = {(r["node_id"], r["cluster"]): r for r in model["periods"]["7"]}
    assert rows[(outcome["node_id"], "*")]["samples"] >= 1
    tasks = [t["kind"] for t in admin.get("/ops/task-log").body["items"]]
    assert "job.label_outcomes" in tasks and "job.update_node_performance" in tasks


def test_an_unknown_job_is_404_and_users_may_not_run_jobs(admin, user):
    reply = admin.post("/ops/jobs/make_coffee/run", {})
    assert reply.status == 404 and reply.body["error"]["code"] == "job_not_found"
    assert user.post("/ops/jobs/label_outcomes/run", {}).status == 403


def test_an_ai_adaptive_rule_without_patterns_falls_back_and_says_why(admin):
    rule = admin.post(
        "/sourcing-rules",
        {"name": "AI for everything", "priority": 1, "strategy": "AI_ADAPTIVE"},
    )
    assert rule.status == 201, rule
    try:
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        [decision] = admin.get(f"/orders/{order['id']}/sourcing").body["items"]
        assert decision["strategy"] == "DISTANCE_OPTIMAL"
        assert decision["requested_strategy"] == "AI_ADAPTIVE"
        assert decision["ai"]["fallback_reason"] == "few_samples" and decision["ai"]["advisor"] == "builtin"
        outcome = LearningRepository().outcomes_of("demo", order["id"])[0]
        assert outcome["strategy"] == "DISTANCE_OPTIMAL" and outcome["requested_strategy"] == "AI_ADAPTIVE"
    finally:
        admin.delete(f"/sourcing-rules/{rule.body['id']}")


def test_actual_cost_only_comes_with_shipped_or_delivered(admin):
    order = admin.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})
    reply = admin.post(
        f"/orders/{order['id']}/fulfillment-events", {"type": "PICKING", "actual_cost": "3.00"}
    )
    assert reply.status == 422
    negative = admin.post(
        f"/orders/{order['id']}/fulfillment-events",
        {"type": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z", "actual_cost": "-1"},
    )
    assert negative.status == 422


def test_an_active_experiment_picks_the_strategy_and_tags_the_outcome(admin):
    experiment = admin.post(
        "/architect/experiments",
        {
            "name": "AI for every WEB order",
            "strategy_a": "DISTANCE_OPTIMAL",
            "strategy_b": "AI_HYBRID",
            "traffic_split_pct": 100,
            "filter_conditions": [{"field": "channel", "operator": "EQUALS", "value": "WEB"}],
        },
    ).body
    try:
        order = admin.post("/orders", order_body()).body
        wait_for_status(admin, order["id"], {"SOURCED"})
        [decision] = admin.get(f"/orders/{order['id']}/sourcing").body["items"]
        assert decision["experiment"] == {"id": experiment["id"], "arm": "B"}
        assert decision["requested_strategy"] == "AI_HYBRID"  # no patterns yet: DISTANCE_OPTIMAL decided
        [outcome] = LearningRepository().outcomes_of("demo", order["id"])
        assert (outcome["experiment_id"], outcome["arm"]) == (experiment["id"], "B")
        mobile = admin.post("/orders", order_body(channel="MOBILE")).body  # outside the filter
        wait_for_status(admin, mobile["id"], {"SOURCED"})
        assert admin.get(f"/orders/{mobile['id']}/sourcing").body["items"][0]["experiment"] is None
    finally:
        admin.post(f"/architect/experiments/{experiment['id']}/pause", {})
