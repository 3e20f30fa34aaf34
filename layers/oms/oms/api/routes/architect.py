"""The AI architect (SUPERADMIN): A/B experiments, proposals, patterns, node performance, AI
against rule-based sourcing, and the chat that turns a request into a proposal."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from oms.api.http import route
from oms.api.instance import app
from oms.domain.experiments import ExperimentFields, ExperimentStatus
from oms.domain.models import Principal, Role, Strict
from oms.domain.proposals import ProposalKind, ProposalStatus
from oms.services import architect, experiments, proposals

ADMIN = Role.SUPERADMIN


class ExperimentQuery(Strict):
    status: ExperimentStatus | None = None


class ProposalQuery(Strict):
    status: ProposalStatus | None = None
    kind: ProposalKind | None = None


class PatternQuery(Strict):
    cluster: str | None = Field(default=None, min_length=1, max_length=200)


class _PeriodQuery(Strict):
    period_days: int = Field(default=7, json_schema_extra={"enum": list(architect.PERIODS)})

    @field_validator("period_days")
    @classmethod
    def _known_period(cls, value: int) -> int:
        if value not in architect.PERIODS:
            raise ValueError(f"period_days is one of {', '.join(map(str, architect.PERIODS))}")
        return value


class NodePerformanceQuery(_PeriodQuery):
    node_id: str | None = Field(default=None, min_length=1, max_length=64)
    cluster: str | None = Field(default=None, min_length=1, max_length=200)


class AiPerformanceQuery(_PeriodQuery):
    period_days: int = Field(default=30, json_schema_extra={"enum": list(architect.PERIODS)})


class RejectRequest(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class RollbackRequest(Strict):
    reason: str | None = Field(default=None, min_length=1, max_length=1000)


class ChatRequest(Strict):
    message: str = Field(min_length=1, max_length=2000)


def _listed(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "count": len(items)}


# ------------------------------------------------------------------ experiments
@route(app, "/architect/experiments", ["GET"], role=ADMIN, query=ExperimentQuery)
def list_experiments(principal: Principal, *, query: ExperimentQuery) -> dict[str, Any]:
    """List A/B experiments, newest first (filter by status)"""
    return _listed(experiments.list_experiments(principal, query.status))


@route(app, "/architect/experiments", ["POST"], role=ADMIN, status=201, body=ExperimentFields)
def create_experiment(principal: Principal, *, body: ExperimentFields) -> dict[str, Any]:
    """Create an A/B experiment (ACTIVE at once)"""
    return experiments.create_experiment(principal, body)


@route(app, "/architect/experiments/{experiment_id}", ["GET"], role=ADMIN)
def get_experiment(principal: Principal, experiment_id: str) -> dict[str, Any]:
    """One experiment"""
    return experiments.get_experiment(principal, experiment_id)


@route(app, "/architect/experiments/{experiment_id}/pause", ["POST"], role=ADMIN)
def pause_experiment(principal: Principal, experiment_id: str) -> dict[str, Any]:
    """Pause an ACTIVE experiment (orders are no longer assigned to it)"""
    return experiments.change_status(principal, experiment_id, "pause")


@route(app, "/architect/experiments/{experiment_id}/resume", ["POST"], role=ADMIN)
def resume_experiment(principal: Principal, experiment_id: str) -> dict[str, Any]:
    """Resume a PAUSED experiment"""
    return experiments.change_status(principal, experiment_id, "resume")


@route(app, "/architect/experiments/{experiment_id}/results", ["GET"], role=ADMIN)
def experiment_results(principal: Principal, experiment_id: str) -> dict[str, Any]:
    """Live per-arm outcome aggregation over the last 30 days, and the winner if there is one"""
    return experiments.results(principal, experiment_id)


# ------------------------------------------------------------------ proposals
@route(app, "/architect/proposals", ["GET"], role=ADMIN, query=ProposalQuery)
def list_proposals(principal: Principal, *, query: ProposalQuery) -> dict[str, Any]:
    """List proposals, newest first (filter by status and kind)"""
    return _listed(proposals.list_proposals(principal, query.status, query.kind))


@route(app, "/architect/proposals/{proposal_id}", ["GET"], role=ADMIN)
def get_proposal(principal: Principal, proposal_id: str) -> dict[str, Any]:
    """One proposal: its evidence, payload and history"""
    return proposals.get_proposal(principal, proposal_id)


@route(app, "/architect/proposals/{proposal_id}/approve", ["POST"], role=ADMIN)
def approve_proposal(principal: Principal, proposal_id: str) -> dict[str, Any]:
    """Approve a PENDING proposal (nothing is applied yet)"""
    return proposals.approve(principal, proposal_id)


@route(app, "/architect/proposals/{proposal_id}/reject", ["POST"], role=ADMIN, body=RejectRequest)
def reject_proposal(principal: Principal, proposal_id: str, *, body: RejectRequest) -> dict[str, Any]:
    """Reject a PENDING or APPROVED proposal, with a reason"""
    return proposals.reject(principal, proposal_id, body.reason)


@route(app, "/architect/proposals/{proposal_id}/apply", ["POST"], role=ADMIN)
def apply_proposal(principal: Principal, proposal_id: str) -> dict[str, Any]:
    """Apply an APPROVED proposal: insert its rule inactive, or create its experiment PAUSED"""
    return proposals.apply(principal, proposal_id)


@route(app, "/architect/proposals/{proposal_id}/rollback", ["POST"], role=ADMIN, body=RollbackRequest)
def rollback_proposal(principal: Principal, proposal_id: str, *, body: RollbackRequest) -> dict[str, Any]:
    """Undo an APPLIED proposal exactly: delete what applying created, if nobody changed it since"""
    return proposals.rollback(principal, proposal_id, body.reason)


# ------------------------------------------------------------------ what the loop learnt
@route(app, "/architect/patterns", ["GET"], role=ADMIN, query=PatternQuery)
def list_patterns(principal: Principal, *, query: PatternQuery) -> dict[str, Any]:
    """Order clusters with their node ranking and AI against DISTANCE_OPTIMAL (nightly)"""
    return architect.patterns(principal, query.cluster)


@route(app, "/architect/node-performance", ["GET"], role=ADMIN, query=NodePerformanceQuery)
def node_performance(principal: Principal, *, query: NodePerformanceQuery) -> dict[str, Any]:
    """Rolling 7- or 30-day outcome statistics per node and cluster (every 4 hours)"""
    return architect.node_performance(principal, query.period_days, query.node_id, query.cluster)


@route(app, "/architect/ai-sourcing/performance", ["GET"], role=ADMIN, query=AiPerformanceQuery)
def ai_sourcing_performance(principal: Principal, *, query: AiPerformanceQuery) -> dict[str, Any]:
    """AI sourcing against rule-based sourcing, overall and per cluster (live)"""
    return architect.ai_performance(principal, query.period_days)


@route(app, "/architect/chat", ["POST"], role=ADMIN, status=201, body=ChatRequest)
def architect_chat(principal: Principal, *, body: ChatRequest) -> dict[str, Any]:
    """Turn a request in plain words into a PENDING proposal (Claude tool use; 503 without a key)"""
    return architect.chat(principal, body.message)
