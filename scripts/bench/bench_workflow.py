"""Workflow validation time (ADR 0035): how long PUT /workflow spends validating a tenant's
graph of 100 statuses, the figure the issue asks for.

Method: the built-in lifecycle (19 statuses, every one its phase's anchor) plus 81 custom statuses
in chains inside the warehouse and carrier phases (PICKING, PACKING, SHIPPED, OUT_FOR_DELIVERY),
each with an exit to the next and to CANCELLED or FAILED, which is a graph every rule has to walk
(reachability, exits, anchors, the machine's edges, the stock rule per transition). The document is
parsed (pydantic) and validated as the API does, 200 times after 20 warm-up runs; median and p95 of
wall-clock time. The graph must pass: a validation that finds a problem measures nothing."""

from __future__ import annotations

import statistics
import time
from typing import Any

from oms.domain.workflow_graph import WorkflowDoc, default_doc
from oms.domain.workflow_validation import problems

RUNS, WARMUP = 200, 20
_CHAINS = (
    ("PICKING", "PACKING", "CANCELLED"),
    ("PACKING", "READY_TO_SHIP", "CANCELLED"),
    ("SHIPPED", "OUT_FOR_DELIVERY", "FAILED"),
    ("OUT_FOR_DELIVERY", "DELIVERED", "FAILED"),
)


def generated_graph(statuses: int = 100) -> dict[str, Any]:
    """A valid workflow document of `statuses` statuses (at least the 19 built-in ones)."""
    doc = default_doc().dump()
    extra = statuses - len(doc["statuses"])
    per_chain = [extra // len(_CHAINS) + (1 if i < extra % len(_CHAINS) else 0) for i in range(len(_CHAINS))]
    for (phase, after, bail), count in zip(_CHAINS, per_chain, strict=True):
        previous = phase
        for n in range(count):
            code = f"{phase}_STEP_{n + 1}"
            doc["statuses"].append({"code": code, "name": f"{phase.title()} step {n + 1}", "phase": phase})
            doc["transitions"] += [{"from": previous, "to": code}, {"from": code, "to": bail}]
            previous = code
        if count:
            doc["transitions"].append({"from": previous, "to": after})
    return doc


def _time_once(raw: dict[str, Any]) -> float:
    started = time.perf_counter()
    found = problems(WorkflowDoc.model_validate(raw), endpoint_ids=set())
    elapsed = (time.perf_counter() - started) * 1000
    if found:
        raise AssertionError(f"the generated graph does not validate: {found[:3]}")
    return elapsed


def run() -> list[dict[str, Any]]:
    from benchlib import figure

    raw = generated_graph(100)
    for _ in range(WARMUP):
        _time_once(raw)
    times = sorted(_time_once(raw) for _ in range(RUNS))
    p95 = times[int(0.95 * (len(times) - 1))]
    note = f"{len(raw['statuses'])} statuses, {len(raw['transitions'])} transitions, {RUNS} runs"
    return [
        figure(
            "workflow validation, 100 statuses (median)", statistics.median(times), "ms", target=50, note=note
        ),
        figure("workflow validation, 100 statuses (p95)", p95, "ms", target=100, note=note),
    ]
