"""The learning loop's use cases (ADR 0023): what the advisor is shown when an order is sourced,
the outcome records a decision leaves, and the scheduled jobs that label outcomes and turn them
into node metrics and patterns.

- `label_outcomes` (hourly) drains the learning queue, which the outbox feeds with the events that
  end an order's delivery (delivered, picked up, returned, refunded), and labels each node the
  order shipped from with the seed's outcome score;
- `update_node_performance` (every 4 h) turns the labelled outcomes of the last 30 days into 7- and
  30-day statistics per node and cluster;
- `discover_patterns` (nightly) ranks the nodes of each cluster and compares AI with
  DISTANCE_OPTIMAL; a cluster with enough evidence gets a pending proposal;
- `evaluate_experiments` (daily) declares winners.

Every read is by key: outcomes beside their order, labels under their sourcing day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from oms.adapters import metrics, queues
from oms.config import settings
from oms.domain.advisor import Advisor, NodeMetrics, PatternView
from oms.domain.ai_overlay import LearningContext
from oms.domain.clock import epoch, last_days, now_iso, parse_iso, utcnow
from oms.domain.errors import DomainError
from oms.domain.events import LABELLING_EVENTS, DomainEvent
from oms.domain.learning import features, labels, stats
from oms.domain.learning.builtin import BuiltinAdvisor
from oms.domain.learning.stats import ALL_CLUSTERS, LabelledOutcome
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Order
from oms.domain.sourcing_engine import SourcingDecision
from oms.services.context import repos

log = logging.getLogger(__name__)

JOBS = (
    "label_outcomes",
    "update_node_performance",
    "discover_patterns",
    "evaluate_experiments",
    "reconcile_analytics",
    "generate_invoices",  # Invoice Guard (ADR 0032)
    "validate_invoices",
    "sla_sweep",
)
WINDOW_DAYS = 30
METRICS_DAYS = (7, 30)
LABELS_KEPT_DAYS = 90
MODEL_CACHE_SECONDS = 300.0
_S = OrderStatus


# ---------------------------------------------------------------------- the advisor and its model
_advisor_lock = threading.Lock()
_advisor: list[Advisor] = []
_models: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
_models_lock = threading.Lock()


def advisor() -> Advisor:
    """The process's advisor, built once (its breaker and cache live in it): Claude when a key is
    configured, else the built-in model."""
    with _advisor_lock:
        if not _advisor:
            from oms.adapters.claude_advisor import claude_advisor
            from oms.services import ai_cache

            cfg = settings()
            claude = claude_advisor(
                api_key=cfg.anthropic_api_key,
                api_key_param=cfg.anthropic_api_key_param,
                base_url=cfg.anthropic_base_url,
                model=cfg.claude_model,
                budget=repos.ai_budget.for_limit(cfg.claude_daily_tokens),
                timeout_s=cfg.claude_timeout_seconds,
                region=cfg.region,
                env={},  # configuration comes from settings() only
                generation=ai_cache.generation,  # a cache clear reaches this cache too (ADR 0033)
            )
            _advisor.append(claude if claude is not None else BuiltinAdvisor())
        return _advisor[0]


def reset() -> None:
    with _advisor_lock:
        _advisor.clear()
    with _models_lock:
        _models.clear()


def _model(tenant_id: str) -> dict[str, dict[str, Any]]:
    """The tenant's stored model, read at most every few minutes per process."""
    now = epoch()
    with _models_lock:
        cached = _models.get(tenant_id)
    if cached is not None and now - cached[0] < MODEL_CACHE_SECONDS:
        return cached[1]
    found = repos.learning.model(tenant_id)
    with _models_lock:
        _models[tenant_id] = (now, found)
    return found


def learning_context(tenant_id: str) -> LearningContext:
    """What AI strategies are given for the tenant's orders. A model that cannot be read means no
    patterns (the strategies fall back, saying why): sourcing never fails because of it."""
    try:
        model = _model(tenant_id)
    except DomainError as exc:
        log.warning("learning model unavailable for %s: %s", tenant_id, exc)
        model = {}
    patterns_doc, metrics_doc = model.get("patterns", {}), model.get("metrics", {})
    patterns = [PatternView.model_validate(p) for p in patterns_doc.get("patterns", [])]
    rows = metrics_doc.get("periods", {}).get("7", [])
    metrics = [
        NodeMetrics.model_validate({k: v for k, v in row.items() if k != "cluster"})
        for row in rows
        if row.get("cluster") == ALL_CLUSTERS
    ]
    version = f"{metrics_doc.get('version', '')}.{patterns_doc.get('version', '')}"
    return LearningContext(advisor(), patterns, metrics, version)


