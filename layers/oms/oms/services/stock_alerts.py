"""Low-stock and out-of-stock alerts (ADR 0039): applied from the inventory table's stream and by
the hourly scan, listed by `GET /inventory/alerts`, and sent as `inventory.low_stock`,
`inventory.out_of_stock` and `inventory.restocked` through the signed webhooks.

Applying a look (oms.domain.stock_alerts.decide) is read, decide, conditional write; a lost race
reads again. A transition stores its event as pending with the alert; the event goes to
WebhookQueue (the dispatcher fans it out, signs and retries it, deduplicating deliveries on the
event id) and then the pending mark is cleared. A look that finds an event still pending (the
send failed, or the run died) sends it first, so every transition is sent at least once, always
under the same event id."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from oms.adapters import queues
from oms.config import settings
from oms.data.busy import transient_when_busy
from oms.data.stock_alerts import StockAlertRepository
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, DomainError, TransientStoreError, ValidationFailed
from oms.domain.events import DomainEvent
from oms.domain.models import Principal
from oms.domain.network import InventoryItem
from oms.domain.stock_alerts import (
    ACTOR,
    AlertKind,
    AlertState,
    ItemAlert,
    Look,
    Transition,
    decide,
    event_id_for,
    event_payload,
    event_type,
)
from oms.domain.stock_changes import StockChange
from oms.services.context import repos

log = logging.getLogger(__name__)
transient_when_busy(StockAlertRepository)
alerts = StockAlertRepository()
_TRIES = 5
SCAN_ITEMS_PER_RUN = 5000  # bounded work per scheduled run; the next run goes on from there
_SCAN_PAGE = 100


# ------------------------------------------------------------------ applying a look
def look_from_change(change: StockChange, at: str) -> Look:
    """A stream record's change as a look at the item: its after image (None: deleted)."""
    level = change.after or change.before
    return Look(
        tenant_id=change.tenant_id,
        item_id=change.item_id,
        node_id=change.node_id,
        sku=change.sku,
        product_name=change.product_name,
        available=change.after.available if change.after else None,
        reorder_level=level.reorder_level if level else 0,
        # a delete is one more write after the last image's version
        version=(change.after.version if change.after else level.version + 1) if level else 0,
        source="stream",
        at=at,
        sequence=change.sequence or None,
        created=change.before is None,
    )


def look_from_item(item: InventoryItem, at: str) -> Look:
    """The scan's read of an item as a look."""
    return Look(
        tenant_id=item.tenant_id,
        item_id=item.id,
        node_id=item.node_id,
        sku=item.sku,
        product_name=item.product_name,
        available=item.available,
        reorder_level=item.reorder_level,
        version=item.version,
        source="scan",
        at=at,
    )


class _Unread:
    """What a caller passes when it has not read the item's alert record."""


UNREAD = _Unread()
Stored = tuple[ItemAlert, int] | None  # the stored alert state and its version (None: no record)


@dataclass(frozen=True)
class Applied:
    transition: Transition | None
    stored: Stored | _Unread  # what is stored afterwards (UNREAD: not known, read it again)


def apply(look: Look, known: Stored | _Unread = UNREAD) -> Applied:
    """Apply one look to the item's stored alert (`known`: as the caller read it), a conditional
    write re-read on a lost race; send the transition's event. Returns the transition made, if
    any, and what is stored now (so a batch can go on without reading it again)."""
    found = known
    for attempt in range(_TRIES):
        if attempt or isinstance(found, _Unread):
            found = alerts.get(look.tenant_id, look.item_id)
        current, version = found if found else (None, None)
        if current is not None and version is not None and current.pending:
            _send(current)  # a transition whose event may not have gone out: again, same id
            if not alerts.mark_sent(current, version):
                found = UNREAD
                continue
            current, version = _sent(current), version + 1
            found = (current, version)
        decision = decide(current, look)
        if decision.alert is None:
            return Applied(None, found)
        if alerts.save(decision.alert, version, decision.resolved):
            stored: Stored | _Unread = (decision.alert, (version or 0) + 1)
            if decision.alert.pending:
                _send(decision.alert)
                sent = alerts.mark_sent(decision.alert, (version or 0) + 1)
                # lost: whoever changed it meanwhile saw the event pending and sent it
                stored = (_sent(decision.alert), (version or 0) + 2) if sent else UNREAD
            return Applied(decision.transition, stored)
        found = UNREAD
    raise Conflict(f"stock alert of item {look.item_id} keeps changing; retry", code="concurrent_update")


