"""The sourcing engine: rule -> candidate filter -> scores -> strategy allocation -> decision trail.

Pure: it is handed the nodes and the available stock of the order's SKUs and returns a decision;
loading and reserving belong to the caller. `SourcingDecision.to_plan()` gives the foundation's
`SourcingPlan`, so the engine can replace `plan_sourcing` without touching its callers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oms.domain import strategies
from oms.domain.advisor import AI_STRATEGIES
from oms.domain.ai_overlay import LearningContext, Overlay, overlay
from oms.domain.geo import haversine_km
from oms.domain.inventory import item_id_for
from oms.domain.models import NodeStatus, Order
from oms.domain.network import Node
from oms.domain.rules import DEFAULT_STRATEGY, SourcingRule, SourcingRuleFields, select_rule
from oms.domain.sourcing import PlannedAllocation, SourcingPlan
from oms.domain.strategies.base import Allocation, Candidate, Context, Strategy, package_cost, plan_cost

SOURCED = "SOURCED"
PARTIALLY_SOURCED = "PARTIALLY_SOURCED"  # some lines allocated, the rest BACKORDERED
BACKORDERED = "BACKORDERED"
DEFAULT_TIME_BUDGET_MS = 25.0  # as config.sourcing_time_budget_ms (SOURCING_TIME_BUDGET_MS)


@dataclass
class SourcingDecision:
    """The decision trail: what was chosen, from which candidates, and why."""

    outcome: str
    strategy: str
    rule_id: str | None
    rule_name: str | None
    allocations: list[PlannedAllocation] = field(default_factory=list)
    backordered: dict[str, int] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    estimated_cost: Decimal = Decimal("0.00")
    optimal: bool | None = None
    processing_ms: float = 0.0
    # daily order capacity of each node used, so the reserve step can count against it
    node_capacity: dict[str, int] = field(default_factory=dict)
    requested_strategy: str | None = None  # the rule's (or experiment arm's), if not `strategy`
    ai: dict[str, Any] | None = None  # the advisor's audit for AI strategies (used or why not)
    experiment: dict[str, str] | None = None  # {"id", "arm"} when an experiment chose the strategy

    @property
    def nodes_used(self) -> list[str]:
        return list(dict.fromkeys(a.node_id for a in self.allocations))

    def to_plan(self) -> SourcingPlan:
        return SourcingPlan(
            outcome=self.outcome,
            strategy=self.strategy,
            allocations=list(self.allocations),
            backordered=dict(self.backordered),
            candidates=list(self.candidates),
            reason=self.reason,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.to_plan().to_dict(),
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "estimated_cost": str(self.estimated_cost),
            "optimal": self.optimal,
            "processing_ms": round(self.processing_ms, 3),
            "node_capacity": dict(self.node_capacity),
            "requested_strategy": self.requested_strategy,
            "ai": self.ai,
            "experiment": self.experiment,
        }


def _exclusion(
    node: Node,
    order: Order,
    rule: SourcingRuleFields,
    strategy: Strategy,
    today: str,
    distance: float | None,
) -> str | None:
    """Why a node cannot serve this order at all, or None if it can."""
    capability = order.fulfillment_type.capability
    if node.deleted_at:
        return "excluded: node is deleted"
    if node.status != NodeStatus.ACTIVE:
        return f"excluded: node is {node.status.value}"
    if order.fulfillment_type.is_pickup and node.id != order.pickup_node_id:
        return "excluded: not the pickup node of this order"
    if node.id in rule.excluded_node_ids:
        return "excluded by rule: node is on the rule's exclusion list"
    if rule.allowed_node_types and node.node_type not in rule.allowed_node_types:
        return f"excluded by rule: node type {node.node_type.value} not allowed"
    if strategy.node_types is not None and node.node_type not in strategy.node_types:
        return f"excluded: {strategy.name} uses {', '.join(sorted(strategy.node_types))} only"
    for needed in dict.fromkeys([capability, *rule.required_capabilities]):
        if not node.has(needed):
            return f"excluded: lacks {needed}"
    used_today = node.current_daily_orders if node.capacity_date == today else 0
    if used_today >= node.daily_order_capacity:
        return f"excluded: daily capacity of {node.daily_order_capacity} orders reached"
    if rule.max_distance_km is not None and distance is not None and distance > rule.max_distance_km:
        return f"excluded by rule: {distance:.0f} km is beyond {rule.max_distance_km:g} km"
    return None


def _normalise(candidates: list[Candidate]) -> None:
    """Seed normalisation across the candidate set: 1 - d/max_d, 1 - c/max_c, inv/max_inv."""
    max_d = max((c.distance_km or 0.0 for c in candidates), default=0.0)
    max_c = max((c.cost for c in candidates), default=Decimal("0"))
    max_inv = max((c.sum_inv for c in candidates), default=0)
    for c in candidates:
        c.dist_score = 1.0 - (c.distance_km or 0.0) / max_d if max_d > 0 else 1.0
        c.cost_score = 1.0 - float(c.cost / max_c) if max_c > 0 else 1.0
        c.inv_score = c.sum_inv / max_inv if max_inv > 0 else 0.0


def _stock_note(candidate: Candidate, needs: Mapping[str, int]) -> str:
    short = [f"{s} {candidate.stock[s]}/{q}" for s, q in needs.items() if candidate.stock[s] < q]
    return "holds every line" if not short else "short of " + ", ".join(short)


def _explain(
    trail: list[dict[str, Any]],
    candidates: list[Candidate],
    lines: Mapping[str, Mapping[str, int]],
    result: Allocation | None,
    needs: Mapping[str, int],
) -> None:
    """Write each eligible candidate's score and why it was or was not used into its trail entry."""
    by_id = {c.node.id: (i + 1, c) for i, c in enumerate(candidates)}
    for entry in trail:
        found = by_id.get(entry["node_id"])
        if found is None:
            continue
        rank, candidate = found
        entry["score"] = round(candidate.score, 4)
        position = f"score {candidate.score:.3f}, rank {rank} of {len(candidates)}"
        shipped = lines.get(candidate.node.id)
        if shipped:
            entry["chosen"] = True
            items = ", ".join(f"{s} x{q}" for s, q in shipped.items())
            entry["reason"] = f"chosen ({result.mode if result else ''}): ships {items}; {position}"
        elif result is not None and result.mode == "single" and candidate.fills_all:
            entry["reason"] = f"not chosen: holds every line but {position}"
        elif result is not None and result.mode == "split":
            entry["reason"] = f"not used in the split ({_stock_note(candidate, needs)}); {position}"
        else:
            entry["reason"] = f"not chosen: {_stock_note(candidate, needs)}; {position}"


