"""GET /health stays public and free; GET /health?deep=1 (SUPERADMIN) reads the deployed stack -
tables, dead-letter queues, the state machine, the schedules - and names what is unhealthy."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.component import iam_audit
from tests.component.apiclient import ApiClient

CHECKS = {
    "orders_table",
    "inventory_table",
    "directory_table",
    "integrations_table",
    "insights_table",
    "billing_table",
    "radar_table",
    "warehouse_dlq",
    "carrier_dlq",
    "webhooks_dlq",
    "webhook_deliveries_dlq",
    "connectors_dlq",
    "learning_dlq",
    "exceptions_dlq",
    "email_feedback_dlq",
    "actions_dlq",
    "stock_sync_dlq",
    "publisher_dlq",
    "fulfilment_state_machine",
    "reservations_schedule",
    "recover_orders_schedule",
    "resource_backorders_schedule",
    "reset_node_capacity_schedule",
    "poll_amazon_schedule",
    "label_outcomes_schedule",
    "update_node_performance_schedule",
    "discover_patterns_schedule",
    "evaluate_experiments_schedule",
    "compact_search_index_schedule",
    "reconcile_analytics_schedule",
    "generate_invoices_schedule",
    "validate_invoices_schedule",
    "sla_sweep_schedule",
    "scan_stock_alerts_schedule",
    "reconcile_stock_schedule",
}


def _physical_names(stack: Any) -> list[str]:
    """Every physical name and ARN of the stack: none may appear in a health answer."""
    found = []
    for resource in stack.resources.values():
        for value in (resource.physical_id, resource.arn):
            if isinstance(value, str) and value:
                found += [value, value.rsplit("/", 1)[-1], value.rsplit(":", 1)[-1]]
    return [v for v in found if len(v) > 12]


def test_plain_health_is_public_and_calls_nothing(anon: ApiClient, stack: Any) -> None:
    with iam_audit.recording(stack.account_id) as recorder:
        reply = anon.get("/health")
        cache_busted = anon.get("/health?ts=12345")
    assert reply.status == 200 and reply.body["status"] == "ok"
    assert "checks" not in reply.body
    assert cache_busted.status == 200
    assert recorder.calls == set()


def test_deep_health_of_a_healthy_stack(admin: ApiClient, stack: Any) -> None:
    reply = admin.get("/health?deep=1")
    assert reply.status == 200, reply
    assert reply.body["status"] == "ok"
    checks = {c["name"]: c for c in reply.body["checks"]}
    assert set(checks) == CHECKS
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["orders_table"]["detail"] == "ACTIVE"
    assert checks["webhooks_dlq"]["detail"] == "empty"
    assert checks["poll_amazon_schedule"]["detail"] == "ENABLED"
    text = json.dumps(reply.body)
    assert not [name for name in _physical_names(stack) if name in text]


def test_a_dead_letter_makes_it_degraded_and_says_which(
    admin: ApiClient, owner: ApiClient, stack: Any
) -> None:
    sqs = boto3.client("sqs")
    url = stack["WebhookDeadLetterQueue"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"type": "order.created"}))
    try:
        reply = admin.get("/health?deep=1")
        assert reply.status == 503, reply
        assert reply.body["status"] == "degraded"
        bad = [c for c in reply.body["checks"] if not c["ok"]]
        assert bad == [{"name": "webhooks_dlq", "ok": False, "detail": "1 message(s) waiting"}]
        assert owner.get("/health?deep=1").status == 503  # the platform owner may look too
        text = json.dumps(reply.body)
        assert url not in text and not [name for name in _physical_names(stack) if name in text]
    finally:
        sqs.purge_queue(QueueUrl=url)
    assert admin.get("/health?deep=1").status == 200


def test_a_disabled_schedule_makes_it_degraded(admin: ApiClient, stack: Any) -> None:
    events = boto3.client("events")
    rules = dict(pair.split("=", 1) for pair in stack.environment["SCHEDULE_RULES"].split(","))
    rule = rules["resource_backorders"]
    events.disable_rule(Name=rule)
    try:
        reply = admin.get("/health?deep=1")
        assert reply.status == 503
        bad = [c for c in reply.body["checks"] if not c["ok"]]
        assert bad == [{"name": "resource_backorders_schedule", "ok": False, "detail": "DISABLED"}]
    finally:
        events.enable_rule(Name=rule)


def test_deep_health_needs_a_superadmin(anon: ApiClient, user: ApiClient) -> None:
    no_token = anon.get("/health?deep=1")
    assert no_token.status == 401, no_token
    assert no_token.body["error"]["code"] == "missing_token"
    as_user = user.get("/health?deep=1")
    assert as_user.status == 403, as_user
    assert as_user.body["error"]["code"] == "insufficient_role"
    assert anon.get("/health?deep=maybe").status == 422
