"""The exceptions API (list, get, acknowledge, resolve), the radar's summary and an order's
timeline against its deadlines (ADR 0031). Changes are optimistic: the caller's expected version,
409 `version_conflict` when the exception moved; illegal status moves are 409 too."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oms.data import radar_orders
from oms.data.radar import RadarRepository
from oms.domain.clock import iso, now_iso, parse_iso, utcnow
from oms.domain.errors import IllegalTransition, NotFound, require_version
from oms.domain.exceptions import (
    ExceptionStatus,
    Label,
    Milestone,
    Severity,
    is_external,
)
from oms.domain.models import Principal, Strict
from oms.domain.sla_deadlines import (
    DUE,
    Plan,
    following,
    judge,
    minutes_between,
    own_milestones,
    plan_for,
    plan_from_doc,
    reached_at,
)
from oms.services import exception_hooks, sla_policies
from oms.services.context import repos

radar = RadarRepository()
AT_RISK_LOOKAHEAD = timedelta(hours=6)  # the radar's at-risk list reads this much of the index ahead
AT_RISK_LIMIT = 100


class ExceptionQuery(Strict):
    label: Label | None = None
    severity: Severity | None = None
    status: ExceptionStatus | None = None
    order_ref: str | None = Field(default=None, min_length=1, max_length=140)
    since: str | None = Field(default=None, max_length=40)
    until: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(default=None, ge=1)


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=2000)
    expected_version: int | None = Field(default=None, ge=1)


def _iso_param(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    from oms.domain.errors import ValidationFailed

    try:
        return iso(parse_iso(value))
    except ValueError as exc:
        raise ValidationFailed(
            f"{name} must be an ISO-8601 time",
            details=[{"loc": ["query", name], "msg": "not an ISO-8601 time", "type": "value_error"}],
        ) from exc


def list_exceptions(principal: Principal, query: ExceptionQuery) -> dict[str, Any]:
    items, cursor = repos.exceptions.page(
        principal.tenant_id,
        since=_iso_param(query.since, "since"),
        until=_iso_param(query.until, "until"),
        label=query.label.value if query.label else None,
        severity=query.severity.value if query.severity else None,
        status=query.status.value if query.status else None,
        order_ref=query.order_ref,
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": items, "count": len(items), "next_cursor": cursor}


def get(principal: Principal, exception_id: str) -> dict[str, Any]:
    return repos.exceptions.require(principal.tenant_id, exception_id)


def acknowledge(principal: Principal, exception_id: str, body: AcknowledgeBody) -> dict[str, Any]:
    current = repos.exceptions.require(principal.tenant_id, exception_id)
    if body.expected_version is not None:
        require_version(f"exception {exception_id}", int(current["version"]), body.expected_version)
    if current["status"] != ExceptionStatus.OPEN:
        raise IllegalTransition(
            f"exception {exception_id} is {current['status']}; only an OPEN one can be acknowledged"
        )
    now = now_iso()
    changed = {
        **current,
        "status": ExceptionStatus.ACKNOWLEDGED.value,
        "acknowledged_by": principal.actor,
        "acknowledged_at": now,
        "updated_at": now,
    }
    return repos.exceptions.replace(principal.tenant_id, changed, int(current["version"]))


def resolve(principal: Principal, exception_id: str, body: ResolveBody) -> dict[str, Any]:
    current = repos.exceptions.require(principal.tenant_id, exception_id)
    if body.expected_version is not None:
        require_version(f"exception {exception_id}", int(current["version"]), body.expected_version)
    if current["status"] == ExceptionStatus.RESOLVED:
        raise IllegalTransition(f"exception {exception_id} is resolved already")
    now = now_iso()
    changed = {
        **current,
        "status": ExceptionStatus.RESOLVED.value,
        "resolved_by": principal.actor,
        "resolved_at": now,
        "resolution_note": body.note,
        "updated_at": now,
    }
    saved = repos.exceptions.replace(principal.tenant_id, changed, int(current["version"]))
    exception_hooks.changed(principal.tenant_id, saved, "resolved")
    return saved


# ---------------------------------------------------------------- the radar
def radar_summary(principal: Principal) -> dict[str, Any]:
    """Open exceptions by severity and label (the last 30 days), the orders at risk (past
    `warning_pct` of a window that has not ended, from the deadline index ahead), the latest ten."""
    tenant = principal.tenant_id
    now = utcnow()
    recent = list(
        repos.exceptions.in_range(tenant, iso(now - timedelta(days=30)), iso(now + timedelta(seconds=1)))
    )
    unresolved = [d for d in recent if d["status"] != ExceptionStatus.RESOLVED]
    by_severity = Counter(d["severity"] for d in unresolved)
    by_label = Counter((d.get("analysis") or {}).get("label") or Label.OTHER.value for d in unresolved)
    return {
        "open_by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "open_by_label": {label.value: by_label.get(label.value, 0) for label in Label},
        "at_risk": _at_risk(tenant, now),
        "recent": sorted(recent, key=lambda d: d["created_at"], reverse=True)[:10],
    }


def _at_risk(tenant_id: str, now: Any) -> list[dict[str, Any]]:
    stamp, horizon = iso(now), iso(now + AT_RISK_LOOKAHEAD)
    due = []
    for day, first, last in minutes_between(now, now + AT_RISK_LOOKAHEAD):
        due += [r for r in radar.due(tenant_id, day, first, last) if r.kind == DUE and r.due_at > stamp]
    # the index holds an order's next deadline only; the ones after it (in the lookahead) count too
    due += [later for r in due for later in following(r) if later.due_at <= horizon]
    due = list({(r.order_ref, r.milestone): r for r in due}.values())
    candidates = [(r, r.plan()) for r in due]
    candidates = [(r, p) for r, p in candidates if p.elapsed_pct(r.milestone, now) >= p.warning_pct]
    candidates.sort(key=lambda rp: rp[0].due_at)
    candidates = candidates[: AT_RISK_LIMIT * 2]
    own = [r.order_ref for r, _ in candidates if not is_external(r.order_ref)]
    ext = [r.order_ref[4:] for r, _ in candidates if is_external(r.order_ref)]
    headers = radar_orders.headers(tenant_id, own) if own else {}
    tracked = radar.tracked_many(tenant_id, ext) if ext else {}
    found = []
    for ref, plan in candidates:
        if is_external(ref.order_ref):
            milestones = (tracked.get(ref.order_ref[4:]) or {}).get("milestones") or {}
        else:
            milestones = own_milestones(headers.get(ref.order_ref) or {})
        if reached_at(milestones, ref.milestone):
            continue
        found.append(
            {
                "order_ref": ref.order_ref,
                "milestone": ref.milestone.value,
                "deadline": ref.due_at,
                "elapsed_pct": plan.elapsed_pct(ref.milestone, now),
            }
        )
        if len(found) >= AT_RISK_LIMIT:
            break
    return found


def timeline(principal: Principal, order_ref: str) -> dict[str, Any]:
    """Every milestone of the order with its time, deadline and state, and its exceptions."""
    tenant = principal.tenant_id
    now = utcnow()
    plan, milestones = _order_plan(tenant, order_ref)
    rows = []
    for milestone in Milestone:
        at = milestones.get(milestone.value)
        deadline = None
        state = "met" if at else "open"
        if plan is not None and milestone in plan.windows:
            verdict = judge(plan, milestone, reached_at(milestones, milestone), now)
            deadline, state = verdict.deadline, verdict.state
            at = at or verdict.at
        rows.append({"milestone": milestone.value, "at": at, "deadline": deadline, "state": state})
    return {
        "order_ref": order_ref,
        "policy_id": plan.policy_id if plan else None,
        "factor": plan.factor if plan else None,
        "clock_started_at": plan.clock_started_at if plan else None,
        "milestones": rows,
        "exceptions": repos.exceptions.for_order(tenant, order_ref),
    }


def _order_plan(tenant_id: str, order_ref: str) -> tuple[Plan | None, dict[str, str]]:
    if is_external(order_ref):
        doc = radar.tracked(tenant_id, order_ref[4:])
        if doc is None:
            raise NotFound(f"order {order_ref} is not tracked", code="order_not_found")
        plan = plan_from_doc(order_ref, doc["plan"]) if doc.get("plan") else None
        return plan, dict(doc["milestones"])
    headers = radar_orders.headers(tenant_id, [order_ref])
    if order_ref not in headers:
        raise NotFound(f"order {order_ref} not found", code="order_not_found")
    milestones = own_milestones(headers[order_ref])
    start = milestones.get(Milestone.ORDER_PAID.value)
    policy = sla_policies.default_policy(tenant_id)
    if not start or policy is None:
        return None, milestones
    from oms.services.radar_stream import body_facts

    body = radar_orders.bodies(tenant_id, [order_ref]).get(order_ref) or {}
    return plan_for(order_ref, policy, body_facts(body), start), milestones
