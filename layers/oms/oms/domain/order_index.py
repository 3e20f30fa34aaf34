"""One tenant's orders, searchable in memory (pure; ADR 0028): built from the index entries
(domain.search_orders), answering text, filters, sorts and keyset pages.

Speed at 100,000 orders in plain Python comes from doing per-order work in C where it matters:
the fields filters and sorts read sit in parallel lists (by document number), filters are list
comprehensions over them, and every sort is one integer per document (ties broken by order id),
so the page is `heapq.nsmallest` with a C key function (relevance: sorted by score in C, then
the best groups by newest). The sort key with its order id is also what a cursor carries: keyset pagination,
stable while orders are indexed meanwhile."""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any

from oms.domain.clock import parse_iso
from oms.domain.search import SearchSpec
from oms.domain.search_orders import Entry
from oms.domain.search_text import PUNCTUATION, TextIndex, normalise, terms

COMPOUND_EXACT, COMPOUND_PREFIX = 0.5, 0.25
_TIME = 10**13  # above every epoch millisecond until the year 2286: a sort key's lower digits
_intern = sys.intern


def money(amount_cents: int) -> str:
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{part:02d}"


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


class OrderDoc:
    """What the index shows of one order (its status and the sorted fields live in the index's
    lists, by document number)."""

    __slots__ = ("created_at", "currency", "customer_email", "customer_name", "order_number", "skus")

    def __init__(self, entry: Entry) -> None:
        self.order_number = str(entry.get("n") or "")
        self.customer_name = str(entry.get("c") or "")
        self.customer_email = str(entry.get("e") or "")
        self.skus = tuple(str(s) for s in entry.get("s") or ())
        self.currency = _intern(str(entry.get("cu") or ""))
        self.created_at = str(entry.get("at") or "")


