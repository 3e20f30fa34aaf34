"""The exception analyst's administration (ADR 0033): the AI cache clear, the policy lint, and the
tenant's Slack notifications of exception events."""

from __future__ import annotations

from typing import Any, Literal

from oms.api.http import route
from oms.api.instance import app
from oms.domain.models import Principal, Role, Strict
from oms.domain.policy_lint import LintRequest
from oms.services import ai_cache, analyst, notifications
from oms.services.notifications import SlackSettings


class CacheClearQuery(Strict):
    cache_type: Literal["ai"]


@route(app, "/admin/cache/clear", ["POST"], role=Role.SUPERADMIN, query=CacheClearQuery)
def clear_cache(principal: Principal, *, query: CacheClearQuery) -> dict[str, Any]:
    """Forget the tenant's cached AI answers (the exception analyst's and the sourcing advisor's)
    in every container: the tenant's cache generation moves on (seen within 30 s everywhere)."""
    return ai_cache.clear(principal, query.cache_type)


@route(app, "/admin/ai/lint-policy", ["POST"], role=Role.SUPERADMIN, body=LintRequest)
def lint_policy(principal: Principal, *, body: LintRequest) -> dict[str, Any]:
    """Check an SLA policy or a billing tariff before saving it: deterministic findings, and with
    a Claude key also suggestions and generated test cases."""
    return analyst.lint_policy(principal, body)


@route(app, "/notifications/slack", ["GET"], role=Role.SUPERADMIN)
def get_slack(principal: Principal) -> dict[str, Any]:
    return notifications.get_slack(principal)


@route(app, "/notifications/slack", ["PUT"], role=Role.SUPERADMIN, body=SlackSettings)
def put_slack(principal: Principal, *, body: SlackSettings) -> dict[str, Any]:
    """Set (or with `null` remove) the Slack incoming-webhook URL exception events are posted to."""
    return notifications.put_slack(principal, body)
