"""The architect through the API: A/B experiments (create, pause, resume, live results, the daily
evaluation), the read-only views (patterns, node performance, AI against rule-based sourcing) and
the chat (against tests.fakes.FakeClaude; 503 without a key). Roles and tenants throughout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from oms.domain.clock import epoch, iso, now_iso, utcnow
from oms.domain.learning.stats import LabelledOutcome, Pattern
from oms.services import experiments as experiment_service
from oms.services.context import repos
from tests.fakes import FakeClaude

pytestmark = pytest.mark.usefixtures("stack")

EXPERIMENT = {
    "name": "AI in the North East",
    "strategy_a": "DISTANCE_OPTIMAL",
    "strategy_b": "AI_ADAPTIVE",
    "traffic_split_pct": 25,
    "filter_conditions": [{"field": "shipping_state", "operator": "IN", "value": ["NY", "NJ"]}],
}


def labelled(rows: list[LabelledOutcome]) -> None:
    assert repos.learning.put_labelled("demo", rows, int(epoch()) + 86_400) == len(rows)


def outcomes(
    experiment_id: str | None,
    arm: str | None,
    strategy: str,
    score: float,
    n: int,
    cluster: str = "WEB|US-NE|50-100|SHIP_TO_HOME",
    when: str | None = None,
) -> list[LabelledOutcome]:
    when = when or now_iso()
    return [
        LabelledOutcome(f"o-{uuid.uuid4().hex[:12]}", "node-1", cluster, strategy, when, score,
                        experiment_id=experiment_id, arm=arm)
        for _ in range(n)
    ]  # fmt: skip


# ------------------------------------------------------------------ experiments
def test_experiment_lifecycle_create_list_get_pause_resume(admin, user, other_tenant):
    created = admin.post("/architect/experiments", EXPERIMENT)
    assert created.status == 201, created
    exp = created.body
    assert exp["status"] == "ACTIVE" and exp["version"] == 1 and exp["winner"] is None
    assert exp["created_by"] == "user:admin@example.com" and exp["created_at"] == exp["updated_at"]
    assert exp["filter_conditions"] == EXPERIMENT["filter_conditions"]

    assert exp["id"] in {e["id"] for e in admin.get("/architect/experiments").body["items"]}
    assert exp["id"] in {e["id"] for e in admin.get("/architect/experiments?status=ACTIVE").body["items"]}
    assert exp["id"] not in {e["id"] for e in admin.get("/architect/experiments?status=PAUSED").body["items"]}

    paused = admin.post(f"/architect/experiments/{exp['id']}/pause", {})
    assert paused.status == 200 and paused.body["status"] == "PAUSED" and paused.body["version"] == 2
    again = admin.post(f"/architect/experiments/{exp['id']}/pause", {})
    assert again.status == 409 and again.body["error"]["code"] == "illegal_transition"
    assert again.body["error"]["details"] == {"status": "PAUSED", "allowed_actions": ["resume"]}
    resumed = admin.post(f"/architect/experiments/{exp['id']}/resume", {})
    assert resumed.status == 200 and resumed.body["status"] == "ACTIVE"
    assert admin.get(f"/architect/experiments/{exp['id']}").body["version"] == 3

    # a USER may not; another tenant's SUPERADMIN finds nothing
    assert user.get("/architect/experiments").status == 403
    assert user.post("/architect/experiments", EXPERIMENT).body["error"]["code"] == "insufficient_role"
    assert other_tenant.get(f"/architect/experiments/{exp['id']}").status == 404
    assert other_tenant.post(f"/architect/experiments/{exp['id']}/pause", {}).status == 404
    assert exp["id"] not in {e["id"] for e in other_tenant.get("/architect/experiments").body["items"]}
    assert admin.get(f"/architect/experiments/{exp['id']}").body["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"strategy_b": "DISTANCE_OPTIMAL"}, ["body"]),
        ({"strategy_b": "TELEPORT"}, ["body", "strategy_b"]),
        ({"traffic_split_pct": 150}, ["body", "traffic_split_pct"]),
        ({"status": "COMPLETED"}, ["body", "status"]),
        ({"winner": "B"}, ["body", "winner"]),
    ],
)
def test_experiment_fields_are_validated_and_server_fields_refused(admin, change, where):
    reply = admin.post("/architect/experiments", {**EXPERIMENT, **change})
    assert reply.status == 422 and reply.body["error"]["code"] == "validation_failed"
    assert reply.body["error"]["details"][0]["loc"][: len(where)] == where


def test_results_aggregate_the_arms_and_the_job_completes_the_experiment(admin):
    exp = admin.post("/architect/experiments", EXPERIMENT).body
    labelled(
        outcomes(exp["id"], "A", "DISTANCE_OPTIMAL", 0.6, 60)
        + outcomes(exp["id"], "B", "AI_ADAPTIVE", 0.8, 55)
        + outcomes("another-experiment", "B", "AI_ADAPTIVE", 0.1, 70)
        + outcomes(None, None, "DISTANCE_OPTIMAL", 0.1, 30)
    )
    results = admin.get(f"/architect/experiments/{exp['id']}/results")
    assert results.status == 200, results
    body = results.body
    assert body["arms"] == {
        "A": {"strategy": "DISTANCE_OPTIMAL", "samples": 60, "mean_score": 0.6},
        "B": {"strategy": "AI_ADAPTIVE", "samples": 55, "mean_score": 0.8},
    }
    assert body["winner"] == "B" and body["winner_strategy"] == "AI_ADAPTIVE"
    assert body["reason"] == "B scores 0.800 against 0.600"
    assert body["status"] == "ACTIVE" and body["declared_winner"] is None
    assert body["window"]["to"] == now_iso()[:10]

    job = admin.post("/ops/jobs/evaluate_experiments/run", {})  # the daily job, through the stack
    assert job.status == 200, job
    assert {"id": exp["id"], "winner": "B", "strategy": "AI_ADAPTIVE"} in job.body["result"]["completed"]
    done = admin.get(f"/architect/experiments/{exp['id']}").body
    assert done["status"] == "COMPLETED" and done["winner"] == "B"
    assert done["result"]["arms"]["B"]["samples"] == 55 and done["result"]["reason"] == body["reason"]
    assert done["version"] == 2
    # completed is final; the job leaves it alone from now on
    refused = admin.post(f"/architect/experiments/{exp['id']}/resume", {})
    assert refused.status == 409 and refused.body["error"]["details"]["allowed_actions"] == []
    again = experiment_service.evaluate_all("demo")
    assert exp["id"] not in {c["id"] for c in again["completed"]} | {u["id"] for u in again["undecided"]}
    assert admin.get(f"/architect/experiments/{exp['id']}").body["version"] == 2


def test_too_few_samples_or_too_close_is_undecided_and_paused_is_not_evaluated(admin):
    few = admin.post("/architect/experiments", EXPERIMENT).body
    close = admin.post("/architect/experiments", EXPERIMENT).body
    paused = admin.post("/architect/experiments", EXPERIMENT).body
    admin.post(f"/architect/experiments/{paused['id']}/pause", {})
    labelled(
        outcomes(few["id"], "A", "DISTANCE_OPTIMAL", 0.5, 60)
        + outcomes(few["id"], "B", "AI_ADAPTIVE", 0.9, 10)
        + outcomes(close["id"], "A", "DISTANCE_OPTIMAL", 0.70, 50)
        + outcomes(close["id"], "B", "AI_ADAPTIVE", 0.72, 50)
        + outcomes(paused["id"], "A", "DISTANCE_OPTIMAL", 0.1, 50)
        + outcomes(paused["id"], "B", "AI_ADAPTIVE", 0.9, 50)
    )  # fmt: skip
    report = experiment_service.evaluate_all("demo")
    undecided = {u["id"]: u["reason"] for u in report["undecided"]}
    assert undecided[few["id"]] == "needs 50 labelled outcomes per arm (A 60, B 10)"
    assert undecided[close["id"]].startswith("arms within 0.05")
    assert paused["id"] not in undecided and paused["id"] not in {c["id"] for c in report["completed"]}
    for exp in (few, close):
        assert admin.get(f"/architect/experiments/{exp['id']}").body["status"] == "ACTIVE"
    assert admin.get(f"/architect/experiments/{paused['id']}/results").body["winner"] == "B"  # live view


def test_results_read_the_last_30_days_only(admin):
    created = iso(utcnow() - timedelta(days=40))
    exp_id = str(uuid.uuid4())
    repos.experiments.insert("demo", exp_id, {
        **EXPERIMENT, "id": exp_id, "status": "ACTIVE", "created_by": "user:admin@example.com",
        "created_at": created, "updated_at": created,
    })  # fmt: skip
    labelled(
        outcomes(exp_id, "A", "DISTANCE_OPTIMAL", 0.5, 3, when=iso(utcnow() - timedelta(days=35)))
        + outcomes(exp_id, "A", "DISTANCE_OPTIMAL", 0.7, 2, when=iso(utcnow() - timedelta(days=10)))
        + outcomes(exp_id, "B", "AI_ADAPTIVE", 0.9, 1)
    )
    body = admin.get(f"/architect/experiments/{exp_id}/results").body
    assert body["arms"]["A"]["samples"] == 2 and body["arms"]["A"]["mean_score"] == 0.7
    assert body["arms"]["B"]["samples"] == 1
    assert body["window"]["from"] == (utcnow() - timedelta(days=29)).date().isoformat()
    assert admin.get("/architect/experiments/no-such-experiment/results").body["error"]["code"] == (
        "experiment_not_found"
    )


# ------------------------------------------------------------------ views
def test_patterns_and_node_performance_show_what_the_jobs_stored(admin, user, other_tenant, demo_nodes):
    assert other_tenant.get("/architect/patterns").body == {
        "at": None,
        "version": None,
        "items": [],
        "count": 0,
    }
    east = demo_nodes["DC-EAST"]
    ranking = [{"node_id": east, "mean_score": 0.9, "samples": 40}]
    views = [
        Pattern("WEB|US-NE|50-100|SHIP_TO_HOME", 60, ranking, 12, 0.9, 40, 0.7).view(),
        Pattern("MOBILE|US-W|0-50|SHIP_TO_HOME", 10, ranking, 0, None, 10, 0.6).view(),
    ]
    repos.learning.save_model_part("demo", "patterns", {"at": now_iso(), "version": "p1", "patterns": views})
    row = {"node_id": east, "cluster": "*", "samples": 40, "mean_score": 0.81,
           "mean_delivery_hours": 30.5, "mean_cost_variance_pct": 2.1}  # fmt: skip
    periods = {"7": [row], "30": [row, {**row, "cluster": "X", "samples": 9}]}
    repos.learning.save_model_part("demo", "metrics", {"at": now_iso(), "version": "m1", "periods": periods})

    all_patterns = admin.get("/architect/patterns").body
    assert all_patterns["count"] == 2 and all_patterns["version"] == "p1"
    one = admin.get("/architect/patterns?cluster=WEB|US-NE|50-100|SHIP_TO_HOME").body
    assert one["items"] == [views[0]] and one["items"][0]["ai_lift_pct"] == 28.57

    week = admin.get("/architect/node-performance").body
    assert week["period_days"] == 7 and week["count"] == 1 and week["version"] == "m1"
    assert week["items"][0]["node_code"] == "DC-EAST" and week["items"][0]["mean_score"] == 0.81
    month = admin.get("/architect/node-performance?period_days=30").body
    assert month["count"] == 2
    assert admin.get("/architect/node-performance?period_days=30&cluster=X").body["items"][0]["samples"] == 9
    wrong = admin.get("/architect/node-performance?period_days=14")
    assert wrong.status == 422 and wrong.body["error"]["details"][0]["loc"] == ["query", "period_days"]

    assert user.get("/architect/patterns").status == 403
    assert user.get("/architect/node-performance").status == 403
    assert other_tenant.get("/architect/node-performance").body["items"] == []


def test_ai_against_rule_based_outcomes(admin, user, other_tenant):
    cluster = f"API|US-W|500+|STORE_PICKUP#{uuid.uuid4().hex[:6]}"  # only this test's outcomes
    labelled(
        outcomes(None, None, "AI_ADAPTIVE", 0.9, 4, cluster)
        + outcomes(None, None, "AI_HYBRID", 0.6, 2, cluster)
        + outcomes(None, None, "DISTANCE_OPTIMAL", 0.6, 3, cluster)
        + outcomes(None, None, "COST_OPTIMAL", 0.2, 1, cluster)
    )  # fmt: skip
    body = admin.get("/architect/ai-sourcing/performance").body
    assert body["period_days"] == 30 and body["to"] == now_iso()[:10]
    mine = next(c for c in body["clusters"] if c["cluster"] == cluster)
    assert mine == {"cluster": cluster, "ai": {"samples": 6, "mean_score": 0.8},
                    "baseline": {"samples": 3, "mean_score": 0.6}, "ai_lift_pct": 33.33}  # fmt: skip
    strategies = {s["strategy"] for s in body["strategies"]}
    assert {"AI_ADAPTIVE", "AI_HYBRID", "DISTANCE_OPTIMAL", "COST_OPTIMAL"} <= strategies
    assert admin.get("/architect/ai-sourcing/performance?period_days=7").body["period_days"] == 7
    assert admin.get("/architect/ai-sourcing/performance?period_days=1").status == 422
    assert user.get("/architect/ai-sourcing/performance").status == 403
    assert other_tenant.get("/architect/ai-sourcing/performance").body["samples"] == 0


# ------------------------------------------------------------------ chat
@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_PARAM", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaude]:
    fake = FakeClaude()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.delenv("ANTHROPIC_API_KEY_PARAM", raising=False)
    yield fake
    fake.close()


def proposal_ids(admin: Any) -> set[str]:
    return {p["id"] for p in admin.get("/architect/proposals").body["items"]}


@pytest.mark.usefixtures("no_key")
def test_chat_without_a_key_is_503_with_a_clear_message(admin, user):
    reply = admin.post("/architect/chat", {"message": "send same-day orders in California to the dark store"})
    assert reply.status == 503
    error = reply.body["error"]
    assert error["code"] == "ai_unavailable" and "ANTHROPIC_API_KEY" in error["message"]
    assert error["details"] == {"reason": "no_key"}
    assert user.post("/architect/chat", {"message": "hi"}).status == 403
    too_long = admin.post("/architect/chat", {"message": "x" * 2001})
    assert too_long.status == 422 and too_long.body["error"]["details"][0]["loc"] == ["body", "message"]


def test_chat_turns_a_request_into_a_pending_proposal(admin, claude):
    rules_before = admin.get("/sourcing-rules").body
    reply = admin.post(
        "/architect/chat", {"message": "send same-day orders in California to the dark store first"}
    )
    assert reply.status == 201, reply
    proposal = reply.body["proposal"]
    assert (
        proposal["status"] == "PENDING"
        and proposal["kind"] == "sourcing_rule"
        and proposal["source"] == "chat"
    )
    assert proposal["payload"]["is_active"] is False and proposal["payload"]["allowed_node_types"] == [
        "DARK_STORE"
    ]
    assert proposal["summary"] == FakeClaude.CHAT_DEFAULT["input"]["summary"]
    assert (
        proposal["history"][0]["action"] == "proposed"
        and proposal["history"][0]["by"] == "user:admin@example.com"
    )
    assert (
        proposal["evidence"]["request"].startswith("send same-day")
        and proposal["evidence"]["input_tokens"] > 0
    )
    assert admin.get(f"/architect/proposals/{proposal['id']}").body["status"] == "PENDING"
    assert admin.get("/sourcing-rules").body == rules_before  # proposed, never applied
    document = claude.bodies()[-1]["messages"][0]["content"][0]["text"]
    assert "DC-EAST" in document and "AI_ADAPTIVE" in document  # the tenant's nodes, the strategies


def test_chat_refuses_what_does_not_validate_and_a_text_answer(admin, claude):
    before = proposal_ids(admin)
    claude.chat_replies = [
        {"tool": "propose_sourcing_rule", "input": {"summary": "x", "rule": {"name": "x", "priority": 1,
                                                                            "strategy": "TELEPORT"}}},
        {"tool": "propose_experiment", "input": {"summary": "x", "experiment": {
            "name": "x", "strategy_a": "AI_ADAPTIVE", "strategy_b": "AI_ADAPTIVE", "traffic_split_pct": 10}}},
        {"text": "Which orders do you mean?"},
    ]  # fmt: skip
    invalid = admin.post("/architect/chat", {"message": "use teleportation"})
    assert invalid.status == 422 and invalid.body["error"]["code"] == "invalid_proposal"
    assert any("TELEPORT" in d["msg"] for d in invalid.body["error"]["details"])
    same = admin.post("/architect/chat", {"message": "test AI against itself"})
    assert same.status == 422 and same.body["error"]["code"] == "invalid_proposal"
    text = admin.post("/architect/chat", {"message": "hello"})
    assert text.status == 422 and text.body["error"]["code"] == "no_proposal"
    assert text.body["error"]["details"] == {"reply": "Which orders do you mean?"}
    assert proposal_ids(admin) == before


def test_chat_when_claude_fails_is_503(admin, claude):
    claude.script = [500]
    reply = admin.post("/architect/chat", {"message": "send big orders from the DC"})
    assert reply.status == 503 and reply.body["error"]["code"] == "ai_unavailable"
    assert (
        reply.body["error"]["details"] == {"reason": "error"} and "HTTP 500" in reply.body["error"]["message"]
    )
