"""The Claude advisor against a local stub of the Messages API (tests.fakes.FakeClaude): answers,
failures and their fallback reasons, attempts, the circuit breaker, the token budget, the cache
and the configuration. No real network, never the paid API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oms.adapters import claude_advisor as ca
from oms.adapters import claude_client
from oms.adapters.claude_advisor import TOOL_NAME, ClaudeAdvisor, claude_advisor
from oms.domain.advisor import (
    AdviceRequest,
    AdviceUnavailable,
    CandidateView,
    NodeMetrics,
    OrderSummary,
    PatternView,
    judge,
)
from oms.domain.advisor_guards import AdviceCache, CircuitBreaker, InMemoryTokenBudget
from tests.fakes import FakeClaude

KEY = "sk-ant-test-not-a-real-key"


@pytest.fixture
def fake() -> Iterator[FakeClaude]:
    server = FakeClaude()
    yield server
    server.close()


def request(
    nodes: tuple[str, ...] = ("n-east", "n-west", "n-dark"),
    tenant: str = "t-acme",
    metrics_version: str = "v1",
    patterns: int = 3,
) -> AdviceRequest:
    return AdviceRequest(
        tenant_id=tenant,
        strategy="AI_ADAPTIVE",
        order=OrderSummary(
            order_id="o-1",
            channel="web",
            fulfillment_type="SHIP_TO_HOME",
            region="CA",
            amount_bucket="50-100",
            total_amount="74.50",
            currency="USD",
            lines=2,
            units=3,
            cluster="web|CA|50-100|SHIP_TO_HOME",
        ),
        patterns=[
            PatternView(
                cluster=f"web|CA|50-100|SHIP_TO_HOME#{i}",
                samples=40 - i,
                ranking=[{"node_id": "n-dark", "mean_score": 0.8, "samples": 20}],
            )
            for i in range(patterns)
        ],
        node_metrics=[
            NodeMetrics(node_id=n, samples=12, mean_score=0.6, mean_delivery_hours=30.0) for n in nodes
        ],
        candidates=[
            CandidateView(
                node_id=n,
                code=n.upper(),
                node_type="STORE",
                distance_km=10.0 * (i + 1),
                estimated_cost="6.40",
                holds_every_line=True,
                rule_score=round(1 - 0.2 * i, 2),
            )
            for i, n in enumerate(nodes)
        ],
        metrics_version=metrics_version,
    )


def advisor(fake: FakeClaude, **kw: Any) -> ClaudeAdvisor:
    options: dict[str, Any] = {"api_key": KEY, "base_url": fake.url, "timeout_s": 0.3, "max_wait_s": 0.05}
    options.update(kw)
    return ClaudeAdvisor(**options)


def unavailable(adv: ClaudeAdvisor, req: AdviceRequest) -> AdviceUnavailable:
    with pytest.raises(AdviceUnavailable) as caught:
        adv.advise(req)
    return caught.value


# -- answers ---------------------------------------------------------------------------------


def test_a_good_answer_gives_scores_reasons_and_tokens(fake):
    fake.scores = {"n-east": 0.35, "n-west": 0.5, "n-dark": 0.92}
    advice = advisor(fake, model="claude-haiku-4-5-test").advise(request())
    assert advice.advisor == "claude" and advice.model == "claude-haiku-4-5-test" and not advice.cached
    assert advice.scores == {"n-east": 0.35, "n-west": 0.5, "n-dark": 0.92}
    assert advice.reasons["n-dark"] == "fake reason for n-dark"
    [usage] = fake.answers
    assert (advice.input_tokens, advice.output_tokens) == (usage["input_tokens"], usage["output_tokens"])
    assert advice.input_tokens > 0 and advice.output_tokens > 0 and advice.latency_ms > 0
    assert judge(advice) is None

    [sent] = fake.requests
    assert FakeClaude.key_of(sent) == KEY
    body = fake.bodies()[0]
    assert body["model"] == "claude-haiku-4-5-test"
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True}
    [tool] = body["tools"]
    assert tool["name"] == TOOL_NAME
    item = tool["input_schema"]["properties"]["recommendations"]["items"]
    assert item["properties"]["node_id"]["enum"] == ["n-east", "n-west", "n-dark"]
    assert item["properties"]["score"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert set(item["required"]) == {"node_id", "score", "reason"}
    assert "every candidate" in body["system"] and body["metadata"]["user_id"] != "t-acme"


def test_the_prompt_carries_the_order_top_3_patterns_metrics_and_candidates(fake):
    advisor(fake).advise(request(patterns=5))
    doc = FakeClaude.document(fake.bodies()[0])
    assert set(doc) == {"order", "patterns", "node_metrics", "candidates"}
    assert doc["order"]["cluster"] == "web|CA|50-100|SHIP_TO_HOME" and doc["order"]["total_amount"] == "74.50"
    assert [p["samples"] for p in doc["patterns"]] == [40, 39, 38]  # best match first, at most 3
    assert [m["node_id"] for m in doc["node_metrics"]] == ["n-east", "n-west", "n-dark"]
    assert [(c["node_id"], c["rule_score"]) for c in doc["candidates"]] == [
        ("n-east", 1.0),
        ("n-west", 0.8),
        ("n-dark", 0.6),
    ]
    # compact JSON: no spaces after separators
    text = fake.bodies()[0]["messages"][0]["content"][0]["text"]
    assert ", " not in text and '": ' not in text


def test_low_scores_come_back_and_judge_refuses_them(fake):
    fake.default = "low"
    advice = advisor(fake).advise(request())
    assert set(advice.scores.values()) == {0.1}
    assert judge(advice) == "low_score"


@pytest.mark.parametrize(
    "behaviour", ["malformed", "text", "other_tool", "cut_off", "not_json", "not_message"]
)
def test_an_answer_without_a_valid_tool_call_is_invalid(fake, behaviour):
    fake.default = behaviour
    failed = unavailable(advisor(fake), request())
    assert failed.reason == "invalid_answer"
    assert len(fake.requests) == 1  # a bad answer is not asked again
    assert failed.audit["outcome"] == "invalid_answer" and failed.audit["attempts"] == 1
    assert failed.audit["advisor"] == "claude" and failed.audit["model"] == ca.DEFAULT_MODEL
    if behaviour in ("malformed", "text", "cut_off"):  # billed: the tokens are in the audit
        assert failed.audit["input_tokens"] == fake.answers[0]["input_tokens"] > 0


# -- failures and attempts -------------------------------------------------------------------


def test_a_timeout_is_tried_twice_then_falls_back(fake):
    fake.default = "slow"
    failed = unavailable(advisor(fake), request())
    assert failed.reason == "timeout" and failed.audit["outcome"] == "timeout"
    assert len(fake.requests) == 2 and failed.audit["attempts"] == 2
    assert failed.audit["input_tokens"] == failed.audit["output_tokens"] == 0


def test_one_timeout_then_an_answer_is_an_answer(fake):
    fake.script = ["slow"]
    advice = advisor(fake).advise(request())
    assert len(fake.requests) == 2 and advice.scores


@pytest.mark.parametrize("status", [429, 500])
def test_rate_limits_and_server_errors_are_errors_after_two_attempts(fake, status):
    fake.default = status
    failed = unavailable(advisor(fake), request())
    assert failed.reason == "error" and failed.detail.startswith(f"HTTP {status}")
    assert len(fake.requests) == 2 and failed.audit["attempts"] == 2


def test_a_429_asking_for_a_long_wait_is_not_retried(fake):
    fake.default, fake.retry_after = 429, "30"
    failed = unavailable(advisor(fake), request())
    assert failed.reason == "error" and "retry after 30" in failed.detail
    assert len(fake.requests) == 1


def test_a_refused_key_is_an_error_without_a_second_attempt(fake):
    fake.default = 401
    failed = unavailable(advisor(fake), request())
    assert failed.reason == "error" and failed.detail == "HTTP 401" and len(fake.requests) == 1


def test_a_server_error_then_an_answer_is_an_answer(fake):
    fake.script = [500]
    advice = advisor(fake).advise(request())
    assert len(fake.requests) == 2 and advice.scores["n-east"] == 0.9


def test_nothing_listening_is_an_error(fake):
    url = fake.url
    fake.close()
    failed = unavailable(advisor(fake, base_url=url), request())
    assert failed.reason == "error" and failed.audit["attempts"] == 2


# -- circuit breaker -------------------------------------------------------------------------


@pytest.mark.date_sensitive
def test_the_breaker_opens_refuses_probes_after_the_cool_down_and_closes(fake, frozen_clock):
    adv = advisor(fake, breaker=CircuitBreaker(threshold=3, cooldown_s=30))
    fake.default = 500
    for _ in range(3):
        assert unavailable(adv, request()).reason == "error"
    assert adv.breaker.state == "open" and len(fake.requests) == 6

    fake.default = "good"
    refused = unavailable(adv, request())
    assert refused.reason == "breaker_open" and refused.audit["attempts"] == 0
    frozen_clock.shift(29)
    assert unavailable(adv, request()).reason == "breaker_open"
    assert len(fake.requests) == 6  # nothing reached the API while open

    frozen_clock.shift(2)
    assert adv.breaker.state == "half_open"
    advice = adv.advise(request())  # the probe
    assert advice.scores and len(fake.requests) == 7
    assert adv.breaker.state == "closed" and adv.breaker.failures == 0
    adv.advise(request(metrics_version="v2"))
    assert len(fake.requests) == 8


@pytest.mark.date_sensitive
def test_a_failed_probe_opens_the_breaker_again(fake, frozen_clock):
    adv = advisor(fake, breaker=CircuitBreaker(threshold=2, cooldown_s=30))
    fake.default = 401  # one request per call
    for _ in range(2):
        unavailable(adv, request())
    frozen_clock.shift(31)
    assert unavailable(adv, request()).reason == "error"  # the probe, failed
    assert len(fake.requests) == 3 and adv.breaker.state == "open"
    assert unavailable(adv, request()).reason == "breaker_open" and len(fake.requests) == 3
    frozen_clock.shift(31)
    fake.default = "good"
    assert adv.advise(request()).scores and adv.breaker.state == "closed"


def test_half_open_lets_exactly_one_probe_through(frozen_clock):
    breaker = CircuitBreaker(threshold=1, cooldown_s=10)
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    frozen_clock.shift(10)
    assert breaker.allow()  # the probe
    assert not breaker.allow() and not breaker.allow()  # everyone else waits for its outcome
    breaker.success()
    assert breaker.allow() and breaker.allow()


def test_successes_reset_the_count_of_consecutive_failures(fake):
    adv = advisor(fake, breaker=CircuitBreaker(threshold=2, cooldown_s=30))
    fake.script = [401, "good", 401]
    unavailable(adv, request())
    adv.advise(request(metrics_version="v2"))
    unavailable(adv, request(metrics_version="v3"))
    assert adv.breaker.state == "closed" and adv.breaker.failures == 1


# -- token budget ----------------------------------------------------------------------------


@pytest.mark.date_sensitive
def test_a_spent_budget_falls_back_without_a_call_until_the_next_day(fake, frozen_clock):
    budget = InMemoryTokenBudget(daily_tokens=100)
    adv = advisor(fake, budget=budget)
    advice = adv.advise(request())
    day = ca.today()
    assert budget.remaining("t-acme", day) == 100 - advice.input_tokens - advice.output_tokens < 0

    refused = unavailable(adv, request(metrics_version="v2"))
    assert refused.reason == "budget_spent" and refused.audit["attempts"] == 0
    assert len(fake.requests) == 1
    assert adv.advise(request(tenant="t-other")).scores  # another tenant's budget is its own
    assert len(fake.requests) == 2

    frozen_clock.shift(24 * 3600)
    assert adv.advise(request(metrics_version="v3")).scores
    assert len(fake.requests) == 3


def test_the_tokens_of_a_bad_answer_are_spent_too(fake):
    budget = InMemoryTokenBudget(daily_tokens=10_000)
    fake.default = "malformed"
    unavailable(advisor(fake, budget=budget), request())
    [usage] = fake.answers
    assert budget.remaining("t-acme", ca.today()) == 10_000 - usage["input_tokens"] - usage["output_tokens"]


# -- cache -----------------------------------------------------------------------------------


@pytest.mark.date_sensitive
def test_the_same_question_is_answered_from_the_cache(fake, frozen_clock):
    budget = InMemoryTokenBudget(daily_tokens=100_000)
    adv = advisor(fake, budget=budget)
    first = adv.advise(request())
    left = budget.remaining("t-acme", ca.today())
    again = adv.advise(request(nodes=("n-dark", "n-east", "n-west")))  # same set, another order
    assert len(fake.requests) == 1
    assert again.cached and again.scores == first.scores and again.reasons == first.reasons
    assert again.input_tokens == again.output_tokens == 0
    assert budget.remaining("t-acme", ca.today()) == left  # no tokens spent

    adv.advise(request(metrics_version="v2"))  # the statistics moved on
    adv.advise(request(nodes=("n-east", "n-west")))  # another candidate set
    adv.advise(request(tenant="t-other"))  # another tenant
    assert len(fake.requests) == 4

    frozen_clock.shift(601)  # past the 10-minute TTL
    assert not adv.advise(request()).cached
    assert len(fake.requests) == 5


def test_failures_are_not_cached(fake):
    adv = advisor(fake)
    fake.script = ["malformed"]
    unavailable(adv, request())
    assert not adv.advise(request()).cached and len(fake.requests) == 2


def test_the_cache_is_bounded_least_recently_used_out(fake):
    adv = advisor(fake, cache=AdviceCache(max_entries=2))
    for version in ("a", "b", "a", "c"):  # "a" used again, so "b" is the oldest when "c" comes
        adv.advise(request(metrics_version=version))
    assert len(adv.cache) == 2 and len(fake.requests) == 3
    assert adv.advise(request(metrics_version="a")).cached
    assert not adv.advise(request(metrics_version="b")).cached


# -- configuration ---------------------------------------------------------------------------


def test_no_key_configured_means_no_claude_advisor():
    assert claude_advisor(env={}) is None
    assert claude_advisor(env={"CLAUDE_MODEL": "claude-haiku-4-5"}) is None


def test_the_sdk_reads_key_and_endpoint_from_the_environment(fake, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    ClaudeAdvisor(timeout_s=0.3).advise(request())
    assert fake.key_of(fake.requests[-1]) == "sk-ant-from-env"

    adv = claude_advisor(
        env={"ANTHROPIC_API_KEY": "sk-ant-2", "CLAUDE_MODEL": "claude-x", "CLAUDE_DAILY_TOKENS": "5"}
    )
    assert adv is not None and adv.model == "claude-x" and adv.timeout_s == 3.0
    adv.advise(request())
    assert fake.key_of(fake.requests[-1]) == "sk-ant-2" and fake.bodies()[-1]["model"] == "claude-x"
    assert adv.budget.remaining("t-acme", ca.today()) < 0  # 5 tokens a day: spent by one call


def test_the_key_can_come_from_ssm(fake, monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    claude_client.key_from_ssm.cache_clear()
    with mock_aws():
        import boto3

        boto3.client("ssm", region_name="eu-west-1").put_parameter(
            Name="/cirrus/test/anthropic-api-key", Value="sk-ant-from-ssm", Type="SecureString"
        )
        adv = claude_advisor(
            env={"ANTHROPIC_API_KEY_PARAM": "/cirrus/test/anthropic-api-key", "AWS_REGION": "eu-west-1"},
            base_url=fake.url,
            timeout_s=0.3,
        )
        assert adv is not None
        adv.advise(request())
        adv.advise(request(metrics_version="v2"))
    claude_client.key_from_ssm.cache_clear()
    assert [fake.key_of(r) for r in fake.requests] == ["sk-ant-from-ssm"] * 2


def test_an_unreadable_key_is_an_error_not_an_exception(fake):
    def broken() -> str:
        raise RuntimeError("parameter store is down")

    failed = unavailable(advisor(fake, api_key=broken), request())
    assert failed.reason == "error" and failed.detail == "RuntimeError" and not fake.requests


def test_half_open_admits_one_probe_among_concurrent_callers(frozen_clock):
    import threading

    breaker = CircuitBreaker(threshold=1, cooldown_s=5)
    breaker.failure()
    frozen_clock.shift(5)
    start = threading.Barrier(16)
    admitted: list[bool] = []

    def caller() -> None:
        start.wait()
        admitted.append(breaker.allow())

    threads = [threading.Thread(target=caller) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(admitted) == [False] * 15 + [True]
