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


# Emails the return events send (issue 13, ADR 0038): by event, whatever status the order is in.
EVENT_EMAILS: dict[str, str] = {
    "return.requested": "return_requested",
    "return.received": "return_received",
    "order.refunded": "order_refunded",
}


def event_messages(event: DomainEvent) -> list[str]:
    """The action messages an event sends by its type (not by a status it entered): the return
    emails. Keyed like a status action (seq, action id), so each is sent once per event."""
    template = EVENT_EMAILS.get(event.type)
    if template is None:
        return []
    message = ActionMessage(
        tenant_id=event.tenant_id,
        order_id=event.order_id,
        seq=event.sequence,
        status_code=event.to_code or event.status_code or event.status,
        action_id=f"{template}-email",
        type="email",
        config={"template": template},
    )
    return [json.dumps(message.model_dump(mode="json"), separators=(",", ":"))]
