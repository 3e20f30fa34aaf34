"""Turning a verdict into the one exception of its (order, milestone): create it (conditional
put on the deterministic id: a second detection never adds one), or update it - close a breach
whose milestone arrived, escalate an open one. Shared by the three detectors: the orders stream
(radar_stream), ingested events (radar_ingest) and the sweep (radar_sweep)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.domain import analyst_rules
from oms.domain.clock import iso
from oms.domain.errors import Conflict
from oms.domain.exceptions import (
    ExceptionKind,
    ExceptionStatus,
    Milestone,
    Severity,
    SlaException,
    exception_id,
    higher,
)
from oms.domain.sla_deadlines import Plan, Verdict, judge
from oms.services import exception_hooks
from oms.services.context import repos

log = logging.getLogger(__name__)
_TRIES = 5
WITHDRAWN_BY = "system:radar"  # who resolves an absence breach that a late event disproves


@dataclass(frozen=True)
class OrderContext:
    """Who the exception is about, and the facts the analyst and the reader see."""

    order_ref: str
    source: str
    order_id: str | None = None
    external_order_id: str | None = None
    order_number: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        k: doc.get(k)
        for k in (
            "exception_id",
            "order_ref",
            "milestone",
            "kind",
            "severity",
            "status",
            "breach_open",
            "deadline",
        )
    }


def _new_doc(
    tenant_id: str, plan: Plan, verdict: Verdict, ctx: OrderContext, now: datetime
) -> dict[str, Any]:
    stamp = iso(now)
    late = verdict.state == "late"
    facts = {k: v for k, v in {**plan.facts, **ctx.facts}.items() if v is not None}
    doc = SlaException(
        exception_id=exception_id(tenant_id, ctx.order_ref, verdict.milestone),
        order_ref=ctx.order_ref,
        order_id=ctx.order_id,
        external_order_id=ctx.external_order_id,
        order_number=ctx.order_number,
        source=ctx.source,
        milestone=verdict.milestone,
        kind=ExceptionKind.LATE if late else ExceptionKind.ABSENCE,
        severity=verdict.severity or Severity.MEDIUM,
        breach_open=not late,
        policy_id=plan.policy_id,
        factor=plan.factor,
        window_minutes=plan.windows[verdict.milestone],
        clock_started_at=plan.clock_started_at,
        deadline=verdict.deadline,
        observed_at=verdict.at,
        late_minutes=verdict.late_minutes,
        facts=_jsonable(facts),
        created_at=stamp,
        updated_at=stamp,
    ).model_dump(mode="json")
    doc["analysis"] = analyst_rules.analyse(doc, stamp).model_dump(mode="json")
    return doc


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if isinstance(value, (frozenset, set, tuple)):
            out[key] = sorted(str(v) for v in value)
        elif isinstance(value, (str, int, float, bool, list, dict)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _closing(existing: dict[str, Any], verdict: Verdict, now: datetime) -> dict[str, Any] | None:
    """The existing exception once its milestone arrived (`verdict` met or late), or None when
    that changes nothing (already closed at that time: a replayed event or batch)."""
    if existing.get("breach_open") is False and existing.get("observed_at") == verdict.at:
        return None
    if (
        existing.get("observed_at")
        and verdict.at
        and existing["observed_at"] < verdict.at
        and not existing.get("breach_open")
    ):
        return None  # closed by an earlier arrival already
    severity = existing["severity"]
    if verdict.severity is not None:
        severity = higher(severity, verdict.severity)
    closed = {
        **existing,
        "breach_open": False,
        "observed_at": verdict.at,
        "late_minutes": verdict.late_minutes,
        "severity": severity,
        "updated_at": iso(now),
    }
    if verdict.state == "met" and existing.get("status") != ExceptionStatus.RESOLVED.value:
        # the event, arriving late, shows the milestone was met in time: there was no breach
        closed.update(
            status=ExceptionStatus.RESOLVED.value,
            resolved_by=WITHDRAWN_BY,
            resolved_at=iso(now),
            resolution_note=(
                f"Withdrawn: {verdict.milestone.value} happened at {verdict.at}, before its deadline "
                f"{verdict.deadline}; its event arrived late."
            ),
        )
    return closed


def _escalating(existing: dict[str, Any], severity: Severity, now: datetime) -> dict[str, Any] | None:
    if not existing.get("breach_open") or existing.get("status") == ExceptionStatus.RESOLVED:
        return None
    raised = higher(existing["severity"], severity)
    if raised == existing["severity"]:
        return None
    return {**existing, "severity": raised.value, "updated_at": iso(now)}


def record(
    tenant_id: str, plan: Plan, verdict: Verdict, ctx: OrderContext, now: datetime
) -> dict[str, Any] | None:
    """Apply a verdict; the exception created or changed, or None if nothing changed."""
    breach = verdict.state in ("breached", "late")
    eid = exception_id(tenant_id, ctx.order_ref, verdict.milestone)
    for _ in range(_TRIES):
        existing = repos.exceptions.get(tenant_id, eid)
        if existing is None:
            if not breach:
                return None
            doc = _new_doc(tenant_id, plan, verdict, ctx, now)
            if repos.exceptions.create(tenant_id, doc):
                exception_hooks.changed(tenant_id, doc, "created")
                return doc
            continue  # another detector created it meanwhile: update that one
        if verdict.state in ("met", "late"):
            changed = _closing(existing, verdict, now)
        elif verdict.state == "breached" and verdict.severity is not None:
            changed = _escalating(existing, verdict.severity, now)
        else:
            changed = None
        if changed is None:
            return None
        try:
            saved = repos.exceptions.replace(tenant_id, changed, int(existing["version"]))
        except Conflict:
            continue
        if saved["status"] == ExceptionStatus.RESOLVED.value != existing.get("status"):
            exception_hooks.changed(tenant_id, saved, "resolved")
        return saved
    log.warning("exception %s: %d lost updates in a row; left for the next detection", eid, _TRIES)
    return None


def evaluate(
    tenant_id: str,
    plan: Plan,
    milestones: dict[str, str],
    ctx: OrderContext,
    now: datetime,
    only: list[Milestone] | None = None,
    plan_changed: bool = False,
) -> list[dict[str, Any]]:
    """Judge each deadlined milestone of the plan (or `only` those) whose deadline has passed or
    which was reached, and record the verdicts. Returns the exceptions created or changed.
    A milestone met while its deadline is still ahead has no exception to create or close (under
    this plan none can exist before its deadline): it costs no read, unless the plan just changed
    (`plan_changed`: an earlier clock start), when one made under the old plan may need closing."""
    from oms.domain.sla_deadlines import reached_at

    changed = []
    for milestone in list(plan.windows) if only is None else only:  # [] judges none
        if milestone not in plan.windows:
            continue
        reached = reached_at(milestones, milestone)
        ahead = now < plan.deadline(milestone)
        if reached is None and ahead:
            continue  # in time: the deadline index will bring it back
        verdict = judge(plan, milestone, reached, now)
        if verdict.state == "met" and ahead and not plan_changed:
            continue  # met, its deadline still ahead: no exception can exist to close
        doc = record(tenant_id, plan, verdict, ctx, now)
        if doc is not None:
            changed.append(doc)
    return changed
