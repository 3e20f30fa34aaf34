"""Analytics counters (ADR 0029): what an order adds to the counters of the UTC day it was placed,
and how one batch of order changes moves them. Pure: no I/O.

Every counter of a day bucket is a sum over the orders placed that day of a function of the
order's current state (`order_counters`), so the stream consumer adds, per change, the new
state's counters minus the old state's (`change_delta`), and the reconcile job recomputes the
same sums from the stored orders: the two agree by construction. "At least once" counters
(backordered, delivered, cancelled) read the order's status history, which the header carries,
so an order that is backordered twice still counts once.

Counter names (short: they are attribute names of the bucket item, which DynamoDB bills by size):

| name | meaning |
|---|---|
| `o` | orders placed |
| `o.<CUR>` / `r.<CUR>` | orders / revenue (integer cents of `total_amount`) in a currency |
| `c.<CHANNEL>` / `c.<CHANNEL>.<CUR>` | orders / revenue (cents) by channel |
| `f.<TYPE>` / `f.<TYPE>.<CUR>` | orders / revenue (cents) by fulfilment type |
| `s.<STATUS>` | orders now in that status |
| `n.<node id>` / `u.<node id>` | orders / units allocated to a node (a node counts once per order) |
| `src` / `spl` | orders sourced / sourced from more than one node |
| `bo` | orders that were BACKORDERED at least once |
| `dl` / `ot` | orders delivered (DELIVERED or PICKED_UP at least once) / delivered on time |
| `cx` | orders that were CANCELLED |
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from oms.domain.clock import parse_iso
from oms.domain.projections import OrderChange

Counters = dict[str, int]
BucketKey = tuple[str, str]  # (tenant id, UTC day "YYYY-MM-DD")

# On time: the domain has no promised delivery date. The outcome label of the learning loop
# (domain/learning/labels.py) scores a delivery in full within 24 h of the order, half within
# 48 h and little after; "on time" is the band that still earns credit: within 48 h of placing.
ON_TIME_HOURS = 48
DELIVERY_ENDS = frozenset({"DELIVERED", "PICKED_UP"})
# An allocation whose reservation expired was not this order's plan any more (it was sourced
# again, or waits backordered); released ones (a cancel) were: the node was chosen for the order.
_LAPSED = "EXPIRED"
# A TransactWriteItems holds at most 100 items: one is the batch marker, the rest buckets.
MAX_BUCKETS_PER_WRITE = 99


def day_of(created_at: str) -> str:
    """The UTC day an ISO-8601 time falls in."""
    return parse_iso(created_at).date().isoformat()


def cents(amount: Any) -> int:
    """A money amount (Decimal or its string) as integer cents, half-up; never a float."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return 0
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def body_counters(body: Mapping[str, Any] | None) -> Counters:
    """What an order's immutable body adds: one order, its revenue, its channel and type."""
    if not body:
        return {}
    currency = str(body.get("currency") or "USD")
    amount = cents(body.get("total_amount", 0))
    channel, kind = body.get("channel"), body.get("fulfillment_type")
    found: Counter[str] = Counter({"o": 1, f"o.{currency}": 1, f"r.{currency}": amount})
    if channel:
        found[f"c.{channel}"] += 1
        found[f"c.{channel}.{currency}"] += amount
    if kind:
        found[f"f.{kind}"] += 1
        found[f"f.{kind}.{currency}"] += amount
    return dict(found)


