"""Compaction of the order search index (ADR 0028): the hourly maintenance job
`compact_search_index` merges each tenant's segments into blocks, so that loading an index reads
a few large items rather than one small item per stream batch.

Per tenant (one run at a time, under a job lease): read the last block and its `cutoff`; read the
segments stamped from that cutoff to `now - SETTLE_MS` (no segment stamped before that can still
appear: a segment becomes readable at most about 40 s after its stamp); collapse their entries
(one placed entry and one latest status per order) and rewrite the last block with them while it
is under BLOCK_BYTES, or start new blocks. Only the last block written carries the new cutoff, so
a run that stops half-way leaves the index readable as before, and the next run redoes it.

Segments are not deleted: they expire (TTL, free) a week after they were written, well after
every reader has stopped needing them."""

from __future__ import annotations

import logging
import uuid
from collections import Counter

from oms.data.search_index import MAX_ITEM_BYTES, pack_entries, packed_chunks, stamp_of
from oms.domain.clock import epoch
from oms.domain.search_orders import collapse
from oms.services.context import repos
from oms.services.search_index import repository

log = logging.getLogger(__name__)

SETTLE_MS = 120_000
BLOCK_BYTES = 200_000  # a block is closed once it takes this much (compressed)
LEASE_SECONDS = 600
JOB = "compact_search_index"


def compact(tenant_ids: list[str] | None = None) -> dict[str, int]:
    counts: Counter[str] = Counter(tenants=0, segments=0, blocks_written=0, busy=0)
    now_ms = int(epoch() * 1000)
    for tenant_id in tenant_ids if tenant_ids is not None else repos.directory.tenant_ids():
        owner = str(uuid.uuid4())
        if not repos.leases.acquire(tenant_id, JOB, owner, LEASE_SECONDS):
            counts["busy"] += 1
            continue
        try:
            segments, blocks = compact_tenant(tenant_id, now_ms)
        finally:
            repos.leases.release(tenant_id, JOB, owner)
        counts["tenants"] += 1
        counts["segments"] += segments
        counts["blocks_written"] += blocks
    return dict(counts)


def compact_tenant(tenant_id: str, now_ms: int) -> tuple[int, int]:
    """Merge one tenant's settled segments into blocks: (segments merged, blocks written)."""
    last = repository.last_block(tenant_id)
    since = last.cutoff if last else 0
    cutoff = now_ms - SETTLE_MS
    if cutoff <= since:
        return 0, 0
    segments = repository.segments_between(tenant_id, since, cutoff)
    if not segments:
        return 0, 0
    fresh = [entry for segment in segments for entry in segment.entries()]
    if last is not None and len(last.packed) < BLOCK_BYTES:
        merged = collapse([*last.entries(), *fresh])
        packed = pack_entries(merged)
        if len(packed) <= MAX_ITEM_BYTES:
            repository.save_block(tenant_id, stamp_of(last.sk), packed, len(merged), cutoff)
            return len(segments), 1
    chunks = list(packed_chunks(collapse(fresh), BLOCK_BYTES))
    for i, (entries, packed) in enumerate(chunks):
        final = i == len(chunks) - 1
        repository.save_block(tenant_id, since + i, packed, len(entries), cutoff if final else since)
    log.info("search index of %s: %d segments into %d new blocks", tenant_id, len(segments), len(chunks))
    return len(segments), len(chunks)
