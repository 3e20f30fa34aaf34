"""Low-stock and out-of-stock alerts per stock item (one SKU at one node; ADR 0039). Pure.

An item's alert state follows from its level alone: OUT_OF_STOCK when nothing is available,
LOW_STOCK when 0 < available <= reorder_level (a reorder level of 0 means "no low-stock alert"),
none otherwise. A look at the item (a stream record's after image, or the hourly scan's read) is
compared with the item's stored alert, never with the record's own before image, so a record
delivered twice, or after a newer look, changes nothing: every look carries the item's version
(each write of a stock item moves it) and one older than the version already applied is ignored.

Transitions: RAISED (none -> LOW/OUT), ESCALATED (LOW -> OUT), DEESCALATED (OUT -> LOW) and
RESOLVED (LOW/OUT -> none, stock is back). One alert (one id) lives from its raise to its
resolution; a new crossing after that raises a new alert. Each transition gets the next number of
the item's transition counter, from which its event id is derived (a republished event keeps it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final, Literal

Source = Literal["stream", "scan"]
LOW_STOCK_EVENT: Final = "inventory.low_stock"
OUT_OF_STOCK_EVENT: Final = "inventory.out_of_stock"
RESTOCKED_EVENT: Final = "inventory.restocked"
STOCK_ALERT_EVENT_TYPES: Final = (LOW_STOCK_EVENT, OUT_OF_STOCK_EVENT, RESTOCKED_EVENT)
ACTOR: Final = "system:stock-alerts"
_NS = uuid.UUID("9a3f6c1e-2b7d-4e58-8f0a-6d1c3b5e7a29")


class AlertKind(StrEnum):
    LOW_STOCK = "LOW_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"


class AlertState(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class Transition(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"


def kind_for(available: int, reorder_level: int) -> AlertKind | None:
    """The alert a level calls for: OUT_OF_STOCK at or below zero, LOW_STOCK at or below a
    positive reorder level, else none."""
    if available <= 0:
        return AlertKind.OUT_OF_STOCK
    if reorder_level > 0 and available <= reorder_level:
        return AlertKind.LOW_STOCK
    return None


@dataclass(frozen=True)
class Look:
    """One look at a stock item: a stream record's after image or the scan's read. `available`
    None: the item was deleted. `created`: the record of the item's creation (no before image)."""

    tenant_id: str
    item_id: str
    node_id: str
    sku: str
    product_name: str | None
    available: int | None
    reorder_level: int
    version: int
    source: Source
    at: str
    sequence: str | None = None
    created: bool = False


@dataclass(frozen=True)
class ItemAlert:
    """The stored alert state of one stock item (one per item, kept between alerts). `kind` and
    `state` describe the current (OPEN) or last (RESOLVED) alert; `alert_id` None: never raised.
    `applied_version` is the item version of the last look applied; `transitions` counts them;
    `pending` holds the last transition's event until it is known to be sent."""

    tenant_id: str
    item_id: str
    node_id: str
    sku: str
    product_name: str | None = None
    alert_id: str | None = None
    kind: AlertKind | None = None
    state: AlertState | None = None
    available: int = 0
    reorder_level: int = 0
    raised_at: str | None = None
    resolved_at: str | None = None
    changed_at: str | None = None
    source: Source | None = None
    applied_version: int = 0
    applied_sequence: str | None = None
    transitions: int = 0
    raises: int = 0
    deleted: bool = False
    pending: bool = False
    last_transition: Transition | None = None

    @property
    def open(self) -> bool:
        return self.state == AlertState.OPEN

    @classmethod
    def empty(cls, look: Look) -> ItemAlert:
        return cls(tenant_id=look.tenant_id, item_id=look.item_id, node_id=look.node_id, sku=look.sku)


@dataclass(frozen=True)
class Decision:
    """What one look does to an item's alert: the new state to store (None: store nothing), the
    transition it makes (None: quantities refreshed only) and, on a resolution, the alert as it is
    kept in the history."""

    alert: ItemAlert | None
    transition: Transition | None = None
    resolved: ItemAlert | None = None


NOTHING: Final = Decision(alert=None)


def _later(sequence: str | None, than: str | None) -> bool:
    """Whether one stream sequence number comes after another (numbers of any length)."""
    if not sequence or not than:
        return bool(sequence)
    if sequence.isdigit() and than.isdigit():
        return int(sequence) > int(than)
    return (len(sequence), sequence) > (len(than), than)


