"""The deep health report from probe answers: logical names only, degraded when any check fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oms import config
from oms.adapters.probes import Probe
from oms.domain.errors import Forbidden
from oms.domain.models import Principal, Role
from oms.services import health


class FakeProbes:
    """Answers by physical name; records what was asked."""

    def __init__(self, bad: dict[str, str]) -> None:
        self.bad = bad
        self.asked: list[str] = []

    def _answer(self, name: str, good: str) -> Probe:
        self.asked.append(name)
        return Probe(False, self.bad[name]) if name in self.bad else Probe(True, good)

    def table(self, name: str) -> Probe:
        return self._answer(name, "ACTIVE")

    def dead_letters(self, queue_url: str) -> Probe:
        return self._answer(queue_url, "empty")

    def state_machine(self, arn: str) -> Probe:
        return self._answer(arn, "ACTIVE")

    def schedule(self, rule_name: str) -> Probe:
        return self._answer(rule_name, "ENABLED")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ORDERS_TABLE", "stack-Orders-X1")
    monkeypatch.setenv(
        "DEAD_LETTER_QUEUES",
        "webhooks=https://q/stack-WebhookDLQ|https://q/stack-Webhook,"
        "actions=https://q/stack-ActionsDLQ|https://q/stack-Actions",  # workflow actions (ADR 0035)
    )
    monkeypatch.setenv("PUBLISHER_DEAD_LETTER_QUEUE_URL", "https://q/stack-PublisherDLQ")
    monkeypatch.setenv("FULFILMENT_STATE_MACHINE_ARN", "arn:aws:states:r:1:stateMachine:stack-Fulfil")
    monkeypatch.setenv("SCHEDULE_RULES", "reservations=stack-reservation-sweep")
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


ADMIN = Principal(user_id="u", email="a@x.test", tenant_id="t", role=Role.SUPERADMIN)


def test_all_healthy_is_ok_in_a_stable_order(env: None) -> None:
    report = health.deep(ADMIN, lambda: FakeProbes({}))
    assert report["status"] == "ok"
    assert [c["name"] for c in report["checks"]] == [
        "orders_table",
        "inventory_table",
        "directory_table",
        "integrations_table",
        "insights_table",
        "billing_table",
        "radar_table",
        "webhooks_dlq",
        "actions_dlq",
        "publisher_dlq",
        "fulfilment_state_machine",
        "reservations_schedule",
    ]


def test_one_failure_degrades_and_is_named_without_its_physical_name(env: None) -> None:
    probes = FakeProbes({"https://q/stack-PublisherDLQ": "2 message(s) waiting"})
    report = health.deep(ADMIN, lambda: probes)
    assert report["status"] == "degraded"
    assert [c for c in report["checks"] if not c["ok"]] == [
        {"name": "publisher_dlq", "ok": False, "detail": "2 message(s) waiting"}
    ]
    assert "stack-" not in str(report)
    assert "https://q/stack-Webhook" not in probes.asked  # source queues are not dead letters


def test_an_unconfigured_state_machine_is_a_failure(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FULFILMENT_STATE_MACHINE_ARN")
    config.settings.cache_clear()
    report = health.deep(ADMIN, lambda: FakeProbes({}))
    machine = next(c for c in report["checks"] if c["name"] == "fulfilment_state_machine")
    assert machine == {"name": "fulfilment_state_machine", "ok": False, "detail": "not configured"}
    assert report["status"] == "degraded"


def test_only_a_superadmin_or_above_may_ask(env: None) -> None:
    user = ADMIN.model_copy(update={"role": Role.USER})
    with pytest.raises(Forbidden):
        health.deep(user, lambda: FakeProbes({}))
    owner = ADMIN.model_copy(update={"role": Role.PLATFORM_OWNER})
    assert health.deep(owner, lambda: FakeProbes({}))["status"] == "ok"
