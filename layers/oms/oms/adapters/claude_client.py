"""What every structured Claude call of Cirrus shares (ADR 0024, ADR 0033): the key (given, from
the environment or from an SSM SecureString read once per container), one lazily built client per
caller with the SDK's own retries off, the attempts of one call (each with its timeout; a
retryable failure tried again after a short jittered wait or the server's retry-after, unless that
is longer than the caller may wait), the classification of a failure into a fallback reason
("timeout", "error", "invalid_answer"), token counting, and reading the input of the tool the model
was forced to call.

The sourcing advisor (`claude_advisor`) and the exception analyst (`claude_analyst`) build their
requests and read their answers; everything between is here.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypedDict

import anthropic

from oms.domain.advisor_guards import CircuitBreaker, InMemoryTokenBudget, TokenBudget

log = logging.getLogger("oms.adapters")

DEFAULT_MODEL = "claude-haiku-4-5"
DEFAULT_DAILY_TOKENS = 2_000_000

ApiKey = str | Callable[[], str] | None


class Attempt(Exception):
    """One failed attempt (or a reply that cannot be used): why, and whether another attempt may
    help (and after how long). `reason` is a fallback reason: timeout, error or invalid_answer."""

    def __init__(self, reason: str, detail: str, retry: bool = False, wait: float = 0.0) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry = retry
        self.wait = wait


@dataclass
class CallStats:
    """What one call cost so far, counted as it happens (a failed call spends tokens too)."""

    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class LazyClient:
    """One SDK client, built on first use (the key may be a callable, e.g. an SSM read), with the
    SDK's retries off: the attempts are counted here."""

    def __init__(
        self,
        api_key: ApiKey,
        base_url: str | None,
        timeout_s: float,
        client: anthropic.Anthropic | None = None,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._client = client
        self._lock = threading.Lock()

    def __call__(self) -> anthropic.Anthropic:
        with self._lock:
            if self._client is None:
                key = self._api_key() if callable(self._api_key) else self._api_key
                self._client = anthropic.Anthropic(
                    api_key=key, base_url=self._base_url, timeout=self._timeout_s, max_retries=0
                )
            return self._client


class GuardSettings(TypedDict, total=False):
    """What a structured caller is configured with (`GuardedCaller`'s keyword arguments)."""

    model: str
    api_key: ApiKey  # a callable is read on first use (e.g. from SSM); None: ANTHROPIC_API_KEY
    base_url: str | None  # None: ANTHROPIC_BASE_URL, else the SDK's default
    timeout_s: float
    attempts: int
    max_wait_s: float
    budget: TokenBudget | None
    breaker: CircuitBreaker | None
    client: anthropic.Anthropic | None
    generation: Callable[[str], int] | None  # the tenant's AI cache generation (ADR 0033)


class GuardedCaller:
    """The settings and guards every structured caller holds: the model, the attempts of a call
    and their timeout, the tenant's daily token budget, the circuit breaker, the tenant's cache
    generation and the lazily built client. The advisor and the analyst add their cache."""

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        api_key: ApiKey = None,
        base_url: str | None = None,
        timeout_s: float = 3.0,
        attempts: int = 2,
        max_wait_s: float = 1.0,
        budget: TokenBudget | None = None,
        breaker: CircuitBreaker | None = None,
        client: anthropic.Anthropic | None = None,
        generation: Callable[[str], int] | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts >= 1")
        self.model = model
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.budget: TokenBudget = budget if budget is not None else InMemoryTokenBudget(DEFAULT_DAILY_TOKENS)
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.client = LazyClient(api_key, base_url, timeout_s, client)
        self.generation = generation

    def cache_generation(self, tenant_id: str) -> int:
        return self.generation(tenant_id) if self.generation else 0


def create(
    client: Callable[[], anthropic.Anthropic],
    request: Mapping[str, Any],
    *,
    attempts: int,
    timeout_s: float,
    max_wait_s: float,
    stats: CallStats,
) -> anthropic.types.Message:
    """`messages.create(**request)` in at most `attempts` attempts; raises `Attempt` when none
    gave a message. Attempts and tokens are counted in `stats` as they happen."""
    for attempt in range(1, attempts + 1):
        stats.attempts = attempt
        try:
            reply = client().messages.create(**request, timeout=timeout_s)
        except Exception as exc:
            failed = classify(exc, timeout_s, max_wait_s)
            if attempt >= attempts or not failed.retry:
                raise Attempt(failed.reason, failed.detail) from None
            if failed.wait > 0:
                time.sleep(failed.wait)
            continue
        if not isinstance(reply, anthropic.types.Message):  # a 200 that is not a message
            raise Attempt("invalid_answer", "the reply is not a message")
        # the SDK builds the message without validating it: read what may be missing with care
        usage = getattr(reply, "usage", None)
        stats.input_tokens += count(getattr(usage, "input_tokens", 0))
        stats.output_tokens += count(getattr(usage, "output_tokens", 0))
        return reply
    raise AssertionError("unreachable")  # pragma: no cover


def classify(exc: Exception, timeout_s: float, max_wait_s: float) -> Attempt:
    """A failed attempt's fallback reason, and whether (and when) to try again."""
    backoff = min(max_wait_s, 0.1 * (1 + random.random()))  # noqa: S311 - jitter, not crypto
    if isinstance(exc, anthropic.APITimeoutError):
        return Attempt("timeout", f"no answer within {timeout_s:g} s", True, backoff)
    if isinstance(exc, anthropic.APIConnectionError):
        return Attempt("error", "connection failed", True, backoff)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        detail = f"HTTP {status}"
        if status == 429 or status >= 500 or status in (408, 409):
            wait = retry_after(exc.response.headers)
            if wait is None:
                return Attempt("error", detail, True, backoff)
            if wait > max_wait_s:
                return Attempt("error", f"{detail}, retry after {wait:g} s", False)
            return Attempt("error", detail, True, wait)
        return Attempt("error", detail, False)  # 400/401/403/404...: another try won't help
    if isinstance(exc, anthropic.APIResponseValidationError | ValueError):
        return Attempt("invalid_answer", "the reply is not a message", False)
    return Attempt("error", type(exc).__name__, False)


def tool_input(reply: Any, tool_name: str) -> Any:
    """The input of the first call of `tool_name` in the reply; `Attempt("invalid_answer")` when
    the answer was cut off or holds no such call."""
    if getattr(reply, "stop_reason", None) == "max_tokens":
        raise Attempt("invalid_answer", "the answer was cut off at max_tokens")
    calls = [
        block
        for block in (getattr(reply, "content", None) or [])
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool_name
    ]
    if not calls:
        raise Attempt("invalid_answer", f"no {tool_name} tool call in the reply")
    return calls[0].input


def forced_tool(tool_name: str) -> dict[str, Any]:
    """`tool_choice` that makes the model answer with exactly one call of `tool_name`."""
    return {"type": "tool", "name": tool_name, "disable_parallel_tool_use": True}


def count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def retry_after(headers: Mapping[str, str]) -> float | None:
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
def key_from_ssm(parameter: str, region: str) -> str:
    """The API key stored as a SecureString; read once per container (a failed read is not cached)."""
    import boto3

    response = boto3.client("ssm", region_name=region).get_parameter(Name=parameter, WithDecryption=True)
    return str(response["Parameter"]["Value"])


def configured_key(
    api_key: str | None,
    api_key_param: str | None,
    region: str | None,
    env: Mapping[str, str],
) -> ApiKey:
    """The key as configured, None when there is none: `api_key`, else ANTHROPIC_API_KEY, else a
    reader of the SSM parameter `api_key_param` / ANTHROPIC_API_KEY_PARAM (read on first use)."""
    key: ApiKey = api_key or env.get("ANTHROPIC_API_KEY") or None
    if key is not None:
        return key
    param = api_key_param or env.get("ANTHROPIC_API_KEY_PARAM") or None
    if param is None:
        return None
    where = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return lambda: key_from_ssm(param, where)
