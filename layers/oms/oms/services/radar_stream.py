"""The SLA radar's read model of the orders stream (ADR 0031): Cirrus's own orders.

Per batch and tenant: orders whose clock starts (CONFIRMED) get their plan - the default policy
(cached) and, only when its multipliers test order facts, the bodies the batch lacks, in one
BatchGetItem - and their next deadline goes into the index with one ADD per minute bucket (the
sweep registers the following ones). Orders that
reach a deadlined milestone are judged only when they could be late (reached later than the
window times the smallest factor the policy can give); those have their exceptions read by id
(one BatchGetItem) to close a breach or raise a late one. Idempotent for a retried batch: set
ADDs and conditional puts."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.data import radar_orders
from oms.data.radar import RadarRepository
from oms.domain.clock import iso, parse_iso, utcnow
from oms.domain.exceptions import DEADLINED, Milestone, rank
from oms.domain.projections import OrderChange
from oms.domain.sla_deadlines import (
    STATUS_MILESTONE,
    STOPPED_STATUSES,
    next_step,
    own_milestones,
    plan_for,
)
from oms.domain.sla_policy import SlaField, SlaPolicy, smallest_factor
from oms.services import radar_breaches, sla_policies
from oms.services.radar_breaches import OrderContext

log = logging.getLogger(__name__)
radar = RadarRepository()

_PRE_PAID = frozenset({None, "PENDING"})


def body_facts(body: dict[str, Any]) -> dict[str, Any]:
    """An order body as the SLA conditions see it."""
    address = body.get("shipping_address") or {}
    facts: dict[str, Any] = {
        "channel": body.get("channel"),
        "fulfillment_type": body.get("fulfillment_type"),
        "tag": frozenset(body.get("tags") or []),
        "line_count": len(body.get("line_items") or []),
        "order_number": body.get("order_number"),
    }
    if body.get("total_amount") is not None:
        facts["total_amount"] = Decimal(str(body["total_amount"]))
    if address.get("country"):
        facts["shipping_country"] = str(address["country"]).upper()
    return facts


def needs_body(policy: SlaPolicy) -> bool:
    """Whether a multiplier tests a fact only the body has (all but `weekend`)."""
    return any(m.when.field is not SlaField.WEEKEND for m in policy.multipliers)


def own_context(order_id: str, header: dict[str, Any], facts: dict[str, Any]) -> OrderContext:
    allocations = header.get("allocations") or []
    node = allocations[0].get("node_id") if allocations else None
    return OrderContext(
        order_ref=order_id,
        source="oms",
        order_id=order_id,
        order_number=facts.get("order_number"),
        facts={
            "order_status": header.get("status"),
            "channel": facts.get("channel"),
            "fulfillment_type": facts.get("fulfillment_type"),
            "node": node,
        },
    )


def apply(changes: Sequence[OrderChange]) -> None:
    by_tenant: dict[str, list[OrderChange]] = defaultdict(list)
    for change in changes:
        by_tenant[change.tenant_id].append(change)
    now = utcnow()
    for tenant_id, tenant_changes in by_tenant.items():
        policy = sla_policies.default_policy(tenant_id)
        if policy is not None:
            _apply_tenant(tenant_id, policy, tenant_changes, now)


def _apply_tenant(tenant_id: str, policy: SlaPolicy, changes: Sequence[OrderChange], now: datetime) -> None:
    in_batch = {c.order_id: c.new for c in changes if c.item == "body" and c.new}
    headers: dict[str, dict[str, Any]] = {}
    paid: list[str] = []
    arrived: dict[str, list[Milestone]] = defaultdict(list)
    for change in changes:
        if not change.status_changed or not change.new:
            continue
        headers[change.order_id] = change.new  # the latest header of the order in this batch
        status = change.status_after
        if status in STOPPED_STATUSES:
            continue
        milestone = STATUS_MILESTONE.get(str(status))
        if milestone is Milestone.ORDER_PAID and change.status_before in _PRE_PAID:
            paid.append(change.order_id)
        elif milestone is not None and milestone in DEADLINED:
            arrived[change.order_id].append(milestone)
    suspects = _possibly_late(policy, headers, arrived)
    wanted = [o for o in dict.fromkeys([*paid, *suspects]) if o not in in_batch]
    bodies = dict(in_batch)
    if wanted and (needs_body(policy) or suspects):
        bodies.update(radar_orders.bodies(tenant_id, wanted))
    refs = []
    for order_id in dict.fromkeys(paid):
        header = headers[order_id]
        milestones = own_milestones(header)
        facts = body_facts(bodies.get(order_id) or {})
        start = milestones.get(Milestone.ORDER_PAID.value) or header.get("updated_at") or iso(now)
        plan = plan_for(order_id, policy, facts, start)
        # only the next deadline: the sweep, judging it, registers the one after (ADR 0031)
        nxt = next_step(plan, milestones, now).register
        if nxt is not None:
            refs.append(nxt)
        # deadlines already past when registered (a slow stream, a replay) are judged at once
        radar_breaches.evaluate(tenant_id, plan, milestones, own_context(order_id, header, facts), now)
    if refs:
        radar.add_due(tenant_id, refs, f"b{changes[0].sequence}")
    for order_id, milestones_now in suspects.items():
        header = headers[order_id]
        milestones = own_milestones(header)
        facts = body_facts(bodies.get(order_id) or {})
        start = milestones.get(Milestone.ORDER_PAID.value)
        if not start or order_id in paid:
            continue  # judged above with its plan
        plan = plan_for(order_id, policy, facts, start)
        radar_breaches.evaluate(
            tenant_id, plan, milestones, own_context(order_id, header, facts), now, only=milestones_now
        )


def _possibly_late(
    policy: SlaPolicy, headers: dict[str, dict[str, Any]], arrived: dict[str, list[Milestone]]
) -> dict[str, list[Milestone]]:
    """The orders whose arrived milestones (and the earlier ones they imply) could be late under
    any factor the policy can give; the rest were on time, whatever their facts, and cost nothing."""
    windows = {
        Milestone.PICK_COMPLETED: policy.pick_minutes,
        Milestone.PACK_COMPLETED: policy.pack_minutes,
        Milestone.SHIPPED: policy.ship_minutes,
        Milestone.DELIVERED: policy.delivery_hours * 60,
    }
    least = smallest_factor(policy)
    found: dict[str, list[Milestone]] = {}
    for order_id, reached in arrived.items():
        milestones = own_milestones(headers[order_id])
        start = milestones.get(Milestone.ORDER_PAID.value)
        if not start:
            continue
        top = max(reached, key=rank)
        candidates = []
        for milestone in DEADLINED:
            if rank(milestone) > rank(top):
                continue
            at = min(
                (t for m, t in milestones.items() if m in _RANKS and _RANKS[m] >= rank(milestone)),
                default=None,
            )
            if at is None:
                continue
            if parse_iso(at) - parse_iso(start) > timedelta(minutes=windows[milestone] * least):
                candidates.append(milestone)
        if candidates:
            found[order_id] = candidates
    return found


_RANKS = {m.value: rank(m) for m in Milestone}
