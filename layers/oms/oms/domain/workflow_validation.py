"""Validation of a tenant's workflow before it is accepted (ADR 0035). Pure.

Every problem is listed (not just the first), each with a machine code:
`{"problem": <code>, "status": <code or null>, "message": ...}`; the API answers 422
`invalid_workflow` with them."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from oms.domain.errors import ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.workflow_graph import ACTION_TYPES, EMAIL_TEMPLATES, TenantWorkflow, WorkflowDoc
from oms.domain.workflow_stock import stock_work

S = OrderStatus
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
MAX_STATUSES, MAX_TRANSITIONS, MAX_ACTIONS = 200, 2000, 200

# The phases the machine moves orders into (fulfilment, sourcing, maintenance, callbacks,
# cancel/fail): each needs exactly one anchor status. The issue names sourcing, reserved
# (SOURCED), picking, shipped, delivered and cancelled; the machine also parks orders in
# PENDING (intake), CONFIRMED, BACKORDERED and FAILED.
MACHINE_PHASES: tuple[OrderStatus, ...] = (
    S.PENDING,
    S.CONFIRMED,
    S.SOURCING,
    S.SOURCED,
    S.BACKORDERED,
    S.PICKING,
    S.SHIPPED,
    S.DELIVERED,
    S.CANCELLED,
    S.FAILED,
)
# Edges the machine takes on its own, from every status of the first phase to the anchor of the
# second (an order sitting in a custom status of that phase must be movable by the machine too).
MACHINE_EDGES: tuple[tuple[OrderStatus, OrderStatus], ...] = (
    (S.PENDING, S.CONFIRMED),
    (S.CONFIRMED, S.SOURCING),
    (S.SOURCING, S.SOURCED),
    (S.SOURCING, S.BACKORDERED),
    (S.BACKORDERED, S.SOURCING),
    (S.SOURCED, S.BACKORDERED),
    (S.PENDING, S.FAILED),
    (S.CONFIRMED, S.FAILED),
    (S.SOURCING, S.FAILED),
)
WEBHOOK_ENDPOINT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INVENTORY_MODES = ("restock", "write_off")


def _problem(code: str, message: str, status: str | None = None) -> dict[str, Any]:
    return {"problem": code, "status": status, "message": message}


def problems(doc: WorkflowDoc, endpoint_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """Every problem of `doc`; empty when it may be accepted. `endpoint_ids`: the tenant's
    webhook endpoints (None: not checked, e.g. in the bench)."""
    found: list[dict[str, Any]] = []
    if len(doc.statuses) > MAX_STATUSES:
        found.append(_problem("too_many_statuses", f"at most {MAX_STATUSES} statuses"))
    if len(doc.transitions) > MAX_TRANSITIONS:
        found.append(_problem("too_many_transitions", f"at most {MAX_TRANSITIONS} transitions"))
    if len(doc.actions) > MAX_ACTIONS:
        found.append(_problem("too_many_actions", f"at most {MAX_ACTIONS} actions"))
    if found:
        return found  # nothing more is looked at in an oversized document
    codes: dict[str, OrderStatus] = {}
    for s in doc.statuses:
        if not CODE_PATTERN.match(s.code):
            found.append(_problem("invalid_code", "codes match ^[A-Z][A-Z0-9_]{1,39}$", s.code))
        if s.code in codes:
            found.append(_problem("duplicate_code", f"{s.code} is defined twice", s.code))
        codes[s.code] = s.phase
    found += _anchors(doc)
    edges: dict[str, set[str]] = {c: set() for c in codes}
    for t in doc.transitions:
        bad = [c for c in (t.from_, t.to) if c not in codes]
        for code in bad:
            found.append(_problem("unknown_status", f"transition {t.from_} -> {t.to} names {code}", code))
        if bad:
            continue
        if t.to in edges[t.from_]:
            found.append(_problem("duplicate_transition", f"{t.from_} -> {t.to} is listed twice", t.from_))
        edges[t.from_].add(t.to)
        if stock_work(codes[t.from_], codes[t.to]) is None:
            found.append(
                _problem(
                    "skips_stock_work",
                    f"{t.from_} ({codes[t.from_].value}) -> {t.to} ({codes[t.to].value}) would skip "
                    "releasing or committing stock: no code path does that move",
                    t.from_,
                )
            )
    found += _shape(doc, edges)
    if not any(p["problem"] in ("missing_anchor", "duplicate_anchor") for p in found):
        found += _machine_edges(doc, edges)
    found += _actions(doc, codes, endpoint_ids)
    return found


def _anchors(doc: WorkflowDoc) -> list[dict[str, Any]]:
    found = []
    anchors: dict[OrderStatus, list[str]] = {}
    for s in doc.statuses:
        if s.anchor:
            anchors.setdefault(s.phase, []).append(s.code)
    for phase, codes in anchors.items():
        if len(codes) > 1:
            found.append(
                _problem(
                    "duplicate_anchor", f"phase {phase.value} has {len(codes)} anchors: {codes}", codes[1]
                )
            )
    for phase in MACHINE_PHASES:
        if phase not in anchors:
            found.append(
                _problem(
                    "missing_anchor",
                    f"phase {phase.value} is driven by the fulfilment machine and needs one anchor status",
                    phase.value,
                )
            )
    return found


def _shape(doc: WorkflowDoc, edges: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Reachability from the start, terminal statuses without exits, the others with one."""
    found = []
    start = next((s.code for s in doc.statuses if s.anchor and s.phase == S.PENDING), None)
    if start is not None:
        seen, todo = {start}, deque([start])
        while todo:
            for nxt in edges.get(todo.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for s in doc.statuses:
            if s.code not in seen:
                found.append(_problem("unreachable", f"{s.code} cannot be reached from {start}", s.code))
    for s in doc.statuses:
        exits = edges.get(s.code, set()) - {s.code}
        if s.terminal and edges.get(s.code):
            found.append(_problem("terminal_has_exit", f"{s.code} is terminal but has transitions", s.code))
        elif not s.terminal and not exits:
            found.append(_problem("dead_end", f"{s.code} is not terminal but has no transition out", s.code))
    return found


def _machine_edges(doc: WorkflowDoc, edges: dict[str, set[str]]) -> list[dict[str, Any]]:
    found = []
    anchor = {s.phase: s.code for s in doc.statuses if s.anchor}
    for source, target in MACHINE_EDGES:
        for s in doc.statuses:
            if s.phase == source and anchor[target] not in edges.get(s.code, set()):
                found.append(
                    _problem(
                        "missing_machine_transition",
                        f"the fulfilment machine moves {source.value} orders to {target.value}: "
                        f"{s.code} -> {anchor[target]} is needed",
                        s.code,
                    )
                )
    return found


def _actions(
    doc: WorkflowDoc, codes: dict[str, OrderStatus], endpoint_ids: set[str] | None
) -> list[dict[str, Any]]:
    found = []
    seen: set[str] = set()
    for a in doc.actions:
        if a.id in seen:
            found.append(_problem("duplicate_action", f"action id {a.id} is used twice", a.status))
        seen.add(a.id)
        if a.status not in codes:
            found.append(_problem("unknown_status", f"action {a.id} names status {a.status}", a.status))
        problem = _config_problem(a.type, a.config, endpoint_ids)
        if problem:
            found.append(_problem("invalid_action", f"action {a.id}: {problem}", a.status))
    return found


def _config_problem(kind: str, config: dict[str, Any], endpoint_ids: set[str] | None) -> str | None:
    if kind not in ACTION_TYPES:
        return f"type must be one of {list(ACTION_TYPES)}"
    allowed = {"email": {"template", "first_entry_only"}, "webhook": {"endpoint_id"}}.get(kind, {"mode"})
    extra = set(config) - allowed
    if extra:
        return f"unknown config fields {sorted(extra)}"
    if "first_entry_only" in config and not isinstance(config["first_entry_only"], bool):
        return "first_entry_only is true or false"
    if kind == "email":
        if config.get("template") not in EMAIL_TEMPLATES:
            return f"template must be one of {list(EMAIL_TEMPLATES)}"
    elif kind == "webhook":
        endpoint = config.get("endpoint_id")
        if not isinstance(endpoint, str) or not WEBHOOK_ENDPOINT.match(endpoint):
            return "endpoint_id names a webhook endpoint"
        if endpoint_ids is not None and endpoint not in endpoint_ids:
            return f"no webhook endpoint {endpoint}"
    elif config.get("mode") not in INVENTORY_MODES:
        return f"mode must be one of {list(INVENTORY_MODES)}"
    return None


def validated(doc: WorkflowDoc, version: int = 0, endpoint_ids: set[str] | None = None) -> TenantWorkflow:
    """The workflow ready to use, or ValidationFailed (422 invalid_workflow) listing every problem."""
    found = problems(doc, endpoint_ids)
    if found:
        raise ValidationFailed(
            f"the workflow has {len(found)} problem(s)", details=found, code="invalid_workflow"
        )
    return TenantWorkflow(doc, version)
