"""Exceptions as domain events (ADR 0033): `exception.created` and `exception.resolved` go out
through the signed webhooks like the order events, and to the tenant's Slack incoming webhook.

The event id is derived from (tenant, exception, event), so a redelivered queue message yields the
same id (the delivery records are keyed on it: one delivery per endpoint, whatever the retries).
The DomainEvent's order fields carry the exception's `order_ref` (an external order has no Cirrus
order id); its `data` is the exception document as `GET /exceptions/{id}` returns it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final, Literal

from oms.domain.events import DomainEvent

ExceptionEvent = Literal["created", "resolved"]
EXCEPTION_CREATED: Final = "exception.created"
EXCEPTION_RESOLVED: Final = "exception.resolved"
EXCEPTION_EVENT_TYPES: Final = (EXCEPTION_CREATED, EXCEPTION_RESOLVED)  # in SUBSCRIBABLE_EVENT_TYPES
SLACK_TEXT_CHARS: Final = 3000
_NS = uuid.UUID("3e0f9d7a-8c1b-4f55-a2a4-7b6c1d9e0f21")


def event_id_for(tenant_id: str, exception_id: str, event: ExceptionEvent) -> str:
    return str(uuid.uuid5(_NS, f"{tenant_id}|{exception_id}|{event}"))


def domain_event(tenant_id: str, exception: Mapping[str, Any], event: ExceptionEvent) -> DomainEvent:
    resolved = event == "resolved"
    return DomainEvent(
        event_id=event_id_for(tenant_id, str(exception["exception_id"]), event),
        type=EXCEPTION_RESOLVED if resolved else EXCEPTION_CREATED,
        tenant_id=tenant_id,
        order_id=str(exception["order_ref"]),
        order_number=exception.get("order_number") or exception.get("external_order_id"),
        status=str(exception.get("status") or ""),
        sequence=2 if resolved else 1,
        occurred_at=str((exception.get("resolved_at") if resolved else None) or exception["created_at"]),
        actor=str((exception.get("resolved_by") if resolved else None) or "system:sla-radar"),
        change=EXCEPTION_RESOLVED if resolved else EXCEPTION_CREATED,
        data=dict(exception),
    )


def _escape(text: str) -> str:
    """Slack's three control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(event: DomainEvent) -> dict[str, str]:
    """The Slack incoming-webhook body of an exception event: `{"text": ...}` with the severity,
    the order, the milestone and lateness, the label and the ops note."""
    exc = event.data
    analysis = exc.get("analysis") or {}
    order = exc.get("order_number") or exc.get("external_order_id") or exc.get("order_ref")
    late = int(exc.get("late_minutes") or 0)
    how = f"late by {late} min" if late else "overdue"
    if event.type == EXCEPTION_RESOLVED:
        head = f":white_check_mark: Resolved {exc.get('severity')} SLA exception on order {order}"
    else:
        head = f":rotating_light: {exc.get('severity')} SLA exception on order {order}"
    lines = [f"*{_escape(head)}*", _escape(f"{exc.get('milestone')} {how} (deadline {exc.get('deadline')})")]
    if analysis:
        confidence = analysis.get("confidence")
        score = f", {float(confidence):.2f}" if isinstance(confidence, int | float) else ""
        lines.append(_escape(f"Label: {analysis.get('label')} ({analysis.get('analyst')}{score})"))
        if analysis.get("ops_note"):
            lines.append(_escape(f"Ops: {analysis['ops_note']}"))
    if event.type == EXCEPTION_RESOLVED and exc.get("resolution_note"):
        lines.append(_escape(f"Resolution: {exc['resolution_note']}"))
    return {"text": "\n".join(lines)[:SLACK_TEXT_CHARS]}
