"""The tenant's workflow as data (ADR 0035): statuses, transitions, per-status actions; versions."""

from __future__ import annotations

from typing import Any

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import Principal, Role
from oms.services import workflows
from oms.services.workflows import RollbackRequest, WorkflowPut


@route(app, "/workflow", ["GET"], role=Role.SUPERADMIN)
def get_workflow(principal: Principal) -> dict[str, Any]:
    return workflows.get_workflow(principal)


@route(app, "/workflow", ["PUT"], role=Role.SUPERADMIN, body=WorkflowPut)
def put_workflow(principal: Principal, *, body: WorkflowPut) -> dict[str, Any]:
    return workflows.put_workflow(principal, body)


@route(app, "/workflow/rollback", ["POST"], role=Role.SUPERADMIN, body=RollbackRequest)
def rollback_workflow(principal: Principal, *, body: RollbackRequest) -> dict[str, Any]:
    return workflows.rollback(principal, body)


@route(app, "/workflow/versions", ["GET"], role=Role.SUPERADMIN)
def workflow_versions(principal: Principal) -> dict[str, Any]:
    return workflows.versions(principal)


# badges for the dashboard and the customer portal
@route(app, "/workflow/statuses", ["GET"], role=Role.CUSTOMER)
def workflow_statuses(principal: Principal) -> dict[str, Any]:
    return workflows.statuses(principal)
