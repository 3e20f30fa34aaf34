"""An order's audit trail, kept out of the growing part of the order header (ADR 0018).

Every change of an order appends one entry with the next `seq`. The header (rewritten on every
change) holds only the first entry (the creation, which an idempotent replay answers with) and the
entries of the *current block* of TRAIL_BLOCK sequence numbers. When a write starts a new block,
the previous block, complete and immutable, is stored as an item of its own first, then dropped
from the header; what the header still needs from it (status changes for `status_history`, the
senders' callback ids for deduplication) stays as a compact digest (`past`), itself bounded.
So a header never grows without bound, and a block has the same content whoever writes it and
however often (a retried or a losing writer writes the same bytes).

Callbacks are also rate-limited per order: the header counts the callbacks applied in the current
minute (`callbacks`), and the order's callback ledger counts the refused ones, whose details are
kept for at most REJECTIONS_KEPT_PER_DAY a day (the rest are only counted). Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from oms.domain.lifecycle import OrderStatus

TRAIL_BLOCK = 16  # entries per stored block; a typical order (about 10 changes) never fills one
PAST_LIMIT = 48  # digests of stored entries the header keeps (status changes, callback ids)
CALLBACKS_PER_MINUTE = 60  # callbacks one order takes per minute (applied + refused)
REJECTIONS_KEPT_PER_DAY = 20  # refused callbacks kept in detail per order and UTC day
REJECTIONS_KEPT_DAYS = 30  # how long their details are kept


class AuditEvent(BaseModel):
    """One entry of an order's append-only audit trail."""

    seq: int
    type: str
    at: str
    actor: str
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    # the tenant's status codes (ADR 0035); from_code is derived like from_status, not stored
    from_code: str | None = None
    to_code: str | None = None
    anchor: bool | None = None  # False: the entry entered a tenant's non-anchor status
    data: dict[str, Any] = Field(default_factory=dict)


class StatusChange(BaseModel):
    status: OrderStatus
    code: str | None = None  # the tenant's status code (ADR 0035); None on old entries = status
    at: str
    actor: str
    reason: str | None = None


class PastEntry(BaseModel):
    """What the header keeps of a stored entry: its status change and/or its sender's id."""

    seq: int
    status: OrderStatus | None = None
    code: str | None = None
    at: str
    actor: str
    reason: str | None = None
    event_id: str | None = None


class CallbackWindow(BaseModel):
    """Callbacks applied to the order in one minute (epoch seconds // 60)."""

    minute: int
    count: int


class TrailBlock(BaseModel):
    """TRAIL_BLOCK consecutive entries, stored once the block is complete."""

    first: int
    entries: list[AuditEvent]


class CallbackLedger(BaseModel):
    """Refused callbacks of one order: counted per UTC day and per minute, and in total."""

    version: int = 0
    day: str = ""
    day_count: int = 0
    minute: int = 0
    minute_count: int = 0
    total: int = 0

    def counting(self, day: str, minute: int) -> CallbackLedger:
        """The ledger after one more refusal at (day, minute)."""
        return CallbackLedger(
            version=self.version + 1,
            day=day,
            day_count=(self.day_count if self.day == day else 0) + 1,
            minute=minute,
            minute_count=(self.minute_count if self.minute == minute else 0) + 1,
            total=self.total + 1,
        )

    def refused_in(self, minute: int) -> int:
        return self.minute_count if self.minute == minute else 0


# ------------------------------------------------------------------ blocks
def block_start(seq: int) -> int:
    """The first sequence number of the block `seq` belongs to."""
    return (seq - 1) // TRAIL_BLOCK * TRAIL_BLOCK + 1


def last_seq(events: Sequence[AuditEvent]) -> int:
    return max((e.seq for e in events), default=0)


def _digest(entry: AuditEvent) -> PastEntry | None:
    event_id = entry.data.get("event_id")
    if entry.to_status is None and not event_id:
        return None
    reason = entry.data.get("reason")
    return PastEntry(
        seq=entry.seq,
        status=entry.to_status,
        code=entry.to_code,
        at=entry.at,
        actor=entry.actor,
        reason=str(reason) if reason is not None else None,
        event_id=str(event_id) if event_id else None,
    )


