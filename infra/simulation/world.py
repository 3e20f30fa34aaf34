"""A reproducible world in which to prove that AI sourcing learns (`make simulate`, ADR 0023).

Nodes have a hidden true performance per region: handling time, transit speed and how far their
real shipping cost strays from the predicted one. Some nearby nodes are slow or costly (a
backlogged city store, a store whose carrier surcharges), some distant ones fast (a DC beside an
air hub). Orders arrive over simulated days and go through the real sourcing engine; each
allocation's delivery time and actual cost come from the hidden truth; the real outcome label,
node statistics, patterns, experiment evaluation and proposal rules run on their schedules
(labels hourly, node metrics every 4 h, patterns nightly, experiments daily).

Phase 1 sources with DISTANCE_OPTIMAL only. Phase 2 switches the rule to AI_ADAPTIVE on the
built-in advisor while an A/B experiment keeps `control_pct` % of the orders on DISTANCE_OPTIMAL,
so the lift is measured against a control running at the same time on the same kind of orders.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.domain.ai_overlay import LearningContext
from oms.domain.clock import iso
from oms.domain.geo import haversine_km
from oms.domain.learning import features, labels, model, stats
from oms.domain.learning.builtin import BuiltinAdvisor
from oms.domain.learning.stats import LabelledOutcome
from oms.domain.models import NodeStatus, NodeType, OrderCreate, Principal, Role
from oms.domain.network import Node
from oms.domain.orders import build_order
from oms.domain.products import CatalogPrice
from oms.domain.rules import SourcingRuleFields
from oms.domain.sourcing_engine import SOURCED, source_order

START = datetime(2026, 1, 5, tzinfo=UTC)  # the world's own calendar; nothing reads the real clock
PRINCIPAL = Principal(user_id="sim", email="sim@example.com", tenant_id="sim", role=Role.SUPERADMIN)
EXPERIMENT = "sim-control"
_ORDERS = uuid.UUID("3d0e2b4c-9a51-4c1e-8f7e-2b6c1d0a9e55")
SKUS = {f"SKU-{i}": Decimal(p) for i, p in enumerate(("12.00", "24.50", "39.99", "64.00", "129.00"))}

# code, latitude, longitude, type, cost multiplier (the seed's network)
NETWORK: tuple[tuple[str, float, float, NodeType, str], ...] = (
    ("DC-EAST", 40.5187, -74.4121, NodeType.DISTRIBUTION_CENTER, "0.9"),
    ("DC-WEST", 33.9425, -118.4081, NodeType.DISTRIBUTION_CENTER, "0.85"),
    ("DC-MID", 41.8781, -87.6298, NodeType.DISTRIBUTION_CENTER, "1.0"),
    ("STR-NYC-01", 40.7484, -73.9967, NodeType.RETAIL_STORE, "1.2"),
    ("STR-LA-01", 34.0736, -118.4004, NodeType.RETAIL_STORE, "1.15"),
    ("STR-CHI-01", 41.8937, -87.6267, NodeType.RETAIL_STORE, "1.1"),
    ("STR-MIA-01", 25.7907, -80.1300, NodeType.RETAIL_STORE, "1.3"),
    ("DARK-SF-01", 37.7749, -122.4194, NodeType.DARK_STORE, "1.05"),
)
# where customers are: (latitude, longitude, state, weight)
METROS: tuple[tuple[float, float, str, int], ...] = (
    (40.71, -74.01, "NY", 9), (42.36, -71.06, "MA", 4), (39.95, -75.17, "PA", 4),
    (41.88, -87.63, "IL", 6), (44.98, -93.27, "MN", 3), (39.10, -94.58, "MO", 2),
    (25.76, -80.19, "FL", 5), (33.75, -84.39, "GA", 4), (29.76, -95.37, "TX", 5),
    (32.78, -96.80, "TX", 3), (34.05, -118.24, "CA", 8), (37.77, -122.42, "CA", 4),
    (47.61, -122.33, "WA", 3), (33.45, -112.07, "AZ", 3),
)  # fmt: skip


@dataclass(frozen=True)
class Truth:
    """A node's hidden performance: hours before the parcel leaves, ground speed (km/h), whether it
    ships by air (fast anywhere), and its real cost against the predicted one (mean factor)."""

    handling_hours: float
    speed_kmh: float
    air: bool
    cost_factor: float


def hidden_truth(rng: random.Random) -> dict[str, Truth]:
    """The seed's network with a few surprises (the same for every seed; noise varies by seed).
    Ground parcels make about 600 km a day."""
    truth = {code: Truth(8.0, 25.0, False, 1.0) for code, *_ in NETWORK}
    truth["STR-NYC-01"] = Truth(56.0, 25.0, False, 1.0)  # nearest to New York, and backlogged
    truth["STR-LA-01"] = Truth(8.0, 25.0, False, 1.4)  # nearest to LA, and its carrier surcharges
    truth["STR-CHI-01"] = Truth(30.0, 25.0, False, 1.2)  # slow and a little costly
    truth["STR-MIA-01"] = Truth(10.0, 25.0, False, round(rng.uniform(1.25, 1.35), 3))  # costly
    truth["DC-MID"] = Truth(4.0, 25.0, True, 1.0)  # beside an air hub: a day anywhere
    truth["DARK-SF-01"] = Truth(2.0, 30.0, False, 1.0)  # quick, accurate
    return truth


@dataclass
class World:
    seed: int
    orders_per_day: int = 300
    phase1_days: int = 14
    phase2_days: int = 14
    control_pct: float = 20.0
    rng: random.Random = field(init=False)
    nodes: list[Node] = field(init=False)
    truth: dict[str, Truth] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - a simulation, not secrets
        stamp = iso(START)
        self.nodes = [
            Node(
                id=f"n-{code}", tenant_id="sim", code=code, name=code, node_type=kind,
                status=NodeStatus.ACTIVE, latitude=lat, longitude=lon, can_ship=True, can_pickup=True,
                can_curbside=False,
                can_same_day=False, daily_order_capacity=1_000_000, shipping_cost_multiplier=Decimal(mult),
                created_at=stamp, updated_at=stamp,
            )
            for code, lat, lon, kind, mult in NETWORK
        ]  # fmt: skip
        self.truth = hidden_truth(self.rng)
        self.stock = {(n.id, sku): 10**9 for n in self.nodes for sku in SKUS}

    # ------------------------------------------------------------------ the outside world
    def order(self, number: int, at: datetime) -> Any:
        lat, lon, state, _ = self.rng.choices(METROS, weights=[m[3] for m in METROS])[0]
        lines = self.rng.sample(list(SKUS), self.rng.choice((1, 1, 2, 3)))
        request = OrderCreate.model_validate(
            {
                "channel": self.rng.choice(("WEB", "WEB", "MOBILE")),
                "fulfillment_type": "SHIP_TO_HOME",
                "customer_email": f"c{number}@example.com",
                "customer_name": "Sim",
                "line_items": [{"sku": s, "quantity": self.rng.choice((1, 1, 2))} for s in lines],
                "shipping_address": {
                    "address1": "1 Main St",
                    "city": "X",
                    "state": state,
                    "latitude": lat + self.rng.uniform(-0.3, 0.3),
                    "longitude": lon + self.rng.uniform(-0.3, 0.3),
                },
            }
        )
        return build_order(
            request,
            order_id=str(uuid.uuid5(_ORDERS, f"{self.seed}|{number}")),
            principal=PRINCIPAL,
            now=iso(at),
            catalog_prices={s: CatalogPrice(p, "USD") for s, p in SKUS.items()},
            idempotency_key=None,
        )

    def deliver(self, node: Node, order: Any) -> tuple[float, float]:
        """Hours from order to door and the actual/predicted cost factor, from the hidden truth."""
        truth = self.truth[node.code]
        address = order.shipping_address
        km = haversine_km(address.latitude, address.longitude, node.latitude, node.longitude)
        transit = 18.0 if truth.air else km / truth.speed_kmh
        hours = (truth.handling_hours + transit) * math.exp(self.rng.gauss(0, 0.15))
        cost = truth.cost_factor * math.exp(self.rng.gauss(0, 0.03))
        return hours, cost


@dataclass
class Result:
    outcomes: list[LabelledOutcome]
    phase1: list[LabelledOutcome]
    phase2: list[LabelledOutcome]
    proposals: list[dict[str, Any]]
    experiment: stats.ExperimentResult
    fallbacks: dict[str, int]

    def mean(self, rows: list[LabelledOutcome]) -> float:
        return sum(o.score for o in rows) / len(rows) if rows else 0.0

    def table(self) -> list[tuple[str, int, float]]:
        groups: defaultdict[str, list[LabelledOutcome]] = defaultdict(list)
        for o in self.phase1:
            groups["phase 1: DISTANCE_OPTIMAL"].append(o)
        for o in self.phase2:
            arm = "control (A)" if o.arm == "A" else "AI (B)"
            groups[f"phase 2, {arm}: {o.strategy}"].append(o)
        return [(name, len(rows), self.mean(rows)) for name, rows in sorted(groups.items())]

    @property
    def ai_mean(self) -> float:
        return self.mean([o for o in self.phase2 if o.arm == "B"])

    @property
    def control_mean(self) -> float:
        return self.mean([o for o in self.phase2 if o.arm == "A"])

    @property
    def lift(self) -> float:
        return (self.ai_mean - self.control_mean) / self.control_mean if self.control_mean else 0.0


def run(world: World) -> Result:
    """Play both phases; outcomes are labelled when their hourly job comes after delivery."""
    advisor = BuiltinAdvisor()
    distance = SourcingRuleFields(name="default", priority=1, strategy="DISTANCE_OPTIMAL")
    adaptive = SourcingRuleFields(name="ai", priority=1, strategy="AI_ADAPTIVE")
    labelled: list[LabelledOutcome] = []
    waiting: list[tuple[datetime, int, LabelledOutcome]] = []  # (label time, tiebreak, outcome)
    context = LearningContext(advisor=advisor)
    phase1: list[LabelledOutcome] = []
    phase2: list[LabelledOutcome] = []
    proposals: list[dict[str, Any]] = []
    fallbacks: defaultdict[str, int] = defaultdict(int)
    experiment = stats.ExperimentResult()
    total_days = world.phase1_days + world.phase2_days
    number = 0
    tiebreak = itertools.count()
    for day in range(total_days):
        for hour in range(24):
            now = START + timedelta(days=day, hours=hour)
            while waiting and waiting[0][0] <= now:  # label_outcomes (hourly)
                labelled.append(heapq.heappop(waiting)[2])
            if hour % 4 == 0:  # update_node_performance (every 4 h) and, at midnight, patterns
                patterns, metrics, version = model.snapshot(labelled, now)
                if hour == 0:
                    context = LearningContext(advisor, patterns, metrics, version)
                    month = stats.patterns(stats.within(labelled, now, 30))
                    proposals = [stats.proposal_for(p) for p in month if stats.deserves_proposal(p)]
                    experiment = stats.evaluate_experiment(labelled, EXPERIMENT)
                else:
                    context = LearningContext(advisor, context.patterns, metrics, version)
            for _ in range(world.orders_per_day // 24 + (hour < world.orders_per_day % 24)):
                number += 1
                at = now + timedelta(minutes=world.rng.uniform(0, 59))
                order = world.order(number, at)
                second = day >= world.phase1_days
                arm = stats.arm_for(EXPERIMENT, order.id, 100 - world.control_pct) if second else None
                rule = adaptive if arm == "B" else distance
                decision = source_order(
                    order, world.nodes, world.stock, iso(at)[:10], rule=rule, learning=context,
                    experiment={"id": EXPERIMENT, "arm": arm} if arm else None,
                )  # fmt: skip
                if decision.ai and decision.ai.get("outcome") == "fallback":
                    fallbacks[str(decision.ai["fallback_reason"])] += 1
                if decision.outcome != SOURCED:
                    continue
                cluster = features.order_cluster(order)
                predicted = {c["node_id"]: Decimal(c["estimated_cost"]) for c in decision.candidates}
                for node_id in decision.nodes_used:
                    node = next(n for n in world.nodes if n.id == node_id)
                    hours, factor = world.deliver(node, order)
                    actual = (predicted[node_id] * Decimal(repr(round(factor, 4)))).quantize(Decimal("0.01"))
                    label = labels.label(hours, predicted[node_id], actual, backordered=False, returned=False)
                    outcome = LabelledOutcome(
                        order_id=order.id, node_id=node_id, cluster=cluster, strategy=decision.strategy,
                        sourced_at=iso(at), score=label.score, delivery_hours=round(hours, 2),
                        cost_variance=label.cost_variance, experiment_id=EXPERIMENT if arm else None, arm=arm,
                    )  # fmt: skip
                    heapq.heappush(waiting, (at + timedelta(hours=hours), next(tiebreak), outcome))
                    (phase2 if second else phase1).append(outcome)
    return Result(labelled, phase1, phase2, proposals, experiment, dict(fallbacks))