# ---------------------------------------------------------------------- outcome records
def outcome_records(order: Order, decision: SourcingDecision, at: str) -> list[dict[str, Any]]:
    """One record per node the decision uses: what was predicted, to be judged when it arrives."""
    trail = {c["node_id"]: c for c in decision.candidates}
    experiment = decision.experiment or {}
    records = []
    for node_id in decision.nodes_used:
        entry = trail.get(node_id, {})
        records.append(
            {
                "order_id": order.id,
                "node_id": node_id,
                "node_code": entry.get("code"),
                "cluster": features.order_cluster(order),
                "features": features.features(order),
                "strategy": decision.strategy,
                "requested_strategy": decision.requested_strategy,
                "rule_score": entry.get("rule_score", entry.get("score")),
                "ai_score": entry.get("ai_score"),
                "ai_reason": entry.get("ai_reason"),
                "advisor": (decision.ai or {}).get("advisor"),
                "predicted_cost": entry.get("estimated_cost"),
                "distance_km": entry.get("distance_km"),
                "experiment_id": experiment.get("id"),
                "arm": experiment.get("arm"),
                "sourced_at": at,
            }
        )
    return records


def record_decision(order: Order, decision: SourcingDecision, at: str) -> None:
    """The decision's outcome records, and the advisor call it made (if any) as a metric."""
    if decision.nodes_used:
        repos.learning.put_outcomes(order.tenant_id, order.id, outcome_records(order, decision, at))
    ai = decision.ai or {}
    if ai.get("model"):  # an advisor was asked (a fallback before asking has no model)
        metrics.ai_call(
            str(ai["model"]),
            str(ai.get("fallback_reason") or ai.get("outcome") or "used"),
            input_tokens=int(ai.get("input_tokens") or 0),
            output_tokens=int(ai.get("output_tokens") or 0),
            latency_ms=float(ai.get("latency_ms") or 0.0),
            tenant_id=order.tenant_id,
        )


# ---------------------------------------------------------------------- labelling
def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def label_order(order: Order, outcomes: Iterable[dict[str, Any]]) -> list[LabelledOutcome]:
    """Label each outcome of a node the order shipped from (or was picked up at): delivery hours
    from the order's placing to its delivery there, the carrier's actual cost against the
    prediction, whether the order was ever backordered, whether it came back."""
    history = order.status_history
    backordered = any(h.status == _S.BACKORDERED for h in history)
    # it came back: its phase says so, or any unit of it was received back on a return (ADR 0038)
    returned = order.status in (_S.PARTIALLY_RETURNED, _S.RETURNED, _S.REFUNDED) or any(
        (order.returned_quantities or {}).values()
    )
    picked_up = next((h.at for h in history if h.status == _S.PICKED_UP), None)
    shipped_nodes = {a.node_id for a in order.allocations if a.state == "SHIPPED"}
    found = []
    for outcome in outcomes:
        node_id = str(outcome["node_id"])
        if node_id not in shipped_nodes:
            continue  # an earlier plan's node, or a part of the order that never shipped
        shipment = next((s for s in order.shipments if s.node_id == node_id), None)
        if shipment is None and len(order.shipments) == 1 and order.shipments[0].node_id is None:
            shipment = order.shipments[0]  # a callback that did not name its node
        delivered = shipment.delivered_at if shipment is not None else picked_up
        hours = None
        if delivered:
            hours = (parse_iso(delivered) - parse_iso(order.created_at)).total_seconds() / 3600
        actual = shipment.actual_cost if shipment is not None else None
        label = labels.label(
            hours, _money(outcome.get("predicted_cost")), actual, backordered=backordered, returned=returned
        )
        found.append(
            LabelledOutcome(
                order_id=order.id,
                node_id=node_id,
                cluster=str(outcome["cluster"]),
                strategy=str(outcome["strategy"]),
                sourced_at=str(outcome["sourced_at"]),
                score=label.score,
                delivery_hours=None if hours is None else round(hours, 2),
                cost_variance=None if label.cost_variance is None else round(label.cost_variance, 4),
                experiment_id=outcome.get("experiment_id"),
                arm=outcome.get("arm"),
            )
        )
    return found


