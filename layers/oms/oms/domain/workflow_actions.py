"""Per-status actions of a tenant's workflow (ADR 0035): which messages entering a status makes,
and the key under which each takes effect once. Pure."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.events import DomainEvent
from oms.domain.workflow_graph import TenantWorkflow


class ActionMessage(BaseModel):
    """One action to run, as ActionsQueue carries it."""

    model_config = ConfigDict(extra="forbid")
    tenant_id: str = Field(min_length=1, max_length=64)
    order_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1)
    status_code: str = Field(min_length=1, max_length=40)
    action_id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)

    def effect_key(self) -> str:
        """The action's effect happens once per (order, seq, action): a redelivered message, or
        the same stream record published twice, finds it claimed. An action marked
        `first_entry_only` happens once per order, however often its status is entered."""
        if self.config.get("first_entry_only"):
            return f"FIRST#{self.action_id}"
        return f"{self.seq:08d}#{self.action_id}"


def action_messages(event: DomainEvent, workflow: TenantWorkflow) -> list[str]:
    """The messages (JSON) for the actions of the status `event` entered."""
    if not event.to_code or not event.to_status:
        return []
    return [
        json.dumps(
            ActionMessage(
                tenant_id=event.tenant_id,
                order_id=event.order_id,
                seq=event.sequence,
                status_code=event.to_code,
                action_id=action.id,
                type=action.type,
                config=action.config,
            ).model_dump(mode="json"),
            separators=(",", ":"),
        )
        for action in workflow.actions_for(event.to_code)
    ]
