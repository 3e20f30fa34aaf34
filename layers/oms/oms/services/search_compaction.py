"""Compaction of the order search index (ADR 0028): the hourly maintenance job
`compact_search_index` merges each tenant's segments into blocks, so that loading an index reads
a few large items rather than one small item per stream batch.

Per tenant (one run at a time, under a job lease): read the marker's cutoff and the last block;
read the segments stamped from that cutoff to `now - SETTLE_MS` (no segment stamped before that
can still appear: a segment becomes readable at most about 40 s after its stamp); collapse their
entries (one placed entry and one latest status per order) into the last block while that is
small (under 16 KB, or at most 4 times what is added, and under BLOCK_BYTES: every byte is
written a few times at most), or into new blocks; then move the marker's cutoff. A run that stops half-way
leaves the index readable as before (the cutoff did not move), and the next run redoes it.

Segments are not deleted: they expire (TTL, free) a week after they were written, long after
every reader stopped needing them.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter

from oms.data.search_index import (
    MAX_ITEM_BYTES,
    StoredBlock,
    StoredSegment,
    pack_entries,
    packed_chunks,
    stamp_of,
)
from oms.domain.clock import epoch
from oms.domain.search_orders import collapse
from oms.services.context import repos
from oms.services.search_index import repository

log = logging.getLogger(__name__)

SETTLE_MS = 120_000
BLOCK_BYTES = 200_000  # a block is closed once it takes this much (compressed)
SMALL_BLOCK_BYTES = 16_000  # a block this small is always rewritten with the new entries
REWRITE_FACTOR = 4  # else only while it takes at most this many times what is added
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
    merged = repository.merged(tenant_id, last_block_only=True)
    since, cutoff = merged.cutoff, now_ms - SETTLE_MS
    if cutoff <= since:
        return 0, 0
    segments = repository.segments_between(tenant_id, since, cutoff)
    written = _merge(tenant_id, merged.blocks[0] if merged.blocks else None, since, segments)
    repository.save_cutoff(tenant_id, cutoff)  # after the blocks: readers trust it
    return len(segments), written


def worth_rewriting(last_bytes: int, fresh_bytes: int) -> bool:
    """Rewrite the last block with the new entries (an order's later statuses collapse into its
    entry) while it is small, or small next to what is added: each byte is then written a few
    times at most, whatever the volume (a new block otherwise)."""
    return last_bytes < BLOCK_BYTES and (
        last_bytes < SMALL_BLOCK_BYTES or last_bytes <= REWRITE_FACTOR * fresh_bytes
    )


def _merge(tenant_id: str, last: StoredBlock | None, since: int, segments: list[StoredSegment]) -> int:
    if not segments:
        return 0
    fresh = collapse([entry for segment in segments for entry in segment.entries()])
    if last is not None and worth_rewriting(len(last.packed), len(pack_entries(fresh))):
        entries = collapse([*last.entries(), *fresh])  # more entries, never fewer
        packed = pack_entries(entries)
        if len(packed) <= MAX_ITEM_BYTES:
            repository.save_block(tenant_id, stamp_of(last.sk), packed, len(entries))
            return 1
    chunks = list(packed_chunks(fresh, BLOCK_BYTES))
    for i, (entries, packed) in enumerate(chunks):  # after every block there is (keys below since)
        repository.save_block(tenant_id, since + i, packed, len(entries))
    log.info("search index of %s: %d segments into %d new blocks", tenant_id, len(segments), len(chunks))
    return len(chunks)
