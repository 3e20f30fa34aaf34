"""Realistic trouble for `make run`, so the SLA radar has something to show (issue 11).

About ``rate`` (default 13 %) of the orders the simulator plays get trouble:

* **Cirrus's own orders** (the warehouse/carrier callbacks of infra/local/simulator.py): a slow pick
  holds the PACKING callback, a carrier delay holds the DELIVERED one, by a number of the
  simulator's steps (:func:`own_order_delays`). The run's time is compressed (a step is seconds), so
  this shows as orders lingering in PICKING or in transit; it never stops an order.
* **External orders** fed through ``POST /ingest/{source}`` (:func:`external_plan`): shopify
  ``order_paid`` -> wms ``pick_started``/``pick_completed``/``pack_completed``/``ship_label_printed``
  -> carrier ``shipped``/``delivered``, with ``occurred_at`` backdated from now so the windows of
  the demo policy (pick 120 min, pack 240 min, ship 1440 min, delivery 96 h, all from order_paid)
  are really exceeded for the troubled ones: a slow pick (pick_completed after its window), a
  carrier delay (delivered after its window), a stock-out (pick_started, then nothing: a breach by
  absence). A share of the troubled orders send two events out of order, and now and then an event
  is sent twice (same ``event_id``: the API takes it once). Orders without trouble finish well
  inside every window.

Everything here is pure: plans come from a seeded ``random.Random`` (reproducible) and a ``now``
the caller takes from oms.domain.clock.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

TROUBLE_RATE = 0.13
OUT_OF_ORDER_SHARE = 0.3  # of the troubled external orders
DUPLICATE_SHARE = 0.05  # of all external orders
KINDS = ("slow_pick", "carrier_delay", "stock_out")
OWN_KINDS = ("slow_pick", "carrier_delay")
SOURCE_OF = {
    "order_paid": "shopify",
    "pick_started": "wms",
    "pick_completed": "wms",
    "pack_completed": "wms",
    "ship_label_printed": "wms",
    "shipped": "carrier",
    "delivered": "carrier",
}
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
CHANNELS = ("WEB", "MOBILE", "MARKETPLACE")
NODES = ("DC-EAST", "DC-WEST", "DC-CENTRAL")


@dataclass(frozen=True)
class Windows:
    """The demo SLA policy's windows, each measured from order_paid."""

    pick_minutes: int = 120
    pack_minutes: int = 240
    ship_minutes: int = 1440
    delivery_hours: int = 96


@dataclass
class IngestEvent:
    source: str
    body: dict[str, Any]


@dataclass
class ExternalPlan:
    external_order_id: str
    trouble: str | None  # one of KINDS, or None
    paid_at: datetime
    events: list[IngestEvent] = field(default_factory=list)  # in the order they are sent
    out_of_order: bool = False
    duplicated: str | None = None  # the event id sent twice

    def occurred(self, event_type: str) -> datetime | None:
        for e in self.events:
            if e.body["event_type"] == event_type:
                return datetime.fromisoformat(e.body["occurred_at"].replace("Z", "+00:00"))
        return None


def troubled(rng: random.Random, rate: float = TROUBLE_RATE) -> bool:
    return rng.random() < rate


def _iso(dt: datetime) -> str:
    from oms.domain.clock import iso

    return iso(dt)


