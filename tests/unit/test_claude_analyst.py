"""The Claude exception analyst against the local Messages-API stub (tests.fakes.FakeClaude): the
answer used when confident, every fallback path with its reason, sampling, the cache and its
generation, the client note's plain words, and what the model is (not) shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from oms.adapters.claude_analyst import AnalystUnavailable, ClaudeAnalyst
from oms.domain import analyst as domain
from oms.domain.advisor_guards import CircuitBreaker, InMemoryTokenBudget, today
from oms.domain.analyst_rules import analyse as rules_analyse
from oms.domain.exceptions import Analysis
from tests.fakes import FakeClaude

KEY = "sk-ant-test-not-a-real-key"
NOW = "2026-11-30T12:00:00Z"


@pytest.fixture
def fake() -> Iterator[FakeClaude]:
    server = FakeClaude()
    yield server
    server.close()


def exception(exception_id: str = "exc-1", severity: str = "HIGH", **facts: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "exception_id": exception_id,
        "order_ref": "ext:SO-1001",
        "external_order_id": "SO-1001",
        "source": "carrier",
        "milestone": "shipped",
        "kind": "absence",
        "severity": severity,
        "status": "OPEN",
        "breach_open": True,
        "factor": 1.0,
        "window_minutes": 1440,
        "clock_started_at": "2026-11-29T10:00:00Z",
        "deadline": "2026-11-30T10:00:00Z",
        "observed_at": None,
        "late_minutes": 120,
        "facts": {
            "channel": "WEB",
            "node": "DC-1",
            "carrier": "UPS",
            "customer_email": "jane@example.com",
            "shipping_address": "1 Main St, Springfield",
            "customer_name": "Jane Doe",
            "note": "call jane@example.com",
            **facts,
        },
        "created_at": NOW,
    }
    doc["analysis"] = rules_analyse(doc, NOW).model_dump(mode="json")
    return doc


def analyst(fake: FakeClaude, **kw: Any) -> ClaudeAnalyst:
    options: dict[str, Any] = {"api_key": KEY, "base_url": fake.url, "timeout_s": 0.3, "max_wait_s": 0.05}
    options.update(kw)
    return ClaudeAnalyst(**options)


def decided(adv: ClaudeAnalyst, exc: dict[str, Any], tenant: str = "t-acme") -> dict[str, Any]:
    """What the consumer stores: Claude's answer or the rules' with the reason (services.analyst)."""
    rules = exc["analysis"]
    try:
        reply = adv.analyse(tenant, exc)
    except AnalystUnavailable as failed:
        return domain.fallback(rules, failed.reason)  # type: ignore[arg-type]
    return domain.decide(rules, reply.answer, exc, model=reply.model, prompt_version=reply.prompt_version)


# -- answers ---------------------------------------------------------------------------------


def test_a_confident_answer_is_used_with_model_and_prompt_version(fake):
    result = decided(analyst(fake), exception())
    assert result["analyst"] == "claude" and result["label"] == "CARRIER_ISSUE"
    assert result["confidence"] == 0.82 and result["fallback_reason"] is None
    assert result["model"] == "claude-haiku-4-5" and result["prompt_version"] == "exception_analysis.v1"
    Analysis.model_validate(result)  # what set_analysis accepts
    body = fake.bodies()[0]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": "record_exception_analysis",
        "disable_parallel_tool_use": True,
    }
    assert body["system"].startswith("You are the exception analyst")


def test_the_model_sees_the_breach_and_facts_but_no_personal_data(fake):
    exc = exception()
    analyst(fake).analyse("t-acme", exc)
    text = fake.bodies()[0]["messages"][0]["content"][0]["text"]
    shown = json.loads(text)
    assert (
        shown["milestone"] == "shipped" and shown["late_minutes"] == 120 and shown["window_minutes"] == 1440
    )
    assert shown["facts"] == {"carrier": "UPS", "channel": "WEB", "node": "DC-1"}
    assert shown["rule_label"] == exc["analysis"]["label"]  # the rules' label, as a hint
    for secret in ("jane", "Jane", "Main St", "Springfield", "SO-1001"):
        assert secret not in text


def test_low_confidence_keeps_the_rules_analysis(fake):
    fake.script = ["low"]
    exc = exception()
    result = decided(analyst(fake), exc)
    assert result["analyst"] == "rules" and result["fallback_reason"] == "low_confidence"
    assert result["label"] == exc["analysis"]["label"] and result["ops_note"] == exc["analysis"]["ops_note"]
    Analysis.model_validate(result)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (["slow", "slow"], "timeout"),
        ([500, 500], "error"),
        ([401], "error"),
        (["malformed"], "invalid_answer"),
        (["text"], "invalid_answer"),
        (["cut_off"], "invalid_answer"),
        (["not_message"], "invalid_answer"),
    ],
)
def test_failures_fall_back_to_the_rules_with_the_reason(fake, script, reason):
    fake.script = list(script)
    fake.delay = 1.0
    result = decided(analyst(fake), exception())
    assert result["analyst"] == "rules" and result["fallback_reason"] == reason
    Analysis.model_validate(result)


def test_a_500_then_an_answer_is_retried_once(fake):
    fake.script = [500]
    assert decided(analyst(fake), exception())["analyst"] == "claude"
    assert len(fake.bodies()) == 2


def test_a_spent_budget_means_no_call(fake):
    budget = InMemoryTokenBudget(10)
    budget.spend("t-acme", today(), 10)
    result = decided(analyst(fake, budget=budget), exception())
    assert result["fallback_reason"] == "budget_spent" and fake.bodies() == []


def test_tokens_are_spent_from_the_shared_budget(fake):
    budget = InMemoryTokenBudget(100_000)
    analyst(fake, budget=budget).analyse("t-acme", exception())
    usage = fake.answers[0]
    assert budget.remaining("t-acme", today()) == 100_000 - usage["input_tokens"] - usage["output_tokens"]


def test_an_open_breaker_means_no_call(fake):
    breaker = CircuitBreaker(threshold=1, cooldown_s=60)
    breaker.failure()
    result = decided(analyst(fake, breaker=breaker), exception())
    assert result["fallback_reason"] == "breaker_open" and fake.bodies() == []


def test_repeated_failures_open_the_breaker(fake):
    fake.default = 500
    adv = analyst(fake, breaker=CircuitBreaker(threshold=2, cooldown_s=60), attempts=1)
    assert decided(adv, exception("a"))["fallback_reason"] == "error"
    assert decided(adv, exception("b"))["fallback_reason"] == "error"
    assert decided(adv, exception("c"))["fallback_reason"] == "breaker_open"
    assert len(fake.bodies()) == 2


# -- cache and generation ----------------------------------------------------------------------


def test_a_cache_hit_costs_no_second_call_and_a_new_generation_asks_again(fake):
    generations = {"t-acme": 0}
    adv = analyst(fake, generation=lambda tenant: generations[tenant])
    first = adv.analyse("t-acme", exception())
    again = adv.analyse("t-acme", exception())
    assert not first.cached and again.cached and again.answer == first.answer
    assert len(fake.bodies()) == 1
    generations["t-acme"] = 1  # POST /admin/cache/clear?cache_type=ai
    assert not adv.analyse("t-acme", exception()).cached
    assert len(fake.bodies()) == 2


def test_the_cache_is_per_tenant(fake):
    adv = analyst(fake)
    adv.analyse("t-acme", exception())
    adv.analyse("t-other", exception())
    assert len(fake.bodies()) == 2


# -- the client note ----------------------------------------------------------------------------


def test_jargon_in_the_client_note_is_repaired(fake):
    fake.tool_replies["record_exception_analysis"] = [
        {
            **FakeClaude.ANALYSIS_DEFAULT,
            "client_note": "SKU ABC-1 missed the SLA at node DC-1; the WMS shows order "
            "5f0b8f8e-2f5c-4c1e-9a57-5d3c0e11a7b1 unpicked.",
        }
    ]
    note = decided(analyst(fake), exception())["client_note"]
    assert not domain.has_jargon(note)
    for word in ("SKU", "SLA", "WMS", "DC-1", "node", "5f0b8f8e"):
        assert word not in note
    assert "our fulfilment centre" in note and "item" in note and "delivery commitment" in note


# -- sampling -----------------------------------------------------------------------------------


def test_sampling_is_deterministic_by_severity():
    rates = domain.DEFAULT_SAMPLE_RATES
    ids = [f"exc-{i}" for i in range(400)]
    assert all(domain.sampled(i, "CRITICAL", rates) and domain.sampled(i, "HIGH", rates) for i in ids)
    assert not any(domain.sampled(i, "LOW", rates) for i in ids)
    medium = [i for i in ids if domain.sampled(i, "MEDIUM", rates)]
    assert 60 < len(medium) < 140  # about a quarter
    assert medium == [i for i in ids if domain.sampled(i, "MEDIUM", rates)]  # the same every time


def test_sample_rates_are_configurable():
    rates = domain.parse_sample_rates("MEDIUM=1, LOW=0.5,HIGH=nope,BOGUS=1,CRITICAL=7")
    assert rates == {"CRITICAL": 1.0, "HIGH": 1.0, "MEDIUM": 1.0, "LOW": 0.5}
    assert domain.parse_sample_rates(None) == dict(domain.DEFAULT_SAMPLE_RATES)


def test_lint_suggestions_come_from_the_review_tool(fake):
    reply = analyst(fake).lint("t-acme", "sla", {"pick_minutes": 60}, [])
    assert reply.answer.suggestions == FakeClaude.LINT_DEFAULT["suggestions"]
    assert reply.answer.test_cases[0].expected == "breach" and reply.prompt_version == "policy_lint.v1"
    assert fake.bodies()[0]["tool_choice"]["name"] == "review_policy"
