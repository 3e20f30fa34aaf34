"""One stock item's change as the inventory table's stream tells it (ADR 0039): the quantities
before and after one write. Consumers (low-stock alerts, the channel stock sync) decide from these
alone what crossed a level or what a sales channel must be told. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StockLevel:
    """The quantities of a stock item at one moment (one stream image)."""

    on_hand: int
    reserved: int
    available: int
    reorder_level: int
    version: int = 0  # the item's own version (every write moves it; 0: not in the image)


@dataclass(frozen=True)
class StockChange:
    """A stock item (one SKU at one node) before and after one write; `before` is None for a new
    item and `after` None for a deleted one. `sequence` is the stream record's (ordering, dedup)."""

    sequence: str
    tenant_id: str
    item_id: str
    node_id: str
    sku: str
    product_name: str | None
    before: StockLevel | None
    after: StockLevel | None
    approximate_at: float | None = None

    @property
    def available_changed(self) -> bool:
        """Whether what can be sold changed (the figure a channel shows)."""
        return (self.before.available if self.before else None) != (
            self.after.available if self.after else None
        )
