"""The SLA radar (issue 11, ADR 0031): events of orders managed elsewhere, SLA policies, the
exceptions, the radar's summary and an order's timeline against its deadlines."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from oms.api.http import current_request, parse_json_bytes, raw_request_body, route
from oms.api.instance import app
from oms.domain.models import Principal, Role
from oms.domain.sla_policy import SlaPolicyFields, SlaPolicyPatch
from oms.services import radar_ingest, radar_queries, sla_policies
from oms.services.radar_queries import AcknowledgeBody, ExceptionQuery, ResolveBody


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(
        body=json.dumps(body, default=str), status_code=status, headers={"Content-Type": "application/json"}
    )


# The route helper admits people from a least role up; an API key (INTEGRATION) is the sender
# meant here, and SUPERADMIN (and the platform owner) may send events too, for tests and replays.
@route(app, "/ingest/{source}", ["POST"], role=Role.SUPERADMIN, integration=True, status=202)
def ingest(principal: Principal, source: str) -> Response:
    """An event of an order managed elsewhere (source wms, shopify or carrier): 202 applied, 200
    a repeated event_id (no effect), 422 `invalid_event` for a type or field the source does not
    send. It never creates an OMS order."""
    raw = raw_request_body(current_request(app))
    body = parse_json_bytes(raw) if raw.strip() else {}
    status, answer = radar_ingest.ingest(principal, source, body)
    return _json(status, answer)


# ---------------------------------------------------------------- SLA policies
@route(app, "/sla/policies", ["GET"])
def list_sla_policies(principal: Principal) -> dict[str, Any]:
    return sla_policies.list_policies(principal)


@route(app, "/sla/policies", ["POST"], role=Role.SUPERADMIN, status=201, body=SlaPolicyFields)
def create_sla_policy(principal: Principal, *, body: SlaPolicyFields) -> dict[str, Any]:
    """A policy: windows, thresholds and multipliers (every matching one applies; factors
    multiply). `is_default: true` makes it the tenant's one default (the old one stops being it)."""
    return sla_policies.create(principal, body)


@route(app, "/sla/policies/{policy_id}", ["GET"])
def get_sla_policy(principal: Principal, policy_id: str) -> dict[str, Any]:
    return sla_policies.get(principal, policy_id)


@route(app, "/sla/policies/{policy_id}", ["PATCH"], role=Role.SUPERADMIN, body=SlaPolicyPatch)
def update_sla_policy(principal: Principal, policy_id: str, *, body: SlaPolicyPatch) -> dict[str, Any]:
    return sla_policies.update(principal, policy_id, body)


@route(app, "/sla/policies/{policy_id}", ["DELETE"], role=Role.SUPERADMIN, status=204)
def delete_sla_policy(principal: Principal, policy_id: str) -> Response:
    sla_policies.delete(principal, policy_id)
    return Response(body="", status_code=204)


# ---------------------------------------------------------------- exceptions
@route(app, "/exceptions", ["GET"], query=ExceptionQuery)
def list_exceptions(principal: Principal, *, query: ExceptionQuery) -> dict[str, Any]:
    """Newest first; filters: label, severity, status, order_ref, since/until (created_at)."""
    return radar_queries.list_exceptions(principal, query)


@route(app, "/exceptions/{exception_id}", ["GET"])
def get_exception(principal: Principal, exception_id: str) -> dict[str, Any]:
    return radar_queries.get(principal, exception_id)


@route(app, "/exceptions/{exception_id}/acknowledge", ["POST"], body=AcknowledgeBody)
def acknowledge_exception(
    principal: Principal, exception_id: str, *, body: AcknowledgeBody
) -> dict[str, Any]:
    return radar_queries.acknowledge(principal, exception_id, body)


@route(app, "/exceptions/{exception_id}/resolve", ["POST"], body=ResolveBody)
def resolve_exception(principal: Principal, exception_id: str, *, body: ResolveBody) -> dict[str, Any]:
    return radar_queries.resolve(principal, exception_id, body)


# ---------------------------------------------------------------- radar and timeline
@route(app, "/sla/radar", ["GET"])
def sla_radar(principal: Principal) -> dict[str, Any]:
    """Open exceptions by severity and label, orders at risk, the latest exceptions."""
    return radar_queries.radar_summary(principal)


@route(app, "/sla/orders/{order_ref}/timeline", ["GET"])
def order_timeline(principal: Principal, order_ref: str) -> dict[str, Any]:
    """An order's milestones against its deadlines (order_ref: an order id, or ext:<id>)."""
    return radar_queries.timeline(principal, order_ref)
