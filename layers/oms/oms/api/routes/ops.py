"""Operations: dead letters and the task log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from oms.api.http import PageQuery, route
from oms.api.instance import app
from oms.domain.models import (
    Principal,
    Role,
    Strict,
)
from oms.services import ops, tasklog


class TaskLogQuery(PageQuery):
    tenant: str | None = Field(default=None, max_length=64)  # platform owner only


class ReplayQuery(Strict):
    limit: int = Field(default=1000, ge=1, le=10_000)


@route(app, "/ops/dlq", ["GET"], role=Role.PLATFORM_OWNER)
def list_dead_letters(principal: Principal) -> dict[str, Any]:
    items = ops.list_dlqs()
    return {"items": items, "count": len(items)}


@route(app, "/ops/dlq/{queue}/replay", ["POST"], role=Role.PLATFORM_OWNER, query=ReplayQuery)
def replay_dead_letters(principal: Principal, queue: str, *, query: ReplayQuery) -> dict[str, Any]:
    return ops.replay(queue, query.limit)


@route(app, "/ops/jobs/{name}/run", ["POST"], role=Role.SUPERADMIN)
def run_job(principal: Principal, name: str) -> dict[str, Any]:
    """Run a learning job now for your tenant: label_outcomes, update_node_performance,
    discover_patterns, evaluate_experiments, reconcile_analytics or sla_sweep (each also runs on its
    schedule)."""
    return ops.run_job(principal, name)


@route(app, "/ops/task-log", ["GET"], role=Role.SUPERADMIN, query=TaskLogQuery)
def task_log(principal: Principal, *, query: TaskLogQuery) -> dict[str, Any]:
    return tasklog.page(principal, query.tenant, query.limit, query.cursor)
