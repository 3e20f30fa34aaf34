"""The outcome label (the KubeRiva seed's): how well a sourcing decision turned out, 0..1.

`0.4 delivery + 0.3 cost + 0.2 (not backordered) + 0.1 (not returned)`, where delivery is 1.0 within
24 h of the order, 0.5 within 48 h, 0.2 within 72 h, else 0 (never delivered: 0), and cost is 1.0
when the actual shipping cost is within 5 % of the predicted one, 0.7 within 15 %, 0.3 within 25 %,
else 0 (no actual cost reported: the prediction is taken as right, 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def delivery_score(hours: float | None) -> float:
    if hours is None:
        return 0.0
    if hours <= 24:
        return 1.0
    if hours <= 48:
        return 0.5
    if hours <= 72:
        return 0.2
    return 0.0


def cost_variance(predicted: Decimal | None, actual: Decimal | None) -> float | None:
    """(actual - predicted) / predicted, or None when either is unknown or nothing was predicted."""
    if predicted is None or actual is None or predicted <= 0:
        return None
    return float((actual - predicted) / predicted)


def cost_score(variance: float | None) -> float:
    if variance is None:
        return 1.0
    off = abs(variance)
    if off <= 0.05:
        return 1.0
    if off <= 0.15:
        return 0.7
    if off <= 0.25:
        return 0.3
    return 0.0


@dataclass(frozen=True)
class Label:
    score: float
    delivery: float
    cost: float
    delivery_hours: float | None
    cost_variance: float | None
    backordered: bool
    returned: bool


def label(
    delivery_hours: float | None,
    predicted_cost: Decimal | None,
    actual_cost: Decimal | None,
    *,
    backordered: bool,
    returned: bool,
) -> Label:
    delivery = delivery_score(delivery_hours)
    variance = cost_variance(predicted_cost, actual_cost)
    cost = cost_score(variance)
    score = 0.4 * delivery + 0.3 * cost + 0.2 * (not backordered) + 0.1 * (not returned)
    return Label(round(score, 4), delivery, cost, delivery_hours, variance, backordered, returned)