def split_trail(
    events: Sequence[AuditEvent], past: Sequence[PastEntry], past_cut: int
) -> tuple[list[AuditEvent], list[PastEntry], int, list[TrailBlock]]:
    """Move the complete blocks before the newest entry's block out of `events`.

    Returns (entries the header keeps, its new digest, how many digests were cut, the blocks to
    store *before* the header is written). The first entry always stays. An incomplete older
    block is kept in the header (never dropped without being stored)."""
    ordered = sorted(events, key=lambda e: e.seq)
    if not ordered:
        return [], list(past), past_cut, []
    current = block_start(ordered[-1].seq)
    by_block: dict[int, list[AuditEvent]] = {}
    for entry in ordered:
        if entry.seq < current:
            by_block.setdefault(block_start(entry.seq), []).append(entry)
    blocks = [
        TrailBlock(first=first, entries=entries)
        for first, entries in sorted(by_block.items())
        if [e.seq for e in entries] == list(range(first, first + TRAIL_BLOCK))
    ]
    stored = {e.seq for b in blocks for e in b.entries}
    kept = [e for e in ordered if e.seq == 1 or e.seq not in stored]
    known = {p.seq for p in past}
    digests = list(past)
    for entry in ordered:
        if entry.seq in stored and entry.seq != 1 and entry.seq not in known:
            digest = _digest(entry)
            if digest is not None:
                digests.append(digest)
    cut = max(0, len(digests) - PAST_LIMIT)
    return kept, digests[cut:], past_cut + cut, blocks


def derive_from_status(events: Sequence[AuditEvent], past: Sequence[PastEntry]) -> None:
    """Fill `from_status` and `from_code` (not stored: the previous entry's `to_status` and
    `to_code`) in place."""
    changes: list[tuple[int, OrderStatus, str | None, AuditEvent | None]] = [
        (p.seq, p.status, p.code, None) for p in past if p.status is not None
    ]
    changes += [(e.seq, e.to_status, e.to_code, e) for e in events if e.to_status is not None]
    previous: OrderStatus | None = None
    previous_code: str | None = None
    for _, status, code, entry in sorted(changes, key=lambda c: c[0]):
        if entry is not None and entry.from_status is None and previous is not None:
            entry.from_status = previous
        if entry is not None and entry.from_code is None and previous_code is not None:
            entry.from_code = previous_code
        previous, previous_code = status, code or status.value


def status_history(events: Sequence[AuditEvent], past: Sequence[PastEntry]) -> list[StatusChange]:
    """Every status change the header knows of, oldest first: the digest of stored entries
    (bounded: the oldest digests beyond PAST_LIMIT are cut) and the entries it holds."""
    changes: dict[int, StatusChange] = {
        p.seq: StatusChange(status=p.status, code=p.code, at=p.at, actor=p.actor, reason=p.reason)
        for p in past
        if p.status is not None
    }
    for e in events:
        if e.to_status is not None:
            changes[e.seq] = StatusChange(
                status=e.to_status, code=e.to_code, at=e.at, actor=e.actor, reason=e.data.get("reason")
            )
    return [changes[seq] for seq in sorted(changes)]


def seen_callback(events: Sequence[AuditEvent], past: Sequence[PastEntry], event_id: str | None) -> bool:
    """Does the header know a callback with this sender id was applied?"""
    if not event_id:
        return False
    return any(e.data.get("event_id") == event_id for e in events) or any(
        p.event_id == event_id for p in past
    )


# ------------------------------------------------------------------ reading the trail
def page(
    stored: Iterable[AuditEvent], held: Iterable[AuditEvent], after: int, limit: int
) -> tuple[list[AuditEvent], bool]:
    """Entries after `after`, oldest first, at most `limit`, from stored blocks and the header's
    own entries (the header's win: they are the same entries). Returns (page, more after it?)."""
    merged: dict[int, AuditEvent] = {e.seq: e for e in stored if e.seq > after}
    merged.update({e.seq: e for e in held if e.seq > after})
    ordered = [merged[seq] for seq in sorted(merged)]
    return ordered[:limit], len(ordered) > limit


def first_missing(held: Sequence[AuditEvent], after: int) -> int | None:
    """The first sequence number after `after` that the header does not hold (it is in a stored
    block), or None when the header holds every entry after `after`."""
    seqs = {e.seq for e in held}
    newest = max(seqs, default=0)
    for seq in range(after + 1, newest + 1):
        if seq not in seqs:
            return seq
        if seq >= block_start(newest):
            return None
    return None


# ------------------------------------------------------------------ rate of callbacks
def minute_of(epoch: float) -> int:
    return int(epoch // 60)


def seconds_to_next_minute(epoch: float) -> int:
    return max(1, 60 - int(epoch % 60))


def applied_in(window: CallbackWindow | None, minute: int) -> int:
    return window.count if window is not None and window.minute == minute else 0


def counting(window: CallbackWindow | None, minute: int) -> CallbackWindow:
    return CallbackWindow(minute=minute, count=applied_in(window, minute) + 1)
