"""The Cirrus HTTP API (one Chalice app, deployed as one Lambda behind an HTTP API)."""

from __future__ import annotations

import json
from typing import Any, Literal

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from oms.api.http import CirrusApp, current_request, json_body, query_model, route
from oms.domain.connectors import ConnectorCreate, ConnectorUpdate
from oms.domain.models import (
    AdjustRequest,
    AvailabilityRequest,
    CancelRequest,
    FulfilmentEvent,
    InventoryCreate,
    InventoryUpdate,
    ListQuery,
    LoginRequest,
    NodeCreate,
    NodeStatus,
    NodeType,
    NodeUpdate,
    OrderCreate,
    Principal,
    Role,
    StatusPatch,
    Strict,
    TransferRequest,
)
from oms.domain.rules import SourcingRuleFields
from oms.domain.webhooks import EndpointCreate, EndpointUpdate
from oms.services import auth, connectors, health, inventory, ops, orders, sourcing, tasklog, webhooks

app = CirrusApp(app_name="cirrus-oms")


# ------------------------------------------------------------------ health & auth
class HealthQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # a monitor's cache-buster must not break liveness
    deep: bool = False


@route(app, "/health", ["GET"], role=None)
def health_check() -> Any:
    """Public and free (no AWS call); `?deep=1` needs a SUPERADMIN token and checks the stack."""
    if not query_model(app, HealthQuery).deep:
        return health.liveness()
    report = health.deep(auth.authenticate(current_request(app).headers.get("authorization")))
    return Response(
        body=json.dumps(report),
        status_code=200 if report["status"] == "ok" else 503,
        headers={"Content-Type": "application/json"},
    )


@route(app, "/auth/login", ["POST"], role=None)
def login() -> dict[str, Any]:
    return auth.login(json_body(app, LoginRequest))


@route(app, "/auth/me", ["GET"])
def me(principal: Principal) -> dict[str, Any]:
    return principal.model_dump(mode="json")


# ------------------------------------------------------------------ nodes
class NodeQuery(Strict):
    node_type: NodeType | None = None
    status: NodeStatus | None = None
    capability: str | None = Field(default=None, max_length=20)


@route(app, "/nodes", ["POST"], role=Role.SUPERADMIN, status=201)
def create_node(principal: Principal) -> dict[str, Any]:
    return inventory.create_node(principal, json_body(app, NodeCreate)).model_dump(mode="json")


@route(app, "/nodes", ["GET"])
def list_nodes(principal: Principal) -> dict[str, Any]:
    q = query_model(app, NodeQuery)
    nodes = inventory.list_nodes(
        principal,
        q.node_type.value if q.node_type else None,
        q.status.value if q.status else None,
        q.capability,
    )
    return {"items": [n.model_dump(mode="json") for n in nodes], "count": len(nodes)}


