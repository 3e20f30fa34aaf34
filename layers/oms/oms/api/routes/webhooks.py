"""Outbound webhook endpoints and their delivery log."""

from __future__ import annotations

from typing import Any, Literal

from chalice import Response
from pydantic import Field

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import (
    Principal,
    Role,
    Strict,
)
from oms.domain.webhooks import EndpointCreate, EndpointUpdate
from oms.services import webhooks


class DeliveryQuery(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
    endpoint_id: str | None = Field(default=None, max_length=64)
    status: Literal["PENDING", "RETRYING", "DELIVERED", "DEAD"] | None = None


@route(app, "/webhooks/endpoints", ["POST"], role=Role.SUPERADMIN, status=201, body=EndpointCreate)
def create_webhook_endpoint(principal: Principal, *, body: EndpointCreate) -> dict[str, Any]:
    return webhooks.create_endpoint(principal, body)


@route(app, "/webhooks/endpoints", ["GET"], role=Role.SUPERADMIN)
def list_webhook_endpoints(principal: Principal) -> dict[str, Any]:
    items = webhooks.list_endpoints(principal)
    return {"items": items, "count": len(items)}


@route(app, "/webhooks/endpoints/{endpoint_id}", ["GET"], role=Role.SUPERADMIN)
def get_webhook_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return webhooks.get_endpoint(principal, endpoint_id)


@route(app, "/webhooks/endpoints/{endpoint_id}", ["PATCH"], role=Role.SUPERADMIN, body=EndpointUpdate)
def update_webhook_endpoint(
    principal: Principal, endpoint_id: str, *, body: EndpointUpdate
) -> dict[str, Any]:
    return webhooks.update_endpoint(principal, endpoint_id, body)


@route(app, "/webhooks/endpoints/{endpoint_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_webhook_endpoint(principal: Principal, endpoint_id: str) -> Response:
    webhooks.delete_endpoint(principal, endpoint_id)
    return Response(body="", status_code=204)


@route(app, "/webhooks/endpoints/{endpoint_id}/rotate-secret", ["POST"], role=Role.SUPERADMIN)
def rotate_webhook_secret(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return webhooks.rotate_secret(principal, endpoint_id)


@route(app, "/webhooks/endpoints/{endpoint_id}/test", ["POST"], role=Role.SUPERADMIN)
def test_webhook_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return webhooks.test_endpoint(principal, endpoint_id)


@route(app, "/webhooks/events", ["GET"], role=Role.SUPERADMIN, query=DeliveryQuery)
def list_webhook_deliveries(principal: Principal, *, query: DeliveryQuery) -> dict[str, Any]:
    return webhooks.list_deliveries(principal, query.limit, query.cursor, query.endpoint_id, query.status)


@route(app, "/webhooks/events/{delivery_id}/retry", ["POST"], role=Role.SUPERADMIN)
def retry_webhook_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    return webhooks.retry_delivery(principal, delivery_id)
