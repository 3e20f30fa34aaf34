"""Strategy registry: a new strategy is one module that calls `register` at import."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oms.domain.strategies.base import Strategy

_STRATEGIES: dict[str, Strategy] = {}


def register(strategy: Strategy) -> Strategy:
    """Add a strategy under its name; a second one with the same name is a programming error."""
    if strategy.name in _STRATEGIES and _STRATEGIES[strategy.name] is not strategy:
        raise ValueError(f"strategy {strategy.name} is already registered")
    _STRATEGIES[strategy.name] = strategy
    return strategy


def get(name: str) -> Strategy:
    try:
        return _STRATEGIES[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}") from None


def names() -> list[str]:
    return sorted(_STRATEGIES)
