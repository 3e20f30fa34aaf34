"""Sales-channel connectors (Shopify, Amazon), and Shopify's public receiver."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from oms.api.http import PageQuery, current_request, raw_request_body, route
from oms.api.instance import app
from oms.domain.connectors import ConnectorCreate, ConnectorUpdate
from oms.domain.models import (
    Principal,
    Role,
)
from oms.services import connectors, shopify_inbound, stock_sync


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


@route(app, "/connectors/{connector_id}/webhook", ["POST"], role=None)
def receive_webhook(connector_id: str) -> Response:
    """Shopify's deliveries (public: the HMAC of the body is the authentication).

    The same checks as the Function URL: signature over the raw bytes, the shop, the age; then
    the delivery is queued. 200 when queued or ignored, 401 when refused, 404 for no connector."""
    request = current_request(app)
    status, body = shopify_inbound.receive_public(
        connector_id, dict(request.headers), raw_request_body(request)
    )
    return Response(body=json.dumps(body), status_code=status, headers={"Content-Type": "application/json"})


@route(app, "/connectors/{connector_id}/stock-sync", ["GET"], role=Role.SUPERADMIN)
def connector_stock_sync(principal: Principal, connector_id: str) -> dict[str, Any]:
    """Stock sync of a Shopify connector (ADR 0040): mapped locations, pending pushes, last push,
    last reconciliation."""
    return stock_sync.status(principal, connector_id)


@route(app, "/connectors/{connector_id}/stock-sync/reconcile", ["POST"], role=Role.SUPERADMIN, status=202)
def reconcile_connector_stock(principal: Principal, connector_id: str) -> dict[str, Any]:
    """Queue a reconciliation now (the nightly one, for this connector)."""
    return stock_sync.request_reconcile(principal, connector_id)
