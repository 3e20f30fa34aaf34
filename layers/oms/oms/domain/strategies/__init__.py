"""Sourcing strategies, one module each; importing the package registers them all."""

from oms.domain.strategies import (
    ai,
    cost_optimal,
    distance_optimal,
    inventory_reservation,
    least_cost_split,
    optimal_split,
    store_nearest,
)
from oms.domain.strategies.registry import get, names, register

__all__ = [
    "ai",
    "cost_optimal",
    "distance_optimal",
    "get",
    "inventory_reservation",
    "least_cost_split",
    "names",
    "optimal_split",
    "register",
    "store_nearest",
]
