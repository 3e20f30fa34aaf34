"""The tenants' daily token budgets for the Claude advisor and analyst, shared by every container:
one item per tenant and day in the directory table, spent with an atomic ADD, expiring two days
later. Beside them, each tenant's AI cache generation (ADR 0033)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from oms.data.base import store_error
from oms.data.records import AiBudgetRecord, AiCacheRecord
from oms.domain.clock import epoch

_KEPT_SECONDS = 2 * 86400


def _pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#AIBUDGET"


class DynamoTokenBudget:
    """`oms.domain.advisor_guards.TokenBudget` over DynamoDB, with one limit for every tenant."""

    def __init__(self, daily_tokens: int) -> None:
        self.daily_tokens = daily_tokens

    def remaining(self, tenant_id: str, day: str) -> int:
        try:
            spent = int(AiBudgetRecord.get(_pk(tenant_id), day).spent or 0)
        except DoesNotExist:
            spent = 0
        return self.daily_tokens - spent

    def spend(self, tenant_id: str, day: str, tokens: int) -> None:
        if tokens <= 0:
            return
        try:
            AiBudgetRecord(_pk(tenant_id), day).update(
                actions=[
                    AiBudgetRecord.spent.add(tokens),
                    AiBudgetRecord.expires_at_epoch.set(int(epoch()) + _KEPT_SECONDS),
                ]
            )
        except UpdateError as exc:
            raise store_error(exc, "token budget") from exc


class AiBudgetRepository:
    def for_limit(self, daily_tokens: int) -> DynamoTokenBudget:
        return DynamoTokenBudget(daily_tokens)


_GENERATION_SK = "GENERATION"


def _cache_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#AICACHE"


class AiCacheRepository:
    """The tenant's AI cache generation: 0 until the first clear."""

    def generation(self, tenant_id: str) -> int:
        try:
            return int(AiCacheRecord.get(_cache_pk(tenant_id), _GENERATION_SK).generation or 0)
        except DoesNotExist:
            return 0

    def bump(self, tenant_id: str) -> int:
        """Add 1 (atomically: concurrent clears each count) and return the new generation."""
        record = AiCacheRecord(_cache_pk(tenant_id), _GENERATION_SK)
        try:
            record.update(actions=[AiCacheRecord.generation.add(1)])
        except UpdateError as exc:
            raise store_error(exc, "AI cache generation") from exc
        return int(record.generation or 0)