def _score(
    order: Order,
    strategy: Strategy,
    rule: SourcingRuleFields,
    candidates: list[Candidate],
    learning: LearningContext | None,
) -> tuple[Strategy, Overlay | None]:
    """Normalise and score the candidates, overlay the advice for an AI strategy (or fall back to
    DISTANCE_OPTIMAL's scores), and sort them best first. Returns the strategy that decided."""
    _normalise(candidates)
    for c in candidates:
        c.score = strategy.score(c, rule)
    advised = overlay(order, strategy.name, candidates, learning) if candidates else None
    if advised is not None and advised.strategy != strategy.name:  # the advisor could not help
        strategy = strategies.get(advised.strategy)
        for c in candidates:
            c.score = strategy.score(c, rule)
    candidates.sort(key=lambda c: (-c.score, c.distance_km or 0.0, c.node.code))
    return strategy, advised


def _explain_advice(
    trail: list[dict[str, Any]], advised: Overlay | None, requested: str
) -> dict[str, Any] | None:
    """Each candidate's rule and AI scores (and the advisor's reason) into the trail; returns the
    advice's audit for the decision (None for a strategy without an advisor)."""
    if advised is not None and advised.ai_scores:
        for entry in trail:
            node_id = entry["node_id"]
            if node_id in advised.rule_scores:
                entry["rule_score"] = round(advised.rule_scores[node_id], 4)
                entry["ai_score"] = advised.ai_scores.get(node_id)
                entry["ai_reason"] = advised.reasons.get(node_id, "")
    if advised is not None and advised.audit:
        return advised.audit
    if requested in AI_STRATEGIES:  # no candidate to ask about
        return {"outcome": "fallback", "fallback_reason": "no_candidates", "detail": "no eligible node"}
    return None


