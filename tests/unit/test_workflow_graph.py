"""Workflows as data (ADR 0035): validation (every rule), phase/anchor resolution, the stock rule,
and a status change of an order checked against a tenant's graph."""

from __future__ import annotations

from typing import Any

import pytest

from oms.domain import orders as order_rules
from oms.domain.errors import IllegalTransition, ValidationFailed
from oms.domain.fulfilment import decide
from oms.domain.lifecycle import DEFAULT_TRANSITIONS, OrderStatus
from oms.domain.models import FulfilmentEvent
from oms.domain.workflow_graph import DEFAULT_TENANT_WORKFLOW, TenantWorkflow, WorkflowDoc, default_doc
from oms.domain.workflow_stock import Work, stock_work
from oms.domain.workflow_validation import problems, validated
from tests.unit.test_sourcing import make_order

S = OrderStatus


def _doc(**change: Any) -> dict[str, Any]:
    return {**default_doc().dump(), **change}


def _with_quality_check() -> dict[str, Any]:
    """QUALITY_CHECK (phase PICKING, not its anchor) between PICKING and PACKING."""
    doc = default_doc().dump()
    doc["statuses"].append(
        {"code": "QUALITY_CHECK", "name": "Quality check", "color": "#123456", "phase": "PICKING"}
    )
    doc["transitions"] = [t for t in doc["transitions"] if (t["from"], t["to"]) != ("PICKING", "PACKING")]
    doc["transitions"] += [
        {"from": "PICKING", "to": "QUALITY_CHECK"},
        {"from": "QUALITY_CHECK", "to": "PACKING"},
        {"from": "QUALITY_CHECK", "to": "CANCELLED"},
    ]
    return doc


def _codes(doc: dict[str, Any]) -> list[str]:
    return sorted({p["problem"] for p in problems(WorkflowDoc.model_validate(doc))})


def test_the_default_workflow_is_the_built_in_lifecycle_and_passes():
    doc = default_doc()
    assert problems(doc) == []
    assert {s.code for s in doc.statuses} == {s.value for s in OrderStatus}
    assert all(s.anchor for s in doc.statuses)
    assert [s.code for s in doc.statuses if s.terminal] == ["REFUNDED"]
    edges = {(t.from_, t.to) for t in doc.transitions}
    assert edges == {(a.value, b.value) for a, targets in DEFAULT_TRANSITIONS.items() for b in targets}
    emails = {(a.status, a.config["template"]) for a in doc.actions if a.type == "email"}
    assert emails == {
        ("SOURCING", "order_confirmation"),
        ("SHIPPED", "order_shipped"),
        ("DELIVERED", "order_delivered"),
        ("CANCELLED", "order_cancelled"),
    }


def test_a_custom_status_inside_a_phase_passes():
    assert _codes(_with_quality_check()) == []


def test_a_generated_100_status_graph_passes():
    from scripts.bench.bench_workflow import generated_graph

    doc = WorkflowDoc.model_validate(generated_graph(100))
    assert len(doc.statuses) == 100
    assert problems(doc) == []


def test_codes_must_be_unique_and_well_formed():
    doc = _with_quality_check()
    doc["statuses"].append({"code": "QUALITY_CHECK", "name": "again", "phase": "PICKING"})
    doc["statuses"].append({"code": "lower", "name": "bad", "phase": "PICKING"})
    doc["transitions"].append({"from": "PICKING", "to": "lower"})
    doc["transitions"].append({"from": "lower", "to": "PACKING"})
    assert {"duplicate_code", "invalid_code"} <= set(_codes(doc))


def test_every_status_must_be_reachable_from_the_start():
    doc = _doc()
    doc["statuses"].append({"code": "LIMBO", "name": "Limbo", "phase": "PICKING"})
    doc["transitions"].append({"from": "LIMBO", "to": "PACKING"})
    found = problems(WorkflowDoc.model_validate(doc))
    assert [(p["problem"], p["status"]) for p in found] == [("unreachable", "LIMBO")]


