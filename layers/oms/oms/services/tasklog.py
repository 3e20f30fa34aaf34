"""The task log: every worker execution (webhook delivery, connector push, import, poll,
scheduled job) with its outcome, duration and error, queryable at GET /ops/task-log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from oms.domain.clock import now_iso
from oms.domain.errors import Forbidden
from oms.domain.models import Principal, Role
from oms.services.context import repos

log = logging.getLogger(__name__)
PLATFORM = "_platform"  # jobs that span tenants


def _pk(tenant_id: str | None) -> str:
    return f"T#{tenant_id or PLATFORM}#TASKS"


class TaskRun:
    """What a running task reports: `outcome` (success / retry / failure / skipped) and details."""

    def __init__(self) -> None:
        self.outcome = "success"
        self.details: dict[str, Any] = {}


@contextmanager
def task(kind: str, tenant_id: str | None, reference: str = "") -> Iterator[TaskRun]:
    """Log one execution. An exception is logged as `failure` (or `retry` when the caller set
    that outcome before raising) and re-raised; logging itself never breaks the task."""
    run = TaskRun()
    started_at, started = now_iso(), time.perf_counter()
    error: str | None = None
    try:
        yield run
    except Exception as exc:
        if run.outcome == "success":
            run.outcome = "failure"
        error = f"{type(exc).__name__}: {str(exc)[:500]}"
        raise
    finally:
        doc = {
            "kind": kind,
            "tenant_id": tenant_id or PLATFORM,
            "reference": reference,
            "outcome": run.outcome,
            "started_at": started_at,
            "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
            "error": error,
            "details": run.details,
        }
        try:
            repos.logs.append(_pk(tenant_id), started_at, doc)
        except Exception:  # the log must not turn a success into a failure
            log.warning("task log write failed for %s", kind, exc_info=True)


def page(principal: Principal, tenant_id: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """The caller's tenant's task log; the platform owner may read any tenant's (or `_platform`)."""
    tenant = tenant_id or principal.tenant_id
    if tenant != principal.tenant_id and principal.role != Role.PLATFORM_OWNER:
        raise Forbidden("only the platform owner reads other tenants' task logs", code="forbidden")
    items, next_cursor = repos.logs.page(_pk(tenant), limit, cursor)
    return {"items": items, "count": len(items), "next_cursor": next_cursor}
