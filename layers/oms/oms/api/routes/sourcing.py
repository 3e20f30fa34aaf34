"""Sourcing rules and dry runs."""

from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import Field, RootModel

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import (
    OrderCreate,
    Principal,
    Role,
    Strict,
)
from oms.domain.rules import SourcingRuleFields
from oms.services import sourcing


class RuleQuery(Strict):
    active: bool | None = None


class RulePatch(RootModel[dict[str, Any]]):
    """Any subset of a rule's fields; the merged rule is validated whole."""


class EvaluateRequest(Strict):
    order_id: str | None = Field(default=None, min_length=1, max_length=64)
    order: OrderCreate | None = None
    rule: SourcingRuleFields | None = None


@route(app, "/sourcing-rules", ["POST"], role=Role.SUPERADMIN, status=201, body=SourcingRuleFields)
def create_rule(principal: Principal, *, body: SourcingRuleFields) -> dict[str, Any]:
    return sourcing.create_rule(principal, body)


@route(app, "/sourcing-rules", ["GET"], query=RuleQuery)
def list_rules(principal: Principal, *, query: RuleQuery) -> dict[str, Any]:
    items = sourcing.list_rules(principal, query.active)
    return {"items": items, "count": len(items)}


@route(app, "/sourcing-rules/evaluate", ["POST"], body=EvaluateRequest)
def evaluate_rules(principal: Principal, *, body: EvaluateRequest) -> dict[str, Any]:
    return sourcing.evaluate(principal, order_id=body.order_id, order=body.order, rule=body.rule)


@route(app, "/sourcing-rules/{rule_id}", ["GET"])
def get_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return sourcing.get_rule(principal, rule_id)


@route(app, "/sourcing-rules/{rule_id}", ["PATCH"], role=Role.SUPERADMIN, body=RulePatch)
def update_rule(principal: Principal, rule_id: str, *, body: RulePatch) -> dict[str, Any]:
    return sourcing.update_rule(principal, rule_id, body.root)


@route(app, "/sourcing-rules/{rule_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_rule(principal: Principal, rule_id: str) -> Response:
    sourcing.delete_rule(principal, rule_id)
    return Response(body="", status_code=204)


@route(app, "/sourcing-rules/{rule_id}/toggle", ["POST"], role=Role.SUPERADMIN)
def toggle_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return sourcing.toggle_rule(principal, rule_id)