def test_terminal_statuses_have_no_exits_and_the_others_have_one():
    doc = _doc()
    for s in doc["statuses"]:
        if s["code"] == "DELIVERED":
            s["terminal"] = True  # but it has exits (RETURNED, REFUNDED)
    doc["statuses"].append({"code": "STUCK", "name": "Stuck", "phase": "PICKING"})
    doc["transitions"].append({"from": "PICKING", "to": "STUCK"})
    found = {(p["problem"], p["status"]) for p in problems(WorkflowDoc.model_validate(doc))}
    assert found == {("terminal_has_exit", "DELIVERED"), ("dead_end", "STUCK")}


@pytest.mark.parametrize("phase", ["SOURCING", "SOURCED", "PICKING", "SHIPPED", "DELIVERED", "CANCELLED"])
def test_each_machine_driven_phase_needs_exactly_one_anchor(phase):
    missing = _doc()
    for s in missing["statuses"]:
        if s["code"] == phase:
            s["anchor"] = False
    assert "missing_anchor" in _codes(missing)
    twice = _doc()
    twice["statuses"].append({"code": f"{phase}_TOO", "name": "x", "phase": phase, "anchor": True})
    twice["transitions"].append({"from": phase, "to": f"{phase}_TOO"})
    twice["transitions"].append({"from": f"{phase}_TOO", "to": phase})
    found = problems(WorkflowDoc.model_validate(twice))
    assert ("duplicate_anchor", f"{phase}_TOO") in {(p["problem"], p["status"]) for p in found}


def test_the_machines_own_edges_must_exist():
    doc = _doc()
    doc["transitions"] = [t for t in doc["transitions"] if (t["from"], t["to"]) != ("SOURCED", "BACKORDERED")]
    found = problems(WorkflowDoc.model_validate(doc))
    assert [(p["problem"], p["status"]) for p in found] == [("missing_machine_transition", "SOURCED")]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("CONFIRMED", "PICKING"),  # reserved without reserving
        ("PACKING", "DELIVERED"),  # committed without committing
        ("SHIPPED", "PICKING"),  # committed back to reserved
        ("PICKING", "CONFIRMED"),  # reserved back to nothing without releasing
        ("DELIVERED", "CANCELLED"),  # a cancel of shipped goods releases nothing
        ("BACKORDERED", "SOURCED"),  # reserved only by the SOURCING step
        ("PICKING", "REFUNDED"),  # refunded with stock still reserved
    ],
)
def test_no_transition_skips_releasing_or_committing_stock(source, target):
    doc = _doc()
    doc["transitions"].append({"from": source, "to": target})
    found = problems(WorkflowDoc.model_validate(doc))
    assert [(p["problem"], p["status"]) for p in found] == [("skips_stock_work", source)]


def test_the_stock_rule_names_the_code_path_of_each_move():
    assert stock_work(S.SOURCING, S.SOURCED) == Work.RESERVE
    assert stock_work(S.SOURCED, S.BACKORDERED) == Work.EXPIRE
    assert stock_work(S.READY_TO_SHIP, S.SHIPPED) == Work.COMMIT
    assert stock_work(S.READY_FOR_PICKUP, S.PICKED_UP) == Work.COMMIT
    assert stock_work(S.PICKING, S.CANCELLED) == Work.RELEASE
    assert stock_work(S.SHIPPED, S.FAILED) == Work.RELEASE
    assert stock_work(S.FAILED, S.CONFIRMED) == Work.RETRY
    assert stock_work(S.PICKING, S.PACKING) == Work.NONE
    assert stock_work(S.DELIVERED, S.RETURNED) == Work.NONE
    assert stock_work(S.PICKING, S.PICKING) == Work.NONE
    assert stock_work(S.PENDING, S.SOURCED) is None
    assert stock_work(S.SHIPPED, S.CANCELLED) is None