def source_order(
    order: Order,
    nodes: Sequence[Node],
    available: Mapping[tuple[str, str], int],
    today: str,
    rules: Iterable[SourcingRuleFields] = (),
    *,
    rule: SourcingRuleFields | None = None,
    default_strategy: str = DEFAULT_STRATEGY,
    time_budget_ms: float = DEFAULT_TIME_BUDGET_MS,
    clock: Callable[[], float] = time.perf_counter,
    learning: LearningContext | None = None,
    strategy_override: str | None = None,
    experiment: dict[str, str] | None = None,
) -> SourcingDecision:
    """Decide where each line ships from. `available` maps (node_id, sku) to reservable units;
    `rule` forces a rule (dry runs), otherwise the first matching of `rules`, else the default.
    `time_budget_ms` bounds the strategy's allocation (OPTIMAL_SPLIT's search), read on `clock`
    (seconds, monotonic). `learning` serves the AI strategies (advisor, patterns, node metrics);
    `strategy_override` replaces the rule's strategy (an experiment's arm, recorded as
    `experiment`)."""
    started = clock()
    chosen_rule = rule if rule is not None else select_rule(rules, order)
    effective = chosen_rule or SourcingRuleFields(name="default", priority=0, strategy=default_strategy)
    requested = strategy_override or effective.strategy
    strategy = strategies.get(requested)
    needs: dict[str, int] = {}
    for line in order.line_items:
        needs[line.sku] = needs.get(line.sku, 0) + line.quantity

    address = order.shipping_address
    here = (address.latitude, address.longitude) if address else (None, None)
    trail: list[dict[str, Any]] = []
    candidates: list[Candidate] = []
    for node in nodes:
        distance = (
            round(haversine_km(here[0], here[1], node.latitude, node.longitude), 3)
            if here[0] is not None and here[1] is not None
            else None
        )
        stock = {sku: max(0, available.get((node.id, sku), 0)) for sku in needs}
        cost = package_cost(node, distance)
        entry: dict[str, Any] = {
            "node_id": node.id,
            "code": node.code,
            "node_type": node.node_type.value,
            "distance_km": distance,
            "estimated_cost": str(cost),
            "stock": stock,
            "score": None,
            "chosen": False,
        }
        why = _exclusion(node, order, effective, strategy, today, distance)
        if why is not None:
            entry["reason"] = why
            trail.append(entry)
            continue
        candidate = Candidate(
            node=node,
            distance_km=distance,
            cost=cost,
            stock=stock,
            fills_all=all(stock[s] >= q for s, q in needs.items()),
        )
        candidates.append(candidate)
        trail.append(entry)

    strategy, advised = _score(order, strategy, effective, candidates, learning)

    max_nodes = 1 if order.fulfillment_type.is_pickup else effective.max_split_nodes
    ctx = Context(
        needs=dict(needs),
        candidates=candidates,
        rule=effective,
        max_nodes=max_nodes,
        allow_partial=effective.allows_split,
        clock=clock,
        deadline=clock() + time_budget_ms / 1000.0,
    )
    result = strategy.allocate(ctx) if candidates else None

    by_id = {c.node.id: c for c in candidates}
    lines = result.lines if result else {}
    allocations = [
        PlannedAllocation(
            node_id=node_id,
            node_code=by_id[node_id].node.code,
            sku=sku,
            quantity=qty,
            item_id=item_id_for(order.tenant_id, node_id, sku),
            distance_km=by_id[node_id].distance_km,
        )
        for node_id, per_sku in lines.items()
        for sku, qty in per_sku.items()
        if qty > 0
    ]
    allocated: dict[str, int] = {}
    for a in allocations:
        allocated[a.sku] = allocated.get(a.sku, 0) + a.quantity
    backordered = {s: q - allocated.get(s, 0) for s, q in needs.items() if q > allocated.get(s, 0)}
    outcome = SOURCED if not backordered else PARTIALLY_SOURCED if allocations else BACKORDERED

    _explain(trail, candidates, lines, result, needs)
    ai_audit = _explain_advice(trail, advised, requested)

    costs = {c.node.id: c.cost for c in candidates}
    estimated = plan_cost(lines, costs, effective.extra_package_penalty)
    if not candidates:
        reason = "no eligible node: " + ("every node was excluded" if trail else "the tenant has no nodes")
    elif result is None or not allocations:
        reason = (result.note if result else "") or "no eligible node holds any of the order's stock"
    else:
        reason = result.note
    if backordered:
        reason += "; backordered " + ", ".join(f"{s} x{q}" for s, q in backordered.items())
    return SourcingDecision(
        outcome=outcome,
        strategy=strategy.name,
        rule_id=chosen_rule.id if isinstance(chosen_rule, SourcingRule) else None,
        rule_name=chosen_rule.name if chosen_rule is not None else None,
        allocations=allocations,
        backordered=backordered,
        candidates=trail,
        reason=reason,
        estimated_cost=estimated,
        optimal=result.optimal if result else None,
        processing_ms=(clock() - started) * 1000.0,
        node_capacity={
            node_id: by_id[node_id].node.daily_order_capacity
            for node_id, per_sku in lines.items()
            if any(per_sku.values())
        },
        requested_strategy=requested if requested != strategy.name else None,
        ai=ai_audit,
        experiment=experiment,
    )
