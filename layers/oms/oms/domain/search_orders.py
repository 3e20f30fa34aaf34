"""The order search index's entries (pure): what the projection makes of the orders stream, and
what an index (domain.order_index) is built from (ADR 0028).

An entry is what the index needs of one change, and nothing else:
- a placed order (its body appeared): `{"o": id, "n": number, "c": customer name, "e": email,
  "s": [sku], "p": [product name], "t": [tag], "x": external id, "ch": channel,
  "f": fulfillment type, "at": created_at, "a": total amount, "cu": currency}`;
- a status change (a header whose status moved): `{"o": id, "v": version, "st": status,
  "u": updated_at}`. A header change that leaves the status alone makes no entry.
Applying entries is idempotent and order-free: a body is taken once (it never changes), a
status only over a lower version. So a segment read twice, a retried batch, or a status change
read before its order's body (another shard) all leave the same index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from oms.domain.projections import OrderChange

Entry = dict[str, Any]

LAG_LIMIT_MS = 10_000  # a batch whose first record is older than this is stamped "now"


def placed_entry(order_id: str, body: Mapping[str, Any]) -> Entry:
    lines = body.get("line_items") or []
    entry: Entry = {
        "o": order_id,
        "n": body.get("order_number") or "",
        "c": body.get("customer_name") or "",
        "e": body.get("customer_email") or "",
        "s": list(dict.fromkeys(str(line.get("sku") or "") for line in lines if line.get("sku"))),
        "p": list(dict.fromkeys(str(line["product_name"]) for line in lines if line.get("product_name"))),
        "ch": body.get("channel") or "",
        "f": body.get("fulfillment_type") or "",
        "at": body.get("created_at") or "",
        "a": str(body.get("total_amount") or "0"),
        "cu": body.get("currency") or "",
    }
    if body.get("tags"):
        entry["t"] = [str(t) for t in body["tags"]]
    if body.get("external_order_id"):
        entry["x"] = str(body["external_order_id"])
    return entry


def entries_by_tenant(changes: Sequence[OrderChange]) -> dict[str, list[Entry]]:
    """The index entries a batch of changes makes, per tenant, in stream order."""
    found: dict[str, list[Entry]] = {}
    for change in changes:
        if change.placed and change.new is not None:
            found.setdefault(change.tenant_id, []).append(placed_entry(change.order_id, change.new))
        elif change.status_changed and change.new is not None and change.status_after:
            entry = {
                "o": change.order_id,
                "v": int(change.new.get("version") or 0),
                "st": change.status_after,
                "u": change.new.get("updated_at") or "",
            }
            found.setdefault(change.tenant_id, []).append(entry)
    return found


def segment_stamp(first_record_ms: int | None, now_ms: int) -> int:
    """A segment's time in its key: its batch's first record's time, so a retried batch writes
    the same key again; "now" when that record is older than LAG_LIMIT_MS (a lagging or retried
    late batch), so a segment is never stored with a time far behind when it became readable
    (readers look back a bounded window for late arrivals: ADR 0028)."""
    if first_record_ms is None or not now_ms - LAG_LIMIT_MS <= first_record_ms <= now_ms + LAG_LIMIT_MS:
        return now_ms
    return first_record_ms


def collapse(entries: Iterable[Entry]) -> list[Entry]:
    """The same index in the fewest entries: per order, its placed entry and its latest status
    (what the compaction job stores in a block)."""
    placed: dict[str, Entry] = {}
    latest: dict[str, Entry] = {}
    order: dict[str, None] = {}
    for entry in entries:
        order_id = entry.get("o")
        if not isinstance(order_id, str):
            continue
        order.setdefault(order_id, None)
        if "v" in entry:
            held = latest.get(order_id)
            if held is None or int(entry["v"]) > int(held["v"]):
                latest[order_id] = entry
        elif "n" in entry:
            placed.setdefault(order_id, entry)
    found: list[Entry] = []
    for order_id in order:
        if order_id in placed:
            found.append(placed[order_id])
        if order_id in latest:
            found.append(latest[order_id])
    return found
