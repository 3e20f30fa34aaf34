"""Deadline math of the SLA radar (pure): an order's plan (its policy, factor and windows from the
moment its clock started), the verdict on a milestone (met, late, open, at risk, breached), the
milestones a status or an event stands for, and the deadline index's entries (ADR 0031)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from oms.domain.clock import iso, parse_iso
from oms.domain.exceptions import DEADLINED, Milestone, Severity, breach_severity, rank
from oms.domain.sla_policy import SlaPolicy, factor

State = Literal["met", "late", "open", "at_risk", "breached"]

PICKUP_TYPES = frozenset({"STORE_PICKUP", "CURBSIDE_PICKUP"})
STOPPED_STATUSES = frozenset({"CANCELLED", "FAILED"})

# Cirrus's own orders: the status an order moves to, as the milestone it reaches (CONTRACT.md).
# An order placed through the API goes from PENDING straight to SOURCING (it never is CONFIRMED):
# leaving PENDING for sourcing starts its clock too; the first of the two counts.
STATUS_MILESTONE: Mapping[str, Milestone] = {
    "CONFIRMED": Milestone.ORDER_PAID,
    "SOURCING": Milestone.ORDER_PAID,
    "PICKING": Milestone.PICK_STARTED,
    "PACKING": Milestone.PICK_COMPLETED,
    "READY_TO_SHIP": Milestone.PACK_COMPLETED,
    "READY_FOR_PICKUP": Milestone.PACK_COMPLETED,
    "SHIPPED": Milestone.SHIPPED,
    "PARTIALLY_SHIPPED": Milestone.SHIPPED,
    "DELIVERED": Milestone.DELIVERED,
    "PICKED_UP": Milestone.DELIVERED,
}


def is_weekend(at: datetime) -> bool:
    return at.weekday() >= 5  # Saturday, Sunday (UTC)


@dataclass(frozen=True)
class Plan:
    """An order's deadlines: fixed when its clock starts (the policy and facts of that moment)."""

    order_ref: str
    policy_id: str
    factor: float
    clock_started_at: str
    windows: Mapping[Milestone, int]  # minutes, per deadlined milestone this order has
    warning_pct: float
    critical_pct: float
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return parse_iso(self.clock_started_at)

    def deadline(self, milestone: Milestone) -> datetime:
        return self.start + timedelta(minutes=self.windows[milestone])

    def critical_at(self, milestone: Milestone) -> datetime:
        return self.start + timedelta(minutes=self.windows[milestone] * self.critical_pct / 100)

    def elapsed_pct(self, milestone: Milestone, at: datetime) -> float:
        spent = (at - self.start).total_seconds() / 60
        return round(spent / self.windows[milestone] * 100, 2)


def plan_for(order_ref: str, policy: SlaPolicy, facts: Mapping[str, Any], clock_started_at: str) -> Plan:
    """The policy applied to an order: `weekend` joins its facts, every matching multiplier
    scales every window (rounded up to whole minutes); pickup orders have no carrier deadlines."""
    start = parse_iso(clock_started_at)
    all_facts = {**facts, "weekend": is_weekend(start)}
    f = factor(policy, all_facts)
    base = {
        Milestone.PICK_COMPLETED: policy.pick_minutes,
        Milestone.PACK_COMPLETED: policy.pack_minutes,
        Milestone.SHIPPED: policy.ship_minutes,
        Milestone.DELIVERED: policy.delivery_hours * 60,
    }
    if str(facts.get("fulfillment_type") or "") in PICKUP_TYPES:
        base.pop(Milestone.SHIPPED)
        base.pop(Milestone.DELIVERED)
    windows = {m: max(1, math.ceil(minutes * f - 1e-9)) for m, minutes in base.items()}
    return Plan(
        order_ref=order_ref,
        policy_id=policy.id,
        factor=f,
        clock_started_at=iso(start),
        windows=windows,
        warning_pct=policy.warning_pct,
        critical_pct=policy.critical_pct,
        facts=all_facts,
    )


def reached_at(milestones: Mapping[str, str], milestone: Milestone) -> str | None:
    """When `milestone` was reached: its own time, or that of any later milestone (a later one
    implies it), whichever is first; None if neither arrived."""
    times = [
        at for name, at in milestones.items() if name in _RANKS and _RANKS[name] >= rank(milestone) and at
    ]
    return min(times) if times else None


_RANKS = {m.value: rank(m) for m in Milestone}


@dataclass(frozen=True)
class Verdict:
    milestone: Milestone
    state: State
    deadline: str
    at: str | None
    elapsed_pct: float
    severity: Severity | None
    late_minutes: int


