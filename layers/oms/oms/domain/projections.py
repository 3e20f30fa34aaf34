"""Read models kept from the orders stream (ADR 0028): what one change of an order says.

The orders table writes an order as two items: its immutable body (number, customer, lines,
money, channel, created_at) once, before anything else, and its header (status, version,
allocations, shipments) on every change. The stream delivers both, in order per order; a read
model (the search index, the analytics counters) is a function of these changes only, never of a
request handler's say-so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class OrderChange:
    """One stream record of an order item, decoded.

    `item` is which item changed: "body" (written once, when the order is placed) or "header"
    (every change). `old`/`new` are the item's documents before and after (None when it did not
    exist before / was removed). `created_at` is the order's creation time, which every header
    carries in its index key, so a header change can be counted in the day its order was placed.
    `sequence` is the stream record's sequence number (a retried batch repeats it);
    `approximate_at` the record's ApproximateCreationDateTime (epoch seconds), when known."""

    sequence: str
    tenant_id: str
    order_id: str
    item: Literal["body", "header"]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    created_at: str | None
    approximate_at: float | None = None

    @property
    def placed(self) -> bool:
        """The order's body appeared: a new order, counted and indexed once."""
        return self.item == "body" and self.old is None and self.new is not None

    @property
    def status_before(self) -> str | None:
        return None if self.item != "header" or not self.old else self.old.get("status")

    @property
    def status_after(self) -> str | None:
        return None if self.item != "header" or not self.new else self.new.get("status")

    @property
    def status_changed(self) -> bool:
        return self.item == "header" and self.status_before != self.status_after