@route(app, "/nodes/{node_id}", ["GET"])
def get_node(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.get_node(principal, node_id).model_dump(mode="json")


@route(app, "/nodes/{node_id}", ["PATCH"], role=Role.SUPERADMIN)
def update_node(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.update_node(principal, node_id, json_body(app, NodeUpdate)).model_dump(mode="json")


@route(app, "/nodes/{node_id}", ["DELETE"], role=Role.SUPERADMIN)
def delete_node(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.delete_node(principal, node_id).model_dump(mode="json")


@route(app, "/nodes/{node_id}/capacity", ["GET"])
def node_capacity(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.node_capacity(principal, node_id)


# ------------------------------------------------------------------ inventory
class InventoryQuery(Strict):
    node_id: str | None = Field(default=None, max_length=64)
    sku: str | None = Field(default=None, max_length=64)
    low_stock: bool | None = None
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=2000)


@route(app, "/inventory", ["POST"], role=Role.SUPERADMIN, status=201)
def create_item(principal: Principal) -> dict[str, Any]:
    return inventory.item_view(inventory.create_item(principal, json_body(app, InventoryCreate)))


@route(app, "/inventory", ["GET"])
def list_items(principal: Principal) -> dict[str, Any]:
    q = query_model(app, InventoryQuery)
    return inventory.list_items(principal, q.node_id, q.low_stock, q.sku, q.limit, q.cursor)


@route(app, "/inventory/sku/{sku}", ["GET"])
def sku_stock(principal: Principal, sku: str) -> dict[str, Any]:
    return inventory.sku_stock(principal, sku)


@route(app, "/inventory/check-availability", ["POST"])
def check_availability(principal: Principal) -> dict[str, Any]:
    return inventory.check_availability(principal, json_body(app, AvailabilityRequest))


@route(app, "/inventory/transfer", ["POST"], role=Role.SUPERADMIN)
def transfer(principal: Principal) -> dict[str, Any]:
    return inventory.transfer(principal, json_body(app, TransferRequest))


@route(app, "/inventory/{item_id}", ["GET"])
def get_item(principal: Principal, item_id: str) -> dict[str, Any]:
    return inventory.get_item(principal, item_id)


@route(app, "/inventory/{item_id}", ["PATCH"], role=Role.SUPERADMIN)
def update_item(principal: Principal, item_id: str) -> dict[str, Any]:
    return inventory.item_view(inventory.update_item(principal, item_id, json_body(app, InventoryUpdate)))


@route(app, "/inventory/{item_id}/adjust", ["POST"], role=Role.SUPERADMIN)
def adjust(principal: Principal, item_id: str) -> dict[str, Any]:
    return inventory.adjust(principal, item_id, json_body(app, AdjustRequest))


# ------------------------------------------------------------------ orders
@route(app, "/orders", ["POST"], status=201)
def create_order(principal: Principal) -> Any:
    request = json_body(app, OrderCreate)
    key = current_request(app).headers.get("idempotency-key")
    order, created = orders.create_order(request, principal, key)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Location": f"/orders/{order.id}",
    }
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(body=json.dumps(order.public(), default=str), status_code=201, headers=headers)


@route(app, "/orders", ["GET"])
def list_orders(principal: Principal) -> dict[str, Any]:
    return orders.list_orders(principal, query_model(app, ListQuery))


@route(app, "/orders/number/{order_number}", ["GET"])
def get_by_number(principal: Principal, order_number: str) -> dict[str, Any]:
    return orders.get_by_number(principal, order_number).public()


@route(app, "/orders/{order_id}", ["GET"])
def get_order(principal: Principal, order_id: str) -> dict[str, Any]:
    return orders.get_order(principal, order_id).public()


@route(app, "/orders/{order_id}/status", ["PATCH"], role=Role.SUPERADMIN)
def patch_status(principal: Principal, order_id: str) -> dict[str, Any]:
    return orders.patch_status(principal, order_id, json_body(app, StatusPatch)).public()


@route(app, "/orders/{order_id}/cancel", ["POST"])
def cancel(principal: Principal, order_id: str) -> dict[str, Any]:
    return orders.cancel_order(principal, order_id, json_body(app, CancelRequest)).public()


@route(app, "/orders/{order_id}/events", ["GET"])
def order_events(principal: Principal, order_id: str) -> dict[str, Any]:
    items = orders.events(principal, order_id)
    return {"items": items, "count": len(items)}


@route(app, "/orders/{order_id}/sourcing", ["GET"])
def sourcing_decisions(principal: Principal, order_id: str) -> dict[str, Any]:
    items = orders.sourcing_decisions(principal, order_id)
    return {"items": items, "count": len(items)}


@route(app, "/orders/{order_id}/fulfillment-events", ["POST"])
def fulfilment_event(principal: Principal, order_id: str) -> Any:
    """200 when the event was applied now; 202 when it resumed the workflow (applied shortly)."""
    result = orders.accept_fulfilment_event(principal, order_id, json_body(app, FulfilmentEvent))
    return Response(
        body=json.dumps(result),
        status_code=200 if result["applied"] or result.get("duplicate") else 202,
        headers={"Content-Type": "application/json"},
    )


@route(app, "/orders/{order_id}/sourcing", ["POST"], role=Role.SUPERADMIN, status=202)
def resource_order(principal: Principal, order_id: str) -> dict[str, Any]:
    """Source a backordered order again now (the scheduled job does this when stock arrives)."""
    return orders.request_resource(principal, order_id)


# ------------------------------------------------------------------ sourcing rules
class RuleQuery(Strict):
    active: bool | None = None


class RulePatch(RootModel[dict[str, Any]]):
    """Any subset of a rule's fields; the merged rule is validated whole."""


class EvaluateRequest(Strict):
    order_id: str | None = Field(default=None, min_length=1, max_length=64)
    order: OrderCreate | None = None
    rule: SourcingRuleFields | None = None


@route(app, "/sourcing-rules", ["POST"], role=Role.SUPERADMIN, status=201)
def create_rule(principal: Principal) -> dict[str, Any]:
    return sourcing.create_rule(principal, json_body(app, SourcingRuleFields))


@route(app, "/sourcing-rules", ["GET"])
def list_rules(principal: Principal) -> dict[str, Any]:
    items = sourcing.list_rules(principal, query_model(app, RuleQuery).active)
    return {"items": items, "count": len(items)}


@route(app, "/sourcing-rules/evaluate", ["POST"])
def evaluate_rules(principal: Principal) -> dict[str, Any]:
    request = json_body(app, EvaluateRequest)
    return sourcing.evaluate(principal, order_id=request.order_id, order=request.order, rule=request.rule)


@route(app, "/sourcing-rules/{rule_id}", ["GET"])
def get_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return sourcing.get_rule(principal, rule_id)


@route(app, "/sourcing-rules/{rule_id}", ["PATCH"], role=Role.SUPERADMIN)
def update_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return sourcing.update_rule(principal, rule_id, json_body(app, RulePatch).root)


@route(app, "/sourcing-rules/{rule_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_rule(principal: Principal, rule_id: str) -> Response:
    sourcing.delete_rule(principal, rule_id)
    return Response(body="", status_code=204)


@route(app, "/sourcing-rules/{rule_id}/toggle", ["POST"], role=Role.SUPERADMIN)
def toggle_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return sourcing.toggle_rule(principal, rule_id)


# ------------------------------------------------------------------ webhooks
class DeliveryQuery(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
    endpoint_id: str | None = Field(default=None, max_length=64)
    status: Literal["PENDING", "RETRYING", "DELIVERED", "DEAD"] | None = None


@route(app, "/webhooks/endpoints", ["POST"], role=Role.SUPERADMIN, status=201)
def create_webhook_endpoint(principal: Principal) -> dict[str, Any]:
    return webhooks.create_endpoint(principal, json_body(app, EndpointCreate))


@route(app, "/webhooks/endpoints", ["GET"], role=Role.SUPERADMIN)
def list_webhook_endpoints(principal: Principal) -> dict[str, Any]:
    items = webhooks.list_endpoints(principal)
    return {"items": items, "count": len(items)}


@route(app, "/webhooks/endpoints/{endpoint_id}", ["GET"], role=Role.SUPERADMIN)
def get_webhook_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return webhooks.get_endpoint(principal, endpoint_id)


@route(app, "/webhooks/endpoints/{endpoint_id}", ["PATCH"], role=Role.SUPERADMIN)
def update_webhook_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return webhooks.update_endpoint(principal, endpoint_id, json_body(app, EndpointUpdate))


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


@route(app, "/webhooks/events", ["GET"], role=Role.SUPERADMIN)
def list_webhook_deliveries(principal: Principal) -> dict[str, Any]:
    q = query_model(app, DeliveryQuery)
    return webhooks.list_deliveries(principal, q.limit, q.cursor, q.endpoint_id, q.status)


@route(app, "/webhooks/events/{delivery_id}/retry", ["POST"], role=Role.SUPERADMIN)
def retry_webhook_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    return webhooks.retry_delivery(principal, delivery_id)


# ------------------------------------------------------------------ connectors
class PageQuery(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


@route(app, "/connectors", ["POST"], role=Role.SUPERADMIN, status=201)
def create_connector(principal: Principal) -> dict[str, Any]:
    return connectors.create(principal, json_body(app, ConnectorCreate))


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


@route(app, "/connectors/{connector_id}", ["PATCH"], role=Role.SUPERADMIN)
def update_connector(principal: Principal, connector_id: str) -> dict[str, Any]:
    return connectors.update(principal, connector_id, json_body(app, ConnectorUpdate))


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


@route(app, "/connectors/{connector_id}/events", ["GET"], role=Role.SUPERADMIN)
def connector_events(principal: Principal, connector_id: str) -> dict[str, Any]:
    q = query_model(app, PageQuery)
    return connectors.events(principal, connector_id, q.limit, q.cursor)


# ------------------------------------------------------------------ operations
class TaskLogQuery(PageQuery):
    tenant: str | None = Field(default=None, max_length=64)  # platform owner only


class ReplayQuery(Strict):
    limit: int = Field(default=1000, ge=1, le=10_000)


@route(app, "/ops/dlq", ["GET"], role=Role.PLATFORM_OWNER)
def list_dead_letters(principal: Principal) -> dict[str, Any]:
    items = ops.list_dlqs()
    return {"items": items, "count": len(items)}


@route(app, "/ops/dlq/{queue}/replay", ["POST"], role=Role.PLATFORM_OWNER)
def replay_dead_letters(principal: Principal, queue: str) -> dict[str, Any]:
    return ops.replay(queue, query_model(app, ReplayQuery).limit)


@route(app, "/ops/task-log", ["GET"], role=Role.SUPERADMIN)
def task_log(principal: Principal) -> dict[str, Any]:
    q = query_model(app, TaskLogQuery)
    return tasklog.page(principal, q.tenant, q.limit, q.cursor)
