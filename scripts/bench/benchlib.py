"""Helpers for benchmarks in scripts/bench (importable as `benchlib` from every bench_*.py)."""

from __future__ import annotations

import statistics
from typing import Any


class SkipBenchmark(Exception):
    """Raise from run() when the benchmark cannot run in this environment (says why)."""


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    higher_is_better: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """One printed figure; `target` makes the runner mark it OK or MISS (and fail on MISS)."""
    fig: dict[str, Any] = {"name": name, "value": float(value), "unit": unit}
    if target is not None:
        fig["target"] = target
        fig["higher_is_better"] = higher_is_better
    if note:
        fig["note"] = note
    return fig


def median(values: list[float]) -> float:
    return statistics.median(values)
