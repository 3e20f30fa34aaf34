"""The `/architect` read-only views (patterns, node performance, AI against rule-based sourcing)
and the architect chat (ADR 0025).

The views read what the learning jobs stored (`repos.learning.model`: one query; empty before
their first run) or, for the AI comparison, the labelled outcomes of the window (one query per
day). The chat turns a request in plain words into a PENDING proposal through Claude tool use.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from oms.domain.clock import last_days
from oms.domain.errors import AiUnavailable, ValidationFailed
from oms.domain.learning.comparison import ai_against_rules
from oms.domain.models import Principal
from oms.domain.strategies import registry
from oms.services import proposals, sourcing
from oms.services.context import repos

log = logging.getLogger(__name__)

PERIODS = (7, 30)
CONTEXT_NODES = 200
CONTEXT_RULES = 100
CAPABILITIES = ("can_ship", "can_pickup", "can_curbside", "can_same_day")
NO_KEY = (
    "The architect chat needs a Claude API key, and none is configured: set ANTHROPIC_API_KEY (or "
    "ANTHROPIC_API_KEY_PARAM, an SSM SecureString, on AWS). Everything else under /architect works "
    "without one; proposals also come from the nightly pattern discovery."
)


def _part(tenant_id: str, name: str) -> dict[str, Any]:
    """One stored part of the learning model, {} before its job first ran (read defensively: the
    jobs write it, the API only shows it)."""
    doc = repos.learning.model(tenant_id).get(name)
    return doc if isinstance(doc, dict) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


# ------------------------------------------------------------------ views
def patterns(principal: Principal, cluster: str | None = None) -> dict[str, Any]:
    part = _part(principal.tenant_id, "patterns")
    items = [p for p in _rows(part.get("patterns")) if cluster is None or p.get("cluster") == cluster]
    return {"at": part.get("at"), "version": part.get("version"), "items": items, "count": len(items)}


def node_performance(
    principal: Principal, period_days: int, node_id: str | None = None, cluster: str | None = None
) -> dict[str, Any]:
    """Rolling node statistics per cluster (`cluster` "*": across clusters), as the
    update_node_performance job stored them, with each node's code and name."""
    part = _part(principal.tenant_id, "metrics")
    periods = part.get("periods")
    rows = _rows(periods.get(str(period_days)) if isinstance(periods, dict) else None)
    rows = [
        r
        for r in rows
        if (node_id is None or r.get("node_id") == node_id)
        and (cluster is None or r.get("cluster") == cluster)
    ]
    if rows:
        nodes = {n.id: n for n in repos.nodes.all(principal.tenant_id)}
        for row in rows:
            node = nodes.get(str(row.get("node_id")))
            row["node_code"] = node.code if node else None
            row["node_name"] = node.name if node else None
    return {
        "period_days": period_days,
        "at": part.get("at"),
        "version": part.get("version"),
        "items": rows,
        "count": len(rows),
    }


def ai_performance(principal: Principal, period_days: int = 30) -> dict[str, Any]:
    """AI sourcing (AI_ADAPTIVE, AI_HYBRID) against rule-based sourcing and DISTANCE_OPTIMAL,
    overall and per cluster, over the labelled outcomes of the last `period_days` days."""
    days = last_days(period_days)
    comparison = ai_against_rules(repos.learning.labelled_on(principal.tenant_id, days))
    return {"period_days": period_days, "from": days[0], "to": days[-1], **comparison}


# ------------------------------------------------------------------ chat
def _context(principal: Principal) -> dict[str, Any]:
    nodes = [n for n in repos.nodes.all(principal.tenant_id) if n.deleted_at is None][:CONTEXT_NODES]
    rules = sourcing.list_rules(principal)[:CONTEXT_RULES]
    return {
        "nodes": [
            {
                "id": n.id,
                "code": n.code,
                "name": n.name,
                "type": n.node_type.value,
                "status": n.status.value,
                "capabilities": [c for c in CAPABILITIES if n.has(c)],
            }
            for n in nodes
        ],
        "rules": [
            {k: r.get(k) for k in ("name", "priority", "strategy", "is_active", "conditions")} for r in rules
        ],
        "strategies": registry.names(),
    }


def chat(principal: Principal, message: str) -> dict[str, Any]:
    """A request in plain words -> a PENDING proposal (never applied). 503 `ai_unavailable`
    without a key or when Claude does not answer; 422 `no_proposal` when it answered without a
    proposal, `invalid_proposal` when its proposal fails the models' validation."""
    # imported here: the SDK takes ~2 s to import, which every cold start of the API would pay
    from oms.adapters.claude_architect import ChatUnavailable, architect_chat

    try:
        client = architect_chat()
        if client is None:
            raise AiUnavailable(NO_KEY, details={"reason": "no_key"})
        answer = client.propose(message, _context(principal))
    except ChatUnavailable as exc:
        log.warning("architect chat: Claude unavailable (%s): %s", exc.reason, exc.detail)
        raise AiUnavailable(
            f"Claude did not give an answer ({exc.detail}); try again shortly", details={"reason": exc.reason}
        ) from None
    log.info("architect chat: %s answered %s (%s)", answer.model, answer.kind or "text", answer.audit())
    if answer.kind is None:
        raise ValidationFailed(
            "the request did not turn into a proposal: " + (answer.text[:500] or "no answer"),
            code="no_proposal",
            details={"reply": answer.text[:2000]},
        )
    if not isinstance(answer.fields, dict):
        raise ValidationFailed(
            "Claude's proposal is not valid: its fields are not an object",
            code="invalid_proposal",
            details=[{"loc": ["proposal"], "msg": "not an object", "type": "dict_type"}],
        )
    try:
        proposal = proposals.create(
            principal.tenant_id,
            kind=answer.kind,
            summary=answer.summary or f"From the architect chat: {message}",
            payload=answer.fields,
            source="chat",
            by=principal.actor,
            evidence={"request": message, "reply": answer.text[:2000], **answer.audit()},
        )
    except ValidationError as exc:
        raise ValidationFailed(
            f"Claude's {answer.kind.replace('_', ' ')} proposal is not valid; nothing was stored",
            code="invalid_proposal",
            details=[
                {"loc": ["proposal", *[str(p) for p in e["loc"]]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_context=False, include_input=False)
            ],
        ) from None
    return {"proposal": proposals.created_view(proposal), "reply": answer.text}
