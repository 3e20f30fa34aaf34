"""Warehouse and carrier callbacks to one order: deduplication by the sender's id, the per-order
rate limit, and the refused ones (counted, the first few a day kept in detail, never written to the
order itself). ADR 0018."""

from __future__ import annotations

import logging
from typing import Any

from oms.domain import audit, clock
from oms.domain import orders as order_rules
from oms.domain.audit import CallbackLedger, CallbackWindow
from oms.domain.errors import DomainError, NotFound, RateLimited
from oms.domain.models import Order, Principal
from oms.services.context import repos

log = logging.getLogger(__name__)


def _epoch() -> float:
    return clock.epoch()


def seen(order: Order, event_id: str | None) -> bool:
    """Has a callback with this sender id been applied to the order? The header knows the recent
    ones; only an order whose digest of stored entries was cut needs its stored blocks read."""
    if order_rules.seen_event(order, event_id):
        return True
    return (
        event_id is not None
        and order_rules.ask_stored_trail(order, event_id)
        and repos.orders.trail_has_callback(order.tenant_id, order.id, event_id)
    )


def _limited(epoch: float) -> RateLimited:
    return RateLimited(
        f"this order took {audit.CALLBACKS_PER_MINUTE} callbacks this minute; send this one later",
        retry_after=audit.seconds_to_next_minute(epoch),
    )


def admit(order: Order, ledger: CallbackLedger) -> None:
    """429 once the order took CALLBACKS_PER_MINUTE callbacks (applied or refused) this minute.
    Costs nothing: both counts were read with the order."""
    epoch = _epoch()
    minute = audit.minute_of(epoch)
    if audit.applied_in(order.callbacks, minute) + ledger.refused_in(minute) >= audit.CALLBACKS_PER_MINUTE:
        raise _limited(epoch)


def count_applied(order: Order) -> CallbackWindow:
    """The order's callback window with one more applied callback, for the write that applies it
    (exact: that write is conditioned on the version this count was read from)."""
    epoch = _epoch()
    minute = audit.minute_of(epoch)
    if audit.applied_in(order.callbacks, minute) >= audit.CALLBACKS_PER_MINUTE:
        raise _limited(epoch)
    return audit.counting(order.callbacks, minute)


def refuse(
    order: Order,
    event: dict[str, Any],
    error: str,
    message: str,
    actor: str,
    ledger: CallbackLedger | None = None,
) -> CallbackLedger:
    """Count a callback the order refused; keep its details if it is among the first
    REJECTIONS_KEPT_PER_DAY of the day. The order itself is not written."""
    epoch = _epoch()
    now = clock.utcnow()
    day = clock.iso(now)[:10]
    current = ledger if ledger is not None else repos.callbacks.ledger(order.tenant_id, order.id)
    counted = repos.callbacks.count_refusal(order.tenant_id, order.id, current, day, audit.minute_of(epoch))
    if counted.day_count <= audit.REJECTIONS_KEPT_PER_DAY:
        doc = {
            "at": clock.iso(now),
            "actor": actor,
            "event": {k: v for k, v in event.items() if k != "actor"},
            "error": error,
            "message": message[:500],
            "status": order.status.value,
        }
        expires = int(epoch) + audit.REJECTIONS_KEPT_DAYS * 86400
        repos.callbacks.keep_refusal(order.tenant_id, order.id, day, counted.day_count, doc, expires)
    return counted


def refuse_quietly(
    order: Order, event: dict[str, Any], error: str, message: str, actor: str, ledger: CallbackLedger
) -> None:
    """`refuse`, for the endpoint: the sender is owed the refusal itself (409) even when counting
    it failed (storage busy), so a failure to count is logged, not answered."""
    try:
        refuse(order, event, error, message, actor, ledger)
    except DomainError as exc:
        log.warning("could not count a refused callback for order %s: %s", order.id, exc.message)


def refused(principal: Principal, order_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The refused callbacks kept in detail (newest first) and how many were refused."""
    order, ledger = repos.orders.get_with_ledger(principal.tenant_id, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found", code="order_not_found")
    items, next_cursor = repos.callbacks.refused(principal.tenant_id, order_id, limit, cursor)
    today = clock.iso(clock.utcnow())[:10]
    return {
        "items": items,
        "count": len(items),
        "next_cursor": next_cursor,
        "refused_today": ledger.day_count if ledger.day == today else 0,
        "refused_total": ledger.total,
        "kept_per_day": audit.REJECTIONS_KEPT_PER_DAY,
    }
