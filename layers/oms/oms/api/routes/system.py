"""Health and authentication."""

from __future__ import annotations

from typing import Any

from oms.api.http import route, source_ip
from oms.api.instance import app
from oms.domain.clock import now_iso
from oms.domain.models import (
    LoginRequest,
    Principal,
)
from oms.services import auth


@route(app, "/health", ["GET"], role=None)
def health() -> dict[str, Any]:
    return {"status": "ok", "service": "cirrus-oms", "time": now_iso()}


@route(app, "/auth/login", ["POST"], role=None, body=LoginRequest)
def login(*, body: LoginRequest) -> dict[str, Any]:
    """Exchange email and password for a bearer token.

    Failed attempts are throttled per account and per source address: 429 with Retry-After."""
    return auth.login(body, source_ip(app))


@route(app, "/auth/me", ["GET"], integration=True)
def me(principal: Principal) -> dict[str, Any]:
    return principal.model_dump(mode="json")
