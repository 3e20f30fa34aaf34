"""Text search (pure): normalising and tokenising text, and matching query terms against an
inverted index by exact term, by prefix and with one typo (ADR 0028). Shared by order search (an
index kept in memory from the stream) and product search (an index built per request).

Normalising: NFKD, case folded, combining marks dropped ("Zoë" -> "zoe", "STRASSE" == "straße").
Terms: the alphanumeric runs of the normalised text ("ORD-20261129-AB12" -> ord, 20261129, ab12;
"alice.smith@example.com" -> alice, smith, example, com). A query's whole tokens that hold
punctuation (an email, an order number, a SKU) are kept too: they are not terms of the index
(every part of them is), but a document whose field equals one, or starts with it, ranks higher.

Matching a query term `q` against the vocabulary, each document keeps its best score:
- exact: 1.0;
- prefix (q has at least 2 characters): 0.5 + 0.4 * len(q) / len(term), so "ord-10" finds
  "ORD-1001" and a closer prefix ranks higher; at most `MAX_EXPANSIONS` terms per query term;
- one typo (q has at least 4 characters and no digit): every term at Damerau-Levenshtein
  distance 1 (a letter deleted, inserted, replaced, or two neighbours swapped): 0.45. The
  candidates are generated from q and looked up (about 75 x len(q) dictionary probes), so the
  cost does not grow with the vocabulary. Numbers get no typo tolerance: a date or an order
  number one digit off is another date or order.
A document matches a query when it matches every term; its score is the mean of its term scores
(computed the same way for every document, so equal matches have equal scores exactly).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable

EXACT = 1.0
FUZZY = 0.45
MIN_PREFIX = 2
MIN_FUZZY = 4
MAX_EXPANSIONS = 10_000  # vocabulary terms one query term may expand to by prefix
MAX_QUERY_TERMS = 12
_MERGE_FRESH_AT = 4096  # new terms kept aside before they are merged into the sorted vocabulary

_SPLIT = PUNCTUATION = re.compile(r"[\W_]+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def normalise(text: str) -> str:
    """Case folded, accents removed, compatibility forms unified."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(*texts: str | None) -> list[str]:
    """The distinct terms of the texts, in order of appearance."""
    parts = _SPLIT.split(normalise(" ".join(t for t in texts if t)))
    return list(dict.fromkeys(p for p in parts if p))


def compounds(text: str) -> list[str]:
    """The whitespace-separated tokens of a query that hold punctuation ("alice@example.com",
    "ord-20261129-ab"), normalised, without punctuation at either end."""
    found = []
    for word in normalise(text).split():
        token = _EDGES.sub("", word)
        if token and _SPLIT.search(token):
            found.append(token)
    return found


def one_edit(term: str, alphabet: Iterable[str]) -> set[str]:
    """Every string at Damerau-Levenshtein distance 1 from `term` over `alphabet`."""
    letters = list(alphabet)
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    found.update(a + c + b[1:] for a, b in splits if b for c in letters)
    found.update(a + c + b for a, b in splits for c in letters)
    found.discard(term)
    return found


def prefix_score(query_term: str, term: str) -> float:
    return 0.5 + 0.4 * len(query_term) / len(term)


class TextIndex:
    """An inverted index of documents (ints) by term, with a sorted vocabulary for prefixes.

    A posting is an int while a term has one document (most order numbers, emails and ids do)
    and a list from the second, which keeps 100,000 orders' index in tens of megabytes. Terms
    added since the vocabulary was last sorted wait in a short list that prefix lookups scan."""

    def __init__(self) -> None:
        self.postings: dict[str, int | list[int]] = {}
        self._sorted: list[str] = []
        self._fresh: list[str] = []
        self.alphabet: set[str] = set(_LATIN)

    def __len__(self) -> int:
        return len(self.postings)

    def add(self, doc: int, doc_terms: Iterable[str]) -> None:
        postings, fresh, get = self.postings, self._fresh, self.postings.get
        for term in doc_terms:
            held = get(term)
            if held is None:
                postings[term] = doc
                fresh.append(term)
                if not term.isascii() and term.isalpha():
                    self.alphabet.update(term)
            elif type(held) is int:
                if held != doc:
                    postings[term] = [held, doc]
            elif held[-1] != doc:  # type: ignore[index]
                held.append(doc)  # type: ignore[union-attr]
        if len(fresh) >= _MERGE_FRESH_AT:
            self._merge()

    def _merge(self) -> None:
        merged = self._sorted + sorted(self._fresh)
        merged.sort()  # two sorted runs: a linear merge
        self._sorted, self._fresh = merged, []

    def docs_of(self, term: str) -> list[int]:
        held = self.postings.get(term)
        if held is None:
            return []
        return [held] if isinstance(held, int) else held

    def size_of(self, term: str) -> int:
        held = self.postings.get(term)
        return 0 if held is None else 1 if isinstance(held, int) else len(held)

    def prefixed(self, prefix: str) -> list[str]:
        """Vocabulary terms that start with `prefix` and are longer (at most MAX_EXPANSIONS)."""
        found = []
        start = bisect.bisect_right(self._sorted, prefix)
        for term in self._sorted[start : start + MAX_EXPANSIONS]:
            if not term.startswith(prefix):
                break
            found.append(term)
        found += [t for t in self._fresh if t.startswith(prefix) and t != prefix]
        return found[:MAX_EXPANSIONS]

    def typos(self, term: str) -> list[str]:
        """Vocabulary terms one edit away from `term` (none for short terms or numbers)."""
        if len(term) < MIN_FUZZY or any(c.isdigit() for c in term):
            return []
        postings = self.postings
        return [v for v in one_edit(term, self.alphabet) if v in postings]

    def match(self, query_term: str) -> dict[int, float]:
        """Document -> its best score for one query term (exact, prefix, one typo)."""
        held = self.postings.get(query_term)
        scores: dict[int, float] = {}
        if held is not None:
            scores = dict.fromkeys([held] if isinstance(held, int) else held, EXACT)
        # the rest in order of falling weight, each taking only documents not scored yet
        if len(query_term) >= MIN_PREFIX:
            for term in sorted(self.prefixed(query_term), key=len):
                self._offer(scores, term, prefix_score(query_term, term))
        for term in self.typos(query_term):
            self._offer(scores, term, FUZZY)
        return scores

    def _offer(self, scores: dict[int, float], term: str, weight: float) -> None:
        held = self.postings[term]
        if isinstance(held, int):
            scores.setdefault(held, weight)
        else:
            for doc in held:
                scores.setdefault(doc, weight)

    def search(self, query_terms: list[str]) -> dict[int, float]:
        """Documents matching every query term, with the mean of their term scores."""
        if not query_terms:
            return {}
        ranked = sorted(query_terms, key=self.size_of)
        total = self.match(ranked[0])
        n = len(ranked)
        for i, term in enumerate(ranked[1:], start=2):
            if not total:
                break
            scores = self.match(term)
            if i < n:
                total = {doc: score + scores[doc] for doc, score in total.items() if doc in scores}
            else:  # the last term: the mean at once
                total = {doc: (score + scores[doc]) / n for doc, score in total.items() if doc in scores}
        return total


def query_terms(text: str | None) -> list[str]:
    """A query's terms (at most MAX_QUERY_TERMS; the rest are ignored)."""
    return terms(text)[:MAX_QUERY_TERMS]
