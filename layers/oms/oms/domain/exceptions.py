"""SLA exceptions (issue 11): the radar's vocabulary (milestones), an exception's severity, status,
label and analysis, and its deterministic identity.

There is exactly one exception per (tenant, order_ref, milestone): its id is a uuid5 of the three,
so every detector (the stream, an ingested event, the sweep) that finds the same breach addresses
the same record, and a conditional put makes the first one win."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Fixed forever: stored exception ids are derived from it.
EXCEPTION_NAMESPACE = uuid.UUID("6f0b8f8e-2f5c-4c1e-9a57-5d3c0e11a7b1")

EXTERNAL_PREFIX = "ext:"


class Milestone(StrEnum):
    ORDER_PAID = "order_paid"  # starts the clock
    PICK_STARTED = "pick_started"
    PICK_COMPLETED = "pick_completed"
    PACK_COMPLETED = "pack_completed"
    SHIP_LABEL_PRINTED = "ship_label_printed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


# The order milestones follow: a later one implies every earlier one (shipped => picked, packed).
MILESTONE_ORDER: tuple[Milestone, ...] = tuple(Milestone)

# The milestones that have a deadline, and the policy field giving their window.
DEADLINED: tuple[Milestone, ...] = (
    Milestone.PICK_COMPLETED,
    Milestone.PACK_COMPLETED,
    Milestone.SHIPPED,
    Milestone.DELIVERED,
)


def rank(milestone: Milestone | str) -> int:
    return MILESTONE_ORDER.index(Milestone(milestone))


class Severity(StrEnum):
    LOW = "LOW"  # reserved; breaches never use it
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


SEVERITY_RANK: dict[Severity, int] = {s: i for i, s in enumerate(Severity)}


class ExceptionStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class ExceptionKind(StrEnum):
    ABSENCE = "absence"  # nothing arrived before the deadline
    LATE = "late"  # the milestone arrived, after the deadline


class Label(StrEnum):
    PICK_DELAY = "PICK_DELAY"
    PACK_DELAY = "PACK_DELAY"
    CARRIER_ISSUE = "CARRIER_ISSUE"
    STOCK_OUT = "STOCK_OUT"
    ADDRESS_ISSUE = "ADDRESS_ISSUE"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    OTHER = "OTHER"


class Analysis(BaseModel):
    """What an analyst (the rules, or Claude) says about an exception."""

    model_config = ConfigDict(extra="forbid")

    label: Label
    confidence: float = Field(ge=0, le=1)
    ops_note: str = Field(min_length=1, max_length=2000)
    client_note: str = Field(min_length=1, max_length=1000)
    reasoning: str = Field(min_length=1, max_length=4000)
    analyst: Literal["rules", "claude"]
    model: str | None = None
    prompt_version: str | None = None
    analysed_at: str
    # why the rules' analysis stands when Claude's does not (ADR 0033): not_sampled, no_key,
    # low_confidence, timeout, error, invalid_answer, budget_spent, breaker_open
    fallback_reason: str | None = None


class SlaException(BaseModel):
    """The stored and returned document (CONTRACT.md "Exceptions")."""

    model_config = ConfigDict(extra="forbid")

    exception_id: str
    order_ref: str
    order_id: str | None = None
    external_order_id: str | None = None
    order_number: str | None = None
    source: str
    milestone: Milestone
    kind: ExceptionKind
    severity: Severity
    status: ExceptionStatus = ExceptionStatus.OPEN
    breach_open: bool
    policy_id: str | None = None
    factor: float = 1.0
    window_minutes: int
    clock_started_at: str
    deadline: str
    observed_at: str | None = None
    late_minutes: int = 0
    facts: dict[str, Any] = Field(default_factory=dict)
    analysis: Analysis | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution_note: str | None = None
    created_at: str
    updated_at: str
    version: int = 1


def exception_id(tenant_id: str, order_ref: str, milestone: Milestone | str) -> str:
    return str(uuid.uuid5(EXCEPTION_NAMESPACE, f"{tenant_id}|{order_ref}|{Milestone(milestone).value}"))


def external_ref(external_order_id: str) -> str:
    return f"{EXTERNAL_PREFIX}{external_order_id}"


def is_external(order_ref: str) -> bool:
    return order_ref.startswith(EXTERNAL_PREFIX)


def breach_severity(milestone: Milestone | str, elapsed_pct: float, critical_pct: float) -> Severity | None:
    """None below 100 % of the window; CRITICAL from `critical_pct`; else HIGH for the carrier's
    milestones (shipped, delivered) and MEDIUM for the warehouse's (pick, pack)."""
    if elapsed_pct < 100:
        return None
    if elapsed_pct >= critical_pct:
        return Severity.CRITICAL
    if Milestone(milestone) in (Milestone.SHIPPED, Milestone.DELIVERED):
        return Severity.HIGH
    return Severity.MEDIUM


def higher(a: Severity | str, b: Severity | str) -> Severity:
    a, b = Severity(a), Severity(b)
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b
