"""The order search index's items in the insights table (ADR 0028).

- Segments, one per stream batch and tenant, under an hour's partition
  pk=T#<tenant>#SIDX#<YYYYMMDDHH> (the UTC hour of their stamp), sk=S#<stamp ms>#<sequences>:
  a refresh reads the current hour's partition only, however many segments older hours hold;
  they expire (TTL, free) SEGMENT_DAYS after they were written.
- Blocks, segments merged by the compaction job, and the marker, under pk=T#<tenant>#SIDX:
  sk=B#<stamp ms> (one entry per order; the last block is rewritten, only ever with more
  entries, until it is full) and sk=M, whose `cutoff` says that every segment stamped before it
  is in the blocks. The compaction job writes the marker after the blocks, and readers read it
  before them (one Query, newest key first), so what a reader loads always covers its cutoff.

Entries are stored as compressed JSON (zlib primed with the entries' own vocabulary): a placed
order takes about 150 bytes, a status change about 40."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oms.data.codec import pack, unpack
from oms.data.records import SearchIndexRecord
from oms.domain.clock import epoch

SEGMENT_DAYS = 7  # a segment's life; compaction merges it into a block within the hour
LOOK_BACK_DAYS = 60  # the furthest back a read of segments goes
MAX_ITEM_BYTES = 300_000  # DynamoDB takes 400 KB an item; a bigger segment is split
HOUR_MS = 3_600_000
SEGMENT, BLOCK, MARKER = "S#", "B#", "M"

# Fixed forever: stored segments and blocks need it to be read.
_ZDICT = (
    b'{"e":[{"o":"","n":"ORD-2026","c":"","e":"@example.com","s":["SKU-"],"p":[""],'
    b'"ch":"WEB","ch":"API","ch":"MOBILE","ch":"POS","ch":"MARKETPLACE",'
    b'"f":"SHIP_TO_HOME","f":"STORE_PICKUP","f":"SHIP_FROM_STORE","f":"CURBSIDE_PICKUP",'
    b'"f":"SAME_DAY_DELIVERY","at":"2026-","a":".00","cu":"USD","t":[""],"x":""},'
    b'{"o":"","v":2,"st":"PENDING","u":"2026-"},{"o":"","v":3,"st":"SOURCING","u":"2026-"},'
    b'"st":"SOURCED","st":"BACKORDERED","st":"PICKING","st":"PACKING","st":"READY_TO_SHIP",'
    b'"st":"SHIPPED","st":"OUT_FOR_DELIVERY","st":"DELIVERED","st":"CANCELLED",'
    b'"st":"READY_FOR_PICKUP","st":"PICKED_UP","st":"PARTIALLY_SHIPPED","st":"FAILED"]}'
)


def index_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SIDX"


def segments_pk(tenant_id: str, stamp_ms: int) -> str:
    hour = datetime.fromtimestamp(max(stamp_ms, 0) / 1000, UTC).strftime("%Y%m%d%H")
    return f"T#{tenant_id}#SIDX#{hour}"


def segment_sk(stamp_ms: int, sequences: str, part: int = 0) -> str:
    return f"{SEGMENT}{stamp_ms:013d}#{sequences}" + (f"#{part}" if part else "")


def block_sk(stamp_ms: int) -> str:
    return f"{BLOCK}{stamp_ms:013d}"


def stamp_of(sk: str) -> int:
    return int(sk[2:15])


def pack_entries(entries: list[dict[str, Any]]) -> bytes:
    return pack({"e": entries}, _ZDICT)


def unpack_entries(packed: bytes) -> list[dict[str, Any]]:
    return list(unpack(packed, _ZDICT).get("e") or [])


def packed_chunks(
    entries: list[dict[str, Any]], max_bytes: int = MAX_ITEM_BYTES
) -> Iterator[tuple[list[dict[str, Any]], bytes]]:
    """The entries packed in as few parts of at most `max_bytes` as their size suggests (a part
    that still comes out too large is halved)."""
    packed = pack_entries(entries)
    if len(packed) <= max_bytes or len(entries) == 1:
        yield entries, packed
        return
    size = math.ceil(len(entries) / max(2, math.ceil(len(packed) * 1.1 / max_bytes)))
    for start in range(0, len(entries), size):
        yield from packed_chunks(entries[start : start + size], max_bytes)


@dataclass(frozen=True)
class StoredSegment:
    sk: str
    packed: bytes

    @property
    def stamp(self) -> int:
        return stamp_of(self.sk)

    def entries(self) -> list[dict[str, Any]]:
        return unpack_entries(self.packed)


@dataclass(frozen=True)
class StoredBlock:
    sk: str
    packed: bytes

    def entries(self) -> list[dict[str, Any]]:
        return unpack_entries(self.packed)


@dataclass(frozen=True)
class Merged:
    """What the compaction job has merged: the cutoff, and the blocks read with it."""

    cutoff: int
    blocks: list[StoredBlock]


class SearchIndexRepository:
    def put_segment(
        self, tenant_id: str, stamp_ms: int, sequences: str, entries: list[dict[str, Any]]
    ) -> int:
        """Write one batch's entries for one tenant under `sequences` (its first and last record's
        sequence numbers): the same batch again overwrites the same item(s). Returns the bytes
        written."""
        written = 0
        expires = int(epoch()) + SEGMENT_DAYS * 86400
        for part, (chunk, packed) in enumerate(packed_chunks(entries)):
            SearchIndexRecord(
                segments_pk(tenant_id, stamp_ms),
                segment_sk(stamp_ms, sequences, part),
                packed=packed,
                entries=len(chunk),
                expires_at_epoch=expires,
            ).save()
            written += len(packed)
        return written

    def segments_between(self, tenant_id: str, low_ms: int, high_ms: int) -> list[StoredSegment]:
        """Segments stamped in [low_ms, high_ms), oldest first: one Query per hour partition.
        Without a cutoff yet (low_ms <= 0) from SEGMENT_DAYS ago, when the oldest still live was
        written; never more than LOOK_BACK_DAYS back (a local cloud stopped for days and started
        again still finds the segments its compaction had not reached: they do not expire there)."""
        found: list[StoredSegment] = []
        now = int(epoch() * 1000)
        low_ms = max(
            low_ms if low_ms > 0 else now - SEGMENT_DAYS * 86_400_000, now - LOOK_BACK_DAYS * 86_400_000
        )
        hour = low_ms - low_ms % HOUR_MS
        while hour < high_ms:
            rows = SearchIndexRecord.query(
                segments_pk(tenant_id, hour),
                SearchIndexRecord.sk.between(segment_sk(low_ms, ""), segment_sk(high_ms - 1, "~")),
                attributes_to_get=["pk", "sk", "packed"],
            )
            found += [StoredSegment(r.sk, r.packed or b"") for r in rows]
            hour += HOUR_MS
        return found

    def merged(self, tenant_id: str, *, last_block_only: bool = False) -> Merged:
        """The marker, then the blocks (newest first; only the last with `last_block_only`),
        read in this order by one Query."""
        rows = SearchIndexRecord.query(
            index_pk(tenant_id),
            scan_index_forward=False,
            consistent_read=last_block_only,
            limit=2 if last_block_only else None,
        )
        cutoff, blocks = 0, []
        for row in rows:
            if row.sk == MARKER:
                cutoff = int(row.cutoff or 0)
            elif row.sk.startswith(BLOCK):
                blocks.append(StoredBlock(row.sk, row.packed or b""))
        return Merged(cutoff, blocks)

    def save_block(self, tenant_id: str, stamp_ms: int, packed: bytes, count: int) -> None:
        """Write a block (the compaction job holds the tenant's lease: one writer)."""
        SearchIndexRecord(index_pk(tenant_id), block_sk(stamp_ms), packed=packed, entries=count).save()

    def save_cutoff(self, tenant_id: str, cutoff: int) -> None:
        """Every segment stamped before `cutoff` is in the blocks (written after them)."""
        SearchIndexRecord(index_pk(tenant_id), MARKER, cutoff=cutoff).save()
