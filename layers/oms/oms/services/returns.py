"""Returns (RMA): the tenant's policy, requests, approval, listings (issue 13, ADR 0038).
Receipts, refunds, store credit and exchanges are in services/return_settlement.py.

Every change of a return is written in one transaction with the order's header (conditioned on
both versions): the header's audit trail gets the return's entry (the outbox turns it into the
event), and the checks that span the order's returns (never more than delivered) are made on
what was read under that same version, so two concurrent requests cannot both take the last unit.
"""

from __future__ import annotations

import uuid
from typing import Any

from oms.data.returns import parse_return_id, return_id_for
from oms.domain import orders as order_rules
from oms.domain.clock import now_iso
from oms.domain.errors import IdempotencyKeyReused, NotFound, ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Order, Principal, Role
from oms.domain.return_requests import (
    DEFAULT_POLICY,
    DecisionIn,
    ExchangeLineIn,
    RejectIn,
    Resolution,
    ReturnCreate,
    ReturnListQuery,
    ReturnPolicy,
    ReturnPolicyIn,
    ReturnStatus,
)
from oms.domain.returns import Return, check_request, decide, received_units
from oms.domain.returns_money import refunded_total
from oms.services import workflows
from oms.services.context import repos, retry_lost_updates

_NS = uuid.UUID("a3c9e2f4-1b7d-4f0e-9c55-7e2d8b1f6a30")


# ------------------------------------------------------------------ policy
def policy_of(tenant_id: str) -> ReturnPolicy:
    return repos.returns.policy(tenant_id) or DEFAULT_POLICY


def get_policy(principal: Principal) -> dict[str, Any]:
    return policy_of(principal.tenant_id).public()


def put_policy(principal: Principal, request: ReturnPolicyIn) -> dict[str, Any]:
    policy = ReturnPolicy(**request.model_dump(), updated_at=now_iso(), updated_by=principal.actor)
    repos.returns.put_policy(principal.tenant_id, policy)
    return policy.public()


# ------------------------------------------------------------------ views and access
def view(principal: Principal, ret: Return) -> dict[str, Any]:
    """A customer sees the customer view; staff and machines all of it."""
    return ret.customer_view() if principal.role is Role.CUSTOMER else ret.public()


def readable_order(principal: Principal, order_id: str) -> Order:
    """The order as the caller may read it: a customer their own (others' are 404)."""
    order = repos.orders.get(principal.tenant_id, order_id)
    if order is None or (principal.role is Role.CUSTOMER and order.customer_user_id != principal.user_id):
        raise NotFound(f"order {order_id} not found", code="not_found")
    return order


def readable_return(principal: Principal, return_id: str) -> Return:
    ret = repos.returns.get(principal.tenant_id, return_id) if parse_return_id(return_id) else None
    if ret is None or (principal.role is Role.CUSTOMER and ret.customer_user_id != principal.user_id):
        raise NotFound(f"return {return_id} not found", code="not_found")
    return ret


def order_after(
    order: Order,
    returns: list[Return],
    *,
    entry: str,
    data: dict[str, Any],
    actor: str,
    now: str,
    phase: OrderStatus | None = None,
) -> Order:
    """The order's next header: the return's audit entry (its event), the server-owned figures
    from the returns, and a move to `phase` through the tenant's graph when it has that edge (a
    graph without it keeps the order where it is; the return still completes). The entry that
    completes a refund and moves the order to REFUNDED is one entry (one order.refunded event)."""
    quantities = received_units(returns) or None
    refunded = refunded_total(returns) if any(r.refund for r in returns) else None
    graph = workflows.current(order.tenant_id)
    moves = False
    if phase is not None and order.status != phase:
        current = graph.current_code(order.status, order.status_code)
        target = graph.anchor(phase)
        moves = graph.phase_of(target) == phase and graph.can(current, target)
    if moves and phase is not None and entry == "order.refunded":
        return order_rules.advance(
            order,
            phase,
            actor=actor,
            now=now,
            event_type=entry,
            data=data,
            workflow=graph,
            returned_quantities=quantities,
            refunded_amount=refunded,
        )
    updated = order_rules.record_event(
        order,
        entry,
        actor=actor,
        now=now,
        data=data,
        returned_quantities=quantities,
        refunded_amount=refunded,
    )
    if moves and phase is not None:
        updated = order_rules.advance(
            updated,
            phase,
            actor=actor,
            now=now,
            event_type=f"order.{phase.value.lower()}",
            data={"return_id": data.get("return_id")},
            workflow=graph,
        )
    return updated


def event_data(ret: Return, **extra: Any) -> dict[str, Any]:
    return {
        "return_id": ret.id,
        "rma_number": ret.rma_number,
        "status": ret.status.value,
        "resolution": ret.resolution.value,
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "reason": line.reason.value} for line in ret.lines
        ],
        **extra,
    }


# ------------------------------------------------------------------ requests
def _exchange_lines(tenant_id: str, request: ReturnCreate) -> list[ExchangeLineIn]:
    if request.resolution is not Resolution.EXCHANGE:
        return []
    lines = request.exchange_lines or [
        ExchangeLineIn(sku=line.sku, quantity=line.quantity) for line in request.lines
    ]
    prices = repos.products.prices(tenant_id, (line.sku for line in lines))
    missing = [line.sku for line in lines if line.sku not in prices]
    if missing:
        raise ValidationFailed(
            "an exchange line names a product that is not for sale",
            code="unknown_sku",
            details=[
                {
                    "loc": ["body", "exchange_lines"],
                    "msg": f"{sku} has no catalog price",
                    "type": "unknown_sku",
                }
                for sku in missing
            ],
        )
    return lines


