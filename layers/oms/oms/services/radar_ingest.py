"""`POST /ingest/{source}`: events of orders managed elsewhere (ADR 0031). Each event is recorded
once (its id, in the same conditional update of the tracked order it changes), never creates an
OMS order, and is judged at once (a redelivery is judged again: that repairs a crash between
storing and judging): a milestone that arrives after its deadline raises (or closes) the one
exception of its (order, milestone). Out-of-order events are expected: every milestone keeps its
earliest time, the clock starts at `order_paid` whenever that arrives, and a later milestone
implies the earlier ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from oms.data.radar import RadarRepository
from oms.domain.clock import iso, utcnow
from oms.domain.errors import Conflict, TransientStoreError, ValidationFailed
from oms.domain.exceptions import DEADLINED, Milestone, external_ref, rank
from oms.domain.ingest_events import NO_DEADLINE, ValidEvent, validate
from oms.domain.models import Principal
from oms.domain.sla_deadlines import (
    Plan,
    deferred_ref,
    next_step,
    plan_doc,
    plan_for,
    plan_from_doc,
    reached_at,
)
from oms.services import radar_breaches, sla_policies
from oms.services.radar_breaches import OrderContext

radar = RadarRepository()
_TRIES = 5
MAX_EVENTS = 100  # events taken per external order (a real one has a few dozen at most)
# how long after a late clock start its missed deadlines wait for their events (ADR 0031)
LATE_CLOCK_GRACE = timedelta(minutes=5)
_FACT_KEYS = (
    "channel",
    "fulfillment_type",
    "currency",
    "shipping_country",
    "total_amount",
    "node",
    "carrier",
    "tracking_number",
)


def _invalid(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(
        "the event is not valid for this source",
        code="invalid_event",
        details=[
            {"loc": ["body", *[str(p) for p in e["loc"]]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ],
    )


def new_tracked(external_order_id: str, source: str, now: str) -> dict[str, Any]:
    return {
        "external_order_id": external_order_id,
        "order_ref": external_ref(external_order_id),
        "source": source,
        "milestones": {},
        "facts": {},
        "counts": {"lines": 0, "units": 0, "packages": 0, "labels": 0, "returns": 0},
        "plan": None,
        "completed_at": None,
        "completed_day": None,
        "events": 0,
        "created_at": now,
        "updated_at": now,
    }


def apply(tracked: dict[str, Any], valid: ValidEvent, now: str) -> dict[str, Any]:
    """The tracked order with the event applied (pure; the plan is set by the caller)."""
    event, facts = valid.event, valid.facts
    doc = {**tracked, "milestones": dict(tracked["milestones"]), "facts": dict(tracked["facts"])}
    counts = dict(tracked["counts"])
    kind, at = event.event_type, event.at
    if kind not in NO_DEADLINE:
        earlier = doc["milestones"].get(kind)
        doc["milestones"][kind] = min(earlier, at) if earlier else at
    for key in _FACT_KEYS:
        if key in facts:  # stored as JSON: a Decimal amount keeps its digits as text
            value = facts[key]
            doc["facts"][key] = str(value) if isinstance(value, Decimal) else value
    if facts.get("tags"):
        doc["facts"]["tags"] = sorted(set(doc["facts"].get("tags") or []) | set(facts["tags"]))
    for key in ("lines", "units", "packages", "labels"):
        if key in facts:
            counts[key] = max(int(counts.get(key) or 0), int(facts[key]))
    if kind == "returned":
        counts["returns"] = int(counts.get("returns") or 0) + 1
    if kind == "delivery_failed":
        doc["facts"]["delivery_failed"] = True
        if facts.get("reason"):
            doc["facts"]["failure_reason"] = facts["reason"]
    doc["counts"] = counts
    shipped = reached_at(doc["milestones"], Milestone.SHIPPED)
    doc["completed_at"] = shipped
    doc["completed_day"] = shipped[:10] if shipped else None
    doc["events"] = int(doc.get("events") or 0) + 1
    doc["updated_at"] = now
    return doc


def sla_facts(doc: dict[str, Any]) -> dict[str, Any]:
    """The tracked order's facts as policy conditions see them."""
    facts = dict(doc["facts"])
    facts["tag"] = frozenset(facts.pop("tags", []) or [])
    if facts.get("total_amount") is not None:
        facts["total_amount"] = Decimal(str(facts["total_amount"]))
    if doc["counts"].get("lines"):
        facts["line_count"] = int(doc["counts"]["lines"])
    if facts.get("shipping_country"):
        facts["shipping_country"] = str(facts["shipping_country"]).upper()
    return facts


def _plan(tenant_id: str, doc: dict[str, Any]) -> Plan | None:
    """The plan of a tracked order whose clock started (order_paid), from the default policy
    when it has none or its clock moved earlier (an earlier order_paid arrived late)."""
    paid = doc["milestones"].get(Milestone.ORDER_PAID.value)
    if not paid:
        return None
    stored = doc.get("plan")
    if stored and stored.get("clock_started_at") == iso_of(paid):
        return plan_from_doc(doc["order_ref"], stored)
    policy = sla_policies.default_policy(tenant_id)
    if policy is None:
        return None
    return plan_for(doc["order_ref"], policy, sla_facts(doc), paid)


def iso_of(value: str) -> str:
    from oms.domain.clock import parse_iso

    return iso(parse_iso(value))


