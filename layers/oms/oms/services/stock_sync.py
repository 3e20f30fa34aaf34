"""Available stock pushed to Shopify locations (ADR 0040).

The inventory stream's consumer marks each (connector, location, SKU) whose figure changed with a
conditional marker; only the change that created the marker queues a push (delayed a few
seconds, so a burst lands in one window). The push deletes the marker first, then reads the
current quantity and sets it: a change after that read finds no marker and queues another push.
After a push the quantities are read again; one that moved meanwhile is marked again, so the
last value always goes out, whatever order concurrent pushes finish in. A nightly reconciliation
compares every mapped figure with Shopify's and sets the differences."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from oms.adapters import queues, shopify, shopify_outbound
from oms.config import settings
from oms.data.stock_stream import stock_changes
from oms.data.stock_sync import StockSyncRepository
from oms.domain.clock import epoch, now_iso
from oms.domain.errors import Conflict, DomainError, TransientStoreError, ValidationFailed
from oms.domain.inventory import item_id_for
from oms.domain.models import Principal
from oms.domain.stock_sync import (
    DEFAULT_BUCKET_SIZE,
    DEFAULT_RESTORE_RATE,
    MARKER_TTL_SECONDS,
    MAX_WAIT_SECONDS,
    PUSH_DELAY_SECONDS,
    QUERY_COST,
    SET_QUANTITIES_COST,
    UNKNOWN_SKU_TTL_SECONDS,
    Bucket,
    SyncTarget,
    differences,
    nodes_of_location,
    quantity_batches,
    syncing,
    targets_for,
)
from oms.services import tasklog
from oms.services.connectors import (
    credentials,
    note,
    record_failure,
    record_success,
    require_connector,
)
from oms.services.context import repos

log = logging.getLogger(__name__)
store = StockSyncRepository()
sleep: Callable[[float], None] = time.sleep  # tests and the bench replace it
LOGGED_CHANGES = 100  # a reconciliation's log entry lists this many changes at most


class BudgetSpent(TransientStoreError):
    """The connector's GraphQL budget needs longer than a run may wait: retried later."""


def _queue_url() -> str:
    url = settings().stock_sync_queue_url
    if not url:
        raise TransientStoreError("the stock sync queue is not configured")
    return url


