"""A tenant's workflow as data (ADR 0035): its statuses (each mapped to a lifecycle *phase*, one of
the 20 built-in OrderStatus values), the transitions between them, and per-status actions.

Inside the system an order's `status` stays the phase (stock, index groups, radar and analytics
keep working on phases); `status_code` is the tenant's code. The machine (fulfilment, sourcing,
maintenance, callbacks, cancel/fail) moves an order into a phase: its target code is the phase's
*anchor* status, and the move must be an edge of the tenant's graph from the order's current code.
A person moves an order to a code (PATCH /orders/{id}/status). Pure: no I/O.

The default workflow is the built-in lifecycle (lifecycle.DEFAULT_TRANSITIONS): codes are the
phase names, each its phase's anchor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.errors import IllegalTransition
from oms.domain.lifecycle import DEFAULT_TRANSITIONS, OrderStatus

S = OrderStatus
ActionType = Literal["email", "webhook", "adjust_inventory"]
ACTION_TYPES: tuple[str, ...] = ("email", "webhook", "adjust_inventory")
EMAIL_TEMPLATES: tuple[str, ...] = (
    "order_confirmation",
    "order_shipped",
    "order_delivered",
    "order_cancelled",
    "return_requested",
    "return_received",
    "order_refunded",
)

_DEFAULT_COLORS: Mapping[OrderStatus, str] = {
    S.PENDING: "#9ca3af",
    S.CONFIRMED: "#60a5fa",
    S.SOURCING: "#3b82f6",
    S.SOURCED: "#2563eb",
    S.BACKORDERED: "#f59e0b",
    S.PICKING: "#8b5cf6",
    S.PACKING: "#7c3aed",
    S.READY_TO_SHIP: "#6d28d9",
    S.SHIPPED: "#0ea5e9",
    S.PARTIALLY_SHIPPED: "#38bdf8",
    S.OUT_FOR_DELIVERY: "#06b6d4",
    S.PARTIALLY_DELIVERED: "#14b8a6",
    S.DELIVERED: "#16a34a",
    S.READY_FOR_PICKUP: "#6d28d9",
    S.PICKED_UP: "#16a34a",
    S.CANCELLED: "#6b7280",
    S.PARTIALLY_RETURNED: "#f59e0b",
    S.RETURNED: "#d97706",
    S.REFUNDED: "#4b5563",
    S.FAILED: "#dc2626",
}


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class StatusDef(_Doc):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    color: str = Field(default="#6b7280", pattern=r"^#[0-9a-fA-F]{6}$")
    phase: OrderStatus
    anchor: bool = False
    terminal: bool = False


class TransitionDef(_Doc):
    from_: str = Field(alias="from", min_length=1, max_length=40)
    to: str = Field(min_length=1, max_length=40)


class ActionDef(_Doc):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    status: str = Field(min_length=1, max_length=40)
    type: str = Field(min_length=1, max_length=40)  # checked by validation (a named problem)
    config: dict[str, Any] = Field(default_factory=dict)


class WorkflowDoc(_Doc):
    """A workflow as a client sends it (PUT /workflow) and as a version stores it. Size limits
    are checked by validation (a named problem), not here, so the answer lists every problem."""

    statuses: list[StatusDef]
    transitions: list[TransitionDef]
    actions: list[ActionDef] = Field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class TenantWorkflow:
    """A validated workflow, ready to check moves. Immutable; one per (tenant, version)."""

    def __init__(self, doc: WorkflowDoc, version: int = 0) -> None:
        self.doc = doc
        self.version = version
        self.statuses: dict[str, StatusDef] = {s.code: s for s in doc.statuses}
        self._anchors: dict[OrderStatus, str] = {s.phase: s.code for s in doc.statuses if s.anchor}
        self._edges: dict[str, set[str]] = {}
        for t in doc.transitions:
            self._edges.setdefault(t.from_, set()).add(t.to)
        self._actions: dict[str, list[ActionDef]] = {}
        for a in doc.actions:
            self._actions.setdefault(a.status, []).append(a)

    # ------------------------------------------------------------ resolution
    def anchor(self, phase: OrderStatus) -> str:
        """The code the machine moves an order to when it enters `phase`. A phase with no anchor
        (validation requires the machine-driven ones) falls back to the phase name itself."""
        return self._anchors.get(phase, phase.value)

    def phase_of(self, code: str) -> OrderStatus | None:
        found = self.statuses.get(code)
        return found.phase if found else None

    def is_anchor(self, code: str) -> bool:
        found = self.statuses.get(code)
        return bool(found and found.anchor)

    def current_code(self, phase: OrderStatus, code: str | None) -> str:
        """Where an order stands in this graph: its code when this version still has it in the
        same phase; else (an old record without a code, or a code a newer version dropped) the
        anchor of its phase."""
        if code is not None:
            found = self.statuses.get(code)
            if found is not None and found.phase == phase:
                return code
        return self.anchor(phase)

    def allowed_from(self, code: str) -> list[str]:
        return sorted(self._edges.get(code, set()))

    def can(self, current: str, target: str) -> bool:
        return target in self._edges.get(current, set())

    def check_move(self, phase: OrderStatus, code: str | None, target: str) -> str:
        """Raise IllegalTransition (409) unless `target` is an edge from where the order stands;
        returns the order's current code."""
        current = self.current_code(phase, code)
        if not self.can(current, target):
            raise IllegalTransition(
                f"An order in {current} cannot move to {target}",
                details={
                    "current_status": current,
                    "current_phase": phase.value,
                    "requested_status": target,
                    "allowed": self.allowed_from(current),
                },
            )
        return current

    def check(self, phase: OrderStatus, code: str | None, target_phase: OrderStatus) -> str:
        """The machine moves an order into `target_phase`: checks the edge to its anchor and
        returns the target code."""
        target = self.anchor(target_phase)
        self.check_move(phase, code, target)
        return target

    def reaches(self, source: str, target: str) -> bool:
        """Is there a path (of one edge or more) from `source` to `target`?"""
        seen, todo = {source}, [source]
        while todo:
            for nxt in self._edges.get(todo.pop(), ()):
                if nxt == target:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    def actions_for(self, code: str) -> list[ActionDef]:
        return list(self._actions.get(code, ()))

    def public(self) -> dict[str, Any]:
        return {"version": self.version, **self.doc.dump()}

    def badges(self) -> list[dict[str, Any]]:
        return [
            {"code": s.code, "name": s.name, "color": s.color, "phase": s.phase.value, "terminal": s.terminal}
            for s in self.doc.statuses
        ]


