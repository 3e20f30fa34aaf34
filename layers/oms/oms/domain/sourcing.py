"""Foundation sourcing: the nearest node that can fill the whole order, else a split over the
nearest nodes, else a backorder. Pure: it gets nodes and stock, returns a plan.

The full rules engine (strategies, rule conditions, optimal split, decision trail) replaces
`plan_sourcing` behind the same signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from oms.domain.geo import haversine_km
from oms.domain.inventory import item_id_for
from oms.domain.models import Node, NodeStatus, Order

DEFAULT_MAX_SPLIT_NODES = 3


@dataclass(frozen=True)
class PlannedAllocation:
    node_id: str
    node_code: str
    sku: str
    quantity: int
    item_id: str
    distance_km: float | None


@dataclass
class SourcingPlan:
    outcome: str  # SOURCED | BACKORDERED
    strategy: str
    allocations: list[PlannedAllocation] = field(default_factory=list)
    backordered: dict[str, int] = field(default_factory=dict)
    candidates: list[dict[str, object]] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "strategy": self.strategy,
            "reason": self.reason,
            "allocations": [a.__dict__ for a in self.allocations],
            "backordered": self.backordered,
            "candidates": self.candidates,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SourcingPlan:
        allocations = [PlannedAllocation(**a) for a in data.get("allocations", [])]  # type: ignore[attr-defined]
        return cls(
            outcome=str(data["outcome"]),
            strategy=str(data.get("strategy", "")),
            allocations=allocations,
            backordered=dict(data.get("backordered", {})),  # type: ignore[call-overload]
            candidates=list(data.get("candidates", [])),  # type: ignore[call-overload]
            reason=str(data.get("reason", "")),
        )


def eligible_nodes(order: Order, nodes: Sequence[Node], today: str) -> list[Node]:
    capability = order.fulfillment_type.capability
    result = []
    for node in nodes:
        if node.status != NodeStatus.ACTIVE or node.deleted_at or not node.has(capability):
            continue
        used_today = node.current_daily_orders if node.capacity_date == today else 0
        if used_today >= node.daily_order_capacity:
            continue
        if order.fulfillment_type.is_pickup and node.id != order.pickup_node_id:
            continue
        result.append(node)
    return result


def plan_sourcing(
    order: Order,
    nodes: Sequence[Node],
    available: Mapping[tuple[str, str], int],
    today: str,
    max_split_nodes: int = DEFAULT_MAX_SPLIT_NODES,
) -> SourcingPlan:
    """`available` maps (node_id, sku) to the quantity that can still be reserved there."""
    candidates = eligible_nodes(order, nodes, today)
    address = order.shipping_address
    destination = (address.latitude, address.longitude) if address else (None, None)

    def distance(node: Node) -> float | None:
        if destination[0] is None or destination[1] is None:
            return None
        return round(haversine_km(destination[0], destination[1], node.latitude, node.longitude), 3)

    distances = {node.id: distance(node) for node in candidates}
    ranked = sorted(
        candidates, key=lambda n: (distances[n.id] if distances[n.id] is not None else 0.0, n.code)
    )
    needs = {line.sku: line.quantity for line in order.line_items}
    summary: list[dict[str, object]] = [
        {
            "node_id": n.id,
            "code": n.code,
            "distance_km": distances[n.id],
            "stock": {sku: available.get((n.id, sku), 0) for sku in needs},
        }
        for n in ranked
    ]

    def alloc(node: Node, sku: str, qty: int) -> PlannedAllocation:
        return PlannedAllocation(
            node_id=node.id,
            node_code=node.code,
            sku=sku,
            quantity=qty,
            item_id=item_id_for(order.tenant_id, node.id, sku),
            distance_km=distances[node.id],
        )

    if not ranked:
        return SourcingPlan(
            "BACKORDERED",
            "NEAREST_FILL",
            backordered=dict(needs),
            candidates=summary,
            reason="no active node offers " + order.fulfillment_type.capability,
        )

    for node in ranked:
        if all(available.get((node.id, sku), 0) >= qty for sku, qty in needs.items()):
            return SourcingPlan(
                "SOURCED",
                "NEAREST_FILL",
                allocations=[alloc(node, sku, qty) for sku, qty in needs.items()],
                candidates=summary,
                reason=f"{node.code} is the nearest node holding every line",
            )

    if order.fulfillment_type.is_pickup:
        return SourcingPlan(
            "BACKORDERED",
            "NEAREST_FILL",
            backordered=dict(needs),
            candidates=summary,
            reason="the pickup node cannot fill the order",
        )

    # Split: hardest SKU first (fewest nodes holding it), nearest nodes first, prefer nodes in use.
    remaining = dict(needs)
    left = {(n.id, sku): available.get((n.id, sku), 0) for n in ranked for sku in needs}
    used: list[Node] = []
    allocations: list[PlannedAllocation] = []
    order_of_skus = sorted(needs, key=lambda s: (sum(1 for n in ranked if left[(n.id, s)] > 0), s))
    for sku in order_of_skus:
        for node in sorted(ranked, key=lambda n: (n not in used, ranked.index(n))):
            if remaining[sku] == 0:
                break
            if node not in used and len(used) >= max_split_nodes:
                continue
            take = min(left[(node.id, sku)], remaining[sku])
            if take <= 0:
                continue
            allocations.append(alloc(node, sku, take))
            left[(node.id, sku)] -= take
            remaining[sku] -= take
            if node not in used:
                used.append(node)
    short = {sku: qty for sku, qty in remaining.items() if qty > 0}
    if short:
        return SourcingPlan(
            "BACKORDERED",
            "NEAREST_FILL",
            backordered=dict(needs),
            candidates=summary,
            reason="stock across eligible nodes cannot cover " + ", ".join(sorted(short)),
        )
    return SourcingPlan(
        "SOURCED",
        "NEAREST_FILL",
        allocations=allocations,
        candidates=summary,
        reason=f"split over {len(used)} nodes",
    )