def _history(header: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(seq, status, at) of every status change the header knows of, oldest first: the digests
    of stored trail entries (`past`) and the entries it holds (`events`)."""
    changes: dict[int, tuple[str, str]] = {}
    for entry in header.get("past") or []:
        if entry.get("status"):
            changes[int(entry["seq"])] = (str(entry["status"]), str(entry.get("at") or ""))
    for entry in header.get("events") or []:
        if entry.get("to_status"):
            changes[int(entry["seq"])] = (str(entry["to_status"]), str(entry.get("at") or ""))
    return [(seq, *changes[seq]) for seq in sorted(changes)]


def _hours_between(start: str, end: str) -> float | None:
    try:
        return (parse_iso(end) - parse_iso(start)).total_seconds() / 3600
    except (ValueError, OverflowError):
        return None


def delivery(header: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(reached its customer?, when): DELIVERED or PICKED_UP at least once; the time is the last
    delivery its shipments record (as the carrier reported it), else when it first became
    DELIVERED or PICKED_UP (None if the header no longer knows)."""
    reached = next((at for _, status, at in _history(header) if status in DELIVERY_ENDS), None)
    if reached is None and header.get("status") not in DELIVERY_ENDS:
        return False, None
    stamps = [str(s["delivered_at"]) for s in header.get("shipments") or [] if s.get("delivered_at")]
    return True, max(stamps) if stamps else reached


def nodes_of(header: Mapping[str, Any]) -> dict[str, int]:
    """Units per node of the order's plan once it has been sourced (allocations that lapsed left
    out); empty for an order never sourced."""
    statuses = {status for _, status, _ in _history(header)} | {header.get("status")}
    if "SOURCED" not in statuses:
        return {}
    units: dict[str, int] = {}
    for allocation in header.get("allocations") or []:
        if allocation.get("state", "RESERVED") == _LAPSED or not allocation.get("node_id"):
            continue
        node = str(allocation["node_id"])
        units[node] = units.get(node, 0) + int(allocation.get("quantity") or 0)
    return units


def header_counters(header: Mapping[str, Any] | None, created_at: str | None) -> Counters:
    """What an order's header (its changing part) adds: its status, nodes, and outcome flags."""
    if not header:
        return {}
    found: Counters = {}
    status = header.get("status")
    if status:
        found[f"s.{status}"] = 1
    nodes = nodes_of(header)
    if nodes:
        found["src"] = 1
        if len(nodes) > 1:
            found["spl"] = 1
        for node, units in nodes.items():
            found[f"n.{node}"] = 1
            found[f"u.{node}"] = units
    seen = {s for _, s, _ in _history(header)} | {status}
    if "BACKORDERED" in seen:
        found["bo"] = 1
    if "CANCELLED" in seen:
        found["cx"] = 1
    delivered, at = delivery(header)
    if delivered:
        found["dl"] = 1
        hours = _hours_between(created_at, at) if created_at and at else None
        if hours is not None and hours <= ON_TIME_HOURS:
            found["ot"] = 1
    return found


def order_counters(doc: Mapping[str, Any], created_at: str) -> Counters:
    """Everything one stored order adds to its day (body and header fields in one document)."""
    total = Counter(body_counters(doc))
    total.update(header_counters(doc, created_at))
    return dict(total)


def difference(new: Mapping[str, int], old: Mapping[str, int]) -> Counters:
    """new - old, per counter, without the zeros (negative results kept: a status left)."""
    found = {k: new.get(k, 0) - old.get(k, 0) for k in {*new, *old}}
    return {k: v for k, v in found.items() if v}


def change_delta(change: OrderChange) -> tuple[BucketKey, Counters] | None:
    """The bucket a change moves and by how much; None when it moves nothing countable."""
    if change.item == "body":
        body = change.new or change.old
        created = str((body or {}).get("created_at") or "")
        delta = difference(body_counters(change.new), body_counters(change.old))
    else:
        created = change.created_at or ""
        new, old = header_counters(change.new, created), header_counters(change.old, created)
        delta = difference(new, old)
    if not delta or not created:
        return None
    return (change.tenant_id, day_of(created)), delta


def batch_deltas(changes: Iterable[OrderChange]) -> dict[BucketKey, Counters]:
    """The net delta of each bucket a run of changes moves (buckets that net to zero left out)."""
    totals: dict[BucketKey, Counter[str]] = {}
    for change in changes:
        found = change_delta(change)
        if found is not None:
            key, delta = found
            totals.setdefault(key, Counter()).update(delta)
    netted = {key: {k: v for k, v in c.items() if v} for key, c in totals.items()}
    return {key: c for key, c in netted.items() if c}


def sequence_key(sequence: str) -> tuple[int, str]:
    """Stream sequence numbers are decimal strings of varying length: compare them as numbers."""
    digits = sequence.strip()
    return (len(digits.lstrip("0")), digits.lstrip("0")) if digits.isdigit() else (0, digits)


def after(changes: Sequence[OrderChange], done_through: str | None) -> list[OrderChange]:
    """The changes later in the stream than `done_through` (all of them when None)."""
    if done_through is None:
        return list(changes)
    mark = sequence_key(done_through)
    return [c for c in changes if sequence_key(c.sequence) > mark]


def chunks(
    changes: Sequence[OrderChange], max_buckets: int = MAX_BUCKETS_PER_WRITE
) -> list[list[OrderChange]]:
    """Consecutive runs of changes that each move at most `max_buckets` buckets (one write each)."""
    runs: list[list[OrderChange]] = []
    current: list[OrderChange] = []
    keys: set[BucketKey] = set()
    for change in changes:
        found = change_delta(change)
        key = found[0] if found else None
        if key is not None and key not in keys and len(keys) >= max_buckets:
            runs.append(current)
            current, keys = [], set()
        current.append(change)
        if key is not None:
            keys.add(key)
    if current:
        runs.append(current)
    return runs
