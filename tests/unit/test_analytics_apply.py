"""The analytics read model's batch protocol (ADR 0029): a batch is counted once however Lambda
retries it, and more buckets than one transaction holds go in consecutive ones. The repository
is replaced by one in memory with the same contract (the real one is exercised by the component
tests against the deployed table)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest

from oms.domain import analytics as a
from oms.domain.projections import OrderChange
from oms.services import analytics

NOW = "2026-11-21T10:00:00.000Z"


class MemoryBuckets:
    def __init__(self) -> None:
        self.totals: dict[a.BucketKey, Counter[str]] = {}
        self.markers: dict[str, str] = {}
        self.commits: list[int] = []  # buckets per transaction

    def applied_through(self, first: str) -> str | None:
        return self.markers.get(first)

    def commit(
        self, first: str, expected: str | None, last: str, deltas: Mapping[a.BucketKey, a.Counters]
    ) -> bool:
        if self.markers.get(first) != expected:
            return False
        assert len(deltas) <= a.MAX_BUCKETS_PER_WRITE
        for key, delta in deltas.items():
            self.totals.setdefault(key, Counter()).update(delta)
        self.markers[first] = last
        self.commits.append(len(deltas))
        return True

    def orders(self) -> int:
        return sum(c["o"] for c in self.totals.values())


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> MemoryBuckets:
    fake = MemoryBuckets()
    monkeypatch.setattr(analytics, "buckets", fake)
    return fake


def placed(seq: int, day: int = 1, tenant: str = "t1") -> OrderChange:
    body = {"created_at": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00.000Z", "currency": "USD"}
    body |= {"total_amount": "10.00", "channel": "WEB", "fulfillment_type": "SHIP_TO_HOME"}
    return OrderChange(str(seq), tenant, f"o{seq}", "body", None, body, None)


def test_the_same_batch_twice_is_counted_once(memory: MemoryBuckets) -> None:
    batch = [placed(s) for s in range(1000, 1010)]
    analytics.apply(batch)
    analytics.apply(batch)
    assert memory.orders() == 10 and memory.commits == [1]


def test_a_retry_that_brings_more_records_counts_only_the_new_ones(memory: MemoryBuckets) -> None:
    batch = [placed(s) for s in range(990, 1010)]  # sequence numbers grow a digit midway
    analytics.apply(batch[:5])  # the first attempt (the batch then failed elsewhere)
    analytics.apply(batch)  # the retry, from the same first record, longer
    analytics.apply(batch[:12])  # and a shorter one
    assert memory.orders() == 20
    assert memory.markers == {"990": "1009"}


def test_more_buckets_than_a_transaction_holds_go_in_consecutive_writes(memory: MemoryBuckets) -> None:
    batch = [placed(100 + s, day=s, tenant=f"t{s % 3}") for s in range(250)]  # 250 distinct buckets
    analytics.apply(batch)
    assert memory.commits == [99, 99, 52] and memory.orders() == 250
    # a retry after the second write failed resumes after the records the first one counted
    retry = MemoryBuckets()
    retry.markers["100"] = batch[98].sequence
    for key, delta in a.batch_deltas(batch[:99]).items():
        retry.totals[key] = Counter(delta)
    analytics.buckets = retry  # type: ignore[assignment]  (the fixture restores the real one)
    analytics.apply(batch)
    assert retry.orders() == 250 and retry.commits == [99, 52]


def test_a_batch_that_moves_no_counter_writes_nothing(memory: MemoryBuckets) -> None:
    noted = {"status": "PICKING", "events": [{"seq": 1, "to_status": "PICKING", "at": NOW}]}
    change = OrderChange("7", "t1", "o1", "header", noted, {**noted, "version": 9}, NOW)
    analytics.apply([change])
    analytics.apply([])
    assert memory.commits == [] and memory.markers == {}