def _sent(alert: ItemAlert) -> ItemAlert:
    return replace(alert, pending=False)


def domain_event(alert: ItemAlert) -> DomainEvent:
    """The alert's last transition as a domain event (no order: order_id is empty)."""
    return DomainEvent(
        event_id=event_id_for(alert.tenant_id, alert.item_id, alert.transitions),
        type=event_type(alert),
        tenant_id=alert.tenant_id,
        order_id="",
        order_number=None,
        status=alert.state.value if alert.state else "",
        sequence=alert.transitions,
        occurred_at=str(alert.changed_at or alert.raised_at),
        actor=ACTOR,
        change=f"stock_alert.{alert.last_transition.value if alert.last_transition else 'raised'}",
        data=event_payload(alert),
    )


def _send(alert: ItemAlert) -> None:
    url = settings().webhook_queue_url
    if not url:
        log.warning("no webhook queue configured: stock alert event %s not sent", alert.alert_id)
        return
    queues.send(url, domain_event(alert).model_dump(mode="json"))


# ------------------------------------------------------------------ the stream consumer
def consume(records: Sequence[dict[str, Any]]) -> str | None:
    """A batch of the inventory stream: apply each stock item change in order (the batch's alert
    records read at once, then kept as written). Returns the sequence number of the first record
    that failed (Lambda retries the batch from it), or None."""
    from oms.data.stock_stream import stock_changes

    at, changes = now_iso(), stock_changes(records)
    known: dict[tuple[str, str], Stored | _Unread] = {}
    items: dict[str, set[str]] = {}
    for change in changes:
        items.setdefault(change.tenant_id, set()).add(change.item_id)
    try:
        for tenant_id, ids in items.items():
            found = alerts.get_many(tenant_id, ids)
            known.update({(tenant_id, i): found.get(i) for i in ids})
    except TransientStoreError:
        known.clear()  # each item read on its own below
    for change in changes:
        key = (change.tenant_id, change.item_id)
        try:
            known[key] = apply(look_from_change(change, at), known.get(key, UNREAD)).stored
        except Exception:  # reported to Lambda: the batch goes on from here
            log.exception("stock alert of item %s not applied; retried from here", change.item_id)
            return change.sequence
    return None


# ------------------------------------------------------------------ the scheduled scan
def scan(
    max_items: int = SCAN_ITEMS_PER_RUN,
    out_of_time: Callable[[], bool] = lambda: False,
    page_size: int = _SCAN_PAGE,
) -> dict[str, Any]:
    """Every tenant's stock items (the by_group listing, a page at a time) looked at as the stream
    would: catches reorder levels changed without a stream record acting on them, records missed,
    events left pending. At most `max_items` per run; where it stopped is kept for the next run."""
    stored = alerts.scan_position()
    position, position_version = stored if stored else ({}, None)
    tenants = sorted(repos.directory.tenant_ids())
    start_tenant, cursor = position.get("tenant_id"), position.get("cursor")
    if start_tenant in tenants:
        tenants = tenants[tenants.index(start_tenant) :]
    else:
        cursor = None
    counts = {
        "items": 0,
        "raised": 0,
        "escalated": 0,
        "deescalated": 0,
        "resolved": 0,
        "tenants": 0,
        "failed": 0,
    }
    at = now_iso()
    next_position: dict[str, Any] = {}
    for tenant_id in tenants:
        counts["tenants"] += 1
        while True:
            if counts["items"] >= max_items or out_of_time():
                next_position = {"tenant_id": tenant_id, "cursor": cursor}
                break
            try:
                ids, cursor = repos.stock.list_ids(tenant_id, None, page_size, cursor)
            except ValidationFailed:  # a kept cursor no longer good: the tenant from its start
                ids, cursor = repos.stock.list_ids(tenant_id, None, page_size, None)
            _scan_items(tenant_id, ids, at, counts)
            if not cursor:
                break
        if next_position:
            break
        cursor = None
    alerts.set_scan_position(next_position, position_version)
    return {**counts, "complete": not next_position}