def request_return(
    principal: Principal, order_id: str, request: ReturnCreate, idempotency_key: str | None
) -> tuple[Return, bool]:
    """Open a return on the order (a customer: their own). Returns (return, created now?); the
    same Idempotency-Key from the same caller answers the first return."""
    readable_order(principal, order_id)
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 255):
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 characters",
            details=[{"loc": ["header", "Idempotency-Key"], "msg": "bad length", "type": "value_error"}],
        )
    key = f"{principal.user_id}:{idempotency_key}" if idempotency_key else None
    policy = policy_of(principal.tenant_id)
    exchange = _exchange_lines(principal.tenant_id, request)
    fingerprint = order_rules.fingerprint(request)

    def attempt() -> tuple[Return, bool]:
        order = repos.orders.require(principal.tenant_id, order_id)
        returns = repos.returns.of_order(principal.tenant_id, order_id)
        replay = next((r for r in returns if key and r.idempotency_key == key), None)
        if replay is not None:
            if replay.request_fingerprint not in (None, fingerprint):
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with a different request",
                    details={"return_id": replay.id},
                )
            return replay, False
        now = now_iso()
        lines = check_request(order, request, returns, policy, now)
        number = max((parse_return_id(r.id) or ("", 0))[1] for r in returns) + 1 if returns else 1
        ret = Return(
            id=return_id_for(order.id, number),
            tenant_id=order.tenant_id,
            rma_number=f"RMA-{order.order_number}-{number}",
            order_id=order.id,
            order_number=order.order_number,
            status=ReturnStatus.REQUESTED,
            resolution=request.resolution,
            lines=lines,
            exchange_lines=exchange,
            customer_email=order.customer_email,
            customer_user_id=order.customer_user_id,
            note=request.note,
            requested_by=principal.actor,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            created_at=now,
            updated_at=now,
        )
        updated = order_after(
            order,
            [*returns, ret],
            entry="return.requested",
            data=event_data(ret),
            actor=principal.actor,
            now=now,
        )
        if policy.auto_approve:
            ret = decide(ret, True, "system:return-policy", "approved by the return policy", now)
            ret = ret.model_copy(update={"version": 1})
            updated = order_rules.record_event(
                updated, "return.approved", actor="system:return-policy", now=now, data=event_data(ret)
            )
        repos.returns.write(ret, None, updated, order.version)
        return ret, True

    return retry_lost_updates(attempt, "order")


# ------------------------------------------------------------------ decisions
def _decide(principal: Principal, return_id: str, approve: bool, note: str | None) -> Return:
    readable_return(principal, return_id)

    def attempt() -> Return:
        ret = readable_return(principal, return_id)
        order = repos.orders.require(principal.tenant_id, ret.order_id)
        now = now_iso()
        decided = decide(ret, approve, principal.actor, note, now)
        others = [r for r in repos.returns.of_order(principal.tenant_id, ret.order_id) if r.id != ret.id]
        entry = "return.approved" if approve else "return.rejected"
        data = event_data(decided, **({} if approve else {"reason": note}))
        updated = order_after(
            order, [*others, decided], entry=entry, data=data, actor=principal.actor, now=now
        )
        repos.returns.write(decided, ret.version, updated, order.version)
        return decided

    return retry_lost_updates(attempt, "return")


def approve(principal: Principal, return_id: str, request: DecisionIn) -> Return:
    return _decide(principal, return_id, True, request.note)


def reject(principal: Principal, return_id: str, request: RejectIn) -> Return:
    return _decide(principal, return_id, False, request.reason)


# ------------------------------------------------------------------ reading
def get_return(principal: Principal, return_id: str) -> dict[str, Any]:
    return view(principal, readable_return(principal, return_id))


def order_returns(principal: Principal, order_id: str) -> dict[str, Any]:
    readable_order(principal, order_id)
    found = repos.returns.of_order(principal.tenant_id, order_id)
    return {"items": [view(principal, r) for r in found], "next_cursor": None, "count": len(found)}


def list_returns(principal: Principal, query: ReturnListQuery) -> dict[str, Any]:
    """The tenant's returns, newest first (a customer: their own)."""
    customer = principal.user_id if principal.role is Role.CUSTOMER else None
    if query.order_id:
        try:
            readable_order(principal, query.order_id)
        except NotFound:
            return {"items": [], "next_cursor": None, "count": 0}
        found = list(reversed(repos.returns.of_order(principal.tenant_id, query.order_id)))
        cursor = None
    else:
        found, cursor = repos.returns.page(
            principal.tenant_id,
            status=query.status.value if query.status else None,
            customer_user_id=customer,
            created_from=query.created_from,
            created_to=query.created_to,
            limit=query.limit,
            cursor=query.cursor,
        )
    items = [
        r
        for r in found
        if (query.status is None or r.status is query.status)
        and (query.resolution is None or r.resolution is query.resolution)
        and (query.created_from is None or r.created_at >= query.created_from)
        and (query.created_to is None or r.created_at <= query.created_to + "\uffff")
        and (customer is None or r.customer_user_id == customer)
    ]
    return {"items": [view(principal, r) for r in items], "next_cursor": cursor, "count": len(items)}


def settlement_id(ret: Return, what: str) -> str:
    """The id of a return's refund / credit / exchange credit: the same on every retry."""
    return str(uuid.uuid5(_NS, f"{ret.tenant_id}|{ret.id}|{what}"))
