"""The search tokeniser and text index (ADR 0028): normalising, terms, one-typo candidates, and
matching against a brute-force reference."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.domain.search_text import (
    EXACT,
    FUZZY,
    TextIndex,
    compounds,
    normalise,
    one_edit,
    prefix_score,
    query_terms,
    terms,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
words = st.text(alphabet="abcdefghij0", min_size=1, max_size=7)


def damerau_levenshtein(a: str, b: str) -> int:
    """The reference: optimal string alignment distance."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_normalising_folds_case_accents_and_compatibility_forms() -> None:
    assert normalise("Zoë Ångström") == "zoe angstrom"
    assert normalise("STRASSE") == normalise("Straße") == "strasse"
    assert normalise("\uff21\uff22\uff23") == "abc"  # full-width letters


def test_terms_split_on_punctuation_and_keep_order_once() -> None:
    assert terms("ORD-20261129-AB12") == ["ord", "20261129", "ab12"]
    assert terms("alice.smith@example.com", "Alice  SMITH", None) == ["alice", "smith", "example", "com"]
    assert terms("snake_case/and-dash") == ["snake", "case", "and", "dash"]
    assert terms("Дмитрий Иванов") == ["дмитрии", "иванов"]  # й folds to и: accents go
    assert terms("", None, "--") == []


def test_compounds_are_whole_tokens_that_hold_punctuation() -> None:
    assert compounds("Alice <alice@example.com>, ORD-2026 smith") == ["alice@example.com", "ord-2026"]
    assert compounds("just words") == []


def test_query_terms_are_capped() -> None:
    assert len(query_terms(" ".join(f"w{i}" for i in range(40)))) == 12


@SETTINGS
@given(st.text(alphabet="abcdef", min_size=1, max_size=6), st.data())
def test_one_edit_generates_exactly_the_strings_one_edit_away(word: str, data: st.DataObject) -> None:
    variants = one_edit(word, "abcdef")
    assert word not in variants
    assert all(damerau_levenshtein(word, v) == 1 for v in variants)
    other = data.draw(st.text(alphabet="abcdef", min_size=0, max_size=7))
    if damerau_levenshtein(word, other) == 1:
        assert other in variants


def _reference(vocabulary: dict[str, set[int]], q: str) -> dict[int, float]:
    scores: dict[int, float] = {}
    for term, docs in vocabulary.items():
        if term == q:
            score = EXACT
        elif len(q) >= 2 and term.startswith(q):
            score = prefix_score(q, term)
        elif len(q) >= 4 and not any(c.isdigit() for c in q) and damerau_levenshtein(q, term) == 1:
            score = FUZZY
        else:
            continue
        for doc in docs:
            scores[doc] = max(scores.get(doc, 0.0), score)
    return scores


@SETTINGS
@given(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=25), words)
def test_matching_is_exactly_exact_prefix_and_one_typo(docs: list[list[str]], q: str) -> None:
    index = TextIndex()
    vocabulary: dict[str, set[int]] = {}
    for number, doc_terms in enumerate(docs):
        index.add(number, doc_terms)
        for term in doc_terms:
            vocabulary.setdefault(term, set()).add(number)
    assert index.match(q) == _reference(vocabulary, q)


@SETTINGS
@given(
    st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=25),
    st.lists(words, min_size=1, max_size=3),
)
def test_a_document_matches_a_query_when_it_matches_every_term(
    docs: list[list[str]], query: list[str]
) -> None:
    index = TextIndex()
    for number, doc_terms in enumerate(docs):
        index.add(number, doc_terms)
    query = list(dict.fromkeys(query))
    per_term = [index.match(q) for q in query]
    expected = {
        doc: sum(m[doc] for m in per_term) / len(query)
        for doc in range(len(docs))
        if all(doc in m for m in per_term)
    }
    found = index.search(query)
    assert found.keys() == expected.keys()
    assert all(found[doc] == pytest.approx(expected[doc]) for doc in found)


def test_prefixes_survive_the_vocabulary_being_merged() -> None:
    index = TextIndex()
    for number in range(10_000):  # more new terms than are kept aside: the sorted list takes them
        index.add(number, [f"ord{number:05d}", "ord"])
    assert len(index.prefixed("ord0999")) == 10
    assert index.size_of("ord") == 10_000
    index.add(10_000, ["ord09999x"])
    assert "ord09999x" in index.prefixed("ord0999")


def test_the_brief_examples() -> None:
    index = TextIndex()
    index.add(0, terms("ORD-1001", "Alice Smith"))
    index.add(1, terms("ORD-2002", "Alise Smith"))
    index.add(2, terms("ORD-1100", "Bob Smyth"))
    assert set(index.search(query_terms("ORD-10"))) == {0}  # a prefix of the number
    typo = index.search(query_terms("Alise Smith"))
    assert set(typo) == {0, 1} and typo[1] > typo[0]  # exact beats one typo
    assert set(index.search(query_terms("smith"))) == {0, 1, 2}  # smyth: one typo away
    assert index.search(query_terms("1002")) == {}  # numbers take no typo
    assert index.search(query_terms("bob")) == {2: 1.0} and index.search(query_terms("bb")) == {}


def test_non_latin_letters_take_typos_too() -> None:
    index = TextIndex()
    index.add(0, terms("Дмитрий"))
    assert index.search(query_terms("Двитрай")) == {}  # two edits
    assert set(index.search(query_terms("Дмитриы"))) == {0}  # one letter replaced
