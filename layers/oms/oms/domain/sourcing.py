"""The sourcing plan as the fulfilment machine carries it from Source to Reserve (the engine
that makes it is `sourcing_engine`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    outcome: str  # SOURCED | PARTIALLY_SOURCED | BACKORDERED
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