def test_actions_must_name_a_status_and_a_valid_config():
    doc = _doc()
    doc["actions"] = [
        {"id": "a1", "status": "NOWHERE", "type": "email", "config": {"template": "order_shipped"}},
        {"id": "a2", "status": "SHIPPED", "type": "email", "config": {"template": "no_such"}},
        {"id": "a3", "status": "SHIPPED", "type": "sms", "config": {}},
        {"id": "a4", "status": "RETURNED", "type": "adjust_inventory", "config": {"mode": "burn"}},
        {"id": "a5", "status": "SHIPPED", "type": "webhook", "config": {"endpoint_id": "gone"}},
        {"id": "a5", "status": "SHIPPED", "type": "webhook", "config": {"endpoint_id": "ep1", "x": 1}},
    ]
    found = problems(WorkflowDoc.model_validate(doc), endpoint_ids={"ep1"})
    assert [(p["problem"], p["status"]) for p in found] == [
        ("unknown_status", "NOWHERE"),
        ("invalid_action", "SHIPPED"),
        ("invalid_action", "SHIPPED"),
        ("invalid_action", "RETURNED"),
        ("invalid_action", "SHIPPED"),
        ("duplicate_action", "SHIPPED"),
        ("invalid_action", "SHIPPED"),
    ]


def test_size_limits_are_named():
    doc = _doc()
    doc["statuses"] = doc["statuses"] * 11  # 209
    assert _codes(doc) == ["too_many_statuses"]


def test_validated_raises_invalid_workflow_listing_every_problem():
    doc = _doc()
    doc["transitions"].append({"from": "PENDING", "to": "SHIPPED"})
    doc["transitions"].append({"from": "PENDING", "to": "NOWHERE"})
    with pytest.raises(ValidationFailed) as caught:
        validated(WorkflowDoc.model_validate(doc))
    assert caught.value.code == "invalid_workflow"
    assert {p["problem"] for p in caught.value.details} == {"skips_stock_work", "unknown_status"}


# ------------------------------------------------------------------ resolution and moves
def test_phase_anchor_and_current_code_resolution():
    graph = TenantWorkflow(WorkflowDoc.model_validate(_with_quality_check()), version=3)
    assert graph.anchor(S.PICKING) == "PICKING" and graph.phase_of("QUALITY_CHECK") == S.PICKING
    assert not graph.is_anchor("QUALITY_CHECK") and graph.is_anchor("PICKING")
    assert graph.current_code(S.PICKING, "QUALITY_CHECK") == "QUALITY_CHECK"
    assert graph.current_code(S.PICKING, None) == "PICKING"  # an old record
    # a code this version dropped (or of another phase) falls back to its phase's anchor
    assert graph.current_code(S.PICKING, "GONE") == "PICKING"
    assert graph.current_code(S.PACKING, "QUALITY_CHECK") == "PACKING"


def test_an_order_moves_through_a_custom_status_and_the_machine_follows_the_graph():
    graph = TenantWorkflow(WorkflowDoc.model_validate(_with_quality_check()))
    order = make_order().model_copy(update={"status": S.PICKING, "status_code": "PICKING"})
    # the machine's PACKING no longer follows PICKING directly
    with pytest.raises(IllegalTransition) as caught:
        decide(order, FulfilmentEvent(type="PACKING"), graph)
    assert caught.value.details["allowed"] == ["CANCELLED", "FAILED", "QUALITY_CHECK"]
    checked = order_rules.advance(
        order,
        S.PICKING,
        actor="u",
        now="2026-01-01T00:00:00Z",
        event_type="order.status_changed",
        workflow=graph,
        code="QUALITY_CHECK",
    )
    assert (checked.status, checked.status_code) == (S.PICKING, "QUALITY_CHECK")
    entry = checked.events[-1]
    assert (entry.from_code, entry.to_code, entry.anchor) == ("PICKING", "QUALITY_CHECK", False)
    outcome = decide(checked, FulfilmentEvent(type="PACKING"), graph)
    packed = order_rules.advance(
        checked,
        outcome.target,
        actor="wms",
        now="2026-01-01T00:01:00Z",
        event_type="fulfilment.packing",
        workflow=graph,
    )
    assert (packed.status, packed.status_code, packed.events[-1].anchor) == (S.PACKING, "PACKING", None)
    # the default graph still accepts the built-in move
    assert decide(order, FulfilmentEvent(type="PACKING"), DEFAULT_TENANT_WORKFLOW).target == S.PACKING
