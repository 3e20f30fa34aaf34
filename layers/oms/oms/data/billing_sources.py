"""What Invoice Guard reads from the orders table (ADR 0032): order bodies for the ledger, and a
period's completed and returned orders for validation, from the orders' own records.

Validation finds a day's orders without the ledger: the by_status index (keys only) lists the
DONE and CLOSED orders created in the window before the day; their headers (status history) are
read 100 a request and only those that completed or came back that day are read whole."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oms.data import keys
from oms.data.codec import unpack_body, unpack_header
from oms.data.records import OrderRecord
from oms.domain import audit
from oms.domain.audit import AuditEvent, PastEntry
from oms.domain.billing import COMPLETED, RETURNED

BILLED_GROUPS = ("DONE", "CLOSED")  # DELIVERED/PICKED_UP, and RETURNED (with CANCELLED/REFUNDED)
_BATCH_GET = 100
_BILLABLE = frozenset({*COMPLETED, RETURNED})


def _doc(record: OrderRecord, unpack: Any) -> dict[str, Any]:
    return unpack(record.packed) if record.packed else dict(record.doc or {})


def order_bodies(tenant_id: str, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The bodies of up to 100 orders, by order id (one BatchGetItem, eventually consistent:
    a body is written once, before its first header)."""
    wanted = [(keys.order_pk(tenant_id, oid), keys.ORDER_BODY_SK) for oid in order_ids]
    return {
        r.pk.rsplit("#", 1)[-1]: _doc(r, unpack_body)
        for r in OrderRecord.batch_get(wanted, consistent_read=False)
    }


def _headers(tenant_id: str, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    wanted = [(keys.order_pk(tenant_id, oid), keys.ORDER_SK) for oid in order_ids]
    return {
        r.pk.rsplit("#", 1)[-1]: _doc(r, unpack_header)
        for r in OrderRecord.batch_get(wanted, consistent_read=False)
    }


def _billable_days(header: dict[str, Any]) -> set[str]:
    """The UTC days on which the header's order completed or came back."""
    events = [AuditEvent.model_validate(e) for e in header.get("events", [])]
    past = [PastEntry.model_validate(p) for p in header.get("past", [])]
    days: set[str] = set()
    seen: set[str] = set()
    for change in audit.status_history(events, past):
        if change.status in _BILLABLE:
            kind = "returned" if change.status == RETURNED else "completed"
            if kind not in seen:  # the first completion and the first return count
                seen.add(kind)
                days.add(change.at[:10])
    return days


def orders_billable_on(tenant_id: str, day: str, created_from: str) -> list[dict[str, Any]]:
    """Whole order documents (body + header) of the orders created since `created_from` that
    completed or came back on `day` (UTC)."""
    until = f"{day}T23:59:59.999Z\uffff"
    ids: list[str] = []
    for group in BILLED_GROUPS:
        for r in OrderRecord.by_status.query(
            keys.orders_gsi_status(tenant_id, group),
            range_key_condition=OrderRecord.gsi2sk.between(created_from, until),
        ):
            ids.append(r.pk.rsplit("#", 1)[-1])
    found: list[dict[str, Any]] = []
    for k in range(0, len(ids), _BATCH_GET):
        part = ids[k : k + _BATCH_GET]
        headers = {oid: h for oid, h in _headers(tenant_id, part).items() if day in _billable_days(h)}
        if not headers:
            continue
        bodies = order_bodies(tenant_id, sorted(headers))
        found += [{**bodies[oid], **h} for oid, h in headers.items() if oid in bodies]
    return found
