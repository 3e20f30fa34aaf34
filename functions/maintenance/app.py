"""Scheduled maintenance: reservation expiry + reconciliation, recovery of lost intakes, backorder
re-sourcing (also asked for by inventory receipts), the daily node capacity reset and the hourly
compaction of the order search index, and its rebuild from the orders table on demand (ADR 0028)."""

from typing import Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from oms.runtime import init

init()

from oms.config import settings  # noqa: E402
from oms.services import maintenance, tasklog  # noqa: E402

logger = Logger(service="cirrus-maintenance")


class MaintenanceJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job: Literal[
        "reservations",
        "recover_orders",
        "resource_backorders",
        "reset_node_capacity",
        "compact_search_index",
        "rebuild_search_index",
    ]
    tenant_id: str | None = Field(default=None, min_length=1, max_length=64)
    skus: list[str] | None = Field(default=None, max_length=500)
    cursor: str | None = Field(default=None, max_length=2000)  # rebuild_search_index: go on from


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = MaintenanceJob.model_validate(event or {})
    with tasklog.task(f"job.{job.job}", job.tenant_id) as run:
        result = _run(job)
        run.details = result
    logger.info("maintenance done", extra={"job": job.job, "result": result})
    return result


def _run(job: MaintenanceJob) -> dict[str, Any]:
    cfg = settings()
    tenants = [job.tenant_id] if job.tenant_id else None
    result: dict[str, Any]
    if job.job == "reservations":
        result = maintenance.sweep_stock(cfg.reservation_ttl_minutes)
    elif job.job == "recover_orders":
        result = maintenance.recover_orders(cfg.stuck_order_minutes)
    elif job.job == "resource_backorders":
        result = maintenance.resource_backorders(tenants, job.skus)
    elif job.job == "compact_search_index":
        from oms.services import search_compaction

        result = search_compaction.compact(tenants)
    elif job.job == "rebuild_search_index":
        from oms.services import search_index

        if not job.tenant_id:
            raise ValueError("rebuild_search_index needs a tenant_id")
        result = search_index.rebuild(job.tenant_id, job.cursor)
    else:
        result = maintenance.reset_node_capacity(tenants)
    return result
