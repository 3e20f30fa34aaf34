"""The order search index kept from the orders stream (ADR 0028).

Writing (the projection function): `apply(changes)` is a read model of services.projections. Per
stream batch and per tenant it writes ONE segment item, the batch's index entries, keyed by the
batch's first record's time and its first and last sequence numbers: the same batch retried
writes the same key again; a retry that is a longer batch from the same record (Lambda does not
promise the same boundaries) is a new segment, which readers then read too (its entries that
they had are applied again, changing nothing).

Reading (the API or search function): a search process holds an `OrderIndex` per tenant in
memory (the most recently used `MAX_TENANTS`). The first search of a tenant loads it (the
marker's cutoff, the blocks, then the segments stamped after the cutoff); every search after
that reads only the segments stamped since its previous refresh, less `OVERLAP_MS` (one Query of
the current hour's partition, usually empty), so an order is searchable as soon as its segment
is written. A segment may become readable up to about 40 s after its stamp (a batch stamped at
most LAG_LIMIT_MS in the past, then written within the function's 30 s timeout); looking back a
minute catches it, and segments already applied are skipped by key. Applying is idempotent in
any case (domain.search_orders)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from oms.config import settings
from oms.data.busy import transient_when_busy
from oms.data.search_index import SearchIndexRepository, StoredSegment
from oms.domain.clock import epoch
from oms.domain.order_index import OrderIndex
from oms.domain.projections import OrderChange
from oms.domain.search_orders import entries_by_tenant, placed_entry, segment_stamp

log = logging.getLogger(__name__)

MAX_TENANTS = 8  # tenants' indexes one process keeps (least recently searched leave first)
OVERLAP_MS = 60_000  # how far back a refresh looks for segments that became readable late
AHEAD_MS = 120_000  # segments may be stamped this far ahead of this process's clock (skew)
RELOAD_AFTER_MS = 86_400_000  # an index not refreshed for this long is loaded again

transient_when_busy(SearchIndexRepository)
repository = SearchIndexRepository()


# ---------------------------------------------------------------------- the read model
def apply(changes: Sequence[OrderChange]) -> None:
    """Write one segment per tenant with the index entries of this batch of order changes."""
    by_tenant = entries_by_tenant(changes)
    if not by_tenant:
        return
    first = changes[0]
    first_ms = int(first.approximate_at * 1000) if first.approximate_at is not None else None
    stamp = segment_stamp(first_ms, int(epoch() * 1000))
    sequences = f"{first.sequence}-{changes[-1].sequence}"
    for tenant_id, entries in by_tenant.items():
        written = repository.put_segment(tenant_id, stamp, sequences, entries)
        log.debug("search segment for %s: %d entries, %d bytes", tenant_id, len(entries), written)


# ---------------------------------------------------------------------- the search side
@dataclass
class _Held:
    index: OrderIndex = field(default_factory=OrderIndex)
    loaded: bool = False
    watermark: int = 0  # the newest segment stamp applied (or the cutoff of the blocks loaded)
    seen: dict[str, int] = field(default_factory=dict)  # segment key -> stamp, within the overlap
    refreshed_at: int = 0  # epoch ms of the last refresh (this process's clock)
    lock: threading.Lock = field(default_factory=threading.Lock)


_held: OrderedDict[tuple[str, str], _Held] = OrderedDict()
_held_lock = threading.Lock()


def forget() -> None:
    """Drop every index this process holds (a new deployment of the tables; tests)."""
    with _held_lock:
        _held.clear()


def _now_ms() -> int:
    return int(epoch() * 1000)


@contextmanager
def current(tenant_id: str) -> Iterator[OrderIndex]:
    """The tenant's index, brought up to date, held (locked) for the duration of the block."""
    key = (settings().insights_table, tenant_id)
    with _held_lock:
        held = _held.get(key)
        if held is None:
            held = _held[key] = _Held()
            while len(_held) > MAX_TENANTS:
                _held.popitem(last=False)
        _held.move_to_end(key)
    with held.lock:
        now = _now_ms()
        if not held.loaded or not 0 <= now - held.refreshed_at <= RELOAD_AFTER_MS:
            _load(held, tenant_id, now)
        else:
            _refresh(held, tenant_id, now)
        yield held.index


def _load(held: _Held, tenant_id: str, now: int) -> None:
    merged = repository.merged(tenant_id)
    index = OrderIndex()
    for block in reversed(merged.blocks):
        index.apply(block.entries())
    held.index, held.watermark, held.seen = index, merged.cutoff, {}
    _apply_segments(held, repository.segments_between(tenant_id, merged.cutoff - OVERLAP_MS, now + AHEAD_MS))
    held.refreshed_at, held.loaded = now, True
    log.info("search index of %s loaded: %d orders", tenant_id, len(index))


def _refresh(held: _Held, tenant_id: str, now: int) -> None:
    since = max(held.watermark, held.refreshed_at) - OVERLAP_MS
    _apply_segments(held, repository.segments_between(tenant_id, since, now + AHEAD_MS))
    held.refreshed_at = now


def _apply_segments(held: _Held, segments: list[StoredSegment]) -> None:
    for segment in segments:
        if segment.sk in held.seen:
            continue
        held.index.apply(segment.entries())
        held.seen[segment.sk] = segment.stamp
        held.watermark = max(held.watermark, segment.stamp)
    if len(held.seen) > 256:
        horizon = max(held.watermark, held.refreshed_at) - 2 * OVERLAP_MS
        held.seen = {sk: stamp for sk, stamp in held.seen.items() if stamp >= horizon}


# ---------------------------------------------------------------------- rebuilding
REBUILD_PAGE = 100


def rebuild(tenant_id: str, cursor: str | None = None, budget_seconds: float = 90.0) -> dict[str, Any]:
    """Write the index entries of every order the tenant has, read from the orders table (a new
    or lost index; the stream keeps 24 hours only). Each page of orders is one segment stamped
    now, so warm readers pick it up like any other; applying being idempotent, rebuilding over a
    live index changes nothing it had. Stops after `budget_seconds` with the cursor to go on from
    (the maintenance job `rebuild_search_index` takes it back)."""
    from oms.services.context import repos

    started, written, pages = time.monotonic(), 0, 0
    while True:
        ids, cursor = repos.orders.page_ids(
            tenant_id,
            status=None,
            email=None,
            created_from=None,
            created_to=None,
            limit=REBUILD_PAGE,
            cursor=cursor,
        )
        entries = []
        for order in repos.orders.batch_get(tenant_id, ids):
            entries.append(placed_entry(order.id, order.model_dump(mode="json")))
            entries.append(
                {"o": order.id, "v": order.version, "st": order.status.value, "u": order.updated_at}
            )
        if entries:
            pages += 1
            repository.put_segment(tenant_id, _now_ms(), f"rebuild-{uuid.uuid4().hex[:12]}", entries)
            written += len(ids)
        if cursor is None or time.monotonic() - started > budget_seconds:
            return {"orders": written, "segments": pages, "cursor": cursor}
