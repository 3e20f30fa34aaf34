"""A/B experiments between sourcing strategies (ADR 0025): the `/architect/experiments` use cases,
the assignment sourcing asks for on every order, and the daily evaluation.

- `assign(order)`: which experiment and arm an order belongs to, if any (oms.domain.experiments:
  the oldest ACTIVE experiment whose filters match). It reads the tenant's experiments through a
  per-process cache of `CACHE_SECONDS` on the one clock, so a pause reaches every sourcing process
  within a minute, and never fails sourcing: a store error is logged and the order is not in an
  experiment.
- `evaluate_all(tenant)`: the `evaluate_experiments` job: each ACTIVE experiment with a winner
  (`stats.evaluate_experiment` over the labelled outcomes of the last `WINDOW_DAYS` days) is
  COMPLETED with its winner and result, written conditioned on the version read.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from oms.domain.clock import last_days, now_iso, utcnow
from oms.domain.experiments import (
    Experiment,
    ExperimentFields,
    ExperimentStatus,
    assignment,
    moved,
    running_order,
)
from oms.domain.learning.stats import ExperimentResult, LabelledOutcome, evaluate_experiment
from oms.domain.models import Order, Principal
from oms.services import documents
from oms.services.context import repos, retry_lost_updates

log = logging.getLogger(__name__)

CACHE_SECONDS = 60
WINDOW_DAYS = 30
_MAX_CACHED_TENANTS = 1000


def _parsed(docs: Iterable[dict[str, Any]]) -> list[Experiment]:
    return documents.valid(Experiment, docs, "experiment")


def _view(experiment: Experiment, version: int | None = None) -> dict[str, Any]:
    return documents.view(experiment, version)


def _get(tenant_id: str, experiment_id: str) -> tuple[Experiment, int]:
    return documents.require(repos.experiments, Experiment, tenant_id, experiment_id, "experiment_not_found")


# ------------------------------------------------------------------ the routes
def create_experiment(
    principal: Principal,
    fields: ExperimentFields,
    *,
    status: ExperimentStatus = ExperimentStatus.ACTIVE,
    experiment_id: str | None = None,
) -> dict[str, Any]:
    """A new experiment (ACTIVE from the API; PAUSED when a proposal is applied, under the id the
    proposal chose, so applying twice cannot create two)."""
    now = now_iso()
    experiment = Experiment(
        **fields.model_dump(),
        id=experiment_id or str(uuid.uuid4()),
        status=status,
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
    )
    repos.experiments.insert(principal.tenant_id, experiment.id, experiment.model_dump(mode="json"))
    forget_cache(principal.tenant_id)
    return _view(experiment, 1)


def list_experiments(principal: Principal, status: ExperimentStatus | None = None) -> list[dict[str, Any]]:
    found = _parsed(repos.experiments.all(principal.tenant_id))
    chosen = [e for e in found if status is None or e.status is status]
    return [_view(e) for e in sorted(chosen, key=lambda e: (e.created_at, e.id), reverse=True)]


def get_experiment(principal: Principal, experiment_id: str) -> dict[str, Any]:
    return _view(*_get(principal.tenant_id, experiment_id))


def change_status(principal: Principal, experiment_id: str, action: str) -> dict[str, Any]:
    """pause (ACTIVE -> PAUSED) or resume (PAUSED -> ACTIVE); anything else is 409."""

    def attempt() -> dict[str, Any]:
        experiment, version = _get(principal.tenant_id, experiment_id)
        changed = experiment.model_copy(update={"status": moved(experiment, action), "updated_at": now_iso()})
        doc = changed.model_dump(mode="json")
        repos.experiments.replace(principal.tenant_id, experiment_id, doc, version)
        return _view(changed, version + 1)

    view = retry_lost_updates(attempt, "experiment")
    forget_cache(principal.tenant_id)
    return view


def _result_view(experiment: Experiment, result: ExperimentResult, days: list[str]) -> dict[str, Any]:
    arms = {
        arm: {
            "strategy": experiment.strategy_of(arm),
            "samples": result.arms[arm].samples,
            "mean_score": result.arms[arm].mean_score,
        }
        for arm in ("A", "B")
    }
    return {
        "arms": arms,
        "winner": result.winner,
        "winner_strategy": experiment.strategy_of(result.winner) if result.winner else None,
        "reason": result.reason,
        "window": {"days": WINDOW_DAYS, "from": days[0], "to": days[-1]},
        "evaluated_at": now_iso(),
    }


def results(principal: Principal, experiment_id: str) -> dict[str, Any]:
    """Live per-arm aggregation over the labelled outcomes of the last WINDOW_DAYS days (only the
    days since the experiment was created are read)."""
    experiment, _ = _get(principal.tenant_id, experiment_id)
    days = last_days(WINDOW_DAYS, experiment.created_at)
    outcomes = [
        o for o in repos.learning.labelled_on(principal.tenant_id, days) if o.experiment_id == experiment.id
    ]
    return {
        "experiment_id": experiment.id,
        "status": experiment.status.value,
        "declared_winner": experiment.winner,
        **_result_view(experiment, evaluate_experiment(outcomes, experiment.id), days),
    }


# ------------------------------------------------------------------ assignment (sourcing)
_cache: dict[str, tuple[datetime, list[Experiment]]] = {}
_cache_lock = threading.Lock()


def forget_cache(tenant_id: str | None = None) -> None:
    """Drop the cached experiments of a tenant (all tenants with None): this process's own
    changes take effect at once, other processes' within CACHE_SECONDS."""
    with _cache_lock:
        if tenant_id is None:
            _cache.clear()
        else:
            _cache.pop(tenant_id, None)