def label_outcomes(tenant_id: str | None = None, max_messages: int = 5000) -> dict[str, Any]:
    """Drain the learning queue (up to `max_messages`), labelling the orders its events name. A
    message is deleted once its order is labelled or found not to need it; one that failed comes
    back (and, after a few tries, rests in the queue's dead-letter queue). `tenant_id` only
    narrows the figures returned: the queue is shared and every tenant's orders are labelled."""
    url = settings().learning_queue_url
    counts = {"messages": 0, "orders": 0, "labelled": 0, "skipped": 0, "failed": 0}
    if not url:
        return counts
    while counts["messages"] < max_messages:
        batch = queues.receive(url, 10)
        if not batch:
            break
        done = []
        for handle, body in batch:
            counts["messages"] += 1
            try:
                event = DomainEvent.model_validate_json(body)
            except ValidationError:
                log.warning("learning queue: not a domain event, dropped: %s", body[:200])
                done.append(handle)
                continue
            mine = tenant_id is None or event.tenant_id == tenant_id
            try:
                labelled = _label_one(event)
            except DomainError as exc:
                log.warning("could not label order %s yet: %s", event.order_id, exc)
                counts["failed"] += mine
                continue
            done.append(handle)
            if mine:
                counts["orders"] += 1
                counts["labelled"] += labelled
                counts["skipped"] += not labelled
        queues.delete(url, done)
    return counts


def _label_one(event: DomainEvent) -> int:
    if event.type not in LABELLING_EVENTS:
        return 0
    order = repos.orders.get(event.tenant_id, event.order_id)
    if order is None:
        return 0
    outcomes = repos.learning.outcomes_of(event.tenant_id, event.order_id)
    labelled = label_order(order, outcomes)
    if labelled:
        repos.learning.put_labelled(event.tenant_id, labelled, int(epoch()) + LABELS_KEPT_DAYS * 86400)
    return len(labelled)


# ---------------------------------------------------------------------- statistics jobs
def _window(tenant_id: str, days: int = WINDOW_DAYS) -> list[LabelledOutcome]:
    return list(repos.learning.labelled_on(tenant_id, last_days(days + 1)))


def update_node_performance(tenant_id: str) -> dict[str, Any]:
    outcomes = _window(tenant_id)
    now = utcnow()
    periods: dict[str, list[dict[str, Any]]] = {}
    for days in METRICS_DAYS:
        rows = stats.node_performance(stats.within(outcomes, now, days))
        periods[str(days)] = [{"node_id": n, "cluster": c, **view} for (n, c), view in rows.items()]
    version = f"m{int(epoch())}"
    repos.learning.save_model_part(
        tenant_id, "metrics", {"at": now_iso(), "version": version, "periods": periods}
    )
    with _models_lock:
        _models.pop(tenant_id, None)
    return {"outcomes": len(outcomes), "rows": {k: len(v) for k, v in periods.items()}}


def discover_patterns(
    tenant_id: str, propose: Callable[[str, list[stats.Pattern]], int] | None = None
) -> dict[str, Any]:
    """Rank nodes per cluster over 30 days; `propose` turns the clusters that earned it into
    pending proposals (the architect service's)."""
    now = utcnow()
    found = stats.patterns(stats.within(_window(tenant_id), now, WINDOW_DAYS))
    version = f"p{int(epoch())}"
    doc = {"at": now_iso(), "version": version, "patterns": [p.view() for p in found]}
    repos.learning.save_model_part(tenant_id, "patterns", doc)
    with _models_lock:
        _models.pop(tenant_id, None)
    deserving = [p for p in found if stats.deserves_proposal(p)]
    proposed = propose(tenant_id, deserving) if propose is not None and deserving else 0
    return {"patterns": len(found), "deserving": len(deserving), "proposed": proposed}
