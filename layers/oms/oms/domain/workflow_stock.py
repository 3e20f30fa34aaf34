"""Which status changes move stock, and which code path does that work (ADR 0035). Pure.

Each phase has a stock state; a transition that changes the state is accepted only where a code
path does the stock work it needs (services/orders.py terminate releases; services/fulfilment.py
reserve reserves and apply_event commits; services/maintenance.py expiry gives a SOURCED order's
stock back). A tenant's graph may add any edge that keeps the stock state (a QUALITY_CHECK between
PICKING and PACKING), never one that would skip releasing or committing stock."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from oms.domain.lifecycle import OrderStatus

S = OrderStatus


class Stock(StrEnum):
    NONE = "none"  # nothing held yet
    HOLDING = "holding"  # the sourcing machine's own: partial holds of a backorder
    RESERVED = "reserved"  # every line reserved, nothing shipped
    PARTIAL = "partly_committed"  # some lines shipped (committed), maybe some still reserved
    COMMITTED = "committed"  # everything left the building
    RELEASED = "released"  # cancelled: whatever was reserved was given back
    FAILED = "failed"  # failed: reservations released, anything shipped stays shipped
    CLOSED = "closed"  # refunded: money only, no stock work


STOCK_STATE: Mapping[OrderStatus, Stock] = {
    S.PENDING: Stock.NONE,
    S.CONFIRMED: Stock.NONE,
    S.SOURCING: Stock.HOLDING,
    S.BACKORDERED: Stock.HOLDING,
    S.SOURCED: Stock.RESERVED,
    S.PICKING: Stock.RESERVED,
    S.PACKING: Stock.RESERVED,
    S.READY_TO_SHIP: Stock.RESERVED,
    S.READY_FOR_PICKUP: Stock.RESERVED,
    S.PARTIALLY_SHIPPED: Stock.PARTIAL,
    S.PARTIALLY_DELIVERED: Stock.PARTIAL,
    S.SHIPPED: Stock.COMMITTED,
    S.OUT_FOR_DELIVERY: Stock.COMMITTED,
    S.DELIVERED: Stock.COMMITTED,
    S.PICKED_UP: Stock.COMMITTED,
    S.PARTIALLY_RETURNED: Stock.COMMITTED,  # returned units come back through receipts, not here
    S.RETURNED: Stock.COMMITTED,
    S.CANCELLED: Stock.RELEASED,
    S.FAILED: Stock.FAILED,
    S.REFUNDED: Stock.CLOSED,
}


class Work(StrEnum):
    """The stock work a change of phase needs, i.e. the code path that may make it."""

    NONE = "none"  # no stock moves: any path, a person's PATCH included
    RELEASE = "release"  # cancel/fail: terminate() releases every active reservation
    SOURCE = "source"  # the sourcing machine starts (or restarts) planning
    RESERVE = "reserve"  # fulfilment.reserve: SOURCING -> SOURCED, all lines reserved at once
    EXPIRE = "expire"  # maintenance: a SOURCED order's reservations lapsed -> BACKORDERED
    COMMIT = "commit"  # a SHIPPED / PICKED_UP callback commits reserved stock
    RETRY = "retry"  # FAILED -> CONFIRMED: sourced again from scratch


# (from state, to state) -> the work and the target phases it is done for (None: any phase of
# the target state). A pair not listed, or a target phase not named, is refused.
_RULES: Mapping[tuple[Stock, Stock], tuple[Work, frozenset[OrderStatus] | None]] = {
    (Stock.NONE, Stock.HOLDING): (Work.SOURCE, frozenset({S.SOURCING})),
    (Stock.HOLDING, Stock.RESERVED): (Work.RESERVE, frozenset({S.SOURCED})),
    (Stock.RESERVED, Stock.HOLDING): (Work.EXPIRE, frozenset({S.BACKORDERED})),
    (Stock.RESERVED, Stock.PARTIAL): (Work.COMMIT, frozenset({S.PARTIALLY_SHIPPED})),
    (Stock.RESERVED, Stock.COMMITTED): (Work.COMMIT, frozenset({S.SHIPPED, S.PICKED_UP})),
    # the rest shipped (commit), or delivered once nothing is reserved (fulfilment.decide only
    # targets DELIVERED then); a return of a partly delivered order leaves its reservations to
    # the expiry job, as the built-in lifecycle always did
    (Stock.PARTIAL, Stock.COMMITTED): (
        Work.COMMIT,
        frozenset({S.SHIPPED, S.DELIVERED, S.PARTIALLY_RETURNED, S.RETURNED}),
    ),
    # one of several shipments delivered: nothing moves back into a reservation
    (Stock.COMMITTED, Stock.PARTIAL): (Work.NONE, frozenset({S.PARTIALLY_DELIVERED})),
    (Stock.FAILED, Stock.NONE): (Work.RETRY, frozenset({S.CONFIRMED})),
    (Stock.COMMITTED, Stock.CLOSED): (Work.NONE, None),
    (Stock.RELEASED, Stock.CLOSED): (Work.NONE, None),
}
for _state in (Stock.NONE, Stock.HOLDING, Stock.RESERVED, Stock.FAILED):
    _RULES = {**_RULES, (_state, Stock.RELEASED): (Work.RELEASE, frozenset({S.CANCELLED}))}
for _state in Stock:
    if _state not in (Stock.RELEASED, Stock.CLOSED):
        _RULES = {**_RULES, (_state, Stock.FAILED): (Work.RELEASE, frozenset({S.FAILED}))}


def stock_work(source: OrderStatus, target: OrderStatus) -> Work | None:
    """The stock work a move from phase `source` to phase `target` needs, or None when no code
    path does it (such an edge would skip releasing or committing stock)."""
    if source == target:
        return Work.NONE
    before, after = STOCK_STATE[source], STOCK_STATE[target]
    if before == after:
        if before == Stock.HOLDING and target == S.BACKORDERED and source == S.SOURCING:
            return Work.SOURCE  # the reserve step backorders what it could not hold
        if before == Stock.HOLDING:
            return Work.SOURCE  # BACKORDERED -> SOURCING: the machine plans again
        return Work.NONE
    rule = _RULES.get((before, after))
    if rule is None:
        return None
    work, targets = rule
    if targets is not None and target not in targets:
        return None
    if work == Work.RESERVE and source != S.SOURCING:
        return None
    if work == Work.EXPIRE and source != S.SOURCED:
        return None
    return work


# What a person's PATCH /orders/{id}/status may do; the rest is the machine's (409).
MANUAL_WORK = frozenset({Work.NONE, Work.RELEASE, Work.RETRY})