def _running(tenant_id: str) -> list[Experiment]:
    now = utcnow()
    with _cache_lock:
        hit = _cache.get(tenant_id)
    if hit is not None and hit[0] <= now < hit[0] + timedelta(seconds=CACHE_SECONDS):
        return hit[1]
    running = running_order(_parsed(repos.experiments.all(tenant_id)))
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED_TENANTS:
            _cache.pop(min(_cache, key=lambda t: _cache[t][0]))
        _cache[tenant_id] = (now, running)
    return running


def assign(order: Order) -> tuple[str, dict[str, str]] | None:
    """(strategy, {"id": experiment id, "arm": "A" | "B"}) when the order belongs to an ACTIVE
    experiment, else None. Called for every order sourced; never raises."""
    try:
        return assignment(order, _running(order.tenant_id))
    except Exception:  # an experiment must never fail an order: it is sourced as if there were none
        log.warning(
            "experiments of tenant %s unavailable; order %s sourced without",
            order.tenant_id,
            order.id,
            exc_info=True,
        )
        return None


# ------------------------------------------------------------------ the daily job
def _complete(tenant_id: str, experiment_id: str, result: dict[str, Any], winner: str) -> bool:
    """Mark an experiment COMPLETED with its winner, if it is still ACTIVE."""

    def attempt() -> bool:
        experiment, version = _get(tenant_id, experiment_id)
        if experiment.status is not ExperimentStatus.ACTIVE:
            return False  # paused (or completed) meanwhile: leave it as the person left it
        done = experiment.model_copy(
            update={
                "status": ExperimentStatus.COMPLETED,
                "winner": winner,
                "result": result,
                "updated_at": now_iso(),
            }
        )
        repos.experiments.replace(tenant_id, experiment_id, done.model_dump(mode="json"), version)
        return True

    return retry_lost_updates(attempt, "experiment")


def evaluate_all(tenant_id: str) -> dict[str, Any]:
    """Evaluate every ACTIVE experiment of the tenant (one read of the window's labelled outcomes
    for all of them); complete those with a winner. Running it again changes nothing more."""
    running = running_order(_parsed(repos.experiments.all(tenant_id)))
    report: dict[str, Any] = {"evaluated": len(running), "completed": [], "undecided": []}
    if not running:
        return report
    ids = {e.id for e in running}
    days = last_days(WINDOW_DAYS, min(e.created_at for e in running))
    by_experiment: defaultdict[str, list[LabelledOutcome]] = defaultdict(list)
    for o in repos.learning.labelled_on(tenant_id, days):
        if o.experiment_id in ids:
            by_experiment[o.experiment_id].append(o)
    for experiment in running:
        result = evaluate_experiment(by_experiment[experiment.id], experiment.id)
        if result.winner is None:
            report["undecided"].append({"id": experiment.id, "reason": result.reason})
            continue
        view = _result_view(experiment, result, last_days(WINDOW_DAYS, experiment.created_at))
        if _complete(tenant_id, experiment.id, view, result.winner):
            report["completed"].append(
                {"id": experiment.id, "winner": result.winner, "strategy": view["winner_strategy"]}
            )
    forget_cache(tenant_id)
    return report
