"""Sales-channel connectors (Shopify, Amazon)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from oms.api.http import PageQuery, route
from oms.api.instance import app
from oms.domain.connectors import ConnectorCreate, ConnectorUpdate
from oms.domain.models import (
    Principal,
    Role,
)
from oms.services import connectors


@route(app, "/connectors", ["POST"], role=Role.SUPERADMIN, status=201, body=ConnectorCreate)
def create_connector(principal: Principal, *, body: ConnectorCreate) -> dict[str, Any]:
    return connectors.create(principal, body)


@route(app, "/connectors", ["GET"], role=Role.SUPERADMIN)
def list_connectors(principal: Principal) -> dict[str, Any]:
    items = connectors.list_all(principal)
    return {"items": items, "count": len(items)}


@route(app, "/connectors/generate-secret", ["POST"], role=Role.SUPERADMIN)
def generate_connector_secret(principal: Principal) -> dict[str, Any]:
    return connectors.generate_secret()


@route(app, "/connectors/{connector_id}", ["GET"], role=Role.SUPERADMIN)
def get_connector(principal: Principal, connector_id: str) -> dict[str, Any]:
    return connectors.get(principal, connector_id)


@route(app, "/connectors/{connector_id}", ["PATCH"], role=Role.SUPERADMIN, body=ConnectorUpdate)
def update_connector(principal: Principal, connector_id: str, *, body: ConnectorUpdate) -> dict[str, Any]:
    return connectors.update(principal, connector_id, body)


@route(app, "/connectors/{connector_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_connector(principal: Principal, connector_id: str) -> Response:
    connectors.delete(principal, connector_id)
    return Response(body="", status_code=204)


@route(app, "/connectors/{connector_id}/toggle", ["POST"], role=Role.SUPERADMIN)
def toggle_connector(principal: Principal, connector_id: str) -> dict[str, Any]:
    return connectors.toggle(principal, connector_id)


@route(app, "/connectors/{connector_id}/test", ["POST"], role=Role.SUPERADMIN)
def test_connector(principal: Principal, connector_id: str) -> dict[str, Any]:
    return connectors.test(principal, connector_id)


@route(app, "/connectors/{connector_id}/events", ["GET"], role=Role.SUPERADMIN, query=PageQuery)
def connector_events(principal: Principal, connector_id: str, *, query: PageQuery) -> dict[str, Any]:
    return connectors.events(principal, connector_id, query.limit, query.cursor)
