"""The analytics counters (ADR 0029): what each order change moves in its creation day's bucket."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.data.orders import HEADER_FIELDS
from oms.domain import analytics as a
from oms.domain import orders as order_rules
from oms.domain.lifecycle import OrderStatus as S
from oms.domain.models import Allocation, Order, Shipment
from oms.domain.projections import OrderChange
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, order_request

DAY = NOW[:10]  # 2026-11-21
T0 = datetime.fromisoformat(NOW.replace("Z", "+00:00"))


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def placed(key: str = "k1", currency: str = "USD", **fields: Any) -> Order:
    request = order_request(currency=currency, **fields)
    return order_rules.build_order(
        request,
        order_id=order_rules.order_id_for("t1", key, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request, currency),
        idempotency_key=key,
    )


def move(order: Order, status: S, hours: float, **changes: Any) -> Order:
    return order_rules.advance(order, status, actor="test", now=at(hours), event_type="t", **changes)


class Stream:
    """Stream records of order versions, as the orders table writes them: body once, then the
    header on every version."""

    def __init__(self) -> None:
        self.seq = 100
        self.headers: dict[str, dict[str, Any]] = {}

    def _next(self) -> str:
        self.seq += 1
        return str(self.seq)

    def write(self, order: Order) -> list[OrderChange]:
        doc = order.stored()
        header = {k: v for k, v in doc.items() if k in HEADER_FIELDS}
        found = []
        old = self.headers.get(order.id)
        if old is None:
            body = {k: v for k, v in doc.items() if k not in HEADER_FIELDS or k in ("id", "tenant_id")}
            found.append(OrderChange(self._next(), order.tenant_id, order.id, "body", None, body, None))
        found.append(
            OrderChange(self._next(), order.tenant_id, order.id, "header", old, header, order.created_at)
        )
        self.headers[order.id] = header
        return found


def shipped_life(order: Order, allocations: list[Allocation], delivered_hours: float) -> list[Order]:
    versions = [order]
    for status, hours in ((S.CONFIRMED, 0.1), (S.SOURCING, 0.2)):
        versions.append(move(versions[-1], status, hours))
    versions.append(move(versions[-1], S.SOURCED, 0.3, allocations=allocations))
    for status, hours in ((S.PICKING, 1), (S.PACKING, 2), (S.READY_TO_SHIP, 3)):
        versions.append(move(versions[-1], status, hours))
    shipped = [a.model_copy(update={"state": "SHIPPED"}) for a in allocations]
    shipment = Shipment(carrier="UPS", tracking_number="1Z", shipped_at=at(4))
    versions.append(move(versions[-1], S.SHIPPED, 4, allocations=shipped, shipments=[shipment]))
    done = shipment.model_copy(update={"delivered_at": at(delivered_hours)})
    versions.append(move(versions[-1], S.DELIVERED, delivered_hours + 0.5, shipments=[done]))
    return versions


def net(changes: list[OrderChange]) -> dict[a.BucketKey, a.Counters]:
    return a.batch_deltas(changes)


def alloc(node: str, qty: int, sku: str = "SKU-A") -> Allocation:
    return Allocation(node_id=node, sku=sku, quantity=qty)


def test_a_placed_order_counts_its_money_channel_and_type_in_cents() -> None:
    stream = Stream()
    changes = stream.write(placed())
    assert net(changes) == {
        ("t1", DAY): {
            "o": 1,
            "o.USD": 1,
            "r.USD": 6998,
            "c.WEB": 1,
            "c.WEB.USD": 6998,
            "f.SHIP_TO_HOME": 1,
            "f.SHIP_TO_HOME.USD": 6998,
            "s.PENDING": 1,
        }
    }
    assert all(isinstance(v, int) for v in net(changes)[("t1", DAY)].values())


def test_a_status_change_moves_the_order_between_status_counters_of_its_creation_day() -> None:
    stream = Stream()
    order = placed()
    stream.write(order)
    two_days_later = move(order, S.CONFIRMED, 49)
    assert net(stream.write(two_days_later)) == {("t1", DAY): {"s.PENDING": -1, "s.CONFIRMED": 1}}


def test_split_order_counts_each_node_once_with_its_units_and_once_as_split() -> None:
    stream = Stream()
    life = shipped_life(placed(), [alloc("n1", 2), alloc("n2", 1, "SKU-B"), alloc("n1", 3, "SKU-C")], 20)
    changes = [c for version in life for c in stream.write(version)]
    total = net(changes)[("t1", DAY)]
    assert total["n.n1"] == 1 and total["u.n1"] == 5
    assert total["n.n2"] == 1 and total["u.n2"] == 1
    assert total["src"] == 1 and total["spl"] == 1
    # once sourced, later steps move statuses only
    assert set(net(stream.write(move(life[-1], S.RETURNED, 60)))[("t1", DAY)]) == {
        "s.DELIVERED",
        "s.RETURNED",
    }


def test_backordered_twice_counts_once() -> None:
    stream = Stream()
    order = placed()
    versions = [order, move(order, S.CONFIRMED, 0.1), None, None, None, None, None]
    versions[2] = move(versions[1], S.SOURCING, 0.2)
    versions[3] = move(versions[2], S.BACKORDERED, 0.3)
    versions[4] = move(versions[3], S.SOURCING, 5)
    versions[5] = move(versions[4], S.SOURCED, 5.1, allocations=[alloc("n1", 2)])
    expired = [alloc("n1", 2).model_copy(update={"state": "EXPIRED"})]
    versions[6] = move(versions[5], S.BACKORDERED, 9, allocations=expired)
    per_version = [net(stream.write(v)) for v in versions if v is not None]
    total: Counter[str] = Counter()
    for moved in per_version:
        total.update(moved.get(("t1", DAY), {}))
    assert total["bo"] == 1
    assert per_version[3][("t1", DAY)]["bo"] == 1  # the first BACKORDERED
    assert "bo" not in per_version[6][("t1", DAY)]  # the second moves the status only
    # the expired plan is no longer the order's: the node and the sourcing are taken back
    assert per_version[6][("t1", DAY)] == {
        "s.SOURCED": -1,
        "s.BACKORDERED": 1,
        "src": -1,
        "n.n1": -1,
        "u.n1": -2,
    }


def test_delivered_within_48_hours_is_on_time_and_later_is_not() -> None:
    early, late = Stream(), Stream()
    on_time = [c for v in shipped_life(placed("a"), [alloc("n1", 1)], 30) for c in early.write(v)]
    too_late = [c for v in shipped_life(placed("b"), [alloc("n1", 1)], 70) for c in late.write(v)]
    assert net(on_time)[("t1", DAY)]["dl"] == 1 and net(on_time)[("t1", DAY)]["ot"] == 1
    assert net(too_late)[("t1", DAY)]["dl"] == 1 and "ot" not in net(too_late)[("t1", DAY)]


def test_cancelled_then_refunded_stays_cancelled_and_released_nodes_stay_chosen() -> None:
    stream = Stream()
    order = placed()
    sourced = move(
        move(move(order, S.CONFIRMED, 0.1), S.SOURCING, 0.2), S.SOURCED, 0.3, allocations=[alloc("n1", 2)]
    )
    released = [alloc("n1", 2).model_copy(update={"state": "RELEASED"})]
    cancelled = move(sourced, S.CANCELLED, 1, allocations=released)
    refunded = move(cancelled, S.REFUNDED, 2)
    changes = [c for v in (order, sourced, cancelled, refunded) for c in stream.write(v)]
    total = net(changes)[("t1", DAY)]
    assert total["cx"] == 1 and total["s.REFUNDED"] == 1 and total["n.n1"] == 1
    assert "s.CANCELLED" not in total and "dl" not in total


def test_multi_currency_keeps_revenue_apart() -> None:
    stream = Stream()
    changes = [*stream.write(placed("u")), *stream.write(placed("e", currency="EUR"))]
    total = net(changes)[("t1", DAY)]
    assert total["o"] == 2 and total["o.USD"] == 1 and total["o.EUR"] == 1
    assert total["r.USD"] == 6998 and total["r.EUR"] == 6998 and total["c.WEB.EUR"] == 6998


def test_the_sum_of_a_life_of_changes_is_what_the_stored_order_adds() -> None:
    # the invariant the reconcile job rests on: stream deltas and a recount agree exactly
    stream = Stream()
    life = shipped_life(placed(), [alloc("n1", 2), alloc("n2", 1, "SKU-B")], 50)
    changes = [c for version in life for c in stream.write(version)]
    final = life[-1]
    assert net(changes)[("t1", DAY)] == a.order_counters(final.stored(), final.created_at)


def test_a_batch_nets_per_bucket_and_leaves_out_what_nets_to_zero() -> None:
    stream = Stream()
    first = placed("x")
    other_day = placed("y").model_copy(update={"created_at": "2026-11-20T23:59:59.999Z"})
    changes = [*stream.write(first), *stream.write(other_day)]
    confirmed = move(first, S.CONFIRMED, 1)
    changes += stream.write(confirmed)
    assert set(net(changes)) == {("t1", DAY), ("t1", "2026-11-20")}
    assert net(changes)[("t1", DAY)]["s.CONFIRMED"] == 1 and "s.PENDING" not in net(changes)[("t1", DAY)]
    # a header change that moves no counter (an event without a status) moves no bucket
    noted = order_rules.record_event(confirmed, "order.note", actor="test", now=at(2))
    assert net(stream.write(noted)) == {}


def test_chunks_hold_at_most_the_buckets_one_transaction_takes() -> None:
    stream = Stream()
    changes = []
    for i in range(5):
        order = placed(f"c{i}").model_copy(update={"created_at": f"2026-11-0{i + 1}T10:00:00.000Z"})
        changes += stream.write(order)
    runs = a.chunks(changes, max_buckets=2)
    assert [len(run) for run in runs] == [4, 4, 2]
    assert all(len(a.batch_deltas(run)) <= 2 for run in runs)
    assert [c for run in runs for c in run] == changes


def test_sequence_numbers_compare_as_numbers() -> None:
    changes = [OrderChange(s, "t1", "o1", "header", None, None, NOW) for s in ("99", "100", "4000")]
    assert [c.sequence for c in a.after(changes, "99")] == ["100", "4000"]
    assert [c.sequence for c in a.after(changes, "100")] == ["4000"]
    assert a.after(changes, None) == changes


def test_money_is_counted_in_integer_cents() -> None:
    assert a.cents("129.99") == 12999 and a.cents(Decimal("0.10")) == 10 and a.cents("1.005") == 101
    assert a.day_of("2026-11-21T23:59:59.999Z") == "2026-11-21"
    assert a.day_of("2026-11-22T01:00:00+02:00") == "2026-11-21"  # UTC days
