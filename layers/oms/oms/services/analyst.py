"""The exceptions consumer's use cases (ADR 0033): analyse a new exception (Claude when it is
sampled and a key is configured; the rule analyst's analysis stands otherwise, saying why), store
the analysis, and send the exception's domain event to the tenant's webhooks and Slack. Also the
policy lint (`POST /admin/ai/lint-policy`).

Idempotent for a redelivered message: an exception Claude analysed already is not analysed again,
and the event id is derived from (tenant, exception, event), so the delivery records (one per event
and endpoint) absorb a second fan-out.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Literal, cast

from oms.config import settings
from oms.domain import analyst as domain
from oms.domain import analyst_rules
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict
from oms.domain.exception_events import ExceptionEvent, domain_event
from oms.domain.models import Principal
from oms.domain.policy_lint import LintAdvice, LintRequest, lint, valid
from oms.services import ai_cache, webhooks
from oms.services.context import repos

if TYPE_CHECKING:  # the adapter imports the SDK: only when a key is configured
    from oms.adapters.claude_analyst import ClaudeAnalyst

log = logging.getLogger(__name__)

_lock = threading.Lock()
_analyst: list[ClaudeAnalyst | None] = []
_SET_TRIES = 5


def analyst() -> ClaudeAnalyst | None:
    """The process's Claude analyst (its breaker and cache live in it), None without a key.
    Configured like the sourcing advisor (settings), with the same shared token budget."""
    with _lock:
        if not _analyst:
            from oms.adapters.claude_analyst import ClaudeAnalyst
            from oms.adapters.claude_client import DEFAULT_MODEL, configured_key

            cfg = settings()
            key = configured_key(cfg.anthropic_api_key, cfg.anthropic_api_key_param, cfg.region, env={})
            _analyst.append(
                None
                if key is None
                else ClaudeAnalyst(
                    model=cfg.claude_model or DEFAULT_MODEL,
                    api_key=key,
                    base_url=cfg.anthropic_base_url,
                    timeout_s=cfg.claude_timeout_seconds,
                    budget=repos.ai_budget.for_limit(cfg.claude_daily_tokens),
                    generation=ai_cache.generation,
                )
            )
        return _analyst[0]


def reset() -> None:
    with _lock:
        _analyst.clear()


def sample_rates() -> dict[str, float]:
    return domain.parse_sample_rates(settings().analyst_sample_rates)


# ------------------------------------------------------------------ analysis
def rules_analysis(exception: dict[str, Any]) -> dict[str, Any]:
    """The rule analyst's analysis (the stored one if the rules wrote it, else made now)."""
    stored = exception.get("analysis") or {}
    if stored and stored.get("analyst") == "rules":
        return {k: v for k, v in stored.items() if k != "fallback_reason"}
    return analyst_rules.analyse(exception, now_iso()).model_dump(mode="json")


def analyse(tenant_id: str, exception: dict[str, Any]) -> dict[str, Any]:
    """The analysis that stands for this exception now."""
    rules = rules_analysis(exception)
    if not domain.sampled(exception["exception_id"], str(exception.get("severity")), sample_rates()):
        return domain.fallback(rules, "not_sampled")
    claude = analyst()
    if claude is None:
        return domain.fallback(rules, "no_key")
    from oms.adapters.claude_analyst import AnalystUnavailable

    try:
        reply = claude.analyse(tenant_id, exception)
    except AnalystUnavailable as failed:
        log.info("exception %s: claude analyst unavailable (%s)", exception["exception_id"], failed.reason)
        return domain.fallback(rules, cast(domain.FallbackReason, failed.reason))
    return domain.decide(
        rules, reply.answer, exception, model=reply.model, prompt_version=reply.prompt_version
    )


def _store(tenant_id: str, exception_id: str) -> dict[str, Any] | None:
    """Analyse and store, re-reading on a version conflict; None if the exception is gone."""
    for _ in range(_SET_TRIES):
        current = repos.exceptions.get(tenant_id, exception_id)
        if current is None:
            return None
        done = current.get("analysis") or {}
        if done.get("analyst") == "claude" or done.get("fallback_reason"):
            return current  # a redelivered message: the consumer decided already
        analysis = analyse(tenant_id, current)
        try:
            return repos.exceptions.set_analysis(tenant_id, exception_id, analysis, int(current["version"]))
        except Conflict as exc:
            if exc.code != "concurrent_update":
                raise
    raise Conflict(f"exception {exception_id} keeps changing; retry", code="concurrent_update")


def publish(tenant_id: str, exception: dict[str, Any], event: ExceptionEvent) -> int:
    """The exception's domain event to the subscribed webhook endpoints and the Slack URL."""
    return webhooks.fan_out(domain_event(tenant_id, exception, event))


def handle(message: dict[str, Any]) -> str:
    """One message of the exceptions queue: `{"tenant_id", "exception_id", "event"}`."""
    tenant_id, exception_id = str(message["tenant_id"]), str(message["exception_id"])
    event = message.get("event")
    if event not in ("created", "resolved"):
        log.warning("exceptions queue: unknown event %r dropped", event)
        return "skipped"
    if event == "created":
        stored = _store(tenant_id, exception_id)
    else:
        stored = repos.exceptions.get(tenant_id, exception_id)
    if stored is None:
        return "missing"
    publish(tenant_id, stored, cast(Literal["created", "resolved"], event))
    return str(event)


# ------------------------------------------------------------------ policy lint
def lint_policy(principal: Principal, request: LintRequest) -> dict[str, Any]:
    """Deterministic findings; with a key also Claude's suggestions and test cases."""
    issues = lint(request.policy_type, request.policy)
    result: dict[str, Any] = {
        "valid": valid(issues),
        "issues": issues,
        "suggestions": [],
        "test_cases": [],
        "analyst": "rules",
    }
    claude = analyst()
    if claude is None:
        return result
    from oms.adapters.claude_analyst import AnalystUnavailable

    try:
        reply = claude.lint(principal.tenant_id, request.policy_type, request.policy, issues)
    except AnalystUnavailable as failed:
        result["fallback_reason"] = failed.reason
        return result
    advice = cast(LintAdvice, reply.answer)
    result.update(
        {
            "suggestions": advice.suggestions,
            "test_cases": [t.model_dump(mode="json") for t in advice.test_cases],
            "analyst": "claude",
            "model": reply.model,
            "prompt_version": reply.prompt_version,
        }
    )
    return result
