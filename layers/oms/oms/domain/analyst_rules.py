"""The rule analyst: a deterministic first analysis of every exception, written when it is created
(the Claude analyst may replace it later; below its confidence threshold, or without a key, this
one stands). It reads only the exception document: its milestone, kind, lateness and facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oms.domain.exceptions import Analysis, ExceptionKind, Label, Milestone

ANALYST = "rules"

_STOCK_STATUSES = frozenset({"BACKORDERED"})
_FAILED_STATUSES = frozenset({"FAILED"})
_ADDRESS_WORDS = ("address", "undeliverable", "unknown recipient", "postcode", "zip", "no such street")

_PLAIN_MILESTONE = {
    Milestone.PICK_COMPLETED: "being prepared",
    Milestone.PACK_COMPLETED: "being packed",
    Milestone.SHIPPED: "handed to the carrier",
    Milestone.DELIVERED: "delivered",
}


def _text(facts: Mapping[str, Any], *names: str) -> str:
    return " ".join(str(facts.get(n) or "") for n in names).lower()


def _label(milestone: Milestone, facts: Mapping[str, Any]) -> tuple[Label, float, str]:
    """The label, the confidence and the evidence that chose it."""
    status = str(facts.get("order_status") or "").upper()
    failure = _text(facts, "failure_reason", "delivery_failed_reason", "reason")
    if status in _STOCK_STATUSES or facts.get("backordered"):
        return Label.STOCK_OUT, 0.85, f"the order is {status or 'backordered'}: stock is missing"
    if facts.get("delivery_failed") and any(w in failure for w in _ADDRESS_WORDS):
        return Label.ADDRESS_ISSUE, 0.8, f"the carrier reported a failed delivery ({failure.strip()})"
    if status in _FAILED_STATUSES:
        return Label.SYSTEM_ERROR, 0.6, "the order failed in processing"
    if milestone is Milestone.PICK_COMPLETED:
        return Label.PICK_DELAY, 0.7, "picking did not finish within its window"
    if milestone is Milestone.PACK_COMPLETED:
        return Label.PACK_DELAY, 0.7, "packing did not finish within its window"
    if milestone in (Milestone.SHIPPED, Milestone.DELIVERED):
        if facts.get("delivery_failed"):
            return Label.CARRIER_ISSUE, 0.75, "the carrier reported a failed delivery attempt"
        if milestone is Milestone.SHIPPED and not facts.get("pack_completed_at") and not facts.get("packed"):
            return Label.PACK_DELAY, 0.55, "the order was never reported packed, so it could not ship"
        return Label.CARRIER_ISSUE, 0.65, f"the {milestone.value} milestone is overdue at the carrier stage"
    return Label.OTHER, 0.4, "no specific cause recognised"


_NEXT_ACTION = {
    Label.STOCK_OUT: "re-source from another node or order stock; tell the customer the new date",
    Label.ADDRESS_ISSUE: "confirm the address with the customer and re-book the delivery",
    Label.SYSTEM_ERROR: "check the order's trail and the failed step, then retry or re-source it",
    Label.PICK_DELAY: "check the node's pick queue and staffing; prioritise this order",
    Label.PACK_DELAY: "check the packing station's backlog; prioritise this order",
    Label.CARRIER_ISSUE: "open a trace with the carrier for the tracking number",
    Label.OTHER: "look at the order's timeline and decide",
}

_CLIENT_NOTE = {
    Label.STOCK_OUT: "One or more items in your order are temporarily out of stock. "
    "We are arranging stock and will update you on the new date.",
    Label.ADDRESS_ISSUE: "The delivery could not be completed at the address we have. "
    "We will contact you to confirm it.",
    Label.SYSTEM_ERROR: "Your order is delayed by a processing problem on our side. We are fixing it.",
    Label.PICK_DELAY: "Your order is taking longer than usual to prepare. We are prioritising it.",
    Label.PACK_DELAY: "Your order is taking longer than usual to pack. We are prioritising it.",
    Label.CARRIER_ISSUE: "Your parcel is delayed in transit. We are following up with the delivery company.",
    Label.OTHER: "Your order is delayed. We are looking into it and will update you.",
}


def analyse(exception: Mapping[str, Any], now_iso: str) -> Analysis:
    """A rule analysis of an exception document (CONTRACT.md "Exceptions")."""
    milestone = Milestone(exception["milestone"])
    facts: Mapping[str, Any] = exception.get("facts") or {}
    label, confidence, evidence = _label(milestone, facts)
    late = int(exception.get("late_minutes") or 0)
    kind = ExceptionKind(exception.get("kind", ExceptionKind.ABSENCE))
    where = facts.get("node") or facts.get("carrier")
    happened = (
        f"{milestone.value} arrived {late} min after its deadline"
        if kind is ExceptionKind.LATE
        else f"no {milestone.value} by its deadline {exception.get('deadline')}"
    )
    ops_note = f"Cause: {evidence}{f' ({where})' if where else ''}; {happened}. Next: {_NEXT_ACTION[label]}."
    plain = _PLAIN_MILESTONE.get(milestone, "processed")
    client_note = _CLIENT_NOTE[label]
    if kind is ExceptionKind.LATE and label in (Label.PICK_DELAY, Label.PACK_DELAY, Label.CARRIER_ISSUE):
        client_note = (
            f"Your order was {plain} later than planned. It is on its way now; thank you for your patience."
        )
    reasoning = (
        f"milestone={milestone.value}, kind={kind.value}, severity={exception.get('severity')}, "
        f"late_minutes={late}, order_status={facts.get('order_status')}: {evidence} -> {label.value}"
    )
    return Analysis(
        label=label,
        confidence=confidence,
        ops_note=ops_note[:2000],
        client_note=client_note,
        reasoning=reasoning[:4000],
        analyst=ANALYST,
        analysed_at=now_iso,
    )
