"""The exceptions consumer in the deployed template (ADR 0033): a new exception analysed by Claude
(tests.fakes.FakeClaude) or left to the rules with the reason, stored; `exception.created` sent
signed to a subscribed webhook and as a Slack body to the tenant's Slack URL through the delivery
queue; a redelivered message changes nothing; the AI cache clear, the Slack settings (SSRF guard)
and the policy lint through the API. Every AWS call is checked against the function's role."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.analyst import sample_point
from oms.domain.analyst_rules import analyse as rules_analyse
from oms.domain.clock import epoch, now_iso
from oms.domain.webhooks import verify_signature
from oms.services.context import repos
from tests.component import iam_audit
from tests.component.apiclient import ApiClient
from tests.component.conftest import _api_callable
from tests.component.helpers import sqs_records
from tests.fakes import FakeClaude, Receiver


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    parameters = {"WebhookAllowInsecureTargets": "true", "WebhookRetrySeconds": "1,1,1"}
    with (
        deployed_template(parameters=parameters, extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as resources,
        iam_audit.enforced(resources),
    ):
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture(scope="module")
def admin(stack: Any) -> ApiClient:
    anon = ApiClient(_api_callable(stack))
    reply = anon.post("/auth/login", {"email": "admin@example.com", "password": "admin123"})
    return anon.with_token(reply.body["access_token"])


def _configure(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> None:
    from oms.runtime import reinit

    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    reinit()


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaude]:
    fake = FakeClaude()
    _configure(monkeypatch, ANTHROPIC_API_KEY="sk-ant-test-not-a-real-key", ANTHROPIC_BASE_URL=fake.url,
               ANTHROPIC_API_KEY_PARAM=None)  # fmt: skip
    yield fake
    fake.close()
    monkeypatch.undo()
    _configure(monkeypatch)


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _configure(monkeypatch, ANTHROPIC_API_KEY=None, ANTHROPIC_BASE_URL=None, ANTHROPIC_API_KEY_PARAM=None)
    yield
    monkeypatch.undo()
    _configure(monkeypatch)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def new_exception(severity: str = "HIGH", exception_id: str | None = None) -> dict[str, Any]:
    now = now_iso()
    doc: dict[str, Any] = {
        "exception_id": exception_id or str(uuid.uuid4()),
        "order_ref": f"ext:SO-{uuid.uuid4().hex[:6]}",
        "order_id": None,
        "external_order_id": "SO-1001",
        "order_number": None,
        "source": "carrier",
        "milestone": "shipped",
        "kind": "absence",
        "severity": severity,
        "status": "OPEN",
        "breach_open": True,
        "policy_id": None,
        "factor": 1.0,
        "window_minutes": 1440,
        "clock_started_at": now,
        "deadline": now,
        "observed_at": None,
        "late_minutes": 42,
        "facts": {"channel": "WEB", "node": "DC-1", "customer_email": "jane@example.com"},
        "acknowledged_by": None,
        "acknowledged_at": None,
        "resolved_by": None,
        "resolved_at": None,
        "resolution_note": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    doc["analysis"] = rules_analyse(doc, now).model_dump(mode="json")
    assert repos.exceptions.create("demo", doc)
    return doc


def consume(stack: Any, exc: dict[str, Any], event: str = "created") -> dict[str, Any]:
    body = json.dumps({"tenant_id": "demo", "exception_id": exc["exception_id"], "event": event})
    result = stack.invoke("ExceptionsFunction", {"Records": sqs_records(stack, "ExceptionsQueue", [body])})
    assert not result.errored, result.payload
    assert result.payload == {"batchItemFailures": []}, result.payload
    return repos.exceptions.get("demo", exc["exception_id"]) or {}


def deliver_all(stack: Any) -> int:
    """Run the dispatcher on every delivery message queued now; how many there were."""
    sqs, url, count = boto3.client("sqs"), stack["WebhookRetryQueue"], 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return count
        count += len(messages)
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        records = sqs_records(stack, "WebhookRetryQueue", [m["Body"] for m in messages])
        assert not stack.invoke("WebhookDispatcherFunction", {"Records": records}).errored


def unsampled_medium_id() -> str:
    return next(i for i in (str(uuid.uuid4()) for _ in range(200)) if sample_point(i) >= 0.25)


# ------------------------------------------------------------------ analysis
def test_claude_analyses_a_new_exception_and_a_redelivery_changes_nothing(stack, claude):
    deliver_all(stack)
    exc = new_exception("HIGH")
    stored = consume(stack, exc)
    analysis = stored["analysis"]
    assert analysis["analyst"] == "claude" and analysis["label"] == "CARRIER_ISSUE"
    assert analysis["prompt_version"] == "exception_analysis.v1" and analysis["fallback_reason"] is None
    assert "DC-1" not in analysis["client_note"] and stored["version"] == 2
    assert "jane@example.com" not in json.dumps(claude.bodies())
    again = consume(stack, exc)  # the same message delivered again
    assert again["version"] == 2 and len(claude.bodies()) == 1


def test_an_unsampled_medium_exception_is_not_sent_to_claude(stack, claude):
    stored = consume(stack, new_exception("MEDIUM", unsampled_medium_id()))
    assert stored["analysis"]["analyst"] == "rules" and stored["analysis"]["fallback_reason"] == "not_sampled"
    assert claude.bodies() == []


def test_claude_failing_or_unsure_leaves_the_rules_analysis(stack, claude):
    claude.script = [500, 500]
    failed = consume(stack, new_exception("CRITICAL"))["analysis"]
    assert failed["analyst"] == "rules" and failed["fallback_reason"] == "error"
    claude.script = ["low"]
    unsure = consume(stack, new_exception("CRITICAL"))["analysis"]
    assert unsure["analyst"] == "rules" and unsure["fallback_reason"] == "low_confidence"


def test_without_a_key_the_rules_analysis_stands(stack, no_key):
    stored = consume(stack, new_exception("HIGH"))
    assert stored["analysis"]["analyst"] == "rules" and stored["analysis"]["fallback_reason"] == "no_key"


# ------------------------------------------------------------------ events out
def test_exception_created_goes_signed_to_a_subscribed_webhook_and_to_slack(stack, admin, no_key, receiver):
    deliver_all(stack)
    endpoint = admin.post("/webhooks/endpoints", {"url": receiver.url, "event_types": ["exception.created"]})
    assert endpoint.status == 201, endpoint
    slack = Receiver()
    try:
        put = admin.call("PUT", "/notifications/slack", {"url": slack.url})
        assert put.status == 200 and put.body["configured"] and put.body["url"] == "http://127.0.0.1/***"
        assert admin.get("/notifications/slack").body["url"] == "http://127.0.0.1/***"
        exc = new_exception("HIGH")
        stored = consume(stack, exc)
        assert deliver_all(stack) == 2
        (hook,) = [r for r in receiver.requests if json.loads(r["body"])["type"] == "exception.created"]
        assert hook["headers"]["X-OMS-Event"] == "exception.created"
        assert verify_signature(endpoint.body["secret"], hook["headers"]["X-OMS-Signature"],
                                hook["headers"]["X-OMS-Timestamp"], hook["body"], epoch())  # fmt: skip
        data = json.loads(hook["body"])["data"]
        assert data["order_id"] == exc["order_ref"] and data["data"]["exception_id"] == exc["exception_id"]
        (posted,) = slack.requests
        text = json.loads(posted["body"])["text"]
        assert "HIGH" in text and "SO-1001" in text and exc["analysis"]["label"] in text and "Ops:" in text
        assert "X-OMS-Signature" not in posted["headers"]
        assert consume(stack, exc) == stored  # redelivered: nothing redone, the same event id
        assert deliver_all(stack) == 0
        # resolved: one more event to each
        resolved = {**stored, "status": "RESOLVED", "resolved_at": now_iso(), "resolution_note": "picked up"}
        repos.exceptions.replace("demo", resolved, stored["version"])
        consume(stack, exc, "resolved")
        assert deliver_all(stack) == 1  # the endpoint asked for exception.created only
        assert "Resolved" in json.loads(slack.requests[-1]["body"])["text"]
    finally:
        admin.call("PUT", "/notifications/slack", {"url": None})
        admin.delete(f"/webhooks/endpoints/{endpoint.body['id']}")
        slack.server.shutdown()


def test_slack_urls_pass_the_ssrf_guard(stack, admin):
    for url in ("http://169.254.169.254/latest", "http://10.0.0.8/hook", "https://user:pw@example.com/x"):
        reply = admin.call("PUT", "/notifications/slack", {"url": url})
        assert reply.status == 422 and reply.body["error"]["details"][0]["type"] == "unsafe_url", reply
    assert admin.call("PUT", "/notifications/slack", {"url": None}).body == {
        "url": None,
        "configured": False,
        "updated_at": admin.get("/notifications/slack").body["updated_at"],
    }


# ------------------------------------------------------------------ administration
def test_cache_clear_moves_the_generation_and_claude_is_asked_again(stack, admin, claude):
    exc = new_exception("HIGH")
    from oms.services import analyst

    analyst.analyse("demo", exc)
    analyst.analyse("demo", exc)
    assert len(claude.bodies()) == 1  # the second one from the cache
    cleared = admin.post("/admin/cache/clear?cache_type=ai", {})
    assert cleared.status == 200 and cleared.body["cleared"] == "ai" and cleared.body["generation"] >= 1
    analyst.analyse("demo", exc)
    assert len(claude.bodies()) == 2
    assert admin.post("/admin/cache/clear?cache_type=search", {}).status == 422
    assert admin.post("/admin/cache/clear", {}).status == 422


def test_lint_policy_deterministic_without_a_key_and_with_claude(stack, admin, no_key):
    policy = {"pick_minutes": 300, "pack_minutes": 200, "ship_minutes": 1440, "delivery_hours": 96,
              "warning_pct": 120, "critical_pct": 150, "multipliers": []}  # fmt: skip
    reply = admin.post("/admin/ai/lint-policy", {"policy_type": "sla", "policy": policy})
    assert reply.status == 200, reply
    assert reply.body["valid"] is False and reply.body["analyst"] == "rules"
    assert {"pack_before_pick", "warning_never_fires"} <= {i["code"] for i in reply.body["issues"]}
    assert reply.body["suggestions"] == [] and reply.body["test_cases"] == []
    assert admin.post("/admin/ai/lint-policy", {"policy_type": "tax", "policy": {}}).status == 422


def test_lint_policy_with_claude_adds_suggestions_and_test_cases(stack, admin, claude):
    tariff = {"currency": "USD", "per_order": "1.20", "per_pick_line": "0.25", "per_unit": "-0.10",
              "per_pack": "0.50", "per_label": "0.35", "per_return": "2.00", "sla_credits": []}  # fmt: skip
    reply = admin.post("/admin/ai/lint-policy", {"policy_type": "billing", "policy": tariff})
    assert reply.status == 200, reply
    assert reply.body["analyst"] == "claude" and reply.body["suggestions"] and reply.body["test_cases"]
    # the contradiction, and what POST /billing/tariffs itself would refuse (the name is missing)
    assert [(i["code"], i["path"]) for i in reply.body["issues"]] == [
        ("negative_price", "per_unit"),
        ("schema", "name"),
    ]
