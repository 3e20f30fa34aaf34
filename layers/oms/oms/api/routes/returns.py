"""Returns (RMA), refunds, exchanges and the tenant's return policy (issue 13, ADR 0038)."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from oms.api.http import current_request, route
from oms.api.instance import app
from oms.domain.models import Principal, Role
from oms.domain.return_requests import (
    DecisionIn,
    ReceiveRequest,
    RejectIn,
    ReturnCreate,
    ReturnListQuery,
    ReturnPolicyIn,
)
from oms.services import return_settlement, returns


def _key() -> str | None:
    return current_request(app).headers.get("idempotency-key")


@route(app, "/return-policy", ["GET"], role=Role.CUSTOMER)
def get_return_policy(principal: Principal) -> dict[str, Any]:
    """The tenant's return policy (defaults until a SUPERADMIN sets one)."""
    return returns.get_policy(principal)


@route(app, "/return-policy", ["PUT"], role=Role.SUPERADMIN, body=ReturnPolicyIn)
def put_return_policy(principal: Principal, *, body: ReturnPolicyIn) -> dict[str, Any]:
    return returns.put_policy(principal, body)


@route(app, "/orders/{order_id}/returns", ["POST"], role=Role.CUSTOMER, status=201, body=ReturnCreate)
def create_return(principal: Principal, order_id: str, *, body: ReturnCreate) -> Any:
    """Ask back delivered units of an order (a CUSTOMER: of their own order). Idempotency-Key
    honoured: the same key answers the first return."""
    ret, created = returns.request_return(principal, order_id, body, _key())
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Location": f"/returns/{ret.id}",
    }
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        body=json.dumps(returns.view(principal, ret), default=str), status_code=201, headers=headers
    )


@route(app, "/orders/{order_id}/returns", ["GET"], role=Role.CUSTOMER, integration=True)
def list_order_returns(principal: Principal, order_id: str) -> dict[str, Any]:
    return returns.order_returns(principal, order_id)


@route(app, "/returns", ["GET"], role=Role.CUSTOMER, query=ReturnListQuery)
def list_returns(principal: Principal, *, query: ReturnListQuery) -> dict[str, Any]:
    """The tenant's returns, newest first (a CUSTOMER: their own)."""
    return returns.list_returns(principal, query)


@route(app, "/returns/{return_id}", ["GET"], role=Role.CUSTOMER)
def get_return(principal: Principal, return_id: str) -> dict[str, Any]:
    return returns.get_return(principal, return_id)


@route(app, "/returns/{return_id}/approve", ["POST"], body=DecisionIn)
def approve_return(principal: Principal, return_id: str, *, body: DecisionIn) -> dict[str, Any]:
    return returns.approve(principal, return_id, body).public()


@route(app, "/returns/{return_id}/reject", ["POST"], body=RejectIn)
def reject_return(principal: Principal, return_id: str, *, body: RejectIn) -> dict[str, Any]:
    return returns.reject(principal, return_id, body).public()


@route(app, "/returns/{return_id}/receive", ["POST"], integration=True, body=ReceiveRequest)
def receive_return(principal: Principal, return_id: str, *, body: ReceiveRequest) -> dict[str, Any]:
    """Units arrived at a node: SELLABLE back on hand (RETURNED), DAMAGED written off. A retried
    call with the same Idempotency-Key takes effect once."""
    return return_settlement.receive(principal, return_id, body, _key()).public()


@route(app, "/returns/{return_id}/refund", ["POST"])
def refund_return(principal: Principal, return_id: str) -> dict[str, Any]:
    """Settle a received return: a refund (REFUND) or a store credit (STORE_CREDIT); a repeat
    answers the same settlement."""
    return return_settlement.refund(principal, return_id).public()
