"""Health. `GET /health` is a liveness answer that touches nothing; `GET /health?deep=1` (SUPERADMIN)
reads every resource the stack runs on - tables, dead-letter queues, the fulfilment state machine,
the schedules - and says which is unhealthy, by a logical name (never a physical name or ARN)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from oms.adapters.probes import Probe, Probes
from oms.config import settings
from oms.domain.clock import now_iso
from oms.domain.errors import Forbidden
from oms.domain.models import Principal, Role


class ProbeSet(Protocol):
    def table(self, name: str) -> Probe: ...
    def dead_letters(self, queue_url: str) -> Probe: ...
    def state_machine(self, arn: str) -> Probe: ...
    def schedule(self, rule_name: str) -> Probe: ...


def liveness() -> dict[str, Any]:
    return {"status": "ok", "service": "cirrus-oms", "time": now_iso()}


def deep(principal: Principal, probes: Callable[[], ProbeSet] = Probes) -> dict[str, Any]:
    """Every check, in a stable order: {"status": "ok" | "degraded", "checks": [...]}. It reads
    platform-wide state (every tenant's dead letters), hence the SUPERADMIN role."""
    if not principal.at_least(Role.SUPERADMIN):
        raise Forbidden(
            "the deep health check needs the SUPERADMIN role",
            code="insufficient_role",
            details={"required": Role.SUPERADMIN.value, "have": principal.role.value},
        )
    cfg, probe = settings(), probes()
    checks: list[tuple[str, Probe]] = [
        ("orders_table", probe.table(cfg.orders_table)),
        ("inventory_table", probe.table(cfg.inventory_table)),
        ("directory_table", probe.table(cfg.directory_table)),
        ("integrations_table", probe.table(cfg.integrations_table)),
        ("insights_table", probe.table(cfg.insights_table)),
        ("radar_table", probe.table(cfg.radar_table)),
    ]
    dead_letter_queues = [(name, dlq) for name, (dlq, _) in cfg.dead_letter_queues]
    if cfg.publisher_dead_letter_queue_url:
        dead_letter_queues.append(("publisher", cfg.publisher_dead_letter_queue_url))
    checks += [(f"{name}_dlq", probe.dead_letters(url)) for name, url in dead_letter_queues]
    machine = cfg.state_machine_arn
    checks.append(
        (
            "fulfilment_state_machine",
            probe.state_machine(machine) if machine else Probe(False, "not configured"),
        )
    )
    checks += [(f"{job}_schedule", probe.schedule(rule)) for job, rule in cfg.schedule_rules]
    healthy = all(p.ok for _, p in checks)
    return {
        "status": "ok" if healthy else "degraded",
        "checks": [{"name": name, "ok": p.ok, "detail": p.detail} for name, p in checks],
    }
