"""The tenants' daily token budgets for the Claude advisor, shared by every container: one item
per tenant and day in the directory table, spent with an atomic ADD, expiring two days later."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from oms.data.base import store_error
from oms.data.records import AiBudgetRecord
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
