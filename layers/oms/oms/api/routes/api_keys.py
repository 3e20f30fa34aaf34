"""API keys for machine callers (role INTEGRATION), issued by a SUPERADMIN of the tenant."""

from __future__ import annotations

from typing import Any

from chalice import Response

from oms.api.http import route
from oms.api.instance import app
from oms.domain.api_keys import ApiKeyCreate
from oms.domain.models import Principal, Role
from oms.services import api_keys


@route(app, "/api-keys", ["POST"], role=Role.SUPERADMIN, status=201, body=ApiKeyCreate)
def create_api_key(principal: Principal, *, body: ApiKeyCreate) -> dict[str, Any]:
    """Issue an API key (role INTEGRATION); the key is in this answer only, never again."""
    return api_keys.create(principal, body)


@route(app, "/api-keys", ["GET"], role=Role.SUPERADMIN)
def list_api_keys(principal: Principal) -> dict[str, Any]:
    """The tenant's API keys: name, prefix and last four characters, never the key."""
    items = api_keys.list_keys(principal)
    return {"items": items, "count": len(items)}


@route(app, "/api-keys/{key_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def revoke_api_key(principal: Principal, key_id: str) -> Response:
    """Revoke an API key: it stops working at once (other warm processes: within 60 s)."""
    api_keys.revoke(principal, key_id)
    return Response(body="", status_code=204)
