"""The order search index (pure): entries made from the orders stream, and the in-memory index a
search process builds from them (ADR 0028).

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

import heapq
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from oms.domain.clock import parse_iso
from oms.domain.projections import OrderChange
from oms.domain.search import SearchSpec
from oms.domain.search_text import PUNCTUATION, TextIndex, normalise, terms

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


def _ms(iso_time: str) -> int:
    try:
        return int(parse_iso(iso_time).timestamp() * 1000)
    except (ValueError, OverflowError):
        return 0


def _cents(amount: str) -> int:
    try:
        return int(Decimal(amount) * 100)
    except (InvalidOperation, ValueError):
        return 0


def money(amount_cents: int) -> str:
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{part:02d}"


class OrderDoc:
    """What the index holds of one order: its searchable and shown fields, and its status."""

    __slots__ = (
        "channel",
        "created_at",
        "created_ms",
        "currency",
        "customer_email",
        "customer_name",
        "external_id",
        "fulfillment_type",
        "order_id",
        "order_number",
        "placed",
        "skus",
        "status",
        "total_cents",
        "updated_at",
        "version",
    )

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.placed = False
        self.order_number = self.customer_name = self.customer_email = ""
        self.channel = self.fulfillment_type = self.currency = self.created_at = ""
        self.external_id: str | None = None
        self.skus: tuple[str, ...] = ()
        self.created_ms = self.total_cents = self.version = 0
        self.status = "PENDING"
        self.updated_at = ""

    def public(self, score: float) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "order_number": self.order_number,
            "status": self.status,
            "channel": self.channel,
            "fulfillment_type": self.fulfillment_type,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "total_amount": money(self.total_cents),
            "currency": self.currency,
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "skus": list(self.skus),
            "score": score,
        }


_intern = sys.intern
_PUNCTUATED = PUNCTUATION
COMPOUND_EXACT, COMPOUND_PREFIX = 0.5, 0.25


class OrderIndex:
    """One tenant's orders, searchable: a TextIndex over their terms and their docs by number."""

    def __init__(self) -> None:
        self.text = TextIndex()
        self.wholes = TextIndex()  # whole values with punctuation: order number, email, id, SKUs
        self.docs: list[OrderDoc] = []
        self.numbers: dict[str, int] = {}  # order id -> doc number
        self.placed = 0

    def __len__(self) -> int:
        return self.placed

    def _doc(self, order_id: str) -> tuple[int, OrderDoc]:
        number = self.numbers.get(order_id)
        if number is None:
            number = len(self.docs)
            self.docs.append(OrderDoc(order_id))
            self.numbers[order_id] = number
        return number, self.docs[number]

    def apply(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            order_id = entry.get("o")
            if not isinstance(order_id, str):
                continue
            if "v" in entry:
                _, doc = self._doc(order_id)
                version = int(entry["v"])
                if version > doc.version:
                    doc.version, doc.status = version, _intern(str(entry.get("st") or doc.status))
                    doc.updated_at = str(entry.get("u") or "")
            elif "n" in entry:
                number, doc = self._doc(order_id)
                if not doc.placed:
                    self._place(number, doc, entry)

    def _place(self, number: int, doc: OrderDoc, entry: Entry) -> None:
        doc.placed = True
        self.placed += 1
        doc.order_number = str(entry.get("n") or "")
        doc.customer_name = str(entry.get("c") or "")
        doc.customer_email = str(entry.get("e") or "")
        doc.skus = tuple(str(s) for s in entry.get("s") or ())
        doc.channel = _intern(str(entry.get("ch") or ""))
        doc.fulfillment_type = _intern(str(entry.get("f") or ""))
        doc.currency = _intern(str(entry.get("cu") or ""))
        doc.created_at = str(entry.get("at") or "")
        doc.created_ms = _ms(doc.created_at)
        doc.total_cents = _cents(str(entry.get("a") or "0"))
        doc.external_id = str(entry["x"]) if entry.get("x") else None
        products = entry.get("p") or ()
        tags = entry.get("t") or ()
        wholes = (doc.order_number, doc.customer_email, doc.external_id or "", *doc.skus)
        self.wholes.add(number, [w for w in map(normalise, wholes) if _PUNCTUATED.search(w)])
        self.text.add(
            number,
            terms(
                doc.order_number,
                doc.customer_name,
                doc.customer_email,
                doc.external_id,
                *doc.skus,
                *products,
                *tags,
            ),
        )

    def _bonus(self, scored: dict[int, float], token: str) -> None:
        """A whole query token (an email, an order number, a SKU) that is one of a document's
        values ranks it higher; one that starts one, a little higher."""
        exact = set(self.wholes.docs_of(token))
        for doc in exact:
            if doc in scored:
                scored[doc] += COMPOUND_EXACT
        prefixed = {doc for term in self.wholes.prefixed(token) for doc in self.wholes.docs_of(term)}
        for doc in prefixed - exact:
            if doc in scored:
                scored[doc] += COMPOUND_PREFIX

    # ------------------------------------------------------------------ search
    def search(self, spec: SearchSpec) -> tuple[list[dict[str, Any]], int, tuple[Any, ...] | None]:
        """The page of hits (shown fields and score), how many match in all, and the sort key of
        the last hit shown when more follow (None at the end)."""
        docs = self.docs
        if spec.terms:
            scored = self.text.search(spec.terms)
            for token in spec.compounds:
                self._bonus(scored, token)
            candidates: Iterable[tuple[int, float]] = scored.items()
        else:
            candidates = ((n, 0.0) for n in range(len(docs)))
        keep = _filter(spec)
        matched = [(n, s) for n, s in candidates if keep(docs[n])]
        key = _sort_key(spec.sort, docs)
        after = spec.after
        pool = matched if after is None else [m for m in matched if key(m) > after]
        page = heapq.nsmallest(spec.limit + 1, pool, key=key)
        more = len(page) > spec.limit
        page = page[: spec.limit]
        hits = [docs[n].public(round(s, 6)) for n, s in page]
        return hits, len(matched), key(page[-1]) if more and page else None


def _filter(spec: SearchSpec) -> Callable[[OrderDoc], bool]:
    statuses, channel, ftype = spec.statuses, spec.channel, spec.fulfillment_type
    low_ms, high_ms, low_cents, high_cents = spec.from_ms, spec.to_ms, spec.min_cents, spec.max_cents

    def keep(doc: OrderDoc) -> bool:
        return (
            doc.placed
            and (statuses is None or doc.status in statuses)
            and (channel is None or doc.channel == channel)
            and (ftype is None or doc.fulfillment_type == ftype)
            and (low_ms is None or doc.created_ms >= low_ms)
            and (high_ms is None or doc.created_ms <= high_ms)
            and (low_cents is None or doc.total_cents >= low_cents)
            and (high_cents is None or doc.total_cents <= high_cents)
        )

    return keep


def _sort_key(sort: str, docs: list[OrderDoc]) -> Callable[[tuple[int, float]], tuple[Any, ...]]:
    """Ascending keys; ties broken by newest first, then by order id (a total order)."""
    if sort == "relevance":
        return lambda m: (-m[1], -docs[m[0]].created_ms, docs[m[0]].order_id)
    if sort == "created_at":
        return lambda m: (docs[m[0]].created_ms, docs[m[0]].order_id)
    if sort == "-created_at":
        return lambda m: (-docs[m[0]].created_ms, docs[m[0]].order_id)
    if sort == "total_amount":
        return lambda m: (docs[m[0]].total_cents, -docs[m[0]].created_ms, docs[m[0]].order_id)
    return lambda m: (-docs[m[0]].total_cents, -docs[m[0]].created_ms, docs[m[0]].order_id)


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