def judge(plan: Plan, milestone: Milestone, reached: str | None, now: datetime) -> Verdict:
    """The milestone against its deadline: reached on time (met) or after it (late); not reached
    and past it (breached), past `warning_pct` of it (at_risk), or still in time (open)."""
    deadline = plan.deadline(milestone)
    at = parse_iso(reached) if reached else now
    pct = plan.elapsed_pct(milestone, at)
    late = max(0, math.ceil((at - deadline).total_seconds() / 60 - 1e-9)) if at > deadline else 0
    if reached:
        state: State = "late" if at > deadline else "met"
    elif now >= deadline:
        state = "breached"
    elif pct >= plan.warning_pct:
        state = "at_risk"
    else:
        state = "open"
    severity = (
        breach_severity(milestone, max(pct, 100.0), plan.critical_pct)
        if state in ("late", "breached")
        else None
    )
    return Verdict(milestone, state, iso(deadline), reached, pct, severity, late)


def own_milestones(header: Mapping[str, Any]) -> dict[str, str]:
    """A Cirrus order header's milestones (first time each was reached), from its status history
    (the trail entries the header holds and the digests of the stored ones)."""
    changes: list[tuple[int, str, str]] = []
    for entry in header.get("past") or []:
        if entry.get("status"):
            changes.append((int(entry.get("seq") or 0), str(entry["status"]), str(entry.get("at") or "")))
    for entry in header.get("events") or []:
        if entry.get("to_status"):
            changes.append((int(entry.get("seq") or 0), str(entry["to_status"]), str(entry.get("at") or "")))
    found: dict[str, str] = {}
    for _, status, at in sorted(changes):
        milestone = STATUS_MILESTONE.get(status)
        if milestone is not None and at and milestone.value not in found:
            found[milestone.value] = at
    return found


# ---------------------------------------------------------------- the deadline index (ADR 0031)
DUE = "D"  # a milestone's deadline
ESCALATE = "C"  # an open breach's critical threshold


@dataclass(frozen=True)
class DueRef:
    """One entry of the deadline index: enough to judge the milestone without the policy, and
    (`windows`: the plan's windows, "pick/pack/ship/delivery" minutes, blank when the order has
    none) enough for the sweep to register the order's following deadline. Entries written before
    the chain existed have no `windows`: their writer registered every deadline at once."""

    kind: str
    due_at: str
    order_ref: str
    milestone: Milestone
    clock_started_at: str
    window_minutes: int
    factor: float
    warning_pct: float
    critical_pct: float
    policy_id: str
    windows: str = ""

    def encode(self) -> str:
        fields = [
            self.kind,
            self.due_at,
            self.order_ref,
            self.milestone.value,
            self.clock_started_at,
            str(self.window_minutes),
            f"{self.factor:g}",
            f"{self.warning_pct:g}",
            f"{self.critical_pct:g}",
            self.policy_id,
        ]
        if self.windows:
            fields.append(self.windows)
        return "|".join(fields)

    @classmethod
    def decode(cls, text: str) -> DueRef:
        kind, due, ref, milestone, start, window, f, warning, critical, rest = text.split("|", 9)
        policy, _, windows = rest.partition("|")
        return cls(
            kind,
            due,
            ref,
            Milestone(milestone),
            start,
            int(window),
            float(f),
            float(warning),
            float(critical),
            policy,
            windows,
        )

    def plan(self) -> Plan:
        windows = dict(_windows_from(self.windows))
        windows[self.milestone] = self.window_minutes
        return Plan(
            order_ref=self.order_ref,
            policy_id=self.policy_id,
            factor=self.factor,
            clock_started_at=self.clock_started_at,
            windows=windows,
            warning_pct=self.warning_pct,
            critical_pct=self.critical_pct,
        )

    @property
    def chained(self) -> bool:
        """Whether the sweep registers the order's following deadline from this entry."""
        return self.kind == DUE and bool(self.windows)

    @property
    def bucket(self) -> tuple[str, str]:
        return bucket_of(parse_iso(self.due_at))


def _windows_text(plan: Plan) -> str:
    return "/".join(str(plan.windows[m]) if m in plan.windows else "" for m in DEADLINED)


def _windows_from(text: str) -> list[tuple[Milestone, int]]:
    if not text:
        return []
    return [(m, int(w)) for m, w in zip(DEADLINED, text.split("/"), strict=False) if w]


def bucket_of(at: datetime) -> tuple[str, str]:
    """(UTC day, "HH:MM") of the minute `at` falls in."""
    return at.date().isoformat(), at.strftime("%H:%M")


