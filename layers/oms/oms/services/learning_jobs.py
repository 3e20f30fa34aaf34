"""Running the learning jobs: for one tenant, or for every tenant on a schedule, each run in the
task log (ADR 0023). The label job drains the shared learning queue once, for all tenants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oms.services import learning, tasklog
from oms.services.context import repos

PerTenant = Callable[[str], dict[str, Any]]


def _per_tenant(job: str, days: int | None = None) -> PerTenant:
    if job == "reconcile_analytics":  # the analytics counters' check and rebuild (ADR 0029)
        from oms.services import analytics_reconcile

        return lambda tenant: analytics_reconcile.reconcile(
            tenant, days or analytics_reconcile.RECONCILE_DAYS
        )
    if job == "update_node_performance":
        return learning.update_node_performance
    if job == "discover_patterns":
        from oms.services import proposals  # the architect's

        return lambda tenant: learning.discover_patterns(tenant, proposals.propose_from_patterns)
    if job == "evaluate_experiments":
        from oms.services import experiments  # the architect's

        return experiments.evaluate_all
    raise ValueError(f"unknown learning job {job!r}")


def run(job: str, tenant_id: str | None = None, days: int | None = None) -> dict[str, Any]:
    """Run `job` for `tenant_id`, or for every tenant when None. Returns its figures. `days`:
    how many days back reconcile_analytics recomputes (its default: the last week)."""
    if job == "sla_sweep":  # every minute: the SLA radar's deadline index (ADR 0031)
        from oms.services import radar_sweep

        if tenant_id is None:  # the schedule: no task-log row per tenant and minute
            return radar_sweep.run()
        with tasklog.task("job.sla_sweep", tenant_id) as log_run:
            result = radar_sweep.run(tenant_id)
            log_run.details = result
        return {"tenant_id": tenant_id, **result}
    if job == "label_outcomes":
        with tasklog.task("job.label_outcomes", tenant_id) as log_run:
            result = learning.label_outcomes(tenant_id)
            log_run.details = result
        return {"job": job, **result}
    step = _per_tenant(job, days)
    tenants = [tenant_id] if tenant_id else repos.directory.tenant_ids()
    results: dict[str, Any] = {}
    for tenant in tenants:
        with tasklog.task(f"job.{job}", tenant) as log_run:
            results[tenant] = step(tenant)
            log_run.details = results[tenant]
    if tenant_id:
        return {"job": job, "tenant_id": tenant_id, **results[tenant_id]}
    return {"job": job, "tenants": len(tenants)}