def context(doc: dict[str, Any], source: str) -> OrderContext:
    return OrderContext(
        order_ref=doc["order_ref"],
        source=source,
        external_order_id=doc["external_order_id"],
        facts={k: v for k, v in doc["facts"].items() if k != "tags"},
    )


def ingest(principal: Principal, source: str, body: Any) -> tuple[int, dict[str, Any]]:
    """(status, answer): 202 applied, 200 a duplicate (its effect was stored already; it is
    judged again, which repairs a verdict a crash after the store left out); 422
    `invalid_event`; 409 `too_many_events` beyond MAX_EVENTS events for one order."""
    try:
        valid = validate(source, body)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    tenant_id, event = principal.tenant_id, valid.event
    ext = event.external_order_id
    ref = external_ref(ext)
    key = f"{source}:{event.event_id}"
    now = utcnow()
    stamp = iso(now)
    for _ in range(_TRIES):
        tracked, seen = radar.tracked_with_events(tenant_id, ext)
        if key in seen:
            return _duplicate(tenant_id, tracked, event.event_type, event.event_id, ref, source, now)
        if len(seen) >= MAX_EVENTS:
            raise Conflict(
                f"order {ext} has {MAX_EVENTS} events already; no more are taken for it",
                code="too_many_events",
                details=[{"loc": ["body", "external_order_id"], "msg": "event limit reached",
                          "type": "too_many_events"}],
            )  # fmt: skip
        before = tracked or new_tracked(ext, source, stamp)
        doc = apply(before, valid, stamp)
        plan = _plan(tenant_id, doc)
        new_plan = plan is not None and (not before.get("plan") or before["plan"] != plan_doc(plan))
        if plan is not None:
            doc["plan"] = plan_doc(plan)
        if new_plan and plan is not None:
            # the index first: a crash after it leaves an entry the sweep ignores (no plan), never
            # a plan without its deadline. Only the next deadline: the sweep registers the others
            nxt = next_step(plan, doc["milestones"], now).register
            if nxt is not None:
                radar.add_due(tenant_id, [nxt], f"e{key}")
        try:
            applied = radar.apply_event(tenant_id, key, doc, tracked["version"] if tracked else None)
        except Conflict:
            continue
        if not applied:  # recorded meanwhile by a concurrent delivery of the same event
            tracked, _ = radar.tracked_with_events(tenant_id, ext)
            return _duplicate(tenant_id, tracked, event.event_type, event.event_id, ref, source, now)
        changed = bool(new_plan and before.get("plan"))
        breaches = _judge(tenant_id, plan, doc, event.event_type, bool(new_plan), source, now, changed)
        return 202, {
            "event_id": event.event_id,
            "duplicate": False,
            "order_ref": ref,
            "breaches": [radar_breaches.summary(b) for b in breaches],
        }
    raise TransientStoreError("the order is being changed by other events; retry")


def _duplicate(
    tenant_id: str,
    tracked: dict[str, Any] | None,
    kind: str,
    event_id: str,
    ref: str,
    source: str,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """A redelivered event: no new effect, but its verdicts again (idempotent: the exception's
    deterministic id, conditional writes), in case a crash came between storing it and judging
    it. A redelivered `order_paid` judges every milestone, as its first delivery did."""
    breaches: list[dict[str, Any]] = []
    if tracked is not None and tracked.get("plan"):
        plan = plan_from_doc(tracked["order_ref"], tracked["plan"])
        first = kind == Milestone.ORDER_PAID.value
        breaches = _judge(tenant_id, plan, tracked, kind, first, source, now, plan_changed=first)
    summaries = [radar_breaches.summary(b) for b in breaches]
    return 200, {"event_id": event_id, "duplicate": True, "order_ref": ref, "breaches": summaries}


def _judge(
    tenant_id: str,
    plan: Plan | None,
    doc: dict[str, Any],
    kind: str,
    new_plan: bool,
    source: str,
    now: Any,
    plan_changed: bool = False,
) -> list[dict[str, Any]]:
    if plan is None:
        return []
    ctx = context(doc, source)
    if new_plan:
        # The milestones reached are judged now. Those not reached whose deadline has passed
        # already (the clock's event came late: a feed catching up, events out of order) are
        # judged by the sweep after LATE_CLOCK_GRACE, by when the events of what did happen have
        # usually arrived too; an absence breach raised now would mostly be disproved seconds later.
        step = next_step(plan, doc["milestones"], now)
        missing = [m for m in step.judge_now if reached_at(doc["milestones"], m) is None]
        if missing:
            later = deferred_ref(plan, missing[0], now + LATE_CLOCK_GRACE)
            radar.add_due(tenant_id, [later], f"g{plan.order_ref}|{plan.clock_started_at}")
        reached = [m for m in plan.windows if reached_at(doc["milestones"], m) is not None]
        if not reached:
            return []
        return radar_breaches.evaluate(
            tenant_id, plan, doc["milestones"], ctx, now, only=reached, plan_changed=plan_changed
        )
    if kind in NO_DEADLINE or kind == Milestone.ORDER_PAID.value:
        return []
    upto = rank(kind)
    only = [m for m in DEADLINED if rank(m) <= upto]
    return radar_breaches.evaluate(tenant_id, plan, doc["milestones"], ctx, now, only=only)