def due_refs(plan: Plan, milestones: Iterable[Milestone] = DEADLINED) -> list[DueRef]:
    return [_ref(plan, m, DUE, plan.deadline(m)) for m in milestones if m in plan.windows]


def deferred_ref(plan: Plan, milestone: Milestone, due: datetime) -> DueRef:
    """A milestone's deadline entry due at `due` rather than at its deadline (already past when
    the clock started late): the sweep judges it then, and the chain goes on from it."""
    return _ref(plan, milestone, DUE, due)


def escalation_ref(plan: Plan, milestone: Milestone) -> DueRef:
    return _ref(plan, milestone, ESCALATE, plan.critical_at(milestone))


def _ref(plan: Plan, milestone: Milestone, kind: str, at: datetime) -> DueRef:
    return DueRef(
        kind=kind,
        due_at=iso(at),
        order_ref=plan.order_ref,
        milestone=milestone,
        clock_started_at=plan.clock_started_at,
        window_minutes=plan.windows[milestone],
        factor=plan.factor,
        warning_pct=plan.warning_pct,
        critical_pct=plan.critical_pct,
        policy_id=plan.policy_id,
        windows=_windows_text(plan),
    )


# ---------------------------------------------------------------- the chain of deadlines
def chain(plan: Plan) -> list[Milestone]:
    """The plan's deadlined milestones in the order their deadlines fall (ties: milestone order)."""
    return sorted(plan.windows, key=lambda m: (plan.windows[m], rank(m)))


def following(ref: DueRef) -> list[DueRef]:
    """The deadlines after a chained entry's own, in the order they fall (none for the others)."""
    if not ref.chained:
        return []
    plan = ref.plan()
    order = chain(plan)
    return due_refs(plan, order[order.index(ref.milestone) + 1 :])


@dataclass(frozen=True)
class NextStep:
    """What follows a point of an order's chain of deadlines: the milestones to judge at once
    (reached already, or not reached and past their deadline), and the one deadline to register
    (the first still ahead and not reached; None when none is left)."""

    judge_now: list[Milestone]
    register: DueRef | None


def next_step(
    plan: Plan, milestones: Mapping[str, str], now: datetime, after: Milestone | None = None
) -> NextStep:
    """Walk the chain after `after` (from its start when None). Only the next deadline is
    registered: the sweep, judging it, registers the one after (ADR 0031)."""
    order = chain(plan)
    if after is not None:
        order = order[order.index(after) + 1 :] if after in order else []
    now_due: list[Milestone] = []
    for milestone in order:
        if reached_at(milestones, milestone) is None and plan.deadline(milestone) > now:
            return NextStep(now_due, due_refs(plan, [milestone])[0])
        now_due.append(milestone)
    return NextStep(now_due, None)


def minutes_between(since: datetime, until: datetime) -> list[tuple[str, str, str]]:
    """The (day, first "HH:MM", last "HH:MM") ranges of the minutes from `since` to `until`
    inclusive, one per UTC day (the index has a partition per tenant and day)."""
    ranges = []
    day = since.date()
    while day <= until.date():
        first = since.strftime("%H:%M") if day == since.date() else "00:00"
        last = until.strftime("%H:%M") if day == until.date() else "23:59"
        ranges.append((day.isoformat(), first, last))
        day += timedelta(days=1)
    return ranges


def plan_doc(plan: Plan) -> dict[str, Any]:
    """A plan as stored on a tracked order."""
    return {
        "policy_id": plan.policy_id,
        "factor": plan.factor,
        "clock_started_at": plan.clock_started_at,
        "windows": {m.value: w for m, w in plan.windows.items()},
        "warning_pct": plan.warning_pct,
        "critical_pct": plan.critical_pct,
        "facts": {k: _stored(v) for k, v in plan.facts.items()},
    }


def _stored(value: Any) -> Any:
    """A fact as JSON keeps it: sets as sorted lists, an amount as its decimal text."""
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value)
    return str(value) if isinstance(value, Decimal) else value


def plan_from_doc(order_ref: str, doc: Mapping[str, Any]) -> Plan:
    return Plan(
        order_ref=order_ref,
        policy_id=str(doc["policy_id"]),
        factor=float(doc["factor"]),
        clock_started_at=str(doc["clock_started_at"]),
        windows={Milestone(m): int(w) for m, w in (doc.get("windows") or {}).items()},
        warning_pct=float(doc["warning_pct"]),
        critical_pct=float(doc["critical_pct"]),
        facts=dict(doc.get("facts") or {}),
    )
