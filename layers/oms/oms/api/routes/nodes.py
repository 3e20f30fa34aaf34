"""Fulfilment nodes."""

from __future__ import annotations

from typing import Any, Literal

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import NodeStatus, NodeType, Principal, Role, Strict
from oms.domain.network import NodeCreate, NodeUpdate
from oms.services import inventory


class NodeQuery(Strict):
    node_type: NodeType | None = None
    status: NodeStatus | None = None
    capability: Literal["can_ship", "can_pickup", "can_curbside", "can_same_day"] | None = None


@route(app, "/nodes", ["POST"], role=Role.SUPERADMIN, status=201, body=NodeCreate)
def create_node(principal: Principal, *, body: NodeCreate) -> dict[str, Any]:
    return inventory.create_node(principal, body).model_dump(mode="json")


@route(app, "/nodes", ["GET"], query=NodeQuery)
def list_nodes(principal: Principal, *, query: NodeQuery) -> dict[str, Any]:
    nodes = inventory.list_nodes(
        principal,
        query.node_type.value if query.node_type else None,
        query.status.value if query.status else None,
        query.capability,
    )
    return {"items": [n.model_dump(mode="json") for n in nodes], "count": len(nodes)}


@route(app, "/nodes/{node_id}", ["GET"])
def get_node(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.get_node(principal, node_id).model_dump(mode="json")


@route(app, "/nodes/{node_id}", ["PATCH"], role=Role.SUPERADMIN, body=NodeUpdate)
def update_node(principal: Principal, node_id: str, *, body: NodeUpdate) -> dict[str, Any]:
    return inventory.update_node(principal, node_id, body).model_dump(mode="json")


@route(app, "/nodes/{node_id}", ["DELETE"], role=Role.SUPERADMIN)
def delete_node(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.delete_node(principal, node_id).model_dump(mode="json")


@route(app, "/nodes/{node_id}/capacity", ["GET"])
def node_capacity(principal: Principal, node_id: str) -> dict[str, Any]:
    return inventory.node_capacity(principal, node_id)