def _scan_items(tenant_id: str, ids: list[str], at: str, counts: dict[str, int]) -> None:
    items = repos.stock.batch_get(tenant_id, ids, consistent=True)
    known = alerts.get_many(tenant_id, ids)
    for item in items:
        counts["items"] += 1
        look = look_from_item(item, at)
        found = known.get(item.id)
        current = found[0] if found else None
        if decide(current, look).alert is None and not (current and current.pending):
            continue  # nothing to do: no write, no read beyond the batch
        try:
            transition = apply(look, found).transition
        except DomainError:  # busy or racing: the stream or the next run will see to it
            log.warning("stock alert scan: item %s of %s skipped this run", item.id, tenant_id)
            counts["failed"] += 1
            continue
        if transition is not None:
            counts[transition.value] += 1


# ------------------------------------------------------------------ the API
def _validated(state: str | None, kind: str | None) -> tuple[AlertState | None, AlertKind | None]:
    problems = []
    if state is not None and state not in AlertState.__members__:
        problems.append({"loc": ["query", "state"], "msg": "OPEN or RESOLVED", "type": "enum"})
    if kind is not None and kind not in AlertKind.__members__:
        problems.append({"loc": ["query", "kind"], "msg": "LOW_STOCK or OUT_OF_STOCK", "type": "enum"})
    if problems:
        raise ValidationFailed("invalid alert filter", details=problems)
    return (AlertState(state) if state else None), (AlertKind(kind) if kind else None)


def _row(alert: ItemAlert, node_codes: dict[str, str]) -> dict[str, Any]:
    return {
        "id": alert.alert_id,
        "sku": alert.sku,
        "product_name": alert.product_name,
        "node_id": alert.node_id,
        "node_code": node_codes.get(alert.node_id),
        "kind": alert.kind.value if alert.kind else None,
        "state": alert.state.value if alert.state else None,
        "available": alert.available,
        "reorder_level": alert.reorder_level,
        "raised_at": alert.raised_at,
        "resolved_at": alert.resolved_at,
        "source": alert.source,
    }


_MAX_PAGES = 10  # index pages read for one answer when node/sku filters skip rows


def list_alerts(
    principal: Principal,
    state: str | None,
    kind: str | None,
    node_id: str | None,
    sku: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A tenant's alerts (OPEN first, then RESOLVED, when no state is asked for), filtered, a page
    at a time; `counts` are the tenant's OPEN alerts by kind."""
    wanted_state, wanted_kind = _validated(state, kind)
    tenant_id = principal.tenant_id
    states = [wanted_state] if wanted_state else [AlertState.OPEN, AlertState.RESOLVED]
    part, inner = _split_cursor(cursor, states)
    rows: list[ItemAlert] = []
    next_cursor: str | None = None
    pages = 0
    while part < len(states) and len(rows) < limit and pages < _MAX_PAGES:
        pages += 1
        page, inner = alerts.page(tenant_id, states[part], wanted_kind, limit - len(rows), inner)
        rows += [a for a in page if (not node_id or a.node_id == node_id) and (not sku or a.sku == sku)]
        if not inner:
            part, inner = part + 1, None
    if part < len(states):
        next_cursor = f"{states[part].value}:{inner or ''}"
    codes = {n.id: n.code for n in repos.nodes.all(tenant_id)} if rows else {}
    counts = alerts.count_open(tenant_id)
    return {
        "items": [_row(a, codes) for a in rows],
        "next_cursor": next_cursor,
        "counts": {
            "low_stock": counts[AlertKind.LOW_STOCK],
            "out_of_stock": counts[AlertKind.OUT_OF_STOCK],
        },
    }


def _split_cursor(cursor: str | None, states: list[AlertState]) -> tuple[int, str | None]:
    """Our cursor is `<state>:<the index cursor>`: which listing, and where in it."""
    if not cursor:
        return 0, None
    state, _, inner = cursor.partition(":")
    if state not in [s.value for s in states]:
        raise ValidationFailed(
            "invalid cursor",
            details=[{"loc": ["cursor"], "msg": "not from this listing", "type": "value_error"}],
        )
    return [s.value for s in states].index(state), inner or None
