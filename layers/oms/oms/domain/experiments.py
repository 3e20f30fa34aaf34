"""A/B experiments between two sourcing strategies (issue 9, ADR 0025). Pure: the models a
SUPERADMIN writes, the status moves, and which experiment (and arm) an order belongs to.

An order belongs to at most one experiment: the oldest ACTIVE experiment (by `created_at`, then
id) whose `filter_conditions` all match it; no conditions matches every order. Within it, the
order goes to arm B for `traffic_split_pct` % of orders, decided by a hash of (experiment id,
order id) (`stats.arm_for`): the same order always lands in the same arm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oms.domain.errors import IllegalTransition
from oms.domain.learning.stats import arm_for
from oms.domain.models import Order
from oms.domain.rules import Condition, condition_matches, order_facts

Arm = Literal["A", "B"]


class ExperimentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"


# status -> action -> the status it leads to (COMPLETED is final: the job declared a winner)
EXPERIMENT_MOVES: dict[ExperimentStatus, dict[str, ExperimentStatus]] = {
    ExperimentStatus.ACTIVE: {"pause": ExperimentStatus.PAUSED},
    ExperimentStatus.PAUSED: {"resume": ExperimentStatus.ACTIVE},
    ExperimentStatus.COMPLETED: {},
}


def _known_strategy(name: str) -> str:
    from oms.domain.strategies import registry

    if name not in registry.names():
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(registry.names())}")
    return name


class ExperimentFields(BaseModel):
    """What a SUPERADMIN writes (the seed's `ai_experiments` fields); the rest is the server's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    strategy_a: str = Field(min_length=1, max_length=50, description="the control arm's strategy")
    strategy_b: str = Field(min_length=1, max_length=50, description="the treatment arm's strategy")
    traffic_split_pct: float = Field(
        ge=0, le=100, allow_inf_nan=False, description="share of matching orders sent to strategy_b"
    )
    filter_conditions: list[Condition] = Field(
        default_factory=list, max_length=50, description="which orders take part; empty: all"
    )

    @field_validator("strategy_a", "strategy_b")
    @classmethod
    def _strategy(cls, v: str) -> str:
        return _known_strategy(v)

    @model_validator(mode="after")
    def _two_strategies(self) -> ExperimentFields:
        if self.strategy_a == self.strategy_b:
            raise ValueError("strategy_a and strategy_b must differ")
        return self


class Experiment(ExperimentFields):
    """A stored experiment: its fields, the server's identity and state, and the result the
    evaluation job stored when it declared a winner."""

    id: str = Field(min_length=1, max_length=64)
    status: ExperimentStatus
    created_by: str
    created_at: str
    updated_at: str
    winner: Arm | None = None
    result: dict[str, Any] | None = None

    def matches(self, facts: dict[str, Any]) -> bool:
        return all(condition_matches(c, facts) for c in self.filter_conditions)

    def strategy_of(self, arm: str) -> str:
        return self.strategy_b if arm == "B" else self.strategy_a


def moved(experiment: Experiment, action: str) -> ExperimentStatus:
    """The status `action` leads to, or 409 naming the actions the status allows."""
    allowed = EXPERIMENT_MOVES[experiment.status]
    if action not in allowed:
        raise IllegalTransition(
            f"cannot {action} an experiment that is {experiment.status.value}",
            details={"status": experiment.status.value, "allowed_actions": sorted(allowed)},
        )
    return allowed[action]


def running_order(experiments: Iterable[Experiment]) -> list[Experiment]:
    """The ACTIVE experiments in the order an order is tried against them: oldest first."""
    active = [e for e in experiments if e.status is ExperimentStatus.ACTIVE]
    return sorted(active, key=lambda e: (e.created_at, e.id))


def assignment(order: Order, running: Sequence[Experiment]) -> tuple[str, dict[str, str]] | None:
    """(strategy, {"id", "arm"}) for the first of `running` (see `running_order`) whose filters
    match the order, else None."""
    if not running:
        return None
    facts = order_facts(order)
    for experiment in running:
        if experiment.matches(facts):
            arm = arm_for(experiment.id, order.id, experiment.traffic_split_pct)
            return experiment.strategy_of(arm), {"id": experiment.id, "arm": arm}
    return None