class OrderIndex:
    """A TextIndex over the orders' terms, one over their whole punctuated values (order number,
    email, external id, SKUs: the compound bonus), and their fields by document number."""

    def __init__(self) -> None:
        self.text = TextIndex()
        self.wholes = TextIndex()
        self.numbers: dict[str, int] = {}  # order id -> document number
        self.ids: list[str] = []
        self.docs: list[OrderDoc | None] = []  # None: a status seen before its order's body
        self.placed: list[int] = []  # document numbers of the orders placed, in arrival order
        self.status: list[str] = []
        self.version: list[int] = []
        self.updated: list[str] = []
        self.channel: list[str] = []
        self.ftype: list[str] = []
        self.created: list[int] = []
        self.cents: list[int] = []
        self.by_created: list[int] = []  # sort keys, ascending: created_at
        self.by_newest: list[int] = []  # -created_at
        self.by_amount: list[int] = []  # total_amount, newest first among equals
        self.by_amount_desc: list[int] = []  # -total_amount, newest first among equals

    def __len__(self) -> int:
        return len(self.placed)

    def _number(self, order_id: str) -> int:
        number = self.numbers.get(order_id)
        if number is None:
            number = self.numbers[order_id] = len(self.ids)
            self.ids.append(order_id)
            self.docs.append(None)
            self.status.append("PENDING")
            self.version.append(0)
            self.updated.append("")
            for column in (self.channel, self.ftype):
                column.append("")
            for numbers in (self.created, self.cents, self.by_created, self.by_newest):
                numbers.append(0)
            self.by_amount.append(0)
            self.by_amount_desc.append(0)
        return number

    def apply(self, entries: Iterable[Entry]) -> None:
        """Idempotent and order-free: a body once, a status over a lower version only."""
        for entry in entries:
            order_id = entry.get("o")
            if not isinstance(order_id, str):
                continue
            if "v" in entry:
                number = self._number(order_id)
                version = int(entry["v"])
                if version > self.version[number]:
                    self.version[number] = version
                    self.status[number] = _intern(str(entry.get("st") or self.status[number]))
                    self.updated[number] = str(entry.get("u") or "")
            elif "n" in entry:
                number = self._number(order_id)
                if self.docs[number] is None:
                    self._place(number, entry)

    def _place(self, number: int, entry: Entry) -> None:
        doc = self.docs[number] = OrderDoc(entry)
        self.placed.append(number)
        self.channel[number] = _intern(str(entry.get("ch") or ""))
        self.ftype[number] = _intern(str(entry.get("f") or ""))
        created, cents = _ms(doc.created_at), _cents(str(entry.get("a") or "0"))
        self.created[number], self.cents[number] = created, cents
        self.by_created[number], self.by_newest[number] = created, -created
        self.by_amount[number] = cents * _TIME + _TIME - created
        self.by_amount_desc[number] = -cents * _TIME + _TIME - created
        external = str(entry["x"]) if entry.get("x") else ""
        wholes = (doc.order_number, doc.customer_email, external, *doc.skus)
        self.wholes.add(number, [w for w in map(normalise, wholes) if PUNCTUATION.search(w)])
        products, tags = entry.get("p") or (), entry.get("t") or ()
        self.text.add(
            number,
            terms(
                doc.order_number, doc.customer_name, doc.customer_email, external, *doc.skus, *products, *tags
            ),
        )

    # ------------------------------------------------------------------ search
    def search(self, spec: SearchSpec) -> tuple[list[dict[str, Any]], int, tuple[Any, ...] | None]:
        """The page of hits (shown fields and score), how many match in all, and the sort key of
        the last hit shown when more follow (None at the end)."""
        scores: dict[int, float] = {}
        if spec.terms:
            scores = self.text.search(spec.terms)
            for token in spec.compounds:
                self._bonus(scores, token)
            found: list[int] = list(scores)
        else:
            found = self.placed
        found = self._filtered(found, spec)
        if spec.sort == "relevance":
            page, last = self._by_relevance(found, scores, spec)
        else:
            page, last = self._by_key(found, spec)
        return [self._public(n, scores.get(n, 0.0)) for n in page], len(found), last

    def _by_key(self, found: list[int], spec: SearchSpec) -> tuple[list[int], tuple[Any, ...] | None]:
        """A page by one integer key per order (ties: order id), from the keyset cursor on."""
        key = {
            "created_at": self.by_created,
            "-created_at": self.by_newest,
            "total_amount": self.by_amount,
            "-total_amount": self.by_amount_desc,
        }[spec.sort]
        ids = self.ids
        pool = found
        if spec.after is not None:
            after, after_id = spec.after
            pool = [n for n in found if key[n] > after or (key[n] == after and ids[n] > after_id)]
        page = self._first(pool, key, spec.limit + 1)
        if len(page) <= spec.limit:
            return page, None
        return page[: spec.limit], (key[page[spec.limit - 1]], ids[page[spec.limit - 1]])

    def _by_relevance(
        self, found: list[int], scores: dict[int, float], spec: SearchSpec
    ) -> tuple[list[int], tuple[Any, ...] | None]:
        """Higher score first, then newer, then by order id. Scores take few distinct values: the
        orders are sorted by score (in C), and only the best groups are ranked further."""
        ids, newest = self.ids, self.by_newest
        ranked = sorted(found, key=scores.__getitem__, reverse=True) if scores else list(found)
        score_of = scores.__getitem__ if scores else (lambda n: 0.0)
        page: list[int] = []
        for score, members in groupby(ranked, key=score_of):
            group = list(members)
            if spec.after is not None:
                after_score, after_newest, after_id = -spec.after[0], spec.after[1], spec.after[2]
                if score > after_score:
                    continue  # shown on earlier pages
                if score == after_score:
                    group = [
                        n
                        for n in group
                        if newest[n] > after_newest or (newest[n] == after_newest and ids[n] > after_id)
                    ]
            page += self._first(group, newest, spec.limit + 1 - len(page))
            if len(page) > spec.limit:
                break
        if len(page) <= spec.limit:
            return page, None
        last = page[spec.limit - 1]
        return page[: spec.limit], (-score_of(last), newest[last], ids[last])

    def _first(self, group: list[int], key: list[int], count: int) -> list[int]:
        """The `count` first of a group by an integer key, the order id breaking ties."""
        ids = self.ids
        first = heapq.nsmallest(count, group, key=key.__getitem__)
        if not first:
            return first
        edge = key[first[-1]]
        return sorted((n for n in group if key[n] <= edge), key=lambda n: (key[n], ids[n]))[:count]

    def _filtered(self, found: list[int], spec: SearchSpec) -> list[int]:
        docs, status, created, cents = self.docs, self.status, self.created, self.cents
        if spec.terms:
            found = [n for n in found if docs[n] is not None]
        if spec.statuses is not None:
            wanted = spec.statuses
            found = [n for n in found if status[n] in wanted]
        if spec.channel is not None:
            channel, column = spec.channel, self.channel
            found = [n for n in found if column[n] == channel]
        if spec.fulfillment_type is not None:
            ftype, column = spec.fulfillment_type, self.ftype
            found = [n for n in found if column[n] == ftype]
        if spec.from_ms is not None or spec.to_ms is not None:
            low, high = spec.from_ms or 0, spec.to_ms if spec.to_ms is not None else _TIME
            found = [n for n in found if low <= created[n] <= high]
        if spec.min_cents is not None or spec.max_cents is not None:
            least, most = spec.min_cents or 0, spec.max_cents if spec.max_cents is not None else sys.maxsize
            found = [n for n in found if least <= cents[n] <= most]
        return found

    def _bonus(self, scores: dict[int, float], token: str) -> None:
        """A whole query token (an email, an order number, a SKU) that is one of an order's
        values ranks it higher; one that starts one, a little higher."""
        exact = set(self.wholes.docs_of(token))
        for number in exact:
            if number in scores:
                scores[number] += COMPOUND_EXACT
        prefixed = {n for term in self.wholes.prefixed(token) for n in self.wholes.docs_of(term)}
        for number in prefixed - exact:
            if number in scores:
                scores[number] += COMPOUND_PREFIX

    def _public(self, number: int, score: float) -> dict[str, Any]:
        doc = self.docs[number]
        assert doc is not None
        return {
            "id": self.ids[number],
            "order_number": doc.order_number,
            "status": self.status[number],
            "channel": self.channel[number],
            "fulfillment_type": self.ftype[number],
            "customer_name": doc.customer_name,
            "customer_email": doc.customer_email,
            "total_amount": money(self.cents[number]),
            "currency": doc.currency,
            "created_at": doc.created_at,
            "updated_at": self.updated[number] or doc.created_at,
            "skus": list(doc.skus),
            "score": round(score, 6),
        }
