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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import anthropic

from oms.domain.advisor import Advice, AdviceRequest, AdviceUnavailable, FallbackReason, parse_answer
from oms.domain.advisor_guards import (
    AdviceCache,
    CircuitBreaker,
    InMemoryTokenBudget,
    TokenBudget,
    cache_key,
    today,
)

log = logging.getLogger("oms.adapters")

DEFAULT_MODEL = "claude-haiku-4-5"
DEFAULT_DAILY_TOKENS = 2_000_000
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


class _Attempt(Exception):
    """One failed attempt: why, and whether another attempt may help (and after how long)."""

    def __init__(self, reason: FallbackReason, detail: str, retry: bool, wait: float = 0.0) -> None:
        super().__init__(detail)
        self.reason: FallbackReason = reason
        self.detail = detail
        self.retry = retry
        self.wait = wait


@dataclass
class _Call:
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class ClaudeAdvisor:
    name = "claude"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str | Callable[[], str] | None = None,
        base_url: str | None = None,
        timeout_s: float = 3.0,
        attempts: int = 2,
        max_wait_s: float = 1.0,
        budget: TokenBudget | None = None,
        breaker: CircuitBreaker | None = None,
        cache: AdviceCache | None = None,
        client: anthropic.Anthropic | None = None,
    ) -> None:
        """`api_key` may be a callable (read on first use, e.g. from SSM), None to let the SDK
        read ANTHROPIC_API_KEY; `base_url` None lets it read ANTHROPIC_BASE_URL."""
        if attempts < 1:
            raise ValueError("attempts >= 1")
        self.model = model
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.budget: TokenBudget = budget if budget is not None else InMemoryTokenBudget(DEFAULT_DAILY_TOKENS)
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.cache = cache if cache is not None else AdviceCache()
        self._api_key = api_key
        self._base_url = base_url
        self._client = client
        self._client_lock = threading.Lock()

    # -- the client -------------------------------------------------------------------------
    def client(self) -> anthropic.Anthropic:
        with self._client_lock:
            if self._client is None:
                key = self._api_key() if callable(self._api_key) else self._api_key
                self._client = anthropic.Anthropic(
                    api_key=key, base_url=self._base_url, timeout=self.timeout_s, max_retries=0
                )
            return self._client

    # -- the advisor ------------------------------------------------------------------------
    def advise(self, request: AdviceRequest) -> Advice:
        started = time.perf_counter()
        key = cache_key(request)
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
        call = _Call()
        try:
            reply = self._call(request, call)
            scores, reasons = self._read(reply, request)
        except (_Attempt, AdviceUnavailable) as failed:
            self.breaker.failure()
            raise self._unavailable(failed.reason, failed.detail, started, call) from None
        except Exception as exc:  # anything else is the advisor failing, never the order's problem
            log.warning("claude advisor: unexpected %s", type(exc).__name__, exc_info=True)
            self.breaker.failure()
            raise self._unavailable("error", type(exc).__name__, started, call) from None
        finally:
            self.budget.spend(request.tenant_id, day, call.input_tokens + call.output_tokens)
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
        call: _Call | None = None,
    ) -> AdviceUnavailable:
        call = call or _Call()
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

    def _call(self, request: AdviceRequest, call: _Call) -> Any:
        """The reply; attempts and tokens are counted in `call` as they happen."""
        candidate_ids = [c.node_id for c in request.candidates]
        # the tool input grows with the candidates: room for each one's score and reason
        max_tokens = min(8192, 256 + 120 * len(candidate_ids))
        tenant_ref = hashlib.sha256(request.tenant_id.encode()).hexdigest()[:32]
        for attempt in range(1, self.attempts + 1):
            call.attempts = attempt
            try:
                reply = self.client().messages.create(
                    model=self.model,
                    max_tokens=max_tokens,
                    system=SYSTEM_PROMPT,
                    messages=[
                        {"role": "user", "content": [{"type": "text", "text": prompt_document(request)}]}
                    ],
                    tools=[cast(Any, _tool(candidate_ids))],
                    tool_choice={"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True},
                    metadata={"user_id": tenant_ref},
                    timeout=self.timeout_s,
                )
            except Exception as exc:
                failed = self._classify(exc)
                if attempt >= self.attempts or not failed.retry:
                    raise _Attempt(failed.reason, failed.detail, False) from None
                if failed.wait > 0:
                    time.sleep(failed.wait)
                continue
            if not isinstance(reply, anthropic.types.Message):  # a 200 that is not a message
                raise _Attempt("invalid_answer", "the reply is not a message", False)
            # the SDK builds the message without validating it: read what may be missing with care
            usage = getattr(reply, "usage", None)
            call.input_tokens += _count(getattr(usage, "input_tokens", 0))
            call.output_tokens += _count(getattr(usage, "output_tokens", 0))
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _classify(self, exc: Exception) -> _Attempt:
        backoff = min(self.max_wait_s, 0.1 * (1 + random.random()))  # noqa: S311 - jitter, not crypto
        if isinstance(exc, anthropic.APITimeoutError):
            return _Attempt("timeout", f"no answer within {self.timeout_s:g} s", True, backoff)
        if isinstance(exc, anthropic.APIConnectionError):
            return _Attempt("error", "connection failed", True, backoff)
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            detail = f"HTTP {status}"
            if status == 429 or status >= 500 or status in (408, 409):
                wait = _retry_after(exc.response.headers)
                if wait is None:
                    return _Attempt("error", detail, True, backoff)
                if wait > self.max_wait_s:
                    return _Attempt("error", f"{detail}, retry after {wait:g} s", False)
                return _Attempt("error", detail, True, wait)
            return _Attempt("error", detail, False)  # 400/401/403/404...: another try won't help
        if isinstance(exc, anthropic.APIResponseValidationError | ValueError):
            return _Attempt("invalid_answer", "the reply is not a message", False)
        return _Attempt("error", type(exc).__name__, False)

    def _read(self, reply: Any, request: AdviceRequest) -> tuple[dict[str, float], dict[str, str]]:
        if getattr(reply, "stop_reason", None) == "max_tokens":
            raise AdviceUnavailable("invalid_answer", "the answer was cut off at max_tokens")
        calls = [
            block
            for block in (getattr(reply, "content", None) or [])
            if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == TOOL_NAME
        ]
        if not calls:
            raise AdviceUnavailable("invalid_answer", f"no {TOOL_NAME} tool call in the reply")
        return parse_answer(calls[0].input, request.candidates)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) / scale)
        except ValueError:
            continue
    return None