def _stale(current: ItemAlert, look: Look) -> bool:
    """Whether a look is not newer than what was applied (a redelivery, an out-of-order record, a
    record the scan already overtook). After a delete only the item's new life counts: the scan
    finding it again, or the record of its creation after the delete's."""
    if current.deleted:
        if look.available is None:
            return True
        if look.source == "scan":
            return False
        return not (look.created and _later(look.sequence, current.applied_sequence))
    return look.version <= current.applied_version


def decide(current: ItemAlert | None, look: Look) -> Decision:
    """The effect of one look on the item's stored alert (see the module's doc)."""
    base = current or ItemAlert.empty(look)
    if current is not None and _stale(current, look):
        return NOTHING
    seen = replace(
        base,
        node_id=look.node_id,
        sku=look.sku,
        product_name=look.product_name or base.product_name,
        applied_version=look.version,
        applied_sequence=look.sequence or base.applied_sequence,
        deleted=look.available is None,
    )
    wanted = None if look.available is None else kind_for(look.available, look.reorder_level)
    available, reorder_level = look.available or 0, look.reorder_level
    if not base.open:
        if wanted is None:
            # nothing to raise; record the look only when it ends or starts an item's life
            return Decision(alert=seen) if (look.available is None or base.deleted) else NOTHING
        raised = replace(
            seen,
            available=available,
            reorder_level=reorder_level,
            alert_id=alert_id_for(look.tenant_id, look.item_id, base.raises + 1),
            kind=wanted,
            state=AlertState.OPEN,
            raised_at=look.at,
            resolved_at=None,
            changed_at=look.at,
            source=look.source,
            transitions=base.transitions + 1,
            raises=base.raises + 1,
            pending=True,
            last_transition=Transition.RAISED,
        )
        return Decision(alert=raised, transition=Transition.RAISED)
    if wanted is None:
        closed = replace(
            seen,
            available=available,
            reorder_level=reorder_level,
            state=AlertState.RESOLVED,
            resolved_at=look.at,
            changed_at=look.at,
            source=look.source,
            transitions=base.transitions + 1,
            pending=look.available is not None,  # a deleted item's alert closes without an event
            last_transition=Transition.RESOLVED,
        )
        return Decision(alert=closed, transition=Transition.RESOLVED, resolved=closed)
    if wanted != base.kind:
        step = Transition.ESCALATED if wanted == AlertKind.OUT_OF_STOCK else Transition.DEESCALATED
        moved = replace(
            seen,
            available=available,
            reorder_level=reorder_level,
            kind=wanted,
            changed_at=look.at,
            source=look.source,
            transitions=base.transitions + 1,
            pending=True,
            last_transition=step,
        )
        return Decision(alert=moved, transition=step)
    if (base.available, base.reorder_level) == (available, reorder_level):
        return NOTHING  # the same alert at the same level: nothing worth a write
    return Decision(alert=replace(seen, available=available, reorder_level=reorder_level))


def alert_id_for(tenant_id: str, item_id: str, raise_number: int) -> str:
    """The id of an item's n-th alert: the same whoever raises it (stream or scan)."""
    return str(uuid.uuid5(_NS, f"{tenant_id}|{item_id}|alert|{raise_number}"))


def event_id_for(tenant_id: str, item_id: str, transition: int) -> str:
    """The id of an item's n-th alert transition's event (a republish keeps it)."""
    return str(uuid.uuid5(_NS, f"{tenant_id}|{item_id}|event|{transition}"))


def event_type(alert: ItemAlert) -> str:
    """The event of the alert's last transition: restocked when resolved, else its kind's."""
    if alert.state == AlertState.RESOLVED:
        return RESTOCKED_EVENT
    return OUT_OF_STOCK_EVENT if alert.kind == AlertKind.OUT_OF_STOCK else LOW_STOCK_EVENT


def event_payload(alert: ItemAlert) -> dict[str, Any]:
    """The event's data (CONTRACT.md, helper A)."""
    return {
        "alert_id": alert.alert_id,
        "sku": alert.sku,
        "node_id": alert.node_id,
        "product_name": alert.product_name,
        "kind": alert.kind.value if alert.kind else None,
        "available": alert.available,
        "reorder_level": alert.reorder_level,
        "raised_at": alert.raised_at,
    }
