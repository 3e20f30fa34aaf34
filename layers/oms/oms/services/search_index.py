"""The order search index kept from the orders stream (ADR 0028).

Writing (the projection function): `apply(changes)` is a read model of services.projections. Per
stream batch and per tenant it writes ONE segment item, the batch's index entries, keyed by the
batch's first record (its time and sequence number): a retried batch writes the same key again.

Reading (the API or search function): a search process holds an `OrderIndex` per tenant in
memory (the most recently used `MAX_TENANTS`). The first search of a tenant loads it (its blocks,
then the segments after the blocks' cutoff); every search after that reads only the segments
stamped since the newest one it has, less `OVERLAP_MS` (one Query, usually empty), so an order
is searchable as soon as its segment is written. A segment may become readable up to about
40 s after its stamp (a batch stamped at most LAG_LIMIT_MS in the past, then written within the
function's 30 s timeout); looking back a minute catches it, and segments already applied are
skipped by key. Applying is idempotent in any case (domain.search_orders)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from oms.config import settings
from oms.data.busy import transient_when_busy
from oms.data.search_index import SearchIndexRepository, StoredSegment
from oms.domain.clock import epoch
from oms.domain.projections import OrderChange
from oms.domain.search_orders import OrderIndex, entries_by_tenant, segment_stamp

log = logging.getLogger(__name__)

MAX_TENANTS = 8  # tenants' indexes one process keeps (least recently searched leave first)
OVERLAP_MS = 60_000  # how far back a refresh looks for segments that became readable late
RELOAD_AFTER_SECONDS = 86_400.0  # an index not refreshed for this long is loaded again

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
    for tenant_id, entries in by_tenant.items():
        written = repository.put_segment(tenant_id, stamp, first.sequence, entries)
        log.debug("search segment for %s: %d entries, %d bytes", tenant_id, len(entries), written)


# ---------------------------------------------------------------------- the search side
@dataclass
class _Held:
    index: OrderIndex = field(default_factory=OrderIndex)
    loaded: bool = False
    watermark: int = 0  # the newest segment stamp applied (or the blocks' cutoff)
    seen: dict[str, int] = field(default_factory=dict)  # segment key -> stamp, within the overlap
    refreshed_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_held: OrderedDict[tuple[str, str], _Held] = OrderedDict()
_held_lock = threading.Lock()


def forget() -> None:
    """Drop every index this process holds (a new deployment of the tables; tests)."""
    with _held_lock:
        _held.clear()


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
        if not held.loaded or time.monotonic() - held.refreshed_at > RELOAD_AFTER_SECONDS:
            _load(held, tenant_id)
        else:
            _refresh(held, tenant_id)
        yield held.index


def _load(held: _Held, tenant_id: str) -> None:
    index = OrderIndex()
    cutoff = 0
    for block in repository.blocks(tenant_id):
        index.apply(block.entries())
        cutoff = max(cutoff, block.cutoff)
    held.index, held.watermark, held.seen = index, cutoff, {}
    _apply_segments(held, repository.segments_after(tenant_id, cutoff - OVERLAP_MS))
    held.loaded = True
    log.info("search index of %s loaded: %d orders", tenant_id, len(index))


def _refresh(held: _Held, tenant_id: str) -> None:
    _apply_segments(held, repository.segments_after(tenant_id, held.watermark - OVERLAP_MS))


def _apply_segments(held: _Held, segments: list[StoredSegment]) -> None:
    for segment in segments:
        if segment.sk in held.seen:
            continue
        held.index.apply(segment.entries())
        held.seen[segment.sk] = segment.stamp
        held.watermark = max(held.watermark, segment.stamp)
    horizon = held.watermark - OVERLAP_MS
    if len(held.seen) > 64:
        held.seen = {sk: stamp for sk, stamp in held.seen.items() if stamp >= horizon}
    held.refreshed_at = time.monotonic()