def _title(phase: OrderStatus) -> str:
    return phase.value.replace("_", " ").capitalize()


def default_doc() -> WorkflowDoc:
    """The built-in 20-status lifecycle as a workflow, with the default order emails."""
    statuses = [
        StatusDef(
            code=p.value,
            name=_title(p),
            color=_DEFAULT_COLORS[p],
            phase=p,
            anchor=True,
            terminal=not DEFAULT_TRANSITIONS[p],
        )
        for p in OrderStatus
    ]
    transitions = [
        TransitionDef.model_validate({"from": src.value, "to": dst.value})
        for src in OrderStatus
        for dst in sorted(DEFAULT_TRANSITIONS[src])
    ]
    actions = [
        ActionDef(
            id="confirmation-email",
            status="SOURCING",
            type="email",
            config={"template": "order_confirmation", "first_entry_only": True},
        ),
        ActionDef(id="shipped-email", status="SHIPPED", type="email", config={"template": "order_shipped"}),
        ActionDef(
            id="delivered-email", status="DELIVERED", type="email", config={"template": "order_delivered"}
        ),
        ActionDef(
            id="cancelled-email", status="CANCELLED", type="email", config={"template": "order_cancelled"}
        ),
    ]
    return WorkflowDoc(statuses=statuses, transitions=transitions, actions=actions)


DEFAULT_TENANT_WORKFLOW = TenantWorkflow(default_doc(), version=0)


def statuses_with_phase(workflow: TenantWorkflow, phases: Iterable[OrderStatus]) -> list[str]:
    wanted = set(phases)
    return [s.code for s in workflow.doc.statuses if s.phase in wanted]
