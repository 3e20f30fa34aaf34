"""The Claude sourcing advisor (ADR 0024): the Messages API through the official `anthropic` SDK.

One call asks the model to score every candidate node. The answer comes back as the input of a
tool the model is forced to call (`tool_choice` names it), so it is JSON in a known shape, and it is
validated by `oms.domain.advisor.parse_answer` like any advisor's. Around the call:

- a cache of answers per (tenant, cluster, candidate set, metrics version): a hit costs nothing;
- the tenant's daily token budget: spent → `budget_spent`, no call;
- a circuit breaker: after repeated failures → `breaker_open`, no call, until a half-open probe
  succeeds;
- each attempt has `timeout_s` (3 s); at most `attempts` (2) in all, the SDK's own retries off.
  A 429 whose retry-after is longer than `max_wait_s` is not retried (the answer would come too
  late for the order anyway).

Failures are `AdviceUnavailable` with the seed's fallback reasons ("timeout", "error",
"invalid_answer", "budget_spent", "breaker_open") and the call's audit (advisor, model, tokens,
latency, outcome). The key and the endpoint follow the SDK: ANTHROPIC_API_KEY and
ANTHROPIC_BASE_URL, unless given; `claude_advisor()` also reads the key from SSM Parameter Store.
The client, the attempts and their classification are shared with the exception analyst
(`oms.adapters.claude_client`). The cache key carries the tenant's AI cache generation
(`generation`, a callable: ADR 0033), so a cache clear reaches every container.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Unpack, cast

import anthropic

from oms.adapters.claude_client import (
    DEFAULT_DAILY_TOKENS,
    DEFAULT_MODEL,
    Attempt,
    CallStats,
    GuardedCaller,
    GuardSettings,
    configured_key,
    create,
    forced_tool,
    tool_input,
)
from oms.domain.advisor import Advice, AdviceRequest, AdviceUnavailable, FallbackReason, parse_answer
from oms.domain.advisor_guards import (
    AdviceCache,
    InMemoryTokenBudget,
    TokenBudget,
    cache_key,
    today,
)

log = logging.getLogger("oms.adapters")

__all__ = ["DEFAULT_MODEL", "TOOL_NAME", "ClaudeAdvisor", "claude_advisor", "today"]

TOOL_NAME = "score_candidates"
REASON_CHARS = 200


SYSTEM_PROMPT = (
    "You are the sourcing advisor of an order management system. For one order you get a JSON "
    "document: `order` (its summary and cluster), `patterns` (up to 3 historical patterns, best "
    "match first: how nodes scored for similar orders), `node_metrics` (each node's labelled outcomes "
    "over the last 7 days: samples, mean outcome score 0..1, delivery hours, cost variance) and "
    "`candidates` (the nodes that can fulfil it, with distance, estimated cost and the rule-based "
    "score). Score every candidate from 0 (worst) to 1 (best) for the expected outcome of sending this "
    "order there: on-time delivery first, then cost; trust measured outcomes over distance when they "
    "have enough samples. Call the score_candidates tool once, with one recommendation per candidate "
    f"node_id and a reason of at most {REASON_CHARS} characters. Do not answer in text."
)


def _tool(candidate_ids: list[str]) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Record a score from 0 to 1 and a short reason for every candidate node.",
        "input_schema": {
            "type": "object",
            "properties": {
                "recommendations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "node_id": {"type": "string", "enum": candidate_ids},
                            "score": {"type": "number", "minimum": 0, "maximum": 1},
                            "reason": {"type": "string", "maxLength": REASON_CHARS},
                        },
                        "required": ["node_id", "score", "reason"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["recommendations"],
            "additionalProperties": False,
        },
    }


def prompt_document(request: AdviceRequest) -> str:
    """The request as the compact JSON the model reads (the user message)."""
    doc = {
        "order": request.order.model_dump(mode="json"),
        "patterns": [p.model_dump(mode="json") for p in request.patterns[:3]],
        "node_metrics": [m.model_dump(mode="json") for m in request.node_metrics],
        "candidates": [c.model_dump(mode="json") for c in request.candidates],
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


class ClaudeAdvisor(GuardedCaller):
    name = "claude"

    def __init__(self, *, cache: AdviceCache | None = None, **settings: Unpack[GuardSettings]) -> None:
        """The guards' settings are `GuardSettings` (model, key, endpoint, timeout, attempts,
        budget, breaker, client, cache generation); `cache` holds answers per candidate set."""
        super().__init__(**settings)
        self.cache = cache if cache is not None else AdviceCache()

    # -- the advisor ------------------------------------------------------------------------
    def advise(self, request: AdviceRequest) -> Advice:
        started = time.perf_counter()
        key = cache_key(request, self.cache_generation(request.tenant_id))
        hit = self.cache.get(key)
        if hit is not None:
            return hit.model_copy(
                update={
                    "cached": True,
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "latency_ms": (time.perf_counter() - started) * 1000,
                }
            )
        day = today()
        if self.budget.remaining(request.tenant_id, day) <= 0:
            raise self._unavailable("budget_spent", "the tenant's daily token budget is spent", started)
        if not self.breaker.allow():
            raise self._unavailable("breaker_open", "recent calls failed; not calling", started)
        call = CallStats()
        try:
            reply = self._call(request, call)
            scores, reasons = parse_answer(tool_input(reply, TOOL_NAME), request.candidates)
        except Attempt as failed:
            self.breaker.failure()
            reason = cast(FallbackReason, failed.reason)
            raise self._unavailable(reason, failed.detail, started, call) from None
        except AdviceUnavailable as failed:
            self.breaker.failure()
            raise self._unavailable(failed.reason, failed.detail, started, call) from None
        except Exception as exc:  # anything else is the advisor failing, never the order's problem
            log.warning("claude advisor: unexpected %s", type(exc).__name__, exc_info=True)
            self.breaker.failure()
            raise self._unavailable("error", type(exc).__name__, started, call) from None
        finally:
            self.budget.spend(request.tenant_id, day, call.tokens)
        self.breaker.success()
        advice = Advice(
            advisor=self.name,
            model=self.model,
            scores=scores,
            reasons=reasons,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        self.cache.put(key, advice)
        return advice

    def _unavailable(
        self,
        reason: FallbackReason,
        detail: str,
        started: float,
        call: CallStats | None = None,
    ) -> AdviceUnavailable:
        call = call or CallStats()
        audit = {
            "advisor": self.name,
            "model": self.model,
            "input_tokens": call.input_tokens,
            "output_tokens": call.output_tokens,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "attempts": call.attempts,
            "outcome": reason,
        }
        return AdviceUnavailable(reason, detail, audit=audit)

    def _call(self, request: AdviceRequest, call: CallStats) -> anthropic.types.Message:
        """The reply; attempts and tokens are counted in `call` as they happen."""
        candidate_ids = [c.node_id for c in request.candidates]
        # the tool input grows with the candidates: room for each one's score and reason
        max_tokens = min(8192, 256 + 120 * len(candidate_ids))
        tenant_ref = hashlib.sha256(request.tenant_id.encode()).hexdigest()[:32]
        message = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": SYSTEM_PROMPT,
            "messages": [{"role": "user", "content": [{"type": "text", "text": prompt_document(request)}]}],
            "tools": [_tool(candidate_ids)],
            "tool_choice": forced_tool(TOOL_NAME),
            "metadata": {"user_id": tenant_ref},
        }
        return create(
            self.client,
            message,
            attempts=self.attempts,
            timeout_s=self.timeout_s,
            max_wait_s=self.max_wait_s,
            stats=call,
        )


# -- configuration (adapters only) ----------------------------------------------------------


def claude_advisor(
    *,
    model: str | None = None,
    api_key: str | None = None,
    api_key_param: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    daily_tokens: int | None = None,
    budget: TokenBudget | None = None,
    timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    generation: Callable[[str], int] | None = None,
) -> ClaudeAdvisor | None:
    """The Claude advisor as configured, or None when no key is configured (the built-in advisor
    serves then). Arguments win over the environment:

    - key: `api_key`, else ANTHROPIC_API_KEY, else the SSM parameter `api_key_param` /
      ANTHROPIC_API_KEY_PARAM (read on the first call, WithDecryption);
    - endpoint: `base_url`, else ANTHROPIC_BASE_URL (the SDK's default otherwise);
    - model: `model`, else CLAUDE_MODEL, else DEFAULT_MODEL;
    - budget: `budget`, else an in-process one of `daily_tokens` / CLAUDE_DAILY_TOKENS per tenant;
    - timeout: `timeout_s`, else CLAUDE_TIMEOUT_SECONDS, else 3 s.
    """
    env = os.environ if env is None else env
    key = configured_key(api_key, api_key_param, region, env)
    if key is None:
        return None
    if budget is None:
        tokens = daily_tokens if daily_tokens is not None else int(env.get("CLAUDE_DAILY_TOKENS") or 0)
        budget = InMemoryTokenBudget(tokens or DEFAULT_DAILY_TOKENS)
    return ClaudeAdvisor(
        model=model or env.get("CLAUDE_MODEL") or DEFAULT_MODEL,
        api_key=key,
        base_url=base_url or env.get("ANTHROPIC_BASE_URL") or None,
        timeout_s=timeout_s if timeout_s is not None else float(env.get("CLAUDE_TIMEOUT_SECONDS") or 3.0),
        budget=budget,
        generation=generation,
    )