# -- configuration (adapters only) ----------------------------------------------------------


@lru_cache(maxsize=8)
def _key_from_ssm(parameter: str, region: str) -> str:
    """The API key stored as a SecureString; read once per container (a failed read is not cached)."""
    import boto3

    response = boto3.client("ssm", region_name=region).get_parameter(Name=parameter, WithDecryption=True)
    return str(response["Parameter"]["Value"])


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
    key: str | Callable[[], str] | None = api_key or env.get("ANTHROPIC_API_KEY") or None
    if key is None:
        param = api_key_param or env.get("ANTHROPIC_API_KEY_PARAM") or None
        if param is None:
            return None
        where = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        key = lambda: _key_from_ssm(param, where)  # noqa: E731 - read lazily, on the first call
    if budget is None:
        tokens = daily_tokens if daily_tokens is not None else int(env.get("CLAUDE_DAILY_TOKENS") or 0)
        budget = InMemoryTokenBudget(tokens or DEFAULT_DAILY_TOKENS)
    return ClaudeAdvisor(
        model=model or env.get("CLAUDE_MODEL") or DEFAULT_MODEL,
        api_key=key,
        base_url=base_url or env.get("ANTHROPIC_BASE_URL") or None,
        timeout_s=timeout_s if timeout_s is not None else float(env.get("CLAUDE_TIMEOUT_SECONDS") or 3.0),
        budget=budget,
    )
