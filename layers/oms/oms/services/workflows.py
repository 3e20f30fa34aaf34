"""Tenant workflows (ADR 0035): read, replace (a new immutable version), roll back, list versions,
and the workflow every status change of an order is checked against.

Every process keeps each tenant's current workflow for at most WORKFLOW_CACHE_SECONDS (the idea
of services/auth.py's user cache): a PUT takes effect in its own process at once and in the
others within that time. The workflow is the same for every step of the machine that reads it
within the window; a move the new version forbids is refused from then on."""

from __future__ import annotations

import threading
import time
from typing import Any

from pydantic import Field

from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, NotFound
from oms.domain.models import Principal, Strict
from oms.domain.workflow_graph import DEFAULT_TENANT_WORKFLOW, TenantWorkflow, WorkflowDoc, default_doc
from oms.domain.workflow_validation import validated
from oms.services.context import repos

WORKFLOW_CACHE_SECONDS = 60.0
_CACHE_LIMIT = 10_000
_cache: dict[str, tuple[float, TenantWorkflow, dict[str, Any]]] = {}
_lock = threading.Lock()


class WorkflowPut(WorkflowDoc):
    """PUT /workflow: the document, and optionally the version it was edited from (a PUT over
    a version that is no longer the current one is refused, 409 workflow_changed)."""

    expected_version: int | None = Field(default=None, ge=0)


class RollbackRequest(Strict):
    version: int | None = Field(default=None, ge=0, description="Default: the version before the current one")


def _load(tenant_id: str) -> tuple[TenantWorkflow, dict[str, Any]]:
    stored = repos.workflows.current(tenant_id)
    if stored is None:
        return DEFAULT_TENANT_WORKFLOW, {"updated_at": None, "updated_by": None}
    # a stored version was validated when it was put; rules added since apply to the next PUT
    workflow = TenantWorkflow(WorkflowDoc.model_validate(stored["doc"]), int(stored["version"]))
    return workflow, {"updated_at": stored["updated_at"], "updated_by": stored["updated_by"]}


def _cached(tenant_id: str, fresh: bool = False) -> tuple[TenantWorkflow, dict[str, Any]]:
    now = time.monotonic()
    hit = _cache.get(tenant_id)
    if not fresh and hit is not None and 0 <= now - hit[0] < WORKFLOW_CACHE_SECONDS:
        return hit[1], hit[2]
    workflow, meta = _load(tenant_id)
    with _lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[tenant_id] = (now, workflow, meta)
    return workflow, meta


def current(tenant_id: str) -> TenantWorkflow:
    """The tenant's workflow as this process knows it (at most WORKFLOW_CACHE_SECONDS old)."""
    return _cached(tenant_id)[0]


def forget_cached() -> None:
    with _lock:
        _cache.clear()


def _view(workflow: TenantWorkflow, meta: dict[str, Any]) -> dict[str, Any]:
    return {**workflow.public(), "updated_at": meta.get("updated_at"), "updated_by": meta.get("updated_by")}


def get_workflow(principal: Principal) -> dict[str, Any]:
    return _view(*_cached(principal.tenant_id, fresh=True))


def statuses(principal: Principal) -> dict[str, Any]:
    """Codes, names, colours and phases (no actions): badges for the dashboard and the portal."""
    workflow = current(principal.tenant_id)
    return {"version": workflow.version, "statuses": workflow.badges()}


def _store(principal: Principal, doc: WorkflowDoc, expected: int | None) -> dict[str, Any]:
    tenant_id = principal.tenant_id
    latest, _ = _cached(tenant_id, fresh=True)
    if expected is not None and expected != latest.version:
        raise Conflict(
            f"the workflow is at version {latest.version}, not {expected}; read it again",
            code="workflow_changed",
            details={"current_version": latest.version},
        )
    endpoints = {str(e["id"]) for e in repos.webhooks.all(tenant_id)}
    version = latest.version + 1
    workflow = validated(doc, version, endpoints)
    at = now_iso()
    repos.workflows.put_version(tenant_id, version, doc.dump(), at, principal.actor)
    meta = {"updated_at": at, "updated_by": principal.actor}
    with _lock:
        _cache[tenant_id] = (time.monotonic(), workflow, meta)
    return _view(workflow, meta)


def put_workflow(principal: Principal, request: WorkflowPut) -> dict[str, Any]:
    doc = WorkflowDoc.model_validate(
        request.model_dump(mode="json", by_alias=True, exclude={"expected_version"})
    )
    return _store(principal, doc, request.expected_version)


def rollback(principal: Principal, request: RollbackRequest) -> dict[str, Any]:
    """Restore version n (default: the one before the current) as a new version. Version 0 is
    the built-in default."""
    latest, _ = _cached(principal.tenant_id, fresh=True)
    wanted = request.version if request.version is not None else latest.version - 1
    if wanted < 0 or wanted >= latest.version:
        raise NotFound(f"no earlier workflow version {wanted}", code="workflow_version_not_found")
    if wanted == 0:
        doc = default_doc()
    else:
        stored = repos.workflows.version(principal.tenant_id, wanted)
        if stored is None:
            raise NotFound(f"no workflow version {wanted}", code="workflow_version_not_found")
        doc = WorkflowDoc.model_validate(stored["doc"])
    return _store(principal, doc, latest.version)


def versions(principal: Principal) -> dict[str, Any]:
    items = repos.workflows.versions(principal.tenant_id)
    items.append({"version": 0, "updated_at": None, "updated_by": "system:default"})
    return {"items": items, "count": len(items)}
