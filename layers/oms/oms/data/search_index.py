"""The order search index's items in the insights table (ADR 0028): segments (one per stream
batch and tenant) and blocks (segments merged by the compaction job), under pk=T#<tenant>#SIDX.

Entries are stored as compressed JSON (zlib primed with the entries' own vocabulary): a placed
order takes about 150 bytes, a status change about 40."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from oms.data.codec import pack, unpack
from oms.data.records import SearchIndexRecord
from oms.domain.clock import epoch

SEGMENT_DAYS = 7  # a segment's life; compaction merges it into a block within the hour
MAX_ITEM_BYTES = 300_000  # DynamoDB takes 400 KB an item; a bigger segment is split
SEGMENT, BLOCK = "S#", "B#"

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


def segment_sk(stamp_ms: int, first_sequence: str, part: int = 0) -> str:
    return f"{SEGMENT}{stamp_ms:013d}#{first_sequence}" + (f"#{part}" if part else "")


def block_sk(stamp_ms: int) -> str:
    return f"{BLOCK}{stamp_ms:013d}"


def stamp_of(sk: str) -> int:
    return int(sk[2:15])


def pack_entries(entries: list[dict[str, Any]]) -> bytes:
    return pack({"e": entries}, _ZDICT)


def unpack_entries(packed: bytes) -> list[dict[str, Any]]:
    return list(unpack(packed, _ZDICT).get("e") or [])


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
    cutoff: int  # the segments stamped before it are merged (in this block or earlier ones)

    def entries(self) -> list[dict[str, Any]]:
        return unpack_entries(self.packed)


def packed_chunks(
    entries: list[dict[str, Any]], max_bytes: int = MAX_ITEM_BYTES
) -> Iterator[tuple[list[dict[str, Any]], bytes]]:
    """The entries packed, split in halves until each part takes at most `max_bytes`."""
    packed = pack_entries(entries)
    if len(packed) <= max_bytes or len(entries) == 1:
        yield entries, packed
        return
    half = len(entries) // 2
    yield from packed_chunks(entries[:half], max_bytes)
    yield from packed_chunks(entries[half:], max_bytes)


class SearchIndexRepository:
    def put_segment(
        self, tenant_id: str, stamp_ms: int, first_sequence: str, entries: list[dict[str, Any]]
    ) -> int:
        """Write one batch's entries for one tenant; the same batch again overwrites the same
        item(s). Returns the bytes written."""
        written = 0
        expires = int(epoch()) + SEGMENT_DAYS * 86400
        for part, (chunk, packed) in enumerate(packed_chunks(entries)):
            SearchIndexRecord(
                index_pk(tenant_id),
                segment_sk(stamp_ms, first_sequence, part),
                packed=packed,
                entries=len(chunk),
                expires_at_epoch=expires,
            ).save()
            written += len(packed)
        return written

    def segments_after(self, tenant_id: str, stamp_ms: int) -> list[StoredSegment]:
        """Segments stamped at or after `stamp_ms`, oldest first."""
        rows = SearchIndexRecord.query(
            index_pk(tenant_id),
            SearchIndexRecord.sk >= f"{SEGMENT}{max(stamp_ms, 0):013d}",
            attributes_to_get=["pk", "sk", "packed"],
        )
        return [StoredSegment(r.sk, r.packed or b"") for r in rows if r.sk.startswith(SEGMENT)]

    def segments_between(self, tenant_id: str, low_ms: int, high_ms: int) -> list[StoredSegment]:
        """Segments stamped in [low_ms, high_ms), oldest first (the compaction job's input)."""
        rows = SearchIndexRecord.query(
            index_pk(tenant_id),
            SearchIndexRecord.sk.between(f"{SEGMENT}{max(low_ms, 0):013d}", f"{SEGMENT}{high_ms - 1:013d}~"),
            attributes_to_get=["pk", "sk", "packed"],
        )
        return [StoredSegment(r.sk, r.packed or b"") for r in rows]

    def blocks(self, tenant_id: str) -> list[StoredBlock]:
        rows = SearchIndexRecord.query(index_pk(tenant_id), SearchIndexRecord.sk.startswith(BLOCK))
        return [_block(r) for r in rows]

    def last_block(self, tenant_id: str) -> StoredBlock | None:
        rows = SearchIndexRecord.query(
            index_pk(tenant_id),
            SearchIndexRecord.sk.startswith(BLOCK),
            scan_index_forward=False,
            limit=1,
            consistent_read=True,
        )
        for row in rows:
            return _block(row)
        return None

    def save_block(self, tenant_id: str, stamp_ms: int, packed: bytes, count: int, cutoff: int) -> None:
        """Write a block (the compaction job holds the tenant's lease: one writer)."""
        SearchIndexRecord(
            index_pk(tenant_id), block_sk(stamp_ms), packed=packed, entries=count, cutoff=cutoff
        ).save()


def _block(row: SearchIndexRecord) -> StoredBlock:
    return StoredBlock(row.sk, row.packed or b"", int(row.cutoff or 0))
