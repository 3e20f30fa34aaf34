"""The architect's pure parts and its edges without AWS: experiment fields and moves, assignment
(shares within tolerance, reproducible, oldest matching experiment first), the per-process cache of
`services.experiments.assign` on the one clock and its never-failing contract, proposal moves and
payloads, AI against rule-based outcomes with exact figures, and the chat adapter against the
local Messages API stub (tests.fakes.FakeClaude)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from oms.adapters.claude_architect import (
    PROPOSE_EXPERIMENT,
    PROPOSE_RULE,
    ChatUnavailable,
    architect_chat,
)
from oms.domain.clock import ManualClock, use_clock
from oms.domain.errors import IllegalTransition
from oms.domain.experiments import (
    Experiment,
    ExperimentFields,
    ExperimentStatus,
    assignment,
    moved,
    running_order,
)
from oms.domain.learning.comparison import ai_against_rules
from oms.domain.learning.stats import LabelledOutcome
from oms.domain.proposals import Proposal, ProposalStatus, move, record
from oms.services import experiments as experiment_service
from oms.services.context import repos
from tests.fakes import FakeClaude
from tests.unit.test_strategies import make_order

KEY = "sk-ant-test-not-a-real-key"
T0 = "2026-03-01T10:00:00.000Z"


def experiment(exp_id: str, created_at: str = T0, status: str = "ACTIVE", **fields: Any) -> Experiment:
    data = {
        "name": f"exp {exp_id}",
        "strategy_a": "DISTANCE_OPTIMAL",
        "strategy_b": "AI_ADAPTIVE",
        "traffic_split_pct": 30,
        **fields,
    }
    return Experiment(
        **data,
        id=exp_id,
        status=status,
        created_by="user:a@b.c",
        created_at=created_at,
        updated_at=created_at,
    )


# ------------------------------------------------------------------ experiment fields
@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"strategy_b": "DISTANCE_OPTIMAL"}, "must differ"),
        ({"strategy_a": "RANDOM"}, "unknown strategy"),
        ({"traffic_split_pct": 101}, "less than or equal"),
        ({"traffic_split_pct": -1}, "greater than or equal"),
        ({"traffic_split_pct": float("nan")}, "finite"),
        ({"filter_conditions": [{"field": "colour", "operator": "EQUALS", "value": "red"}]}, "field"),
        ({"status": "ACTIVE"}, "Extra inputs"),
        ({"id": "mine"}, "Extra inputs"),
    ],
)
def test_experiment_fields_are_checked(change, needle):
    body = {
        "name": "x",
        "strategy_a": "DISTANCE_OPTIMAL",
        "strategy_b": "AI_ADAPTIVE",
        "traffic_split_pct": 20,
    }
    with pytest.raises(ValidationError, match=needle):
        ExperimentFields.model_validate({**body, **change})


def test_experiment_moves():
    assert moved(experiment("e"), "pause") is ExperimentStatus.PAUSED
    assert moved(experiment("e", status="PAUSED"), "resume") is ExperimentStatus.ACTIVE
    with pytest.raises(IllegalTransition) as caught:
        moved(experiment("e"), "resume")
    assert caught.value.status == 409 and caught.value.details["allowed_actions"] == ["pause"]
    with pytest.raises(IllegalTransition) as caught:
        moved(experiment("e", status="COMPLETED"), "pause")
    assert caught.value.details == {"status": "COMPLETED", "allowed_actions": []}


# ------------------------------------------------------------------ assignment
def orders(n: int) -> list[Any]:
    base = make_order()
    return [base.model_copy(update={"id": f"order-{i:06d}"}) for i in range(n)]


@pytest.mark.parametrize("split", [0, 10, 30, 50, 100])
def test_arm_b_gets_the_configured_share_and_the_same_order_always_the_same_arm(split):
    running = [experiment("exp-share", traffic_split_pct=split)]
    many = orders(20_000)
    arms = [assignment(o, running) for o in many]
    share_b = sum(1 for a in arms if a and a[1]["arm"] == "B") / len(many)
    assert abs(share_b - split / 100) < 0.015
    for order, first in zip(many[:500], arms[:500], strict=True):
        assert assignment(order, running) == first  # reproducible
        assert first is not None
        strategy, tag = first
        assert tag["id"] == "exp-share"
        assert strategy == ("AI_ADAPTIVE" if tag["arm"] == "B" else "DISTANCE_OPTIMAL")


def test_the_oldest_active_experiment_whose_filters_match_takes_the_order():
    order = make_order()  # WEB, New York
    mobile_only = experiment(
        "a-mobile", "2026-01-01T00:00:00.000Z",
        filter_conditions=[{"field": "channel", "operator": "EQUALS", "value": "MOBILE"}],
    )  # fmt: skip
    paused = experiment("b-paused", "2026-01-02T00:00:00.000Z", status="PAUSED")
    new_york = experiment(
        "c-ny", "2026-01-03T00:00:00.000Z",
        filter_conditions=[{"field": "shipping_state", "operator": "IN", "value": ["NY", "NJ"]}],
    )  # fmt: skip
    catch_all = experiment("d-all", "2026-01-04T00:00:00.000Z")
    running = running_order([catch_all, new_york, paused, mobile_only])
    assert [e.id for e in running] == ["a-mobile", "c-ny", "d-all"]
    found = assignment(order, running)
    assert found is not None and found[1]["id"] == "c-ny"
    assert assignment(order, running_order([mobile_only, paused])) is None
    assert assignment(order, []) is None


class CountingExperiments:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs
        self.reads = 0
        self.fail = False

    def all(self, tenant_id: str) -> list[dict[str, Any]]:
        self.reads += 1
        if self.fail:
            raise RuntimeError("the store is down")
        return [dict(d) for d in self.docs]


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingExperiments]:
    fake = CountingExperiments([experiment("exp-cache", traffic_split_pct=100).model_dump(mode="json")])
    monkeypatch.setattr(repos, "experiments", fake)
    experiment_service.forget_cache()
    yield fake
    experiment_service.forget_cache()


def test_assign_reads_the_experiments_at_most_once_a_minute_per_tenant(stored):
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    order = make_order()
    with use_clock(clock):
        assert experiment_service.assign(order) == ("AI_ADAPTIVE", {"id": "exp-cache", "arm": "B"})
        stored.docs[0]["status"] = "PAUSED"  # paused by another process
        clock.advance(seconds=59)
        assert experiment_service.assign(order) is not None  # still cached
        assert stored.reads == 1
        clock.advance(seconds=1)
        assert experiment_service.assign(order) is None  # the pause took effect within a minute
        assert stored.reads == 2


def test_assign_never_fails_sourcing(stored, caplog):
    stored.fail = True
    assert experiment_service.assign(make_order()) is None
    assert "sourced without" in caplog.text
    stored.fail = False
    assert experiment_service.assign(make_order()) is not None  # a failure is not cached


def test_a_stored_experiment_that_no_longer_validates_is_skipped(stored):
    stored.docs.insert(0, {**stored.docs[0], "id": "exp-broken", "strategy_b": "GONE_STRATEGY"})
    assert experiment_service.assign(make_order()) == ("AI_ADAPTIVE", {"id": "exp-cache", "arm": "B"})


# ------------------------------------------------------------------ proposals
def proposal(**change: Any) -> Proposal:
    data: dict[str, Any] = {
        "id": "p-1",
        "kind": "sourcing_rule",
        "summary": "AI for WEB|US-NE|50-100|SHIP_TO_HOME",
        "payload": {"name": "AI rule", "priority": 100, "strategy": "AI_ADAPTIVE", "is_active": True},
        "source": "discover_patterns",
        "created_at": T0,
        "updated_at": T0,
    }
    return Proposal.model_validate({**data, **change})


def test_a_rule_proposal_is_validated_as_a_rule_and_proposed_inactive():
    p = proposal()
    assert p.payload["is_active"] is False and p.payload["max_split_nodes"] == 3
    with pytest.raises(ValidationError, match="unknown strategy"):
        proposal(payload={"name": "x", "priority": 1, "strategy": "NOPE"})
    with pytest.raises(ValidationError, match="must differ"):
        payload = {"name": "x", "strategy_a": "AI_HYBRID", "strategy_b": "AI_HYBRID", "traffic_split_pct": 5}
        proposal(kind="experiment", payload=payload)


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        ("PENDING", "apply", ["approve", "reject"]),
        ("PENDING", "rollback", ["approve", "reject"]),
        ("APPROVED", "approve", ["apply", "reject"]),
        ("APPLIED", "reject", ["rollback"]),
        ("REJECTED", "approve", []),
        ("ROLLED_BACK", "apply", []),
    ],
)
def test_illegal_proposal_moves_name_the_allowed_actions(status, action, allowed):
    with pytest.raises(IllegalTransition) as caught:
        move(proposal(status=status), action)
    assert caught.value.details == {"status": status, "allowed_actions": allowed}


def test_each_step_is_recorded_with_who_and_why():
    p = record(proposal(), "approve", "user:boss@example.com", "2026-03-02T00:00:00.000Z")
    p = record(p, "reject", "user:other@example.com", "2026-03-03T00:00:00.000Z", reason="too early")
    assert p.status is ProposalStatus.REJECTED and p.updated_at == "2026-03-03T00:00:00.000Z"
    assert [(h.action, h.by, h.reason) for h in p.history] == [
        ("approved", "user:boss@example.com", None),
        ("rejected", "user:other@example.com", "too early"),
    ]
    assert p.closed_at == "2026-03-03T00:00:00.000Z" and not p.is_open


# ------------------------------------------------------------------ AI against rules
def outcome(order_id: str, strategy: str, score: float, cluster: str = "C1") -> LabelledOutcome:
    return LabelledOutcome(order_id, "n1", cluster, strategy, T0, score)


def test_ai_against_rule_based_outcomes_exact_figures():
    rows = [
        outcome("o1", "AI_ADAPTIVE", 0.9),
        outcome("o2", "AI_HYBRID", 0.7),
        outcome("o3", "DISTANCE_OPTIMAL", 0.5),
        outcome("o4", "DISTANCE_OPTIMAL", 0.7),
        outcome("o5", "COST_OPTIMAL", 0.4),
        outcome("o6", "AI_ADAPTIVE", 0.6, cluster="C2"),
    ]
    report = ai_against_rules(rows)
    assert report["samples"] == 6
    assert [(s["strategy"], s["samples"], s["mean_score"]) for s in report["strategies"]] == [
        ("AI_ADAPTIVE", 2, 0.75),
        ("AI_HYBRID", 1, 0.7),
        ("COST_OPTIMAL", 1, 0.4),
        ("DISTANCE_OPTIMAL", 2, 0.6),
    ]
    assert report["ai"] == {"samples": 3, "mean_score": 0.7333}
    assert report["rule_based"] == {"samples": 3, "mean_score": 0.5333}
    assert report["baseline"] == {"strategy": "DISTANCE_OPTIMAL", "samples": 2, "mean_score": 0.6}
    assert report["ai_lift_pct"] == 22.22  # (0.7333 - 0.6) / 0.6
    assert report["clusters"] == [
        {"cluster": "C1", "ai": {"samples": 2, "mean_score": 0.8},
         "baseline": {"samples": 2, "mean_score": 0.6}, "ai_lift_pct": 33.33},
        {"cluster": "C2", "ai": {"samples": 1, "mean_score": 0.6},
         "baseline": {"samples": 0, "mean_score": None}, "ai_lift_pct": None},
    ]  # fmt: skip
    assert ai_against_rules([])["ai_lift_pct"] is None


# ------------------------------------------------------------------ the chat adapter
@pytest.fixture
def fake() -> Iterator[FakeClaude]:
    server = FakeClaude()
    yield server
    server.close()


def chat(fake: FakeClaude) -> Any:
    client = architect_chat({"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url})
    assert client is not None
    return client


CONTEXT = {"nodes": [], "rules": [], "strategies": ["AI_ADAPTIVE", "DISTANCE_OPTIMAL", "STORE_NEAREST"]}


def test_no_key_no_chat():
    assert architect_chat({}) is None


def test_a_tool_call_becomes_an_answer_with_the_fields_and_the_audit(fake):
    answer = chat(fake).propose("send same-day California orders to the dark store", CONTEXT)
    assert answer.kind == "sourcing_rule"
    assert answer.summary == FakeClaude.CHAT_DEFAULT["input"]["summary"]
    assert answer.fields == FakeClaude.CHAT_DEFAULT["input"]["rule"]
    assert answer.text == "Here is a proposal." and answer.input_tokens > 0
    body = fake.bodies()[-1]
    tools = {t["name"]: t for t in body["tools"]}
    assert set(tools) == {PROPOSE_RULE, PROPOSE_EXPERIMENT}
    rule_schema = tools[PROPOSE_RULE]["input_schema"]
    assert rule_schema["properties"]["rule"]["properties"]["strategy"]["enum"] == CONTEXT["strategies"]
    assert "Condition" in rule_schema["$defs"]
    assert body["tool_choice"]["type"] == "auto"
    assert "send same-day California" in body["messages"][0]["content"][0]["text"]
    assert FakeClaude.key_of(fake.requests[-1]) == KEY


def test_an_experiment_tool_call_and_a_text_answer(fake):
    fake.chat_replies = [
        {"tool": PROPOSE_EXPERIMENT, "input": {"summary": "s", "experiment": {"name": "x"}}},
        {"text": "Which region do you mean?"},
    ]
    client = chat(fake)
    first = client.propose("test AI against distance", CONTEXT)
    assert (first.kind, first.fields) == ("experiment", {"name": "x"})
    second = client.propose("hello", CONTEXT)
    assert (second.kind, second.fields, second.text) == (None, None, "Which region do you mean?")


@pytest.mark.parametrize(
    ("behaviour", "reason"), [(500, "error"), (429, "error"), ("not_json", "invalid_answer")]
)
def test_claude_failing_is_chat_unavailable(fake, behaviour, reason):
    fake.script = [behaviour]
    with pytest.raises(ChatUnavailable) as caught:
        chat(fake).propose("anything", CONTEXT)
    assert caught.value.reason == reason


def test_a_timeout_is_chat_unavailable(fake):
    fake.script, fake.delay = ["slow"], 2.0
    client = architect_chat(
        {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url, "CLAUDE_CHAT_TIMEOUT_SECONDS": "0.3"}
    )
    assert client is not None
    with pytest.raises(ChatUnavailable) as caught:
        client.propose("anything", CONTEXT)
    assert caught.value.reason == "timeout"
