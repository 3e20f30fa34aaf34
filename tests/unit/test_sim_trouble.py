"""The simulator's trouble plans (infra/local/trouble.py): about 13 % of orders get trouble, the
backdated events really exceed the demo policy's windows for those (and only for those), a seed
replays the same plans, and the events are what POST /ingest/{source} takes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from infra.local import trouble
from infra.local.simulator import Simulator
from infra.local.trouble import SOURCE_OF, Windows, external_plan, own_order_delays, own_order_trouble

NOW = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)
W = Windows()
N = 4000


def plans(seed: int = 7, n: int = N, rate: float = trouble.TROUBLE_RATE) -> list[trouble.ExternalPlan]:
    rng = random.Random(seed)
    return [external_plan(i, NOW, rng, rate) for i in range(n)]


def minutes_after_paid(plan: trouble.ExternalPlan, event_type: str) -> float | None:
    at = plan.occurred(event_type)
    return None if at is None else (at - plan.paid_at) / timedelta(minutes=1)


def test_about_thirteen_percent_of_external_orders_get_trouble() -> None:
    made = plans()
    share = sum(p.trouble is not None for p in made) / len(made)
    assert 0.115 <= share <= 0.145, share
    kinds = {p.trouble for p in made if p.trouble}
    assert kinds == {"slow_pick", "carrier_delay", "stock_out"}


def test_the_rate_is_a_parameter() -> None:
    assert all(p.trouble is None for p in plans(n=500, rate=0.0))
    assert all(p.trouble is not None for p in plans(n=200, rate=1.0))
    share = sum(p.trouble is not None for p in plans(n=N, rate=0.4)) / N
    assert 0.37 <= share <= 0.43


def test_a_seed_replays_the_same_plans() -> None:
    first, again, other = plans(seed=3, n=300), plans(seed=3, n=300), plans(seed=4, n=300)
    assert [[e.body for e in p.events] for p in first] == [[e.body for e in p.events] for p in again]
    assert [p.trouble for p in first] != [p.trouble for p in other]


def test_troubled_orders_really_exceed_their_window_and_the_others_do_not() -> None:
    for plan in plans():
        assert all(
            datetime.fromisoformat(e.body["occurred_at"].replace("Z", "+00:00")) <= NOW for e in plan.events
        )
        picked = minutes_after_paid(plan, "pick_completed")
        packed = minutes_after_paid(plan, "pack_completed")
        shipped = minutes_after_paid(plan, "shipped")
        delivered = minutes_after_paid(plan, "delivered")
        if plan.trouble == "slow_pick":
            assert picked is not None and picked > W.pick_minutes
        elif plan.trouble == "carrier_delay":
            assert delivered is not None and delivered > W.delivery_hours * 60
            assert picked is not None and picked <= W.pick_minutes  # the warehouse was on time
        elif plan.trouble == "stock_out":
            # picking started, nothing after it, and the pick window has passed: a breach by absence
            assert plan.occurred("pick_started") is not None
            assert picked is None and packed is None and shipped is None and delivered is None
            assert (NOW - plan.paid_at) > timedelta(minutes=W.pick_minutes)
        else:
            assert picked is not None and picked <= W.pick_minutes
            assert packed is not None and packed <= W.pack_minutes
            assert shipped is not None and shipped <= W.ship_minutes
            assert delivered is not None and delivered <= W.delivery_hours * 60


def test_other_windows_are_exceeded_by_the_same_shares() -> None:
    tight = Windows(pick_minutes=30, pack_minutes=60, ship_minutes=240, delivery_hours=24)
    rng = random.Random(5)
    for i in range(1000):
        plan = external_plan(i, NOW, rng, 0.5, tight)
        picked = minutes_after_paid(plan, "pick_completed")
        if plan.trouble == "slow_pick":
            assert picked is not None and picked > tight.pick_minutes
        elif plan.trouble is None:
            assert picked is not None and picked <= tight.pick_minutes


def test_events_are_what_ingest_takes_with_some_out_of_order_and_some_twice() -> None:
    made = plans()
    for plan in made:
        assert plan.events[0].body["event_type"] == "order_paid"
        for event in plan.events:
            body = event.body
            assert event.source == SOURCE_OF[body["event_type"]]
            assert set(body) == {"event_id", "event_type", "external_order_id", "occurred_at", "data"}
            assert body["external_order_id"] == plan.external_order_id
            assert body["occurred_at"].endswith("Z")
        ids = [e.body["event_id"] for e in plan.events]
        if plan.duplicated:
            assert ids.count(plan.duplicated) == 2 and len(set(ids)) == len(ids) - 1
        else:
            assert len(set(ids)) == len(ids)
        times = [e.body["occurred_at"] for e in plan.events]
        assert (times != sorted(times)) == plan.out_of_order or plan.duplicated is not None
    swappable = [p for p in made if p.trouble and p.trouble != "stock_out"]  # a stock-out sends two events
    out_of_order = sum(p.out_of_order for p in swappable) / len(swappable)
    assert 0.2 <= out_of_order <= 0.4
    assert 0 < sum(p.duplicated is not None for p in made) < len(made) * 0.1
    assert not any(p.out_of_order for p in made if p.trouble is None)
    assert len({p.external_order_id for p in made}) == len(made)


@pytest.mark.parametrize("seed", [11, 12])
def test_own_orders_get_slow_picks_and_carrier_delays(seed: int) -> None:
    ids = [f"order-{i}" for i in range(N)]
    kinds = [own_order_trouble(seed, order_id) for order_id in ids]
    share = sum(k is not None for k in kinds) / N
    assert 0.115 <= share <= 0.145, share
    assert set(kinds) == {None, "slow_pick", "carrier_delay"}
    for order_id, kind in zip(ids[:500], kinds[:500], strict=True):
        warehouse = own_order_delays(seed, order_id, "warehouse")
        carrier = own_order_delays(seed, order_id, "carrier")
        if kind == "slow_pick":
            assert set(warehouse) == {"PACKING"} and warehouse["PACKING"] >= 6 and carrier == {}
        elif kind == "carrier_delay":
            assert set(carrier) == {"DELIVERED"} and carrier["DELIVERED"] >= 6 and warehouse == {}
        else:
            assert warehouse == {} and carrier == {}
    # the same order always gets the same trouble
    assert [own_order_trouble(seed, i) for i in ids[:200]] == kinds[:200]


class _Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.text = ""


class _Http:
    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, object], dict[str, str]]] = []

    def post(self, url: str, json: dict[str, object], timeout: float, headers: dict[str, str]) -> _Answer:
        self.posts.append((url, json, headers))
        return _Answer(self.status)


def simulator(monkeypatch: pytest.MonkeyPatch, http: _Http) -> Simulator:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sim = Simulator(
        "http://api.local/", "q-warehouse", "q-carrier", step_seconds=0, trouble_rate=0.13, seed=11
    )
    monkeypatch.setattr(sim, "_http", http)
    monkeypatch.setattr(sim, "_api_key", lambda tenant: f"key-{tenant}")
    return sim


def test_the_feed_posts_each_event_to_its_source_in_the_planned_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = _Http(202)
    sim = simulator(monkeypatch, http)
    plan = next(p for p in plans(n=400) if p.out_of_order)
    assert sim._feed(plan) is True
    assert [url for url, _, _ in http.posts] == [f"http://api.local/ingest/{e.source}" for e in plan.events]
    assert [body for _, body, _ in http.posts] == [e.body for e in plan.events]
    assert {h["X-API-Key"] for _, _, h in http.posts} == {"key-demo"}


def test_the_feed_pauses_when_the_api_has_no_ingest_route(monkeypatch: pytest.MonkeyPatch) -> None:
    http = _Http(404)
    sim = simulator(monkeypatch, http)
    assert sim._feed(plans(n=1)[0]) is False
    assert len(http.posts) == 1


def test_a_slow_pick_holds_the_packing_callback_of_a_cirrus_order(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = simulator(monkeypatch, _Http())
    slow = next(f"order-{i}" for i in range(1000) if own_order_trouble(11, f"order-{i}") == "slow_pick")
    calm = next(f"order-{i}" for i in range(1000) if own_order_trouble(11, f"order-{i}") is None)
    sim.step = 1.0
    for order_id in (slow, calm):
        sim._plan("warehouse", {"order_id": order_id, "tenant_id": "demo"})
    extra = own_order_delays(11, slow, "warehouse")["PACKING"]
    assert sim._wait(slow, "PACKING") == 1 + extra
    assert sim._wait(slow, "PACKING") == 1  # used once
    assert sim._wait(calm, "PACKING") == 1


def test_a_run_tag_gives_new_order_ids_and_the_same_trouble() -> None:
    """A seeded run replays its trouble, but against saved state its orders must be new ones
    (the same ids again would all be answered as duplicates and show nothing)."""
    first = [external_plan(i, NOW, random.Random(7), 1.0, run_tag="aaaaaa") for i in range(3)]
    again = [external_plan(i, NOW, random.Random(7), 1.0, run_tag="bbbbbb") for i in range(3)]
    assert [p.events[0].body["external_order_id"] for p in first] == [
        "SIM-aaaaaa-00000",
        "SIM-aaaaaa-00001",
        "SIM-aaaaaa-00002",
    ]
    assert {p.events[0].body["external_order_id"] for p in first}.isdisjoint(
        p.events[0].body["external_order_id"] for p in again
    )
    assert [p.trouble for p in first] == [p.trouble for p in again]
