"""The Claude exception analyst (ADR 0033): one forced tool call per exception
(`record_exception_analysis`), and one per policy lint (`review_policy`), through the client
machinery the sourcing advisor uses (`oms.adapters.claude_client`: key from the environment or SSM,
3 s per attempt, 2 attempts, retry-after honoured) and the same guards in the same order:

1. the cache (per tenant, cache generation, prompt version, model and the facts' digest): a hit
   costs nothing;
2. the tenant's daily token budget (shared with the advisor): spent -> `budget_spent`;
3. the circuit breaker: open -> `breaker_open`;
4. the call; a failure -> `timeout` / `error` / `invalid_answer`, counted by the breaker; the tokens
   of every attempt are spent from the budget.

The system prompts are the versioned templates in `oms/prompts/`. Which analysis stands (sampling,
the confidence floor, the rules' fallback) is decided by the caller (`oms.services.analyst`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Unpack

from pydantic import BaseModel, ValidationError

from oms import prompts
from oms.adapters.claude_client import (
    Attempt,
    CallStats,
    GuardedCaller,
    GuardSettings,
    create,
    forced_tool,
    tool_input,
)
from oms.domain import analyst as domain
from oms.domain.advisor_guards import AnswerCache, today
from oms.domain.policy_lint import TOOL_NAME as LINT_TOOL
from oms.domain.policy_lint import LintAdvice, lint_document, lint_tool

log = logging.getLogger("oms.adapters")

M = TypeVar("M", bound=BaseModel)
ANALYSIS_MAX_TOKENS = 1024
LINT_MAX_TOKENS = 2048


class AnalystUnavailable(Exception):
    """Claude gave no usable answer; `reason` is a fallback reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Reply:
    """A validated answer and what it cost (nothing when `cached`)."""

    answer: Any
    model: str
    prompt_version: str
    cached: bool
    input_tokens: int = 0
    output_tokens: int = 0


class ClaudeAnalyst(GuardedCaller):
    name = "claude"

    def __init__(
        self, *, cache: AnswerCache[Hashable, Reply] | None = None, **settings: Unpack[GuardSettings]
    ) -> None:
        """The guards' settings are `GuardSettings`; `cache` holds answers per question."""
        super().__init__(**settings)
        self.cache: AnswerCache[Hashable, Reply] = cache if cache is not None else AnswerCache(1000, 3600.0)

    # -- the two questions ------------------------------------------------------------------
    def analyse(self, tenant_id: str, exception: Mapping[str, Any]) -> Reply:
        """Claude's answer for one exception (raises AnalystUnavailable)."""
        prompt = prompts.load(*prompts.EXCEPTION_ANALYSIS)
        digest = domain.facts_digest(exception)
        return self._ask(
            tenant_id,
            ("analysis", digest),
            prompt,
            domain.prompt_document(exception),
            domain.tool(),
            domain.TOOL_NAME,
            domain.AnalystAnswer,
            ANALYSIS_MAX_TOKENS,
        )

    def lint(
        self, tenant_id: str, policy_type: str, policy: Mapping[str, Any], issues: list[dict[str, str]]
    ) -> Reply:
        """Suggestions and test cases for a policy (raises AnalystUnavailable)."""
        prompt = prompts.load(*prompts.POLICY_LINT)
        document = lint_document(policy_type, policy, issues)
        digest = hashlib.sha256(document.encode()).hexdigest()[:32]
        return self._ask(
            tenant_id,
            ("lint", digest),
            prompt,
            document,
            lint_tool(),
            LINT_TOOL,
            LintAdvice,
            LINT_MAX_TOKENS,
        )

    # -- the guards and the call ------------------------------------------------------------
    def _ask(
        self,
        tenant_id: str,
        question: tuple[str, str],
        prompt: prompts.Prompt,
        document: str,
        tool: dict[str, Any],
        tool_name: str,
        shape: type[M],
        max_tokens: int,
    ) -> Reply:
        generation = self.cache_generation(tenant_id)
        key = (tenant_id, generation, prompt.ref, self.model, *question)
        hit = self.cache.get(key)
        if hit is not None:
            return Reply(hit.answer, hit.model, hit.prompt_version, cached=True)
        day = today()
        if self.budget.remaining(tenant_id, day) <= 0:
            raise AnalystUnavailable("budget_spent", "the tenant's daily token budget is spent")
        if not self.breaker.allow():
            raise AnalystUnavailable("breaker_open", "recent calls failed; not calling")
        stats = CallStats()
        request = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": prompt.text,
            "messages": [{"role": "user", "content": [{"type": "text", "text": document}]}],
            "tools": [tool],
            "tool_choice": forced_tool(tool_name),
            "metadata": {"user_id": hashlib.sha256(tenant_id.encode()).hexdigest()[:32]},
        }
        try:
            reply = create(
                self.client,
                request,
                attempts=self.attempts,
                timeout_s=self.timeout_s,
                max_wait_s=self.max_wait_s,
                stats=stats,
            )
            answer = shape.model_validate(tool_input(reply, tool_name))
        except Attempt as failed:
            self.breaker.failure()
            raise AnalystUnavailable(failed.reason, failed.detail) from None
        except ValidationError as exc:
            self.breaker.failure()
            raise AnalystUnavailable("invalid_answer", f"{exc.error_count()} schema errors") from None
        except Exception as exc:  # the analyst failing is never the exception's problem
            log.warning("claude analyst: unexpected %s", type(exc).__name__, exc_info=True)
            self.breaker.failure()
            raise AnalystUnavailable("error", type(exc).__name__) from None
        finally:
            self.budget.spend(tenant_id, day, stats.tokens)
        self.breaker.success()
        model = str(getattr(reply, "model", "") or self.model)
        result = Reply(answer, model, prompt.ref, False, stats.input_tokens, stats.output_tokens)
        self.cache.put(key, result)
        return result
