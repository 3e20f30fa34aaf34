"""Health and authentication."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response
from pydantic import BaseModel, ConfigDict

from oms.api.http import current_request, route, source_ip
from oms.api.instance import app
from oms.domain.models import (
    LoginRequest,
    Principal,
    Role,
)
from oms.services import auth, health


class HealthQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # a monitor's cache-buster must not break liveness
    deep: bool = False


@route(app, "/health", ["GET"], role=None, query=HealthQuery)
def health_check(*, query: HealthQuery) -> Any:
    """Public and free (no AWS call); `?deep=1` needs a SUPERADMIN token and checks the stack."""
    if not query.deep:
        return health.liveness()
    headers = current_request(app).headers
    report = health.deep(auth.authenticate(headers.get("authorization"), headers.get("x-api-key")))
    return Response(
        body=json.dumps(report),
        status_code=200 if report["status"] == "ok" else 503,
        headers={"Content-Type": "application/json"},
    )


@route(app, "/auth/login", ["POST"], role=None, body=LoginRequest)
def login(*, body: LoginRequest) -> dict[str, Any]:
    """Exchange email and password for a bearer token.

    Failed attempts are throttled per account and per source address: 429 with Retry-After."""
    return auth.login(body, source_ip(app))


@route(app, "/auth/me", ["GET"], role=Role.CUSTOMER, integration=True)
def me(principal: Principal) -> dict[str, Any]:
    """Who is calling: user id, email, tenant (and its slug) and role."""
    from oms.services import tenants

    tenant = tenants.get_tenant_or_none(principal.tenant_id)
    return {**principal.model_dump(mode="json"), "tenant_slug": tenant.slug if tenant else None}
