"""Proposals (ADR 0025): the `/architect/proposals` use cases and the two ways proposals are made
(the nightly `discover_patterns` job, the architect chat).

Nothing applies without approval. Applying is additive: a `sourcing_rule` proposal inserts the
rule inactive through the sourcing service, an `experiment` proposal creates the experiment
PAUSED, each under an id derived from the proposal's (so a retried apply cannot create two). Rolling
back deletes exactly that, and only while it is as applying left it (its version): a rule someone
switched on or edited since is not deleted behind their back (409 `changed_since_applied`).
Every step is written conditioned on the proposal's version and appended to its history with who
did it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from oms.domain.clock import now_iso, parse_iso, utcnow
from oms.domain.errors import Conflict
from oms.domain.experiments import ExperimentFields, ExperimentStatus
from oms.domain.learning.stats import Pattern, deserves_proposal, proposal_for
from oms.domain.models import Principal
from oms.domain.proposals import (
    MAX_SUMMARY,
    Applied,
    HistoryEntry,
    Proposal,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
    move,
    record,
)
from oms.domain.rules import SourcingRuleFields
from oms.services import documents, experiments, sourcing
from oms.services.context import repos, retry_lost_updates

log = logging.getLogger(__name__)

# a cluster whose proposal was rejected or rolled back is not proposed again for this long
QUIET_DAYS = 30
JOB_ACTOR = "job:discover_patterns"
_IDS = uuid.UUID("6f1c1d1e-6a0b-4f59-9a51-6d7c2b3e8a90")  # namespace of derived ids


def _derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_IDS, "|".join(parts)))


def _parsed(docs: Iterable[dict[str, Any]]) -> list[Proposal]:
    return documents.valid(Proposal, docs, "proposal")


def _view(proposal: Proposal, version: int | None = None) -> dict[str, Any]:
    return documents.view(proposal, version)


def _get(tenant_id: str, proposal_id: str) -> tuple[Proposal, int]:
    return documents.require(repos.proposals, Proposal, tenant_id, proposal_id, "proposal_not_found")


def _save(tenant_id: str, proposal: Proposal, version: int) -> dict[str, Any]:
    repos.proposals.replace(tenant_id, proposal.id, proposal.model_dump(mode="json"), version)
    return _view(proposal, version + 1)


# ------------------------------------------------------------------ making proposals
def create(
    tenant_id: str,
    *,
    kind: ProposalKind,
    summary: str,
    payload: dict[str, Any],
    source: ProposalSource,
    by: str,
    evidence: dict[str, Any] | None = None,
    cluster: str | None = None,
    proposal_id: str | None = None,
) -> Proposal:
    """A PENDING proposal; its payload is validated by the model of what it would create
    (pydantic ValidationError if it does not). 409 `duplicate_id` if `proposal_id` exists."""
    now = now_iso()
    proposal = Proposal(
        id=proposal_id or str(uuid.uuid4()),
        kind=kind,
        summary=summary[:MAX_SUMMARY],
        evidence=evidence or {},
        cluster=cluster,
        payload=payload,
        source=source,
        created_at=now,
        updated_at=now,
        history=[HistoryEntry(action="proposed", by=by, at=now)],
    )
    repos.proposals.insert(tenant_id, proposal.id, proposal.model_dump(mode="json"))
    return proposal


def propose_from_patterns(tenant_id: str, patterns: Iterable[Pattern]) -> int:
    """The discover_patterns job: a PENDING `sourcing_rule` proposal for each pattern that
    deserves one (`stats.deserves_proposal`, shaped by `stats.proposal_for`), unless its cluster
    already has an open one (PENDING, APPROVED, APPLIED) or had one rejected or rolled back in
    the last QUIET_DAYS. The id is derived from (tenant, cluster, how many the cluster had), so two
    runs at once create one. Returns how many were created."""
    by_cluster: defaultdict[str, list[Proposal]] = defaultdict(list)
    for existing in _parsed(repos.proposals.all(tenant_id)):
        if existing.cluster:
            by_cluster[existing.cluster].append(existing)
    quiet_since = utcnow() - timedelta(days=QUIET_DAYS)
    created = 0
    for pattern in patterns:
        if not deserves_proposal(pattern):
            continue
        same = by_cluster[pattern.cluster]
        if any(p.is_open for p in same):
            continue
        if any(p.closed_at and parse_iso(p.closed_at) > quiet_since for p in same):
            continue
        suggestion = proposal_for(pattern)
        try:
            proposal = create(
                tenant_id,
                kind="sourcing_rule",
                summary=suggestion["summary"],
                payload=suggestion["rule"],
                source="discover_patterns",
                by=JOB_ACTOR,
                evidence=suggestion["evidence"],
                cluster=pattern.cluster,
                proposal_id=_derived_id(tenant_id, pattern.cluster, str(len(same))),
            )
        except ValidationError as exc:
            log.warning("no proposal for cluster %s: %s", pattern.cluster, exc.errors()[:1])
            continue
        except Conflict as exc:
            if exc.code != "duplicate_id":
                raise
            continue  # another run made it
        by_cluster[pattern.cluster].append(proposal)
        created += 1
    return created


# ------------------------------------------------------------------ reading
def list_proposals(
    principal: Principal, status: ProposalStatus | None = None, kind: ProposalKind | None = None
) -> list[dict[str, Any]]:
    found = [
        p
        for p in _parsed(repos.proposals.all(principal.tenant_id))
        if (status is None or p.status is status) and (kind is None or p.kind == kind)
    ]
    return [_view(p) for p in sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)]


def get_proposal(principal: Principal, proposal_id: str) -> dict[str, Any]:
    return _view(*_get(principal.tenant_id, proposal_id))


def created_view(proposal: Proposal) -> dict[str, Any]:
    return _view(proposal, 1)


# ------------------------------------------------------------------ deciding
def _decide(principal: Principal, proposal_id: str, action: str, reason: str | None = None) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        proposal, version = _get(principal.tenant_id, proposal_id)
        changed = record(proposal, action, principal.actor, now_iso(), reason)
        return _save(principal.tenant_id, changed, version)

    return retry_lost_updates(attempt, "proposal")


def approve(principal: Principal, proposal_id: str) -> dict[str, Any]:
    return _decide(principal, proposal_id, "approve")


def reject(principal: Principal, proposal_id: str, reason: str) -> dict[str, Any]:
    return _decide(principal, proposal_id, "reject", reason)


# ------------------------------------------------------------------ applying and undoing
def _repository(kind: str) -> Any:
    return repos.rules if kind == "sourcing_rule" else repos.experiments


def _create_target(principal: Principal, proposal: Proposal, target_id: str) -> int:
    """Create what the proposal proposes (a rule inactive, an experiment PAUSED) under
    `target_id`; its version. If an earlier attempt already created it, its current version."""
    try:
        if proposal.kind == "sourcing_rule":
            fields = SourcingRuleFields.model_validate({**proposal.payload, "is_active": False})
            sourcing.create_rule(principal, fields, rule_id=target_id)
        else:
            experiments.create_experiment(
                principal,
                ExperimentFields.model_validate(proposal.payload),
                status=ExperimentStatus.PAUSED,
                experiment_id=target_id,
            )
        return 1
    except Conflict as exc:
        if exc.code != "duplicate_id":
            raise
    found = _repository(proposal.kind).get(principal.tenant_id, target_id)
    if found is None:  # created and deleted meanwhile: nothing sane to point at
        raise Conflict("the proposal is being applied by someone else; retry", code="concurrent_update")
    return found[1]


def _delete_target(tenant_id: str, applied: Applied) -> str | None:
    """Delete what applying created if it is as applying left it; a note when it was gone already;
    409 `changed_since_applied` if someone changed it since."""
    repository = _repository(applied.kind)
    noun = "rule" if applied.kind == "sourcing_rule" else "experiment"
    for _ in range(2):  # once more if it changed between the read and the delete
        found = repository.get(tenant_id, applied.id)
        if found is None:
            return f"the {noun} was already deleted"
        if found[1] != applied.version:
            advice = (
                "delete it yourself if it should go"
                if applied.kind == "sourcing_rule"
                else "it has run since; it stays as the record of its results"
            )
            raise Conflict(
                f"the {noun} {applied.id} was changed since it was applied (version {applied.version} "
                f"then, {found[1]} now), so it is not deleted: {advice}",
                code="changed_since_applied",
                details={
                    "kind": applied.kind,
                    "id": applied.id,
                    "applied_version": applied.version,
                    "current_version": found[1],
                },
            )
        if repository.delete_version(tenant_id, applied.id, applied.version):
            if applied.kind == "experiment":
                experiments.forget_cache(tenant_id)
            return None
    raise Conflict(f"the {noun} is being changed by others; retry", code="concurrent_update")


def apply(principal: Principal, proposal_id: str) -> dict[str, Any]:
    """APPROVED -> APPLIED: create what it proposes, record what was created."""
    tenant_id = principal.tenant_id
    proposal, version = _get(tenant_id, proposal_id)
    move(proposal, "apply")  # 409 unless APPROVED, before anything is created
    target_id = _derived_id(tenant_id, proposal.id, "applied")
    version_created = _create_target(principal, proposal, target_id)
    applied = Applied(kind=proposal.kind, id=target_id, version=version_created)
    done = record(proposal, "apply", principal.actor, now_iso(), applied=applied)
    try:
        return _save(tenant_id, done, version)
    except Conflict:
        current, current_version = _get(tenant_id, proposal_id)
        if current.applied is not None and current.applied.id == target_id:
            return _view(current, current_version)  # a concurrent apply recorded it
        _delete_target(tenant_id, applied)  # rejected meanwhile: take back what was just created
        raise Conflict("the proposal changed while it was being applied", code="concurrent_update") from None


def rollback(principal: Principal, proposal_id: str, reason: str | None = None) -> dict[str, Any]:
    """APPLIED -> ROLLED_BACK: delete exactly what applying created (see `_delete_target`)."""
    tenant_id = principal.tenant_id
    proposal, version = _get(tenant_id, proposal_id)
    move(proposal, "rollback")  # 409 unless APPLIED
    if proposal.applied is None:  # never so: applying records what it created
        raise Conflict("the proposal does not record what it created", code="nothing_to_roll_back")
    note = _delete_target(tenant_id, proposal.applied)
    done = record(proposal, "rollback", principal.actor, now_iso(), reason, note)
    try:
        return _save(tenant_id, done, version)
    except Conflict:
        current, current_version = _get(tenant_id, proposal_id)
        if current.status is ProposalStatus.ROLLED_BACK:
            return _view(current, current_version)  # a concurrent rollback recorded it
        raise