# ------------------------------------------------------------------ the stream
def on_stream(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Mark and queue what a batch of inventory stream records changed; the sequence number of
    the first change that failed (the batch resumes there), or None."""
    syncing_of: dict[str, list[dict[str, Any]]] = {}
    for change in stock_changes(records):
        try:
            if change.tenant_id not in syncing_of:
                syncing_of[change.tenant_id] = [
                    c for c in repos.connectors.all(change.tenant_id) if syncing(c)
                ]
            for target in targets_for(change, syncing_of[change.tenant_id]):
                mark(change.tenant_id, target)
        except DomainError as exc:
            log.warning("stock change %s not marked yet: %s", change.sequence, exc)
            return change.sequence
    return None


def mark(tenant_id: str, target: SyncTarget) -> bool:
    """Put the target's marker; the call that made it queues the push (True)."""
    if not store.mark(tenant_id, target.connector_id, target.marker_key, MARKER_TTL_SECONDS):
        return False
    body = {
        "kind": "push",
        "tenant_id": tenant_id,
        "connector_id": target.connector_id,
        "location_id": target.location_id,
        "sku": target.sku,
    }
    try:
        queues.send(_queue_url(), body, delay_seconds=PUSH_DELAY_SECONDS)
    except TransientStoreError:
        store.unmark(tenant_id, target.connector_id, target.marker_key)  # the next try marks again
        raise
    return True


# ------------------------------------------------------------------ pushes
def push(tenant_id: str, connector_id: str, targets: Iterable[SyncTarget]) -> str:
    """Set the current available quantity of every target (one connector) in Shopify. Raises
    TransientStoreError to be retried by the queue."""
    wanted = sorted(set(targets), key=lambda t: (t.location_id, t.sku))
    for target in wanted:  # first: a change from now on queues a push of its own
        store.unmark(tenant_id, connector_id, target.marker_key)
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None or not syncing(found[0]):
        return "not_syncing"
    connector = found[0]
    with tasklog.task("connector.stock_push", tenant_id, connector_id) as run:
        session = _Session(tenant_id, connector)
        try:
            counts = session.push(wanted)
        except (shopify.ShopifyRejected, TransientStoreError) as exc:
            run.outcome = _failed(tenant_id, connector_id, exc, "push", len(wanted))
            if isinstance(exc, TransientStoreError):
                raise
            return "rejected"
        run.details = counts
        return "pushed"


def _failed(tenant_id: str, connector_id: str, exc: Exception, phase: str, size: int) -> str:
    retryable = isinstance(exc, TransientStoreError)
    throttled = isinstance(exc, (shopify.ShopifyThrottled, BudgetSpent))
    note(
        tenant_id,
        connector_id,
        "push_throttled" if throttled else "push_failed",
        phase=phase,
        quantities=size,
        error=str(exc)[:500],
        will_retry=retryable,
    )
    if not throttled:  # a throttle is Shopify pacing us, not the connector failing
        record_failure(tenant_id, connector_id, str(exc))
    return "retry" if retryable else "failure"


class _Session:
    """One run against one connector: its credentials, its SKU cache and its cost budget."""

    def __init__(self, tenant_id: str, connector: dict[str, Any]) -> None:
        self.tenant_id, self.connector = tenant_id, connector
        self.connector_id = str(connector["id"])
        self.config = credentials(connector)
        self.location_map: dict[str, str] = dict(connector["config"].get("location_map") or {})
        state = store.state(tenant_id, self.connector_id)
        saved = state.get("bucket") or {}
        size = int(saved.get("size", DEFAULT_BUCKET_SIZE))
        self.bucket = Bucket(
            float(saved.get("tokens", size)),
            float(saved.get("at", epoch())),
            size,
            float(saved.get("rate", DEFAULT_RESTORE_RATE)),
        )
        self.calls = 0

    # -------------------------------------------------------- Shopify, within budget
    def _call(self, estimate: float, call: Callable[[dict[str, Any]], Any]) -> Any:
        wait = self.bucket.wait_for(estimate, epoch())
        if wait > MAX_WAIT_SECONDS:
            self._save_bucket()
            raise BudgetSpent(f"Shopify's rate budget needs {wait:.0f} s to refill")
        if wait > 0:
            sleep(wait)
        cost: dict[str, Any] = {}
        self.bucket = self.bucket.spend(estimate, epoch())
        try:
            result = call(cost)
        finally:
            self.bucket = self.bucket.observed(cost.get("throttleStatus"), epoch())
            self.calls += 1
        return result

    def _save_bucket(self) -> None:
        b = self.bucket
        store.update_state(
            self.tenant_id,
            self.connector_id,
            {"bucket": {"tokens": b.tokens, "at": b.at, "size": b.size, "rate": b.rate}},
        )

    def inventory_item(self, sku: str, known: Mapping[str, str] | None = None) -> str | None:
        if known and sku in known:
            return known[sku]
        cached = store.item_of(self.tenant_id, self.connector_id, sku)
        if cached is not None:
            return None if cached.get("unknown") else str(cached["inventory_item_id"])
        item = self._call(QUERY_COST, lambda cost: shopify_outbound.inventory_item_of(self.config, sku, cost))
        if item:
            store.remember_item(self.tenant_id, self.connector_id, sku, item)
        elif store.remember_unknown(self.tenant_id, self.connector_id, sku, UNKNOWN_SKU_TTL_SECONDS):
            note(self.tenant_id, self.connector_id, "stock_sku_unknown", sku=sku)
        return item

    def set_quantities(self, quantities: Sequence[dict[str, Any]]) -> int:
        """Set them in calls of at most 250; the number of calls."""
        calls = 0
        for batch in quantity_batches(quantities):
            self._call(SET_QUANTITIES_COST, partial(shopify_outbound.set_available, self.config, batch))
            calls += 1
        return calls

    # -------------------------------------------------------- Cirrus's figures
    def available(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(location, sku) -> the available quantity summed over the nodes mapped to it."""
        wanted = list(dict.fromkeys(pairs))
        ids: dict[str, tuple[str, str]] = {}
        for location, sku in wanted:
            for node in nodes_of_location(self.location_map, location):
                ids[item_id_for(self.tenant_id, node, sku)] = (location, sku)
        totals = dict.fromkeys(wanted, 0)
        for item in repos.stock.batch_get(self.tenant_id, ids, consistent=True):
            totals[ids[item.id]] += max(0, item.available)
        return totals

    # -------------------------------------------------------- a push run
    def push(self, targets: Sequence[SyncTarget]) -> dict[str, int]:
        mapped = set(self.location_map.values())  # a location unmapped since is left alone
        pairs = [(t.location_id, t.sku) for t in targets if t.location_id in mapped]
        current = self.available(pairs)
        quantities, skipped = [], 0
        for (location, sku), quantity in current.items():
            item = self.inventory_item(sku)
            if item is None:
                skipped += 1
                continue
            quantities.append({"inventoryItemId": item, "locationId": location, "quantity": quantity})
        calls = self.set_quantities(quantities) if quantities else 0
        self._save_bucket()
        record_success(self.tenant_id, self.connector)
        # what moved while we pushed is marked again: its own push sends the newer figure
        again = [
            SyncTarget(self.connector_id, location, sku)
            for (location, sku), quantity in self.available(pairs).items()
            if quantity != current[(location, sku)]
        ]
        for target in again:
            mark(self.tenant_id, target)
        counts = {
            "quantities": len(quantities),
            "calls": calls,
            "unknown_skus": skipped,
            "marked_again": len(again),
        }
        if quantities:
            store.update_state(self.tenant_id, self.connector_id, {"last_push_at": now_iso()})
            note(self.tenant_id, self.connector_id, "stock_pushed", **counts)
        return counts

    # -------------------------------------------------------- reconciliation
    def reconcile(self) -> dict[str, Any]:
        cirrus: dict[tuple[str, str], int] = defaultdict(int)
        for node, location in self.location_map.items():
            cursor: str | None = None
            while True:
                ids, cursor = repos.stock.list_ids(self.tenant_id, node, 100, cursor)
                for item in repos.stock.batch_get(self.tenant_id, ids, consistent=True):
                    cirrus[(location, item.sku)] += max(0, item.available)
                if not cursor:
                    break
        shopify_levels: dict[tuple[str, str], int | None] = {}
        items: dict[str, str] = {}
        for location in sorted(set(self.location_map.values())):
            after: str | None = None
            while True:
                read = partial(shopify_outbound.location_levels, self.config, location, after)
                rows, after = self._call(QUERY_COST * 10, read)
                for sku, item_gid, available in rows:
                    shopify_levels[(location, sku)] = available
                    items[sku] = item_gid
                if not after:
                    break
        changes = differences(cirrus, shopify_levels)
        quantities = []
        for change in changes:
            item_gid = self.inventory_item(change["sku"], items)
            if item_gid is None:
                change["skipped"] = "unknown_sku"
                continue
            quantities.append(
                {"inventoryItemId": item_gid, "locationId": change["location"], "quantity": change["cirrus"]}
            )
        calls = self.set_quantities(quantities) if quantities else 0
        self._save_bucket()
        record_success(self.tenant_id, self.connector)
        corrected = [c for c in changes if "skipped" not in c]
        summary = {
            "at": now_iso(),
            "checked": len(cirrus),
            "corrected": len(corrected),
            "changes": corrected[:LOGGED_CHANGES],
        }
        store.update_state(self.tenant_id, self.connector_id, {"last_reconciliation": summary})
        note(
            self.tenant_id,
            self.connector_id,
            "stock_reconciled",
            calls=calls,
            checked=summary["checked"],
            corrected=summary["corrected"],
            changes=summary["changes"],
        )
        return {"checked": len(cirrus), "corrected": len(corrected), "calls": calls}


def reconcile(tenant_id: str, connector_id: str) -> dict[str, Any]:
    """Compare every mapped figure with Shopify's and set the differences."""
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None or not syncing(found[0]):
        return {"skipped": "not_syncing"}
    with tasklog.task("connector.stock_reconcile", tenant_id, connector_id) as run:
        try:
            result = _Session(tenant_id, found[0]).reconcile()
        except (shopify.ShopifyRejected, TransientStoreError) as exc:
            run.outcome = _failed(tenant_id, connector_id, exc, "reconcile", 0)
            if isinstance(exc, TransientStoreError):
                raise
            return {"rejected": str(exc)[:200]}
        run.details = result
        return result


def work(messages: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """A StockSyncQueue batch, (message id, parsed message): reconciliations one by one, pushes
    of one connector together (one set of calls). The ids to retry: a group that failed is
    retried whole (its markers are gone; its figures are read again)."""
    groups: dict[tuple[str, str], list[tuple[str, SyncTarget]]] = defaultdict(list)
    failed: list[str] = []
    for message_id, m in messages:
        if m["kind"] == "reconcile":
            try:
                reconcile(m["tenant_id"], m["connector_id"])
            except Exception:
                log.exception("reconciliation failed; retried by the queue")
                failed.append(message_id)
            continue
        target = SyncTarget(m["connector_id"], m["location_id"], m["sku"])
        groups[(m["tenant_id"], m["connector_id"])].append((message_id, target))
    for (tenant_id, connector_id), items in groups.items():
        try:
            push(tenant_id, connector_id, [t for _, t in items])
        except Exception:
            log.exception("stock push failed; retried by the queue")
            failed.extend(message_id for message_id, _ in items)
    return failed


def reconcile_all() -> dict[str, int]:
    """The nightly schedule: one reconciliation message per syncing connector of every tenant."""
    bodies = [
        {"kind": "reconcile", "tenant_id": tenant_id, "connector_id": doc["id"]}
        for tenant_id in repos.directory.tenant_ids()
        for doc in repos.connectors.all(tenant_id)
        if syncing(doc)
    ]
    if bodies:
        queues.send_batch(_queue_url(), bodies)
    return {"connectors": len(bodies)}


# ------------------------------------------------------------------ the API
def _require_shopify(principal: Principal, connector_id: str) -> dict[str, Any]:
    doc, _ = require_connector(principal.tenant_id, connector_id)
    if doc["type"] != "SHOPIFY":
        raise ValidationFailed(
            "stock sync is for Shopify connectors",
            details=[
                {"loc": ["path", "connector_id"], "msg": "not a Shopify connector", "type": "not_shopify"}
            ],
            code="not_shopify",
        )
    return doc


def status(principal: Principal, connector_id: str) -> dict[str, Any]:
    doc = _require_shopify(principal, connector_id)
    config = doc.get("config") or {}
    state = store.state(principal.tenant_id, connector_id)
    return {
        "enabled": syncing(doc),
        "locations": [
            {"node_id": node, "location_id": location}
            for node, location in sorted((config.get("location_map") or {}).items())
        ],
        "pending": store.pending(principal.tenant_id, connector_id),
        "last_push_at": state.get("last_push_at"),
        "last_reconciliation": state.get("last_reconciliation"),
    }


def request_reconcile(principal: Principal, connector_id: str) -> dict[str, Any]:
    doc = _require_shopify(principal, connector_id)
    if not syncing(doc):
        raise Conflict(
            "stock sync is off for this connector (it needs sync_inventory, a location map and ACTIVE)",
            code="sync_disabled",
        )
    body = {"kind": "reconcile", "tenant_id": principal.tenant_id, "connector_id": connector_id}
    queues.send(_queue_url(), body)
    return {"queued": True, "connector_id": connector_id}