def external_plan(
    index: int,
    now: datetime,
    rng: random.Random,
    rate: float = TROUBLE_RATE,
    windows: Windows = Windows(),
    run_tag: str | None = None,
) -> ExternalPlan:
    """The events of one external order, backdated from ``now`` so every one has happened.
    ``run_tag`` names the simulator's run in the order's id: a seeded run replays the same trouble
    but, against saved state, must not replay the same ids (they would all be duplicates)."""
    trouble = rng.choice(KINDS) if troubled(rng, rate) else None
    run = rng.randrange(16**6)
    external_order_id = f"SIM-{run_tag or f'{run:06x}'}-{index:05d}"
    m = timedelta(minutes=1)
    pick_w, pack_w, ship_w = windows.pick_minutes, windows.pack_minutes, windows.ship_minutes
    deliver_w = windows.delivery_hours * 60
    # minutes after order_paid, per milestone (None: it never happens)
    at: dict[str, float | None] = {"order_paid": 0.0}
    at["pick_started"] = rng.uniform(0.05, 0.25) * pick_w
    if trouble == "slow_pick":
        at["pick_completed"] = pick_w * rng.uniform(1.25, 2.2)  # past its window (MEDIUM, maybe CRITICAL)
    else:
        at["pick_completed"] = pick_w * rng.uniform(0.3, 0.7)
    if trouble == "stock_out":
        for later in ("pick_completed", "pack_completed", "ship_label_printed", "shipped", "delivered"):
            at[later] = None
    else:
        picked = float(at["pick_completed"] or 0)
        packed = picked + rng.uniform(10, 40)
        at["pack_completed"] = packed if trouble == "slow_pick" else min(packed, pack_w * 0.9)
        at["ship_label_printed"] = float(at["pack_completed"] or 0) + rng.uniform(2, 15)
        at["shipped"] = min(float(at["ship_label_printed"] or 0) + rng.uniform(30, 240), ship_w * 0.9)
        if trouble == "carrier_delay":
            at["delivered"] = deliver_w * rng.uniform(1.15, 1.6)  # past the delivery window (HIGH)
        else:
            at["delivered"] = float(at["shipped"] or 0) + rng.uniform(0.2, 0.6) * (
                deliver_w - float(at["shipped"] or 0)
            )
    if trouble == "stock_out":
        # long enough ago that the pick window has passed, with the order still waiting for stock
        age = pick_w * rng.uniform(1.3, 3.0)
    else:
        last = max(v for v in at.values() if v is not None)
        age = last + rng.uniform(5, 60)  # the last event a little while ago
    paid_at = now - age * m
    plan = ExternalPlan(external_order_id=external_order_id, trouble=trouble, paid_at=paid_at)
    node = rng.choice(NODES)
    carrier = rng.choice(CARRIERS)
    lines = rng.randint(1, 4)
    facts: dict[str, dict[str, Any]] = {
        "order_paid": {
            "channel": rng.choice(CHANNELS),
            "fulfillment_type": "SHIP_TO_HOME",
            "tags": [],
            "total_amount": f"{rng.uniform(15, 400):.2f}",
            "currency": "USD",
            "shipping_country": "US",
        },
        "pick_started": {"node": node},
        "pick_completed": {"lines": lines, "units": lines + rng.randint(0, 3), "node": node},
        "pack_completed": {"packages": 1, "node": node},
        "ship_label_printed": {"labels": 1, "carrier": carrier},
        "shipped": {"carrier": carrier, "tracking_number": f"SIMX{rng.randrange(10**9):09d}"},
        "delivered": {"carrier": carrier},
    }
    for event_type, minutes in sorted(
        ((k, v) for k, v in at.items() if v is not None), key=lambda kv: float(kv[1] or 0)
    ):
        body = {
            "event_id": f"{SOURCE_OF[event_type]}-{external_order_id}-{event_type}",
            "event_type": event_type,
            "external_order_id": external_order_id,
            "occurred_at": _iso(paid_at + float(minutes or 0) * m),
            "data": facts[event_type],
        }
        plan.events.append(IngestEvent(SOURCE_OF[event_type], body))
    if trouble and len(plan.events) > 2 and rng.random() < OUT_OF_ORDER_SHARE:
        i = rng.randrange(1, len(plan.events) - 1)  # never before order_paid: a late start is its own story
        plan.events[i], plan.events[i + 1] = plan.events[i + 1], plan.events[i]
        plan.out_of_order = True
    if rng.random() < DUPLICATE_SHARE:
        again = rng.choice(plan.events)
        plan.events.insert(plan.events.index(again) + 1, IngestEvent(again.source, dict(again.body)))
        plan.duplicated = again.body["event_id"]
    return plan


def own_order_rng(seed: int | str, order_id: str) -> random.Random:
    """One generator per Cirrus order: its trouble does not depend on which orders came before."""
    digest = hashlib.sha256(f"{seed}|{order_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - demo data


def own_order_trouble(seed: int | str, order_id: str, rate: float = TROUBLE_RATE) -> str | None:
    """The trouble of one Cirrus order (one of OWN_KINDS), or None for most orders."""
    rng = own_order_rng(seed, order_id)
    return rng.choice(OWN_KINDS) if troubled(rng, rate) else None


def own_order_delays(
    seed: int | str, order_id: str, request: str, rate: float = TROUBLE_RATE
) -> dict[str, int]:
    """Extra simulator steps before callbacks of a Cirrus order, by callback type, for one of its
    requests (``warehouse`` or ``carrier``): a slow pick holds PACKING (the pick ends late), a
    carrier delay holds DELIVERED. Empty for an order without trouble."""
    trouble = own_order_trouble(seed, order_id, rate)
    steps = own_order_rng(seed, f"{order_id}|steps").randint(6, 15)
    if trouble == "slow_pick" and request == "warehouse":
        return {"PACKING": steps}
    if trouble == "carrier_delay" and request == "carrier":
        return {"DELIVERED": steps + 5}
    return {}
