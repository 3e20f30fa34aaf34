"""Sourcing use cases: the rules a merchant edits, and running the engine for an order.

`decide` is the single data-access step in front of the pure engine: one query for the tenant's
nodes with today's capacity counters (they share a partition), one for the rules, and one
BatchGetItem per 100 (node, SKU) stock items.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from oms.config import settings
from oms.domain.advisor import AI_STRATEGIES
from oms.domain.clock import now_iso
from oms.domain.errors import NotFound, ValidationFailed
from oms.domain.inventory import item_id_for
from oms.domain.models import Order, OrderCreate, Principal
from oms.domain.network import Node
from oms.domain.rules import SourcingRule, SourcingRuleFields
from oms.domain.sourcing_engine import SourcingDecision, source_order
from oms.services import orders as order_service
from oms.services.context import repos, retry_lost_updates
from oms.services.learning import learning_context

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ deciding
def active_rules(tenant_id: str) -> list[SourcingRule]:
    """The tenant's rules. A stored rule that no longer validates (a strategy was removed) is
    skipped and logged rather than failing every order."""
    rules = []
    for doc in repos.rules.all(tenant_id):
        try:
            rules.append(SourcingRule.model_validate(doc))
        except ValidationError as exc:
            log.warning("sourcing rule %s skipped: %s", doc.get("id"), exc.errors()[:1])
    return rules


def held_by(order: Order) -> dict[str, int]:
    """Stock the order already holds (item id -> quantity): a partial allocation kept while the
    rest was backordered. It counts as available to this order when it is sourced again."""
    held: dict[str, int] = {}
    for a in order.allocations:
        if a.state == "RESERVED":
            key = a.item_id or item_id_for(order.tenant_id, a.node_id, a.sku)
            held[key] = held.get(key, 0) + a.quantity
    return held


@dataclass
class Candidates:
    """What the engine needs for a tenant's orders: nodes with today's counters, free stock."""

    day: str
    nodes: list[Node]
    available: dict[tuple[str, str], int]


def load_candidates(tenant_id: str, skus: Iterable[str], day: str | None = None) -> Candidates:
    day = day or now_iso()[:10]
    nodes = repos.nodes.all(tenant_id, day=day)
    unique_skus = list(dict.fromkeys(skus))
    wanted = [item_id_for(tenant_id, n.id, sku) for n in nodes for sku in unique_skus]
    items = repos.stock.batch_get(tenant_id, wanted)
    return Candidates(day, nodes, {(i.node_id, i.sku): i.available for i in items})


def decide_with(
    order: Order,
    candidates: Candidates,
    rules: Sequence[SourcingRuleFields],
    rule: SourcingRuleFields | None = None,
    assignment: tuple[str, dict[str, str]] | None = None,
) -> SourcingDecision:
    """Run the engine on loaded candidates; what the order already holds counts as available.
    `assignment` (an experiment's arm: strategy and tag) replaces the rule's strategy."""
    cfg = settings()
    available = dict(candidates.available)
    for a in order.allocations:
        if a.state == "RESERVED":
            available[(a.node_id, a.sku)] = available.get((a.node_id, a.sku), 0) + a.quantity
    strategies = {r.strategy for r in ([rule] if rule is not None else rules)} | {
        cfg.default_sourcing_strategy,
        *([assignment[0]] if assignment else []),
    }
    # the advisor and its model are only looked at when a rule may want them
    learning = learning_context(order.tenant_id) if strategies & AI_STRATEGIES else None
    return source_order(
        order,
        candidates.nodes,
        available,
        candidates.day,
        rules,
        rule=rule,
        default_strategy=cfg.default_sourcing_strategy,
        time_budget_ms=cfg.sourcing_time_budget_ms,
        learning=learning,
        strategy_override=assignment[0] if assignment else None,
        experiment=assignment[1] if assignment else None,
    )


def decide(order: Order, *, rule: SourcingRuleFields | None = None) -> SourcingDecision:
    """Load the candidates for the order and run the engine (nothing is reserved). Under the
    tenant's own rules, an active experiment the order matches picks the strategy of its arm (the
    same arm every time: a hash of the order id); a given `rule` (a dry run of it) is used as is."""
    from oms.services import experiments  # the architect's; it imports this module

    candidates = load_candidates(order.tenant_id, (line.sku for line in order.line_items))
    if rule is not None:
        return decide_with(order, candidates, (), rule)
    return decide_with(order, candidates, active_rules(order.tenant_id), None, experiments.assign(order))


# ------------------------------------------------------------------ rules CRUD
def _view(doc: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    rule = SourcingRule.model_validate(doc)
    view = rule.model_dump(mode="json")
    if version is not None:
        view["version"] = version
    return view


def _validated(fields: dict[str, Any]) -> SourcingRule:
    try:
        return SourcingRule.model_validate(fields)
    except ValidationError as exc:
        raise ValidationFailed(
            "invalid sourcing rule",
            details=[
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_context=False, include_input=False)
            ],
        ) from exc


def create_rule(
    principal: Principal, fields: SourcingRuleFields, *, rule_id: str | None = None
) -> dict[str, Any]:
    """A new rule; `rule_id` is for a caller that must not create it twice (an applied proposal):
    a second insert under the same id is 409 `duplicate_id`."""
    now = now_iso()
    rule = _validated(
        {
            **fields.model_dump(mode="json"),
            "id": rule_id or str(uuid.uuid4()),
            "created_at": now,
            "updated_at": now,
        }
    )
    doc = rule.model_dump(mode="json")
    repos.rules.insert(principal.tenant_id, str(rule.id), doc)
    return _view(doc, 1)


def list_rules(principal: Principal, active: bool | None = None) -> list[dict[str, Any]]:
    rules = active_rules(principal.tenant_id)
    ordered = sorted(rules, key=lambda r: (r.priority, r.name))
    return [r.model_dump(mode="json") for r in ordered if active is None or r.is_active == active]


def get_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    found = repos.rules.get(principal.tenant_id, rule_id)
    if found is None:
        raise NotFound(f"sourcing rule {rule_id} not found", code="rule_not_found")
    return _view(*found)


def _change_rule(principal: Principal, rule_id: str, change: dict[str, Any] | None) -> dict[str, Any]:
    """Read, apply, validate the whole rule, write conditioned on the version read."""

    def attempt() -> dict[str, Any]:
        found = repos.rules.get(principal.tenant_id, rule_id)
        if found is None:
            raise NotFound(f"sourcing rule {rule_id} not found", code="rule_not_found")
        doc, version = found
        fields = {**doc, **(change if change is not None else {"is_active": not doc.get("is_active", True)})}
        fields["updated_at"] = now_iso()
        new_doc = _validated(fields).model_dump(mode="json")
        repos.rules.replace(principal.tenant_id, rule_id, new_doc, version)
        return _view(new_doc, version + 1)

    return retry_lost_updates(attempt, "rule")


def update_rule(principal: Principal, rule_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    unknown = set(patch) - set(SourcingRuleFields.model_fields)
    if unknown or not patch:
        raise ValidationFailed(
            "invalid sourcing rule patch",
            details=[
                {"loc": ["body", name], "msg": "not a rule field", "type": "extra_forbidden"}
                for name in sorted(unknown)
            ]
            or [{"loc": ["body"], "msg": "nothing to change", "type": "value_error"}],
        )
    return _change_rule(principal, rule_id, patch)


def toggle_rule(principal: Principal, rule_id: str) -> dict[str, Any]:
    return _change_rule(principal, rule_id, None)


def delete_rule(principal: Principal, rule_id: str) -> None:
    if not repos.rules.delete(principal.tenant_id, rule_id):
        raise NotFound(f"sourcing rule {rule_id} not found", code="rule_not_found")


# ------------------------------------------------------------------ dry run
def evaluate(
    principal: Principal,
    *,
    order_id: str | None,
    order: OrderCreate | None,
    rule: SourcingRuleFields | None,
) -> dict[str, Any]:
    """The decision the engine would take now, for a stored order or an order payload, under the
    tenant's rules or a given (possibly unsaved) rule. Nothing is reserved or counted."""
    if order_id is not None:
        subject = order_service.get_order(principal, order_id)
    elif order is not None:
        subject = order_service.preview_order(order, principal)
    else:
        raise ValidationFailed(
            "give order_id or order",
            details=[{"loc": ["body"], "msg": "one of order_id, order is required", "type": "missing"}],
        )
    decision = decide(subject, rule=rule)
    return {"dry_run": True, "order_id": order_id, "decision": decision.to_dict()}
