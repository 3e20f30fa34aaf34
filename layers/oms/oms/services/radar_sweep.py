"""`sla_sweep` (every minute, and `POST /ops/jobs/sla_sweep/run`): breaches by absence (ADR 0031).

Per tenant: the deadline index's minutes between the watermark and now (one Query per UTC day),
the current state of the orders due (own orders: their headers, one BatchGetItem per 100; external
ones: their tracked items, likewise), a verdict per due milestone. A milestone not reached by its
deadline raises an absence breach (and its critical threshold joins the index, so the sweep that
reaches it escalates an open breach to CRITICAL); one reached late raises a late breach. Orders
register only their next deadline; the sweep, having read the order anyway, registers the one
after (milestones reached already skipped, deadlines already past judged at once) for all the
orders it judged, with one write per target minute. Cancelled, failed, finished orders get none.
Rerunning over the same minutes finds the same exceptions (conditional puts) and adds none."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from oms.data import radar_orders
from oms.data.radar import RadarRepository
from oms.domain.clock import iso, parse_iso, utcnow
from oms.domain.exceptions import is_external
from oms.domain.sla_deadlines import (
    ESCALATE,
    STOPPED_STATUSES,
    DueRef,
    Plan,
    Verdict,
    escalation_ref,
    judge,
    minutes_between,
    next_step,
    own_milestones,
    reached_at,
)
from oms.services import radar_breaches
from oms.services.context import repos
from oms.services.radar_breaches import OrderContext

log = logging.getLogger(__name__)
radar = RadarRepository()

FIRST_LOOKBACK = timedelta(hours=1)  # a tenant's first sweep reads this far back
MAX_CATCHUP = timedelta(days=2)  # after an outage, at most this much of the index is read again


def run(tenant_id: str | None = None) -> dict[str, Any]:
    """Sweep one tenant (on demand) or every tenant (the schedule)."""
    tenants = [tenant_id] if tenant_id else repos.directory.tenant_ids()
    totals: dict[str, int] = defaultdict(int)
    for tenant in tenants:
        for key, value in sweep_tenant(tenant).items():
            if isinstance(value, int):
                totals[key] += value
    return {"job": "sla_sweep", "tenants": len(tenants), **totals}


def _state(tenant_id: str, due: list[DueRef]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    own = [r.order_ref for r in due if not is_external(r.order_ref)]
    ext = [r.order_ref[4:] for r in due if is_external(r.order_ref)]
    headers = radar_orders.headers(tenant_id, own) if own else {}
    tracked = radar.tracked_many(tenant_id, ext) if ext else {}
    return headers, tracked


def sweep_tenant(tenant_id: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    stamp = iso(now)
    through_text = radar.swept_through(tenant_id)
    through = parse_iso(through_text) if through_text else now - FIRST_LOOKBACK
    through = max(through, now - MAX_CATCHUP)
    if through >= now:
        return {"due": 0, "breaches": 0, "escalations": 0, "registered": 0}
    due: list[DueRef] = []
    for day, first, last in minutes_between(through, now):
        due += radar.due(tenant_id, day, first, last)
    low = iso(through)
    due = [r for r in due if low < r.due_at <= stamp]
    headers, tracked = _state(tenant_id, due)
    breaches = escalations = 0
    later: list[DueRef] = []
    for ref in due:
        found = _milestones(ref, headers, tracked)
        if found is None:
            continue
        milestones, ctx = found
        plan = ref.plan()
        verdict = judge(plan, ref.milestone, reached_at(milestones, ref.milestone), now)
        if ref.kind == ESCALATE:
            if verdict.state == "breached" and radar_breaches.record(tenant_id, plan, verdict, ctx, now):
                escalations += 1
            continue
        breaches += _settle(tenant_id, plan, verdict, ctx, now, later)
        if ref.chained:  # the order's following deadline(s): judged now if past, else the next indexed
            step = next_step(plan, milestones, now, after=ref.milestone)
            for milestone in step.judge_now:
                passed = judge(plan, milestone, reached_at(milestones, milestone), now)
                breaches += _settle(tenant_id, plan, passed, ctx, now, later)
            if step.register is not None:
                later.append(step.register)
    # one writer per swept range (its start): a rerun after a crash adds the same entries to the
    # same items, which changes nothing; the watermark goes last
    registered = radar.add_due(tenant_id, later, f"s{low}") if later else 0
    radar.set_swept_through(tenant_id, stamp)
    return {"due": len(due), "breaches": breaches, "escalations": escalations, "registered": registered}


def _settle(
    tenant_id: str, plan: Plan, verdict: Verdict, ctx: OrderContext, now: datetime, later: list[DueRef]
) -> int:
    """Record a deadline's verdict (1 if an exception was created or changed). Met in time: nothing
    to record (the milestone's arrival was judged when it came). Breached: its critical threshold
    joins the index, so a later sweep escalates the breach if it is still open."""
    if verdict.state == "met":
        return 0
    doc = radar_breaches.record(tenant_id, plan, verdict, ctx, now)
    if verdict.state == "breached":
        critical = escalation_ref(plan, verdict.milestone)
        if critical.due_at > iso(now):
            later.append(critical)
    return 0 if doc is None else 1


def _milestones(
    ref: DueRef, headers: dict[str, dict[str, Any]], tracked: dict[str, dict[str, Any]]
) -> tuple[dict[str, str], OrderContext] | None:
    """The order's milestones now and who it is; None when it is no longer tracked (gone,
    cancelled or failed, or an external order whose clock moved: a newer entry stands for it)."""
    if is_external(ref.order_ref):
        doc = tracked.get(ref.order_ref[4:])
        plan = (doc or {}).get("plan") or {}
        if doc is None or plan.get("clock_started_at") != ref.clock_started_at:
            return None
        from oms.services.radar_ingest import context

        return dict(doc["milestones"]), context(doc, str(doc.get("source") or "external"))
    header = headers.get(ref.order_ref)
    if header is None or header.get("status") in STOPPED_STATUSES:
        return None
    from oms.services.radar_stream import own_context

    return own_milestones(header), own_context(ref.order_ref, header, {})
