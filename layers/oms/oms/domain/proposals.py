"""Proposals: changes the learning loop or the architect chat suggests and a person decides on
(issue 9, ADR 0025). Pure: the model, its payload validated by the model of what it creates, and
the status moves.

    PENDING --approve--> APPROVED --apply--> APPLIED --rollback--> ROLLED_BACK
       \\--reject--> REJECTED <--reject--/

Applying is additive (a sourcing rule is inserted inactive, an experiment is created PAUSED) and
rolling back deletes exactly what applying created.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain.errors import IllegalTransition
from oms.domain.experiments import ExperimentFields
from oms.domain.rules import SourcingRuleFields

ProposalKind = Literal["sourcing_rule", "experiment"]
ProposalSource = Literal["discover_patterns", "chat"]
MAX_SUMMARY = 1000


class ProposalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    APPLIED = "APPLIED"
    ROLLED_BACK = "ROLLED_BACK"


OPEN_STATUSES = frozenset({ProposalStatus.PENDING, ProposalStatus.APPROVED, ProposalStatus.APPLIED})

# status -> action -> the status it leads to; the history records the action's past tense
PROPOSAL_MOVES: dict[ProposalStatus, dict[str, ProposalStatus]] = {
    ProposalStatus.PENDING: {"approve": ProposalStatus.APPROVED, "reject": ProposalStatus.REJECTED},
    ProposalStatus.APPROVED: {"apply": ProposalStatus.APPLIED, "reject": ProposalStatus.REJECTED},
    ProposalStatus.APPLIED: {"rollback": ProposalStatus.ROLLED_BACK},
    ProposalStatus.REJECTED: {},
    ProposalStatus.ROLLED_BACK: {},
}
DONE = {"approve": "approved", "reject": "rejected", "apply": "applied", "rollback": "rolled_back"}


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str
    by: str
    at: str
    reason: str | None = None
    note: str | None = None


class Applied(BaseModel):
    """What applying created: the rule or experiment, and its version then (rollback refuses to
    delete it once someone changed it)."""

    model_config = ConfigDict(extra="forbid")

    kind: ProposalKind
    id: str
    version: int = 1


def payload_model(kind: str) -> type[BaseModel]:
    return SourcingRuleFields if kind == "sourcing_rule" else ExperimentFields


def normalised_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload validated by the model of what it creates (pydantic ValidationError if not),
    as that model writes it. A rule is proposed inactive: it is inserted so when applied."""
    fields = payload_model(kind).model_validate(payload)
    doc = fields.model_dump(mode="json")
    if kind == "sourcing_rule":
        doc["is_active"] = False
    return doc


class Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    kind: ProposalKind
    status: ProposalStatus = ProposalStatus.PENDING
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY)
    evidence: dict[str, Any] = Field(default_factory=dict)
    cluster: str | None = None
    payload: dict[str, Any]
    source: ProposalSource
    created_at: str
    updated_at: str
    history: list[HistoryEntry] = Field(default_factory=list)
    applied: Applied | None = None

    @model_validator(mode="after")
    def _valid_payload(self) -> Proposal:
        self.payload = normalised_payload(self.kind, self.payload)
        return self

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def closed_at(self) -> str | None:
        """When it was rejected or rolled back (the last history entry), else None."""
        if self.is_open or not self.history:
            return None
        return self.history[-1].at


def move(proposal: Proposal, action: str) -> ProposalStatus:
    """The status `action` leads to, or 409 naming the actions the status allows."""
    allowed = PROPOSAL_MOVES[proposal.status]
    if action not in allowed:
        raise IllegalTransition(
            f"cannot {action} a proposal that is {proposal.status.value}",
            details={"status": proposal.status.value, "allowed_actions": sorted(allowed)},
        )
    return allowed[action]


def record(
    proposal: Proposal,
    action: str,
    by: str,
    at: str,
    reason: str | None = None,
    note: str | None = None,
    **change: Any,
) -> Proposal:
    """The proposal after `action` (409 unless its status allows it): new status, the history
    entry appended (who, when, why)."""
    entry = HistoryEntry(action=DONE.get(action, action), by=by, at=at, reason=reason, note=note)
    return proposal.model_copy(
        update={
            "status": move(proposal, action),
            "updated_at": at,
            "history": [*proposal.history, entry],
            **change,
        }
    )
