"""Configuration, read from the environment once (adapters only; the domain never reads it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    orders_table: str
    inventory_table: str
    directory_table: str
    state_machine_arn: str | None
    jwt_secret_param: str | None
    jwt_secret_value: str | None
    token_ttl_seconds: int
    token_audience: str
    reservation_ttl_minutes: int
    stuck_order_minutes: int
    default_sourcing_strategy: str
    sourcing_time_budget_ms: float
    maintenance_function: str | None
    integrations_table: str
    insights_table: str
    billing_table: str
    webhook_retry_queue_url: str | None
    webhook_retry_seconds: tuple[float, ...]
    webhook_allow_insecure: bool
    webhook_timeout_seconds: float
    webhook_queue_url: str | None
    secrets_key_id: str | None
    connector_queue_url: str | None
    shopify_webhook_function: str | None
    local_function_url_base: str | None
    dead_letter_queues: tuple[tuple[str, tuple[str, str]], ...]
    publisher_dead_letter_queue_url: str | None
    schedule_rules: tuple[tuple[str, str], ...]  # (job, EventBridge rule name)
    learning_queue_url: str | None
    learning_function: str | None
    anthropic_api_key: str | None
    anthropic_api_key_param: str | None
    anthropic_base_url: str | None
    claude_model: str | None
    claude_daily_tokens: int
    claude_timeout_seconds: float
    radar_table: str
    exceptions_queue_url: str | None
    analyst_sample_rates: str | None
    ses_sender_address: str = "no-reply@example.com"
    ses_configuration_set: str | None = None
    public_base_url: str = ""
    actions_queue_url: str | None = None  # per-status workflow actions (ADR 0035)
    stock_sync_queue_url: str | None = None  # channel stock pushes and reconciliations (ADR 0040)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        stage=env.get("CIRRUS_STAGE", "dev"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        orders_table=env.get("ORDERS_TABLE", "cirrus-orders"),
        inventory_table=env.get("INVENTORY_TABLE", "cirrus-inventory"),
        directory_table=env.get("DIRECTORY_TABLE", "cirrus-directory"),
        state_machine_arn=env.get("FULFILMENT_STATE_MACHINE_ARN") or None,
        jwt_secret_param=env.get("JWT_SECRET_PARAM") or None,
        jwt_secret_value=env.get("JWT_SECRET") or None,
        token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", "3600")),
        # tokens of one stage are refused by another, even if both shared a signing key
        token_audience=env.get("TOKEN_AUDIENCE") or f"cirrus-oms:{env.get('CIRRUS_STAGE', 'dev')}",
        reservation_ttl_minutes=int(env.get("RESERVATION_TTL_MINUTES", "4320")),
        stuck_order_minutes=int(env.get("STUCK_ORDER_MINUTES", "2")),
        default_sourcing_strategy=env.get("DEFAULT_SOURCING_STRATEGY", "DISTANCE_OPTIMAL"),
        # OPTIMAL_SPLIT's search stops here and returns the best plan found (and says so)
        sourcing_time_budget_ms=float(env.get("SOURCING_TIME_BUDGET_MS", "25")),
        maintenance_function=env.get("MAINTENANCE_FUNCTION_NAME") or None,
        integrations_table=env.get("INTEGRATIONS_TABLE", "cirrus-integrations"),
        insights_table=env.get("INSIGHTS_TABLE", "cirrus-insights"),
        billing_table=env.get("BILLING_TABLE", "cirrus-billing"),
        webhook_retry_queue_url=env.get("WEBHOOK_RETRY_QUEUE_URL") or None,
        webhook_retry_seconds=tuple(
            float(v) for v in env.get("WEBHOOK_RETRY_SECONDS", "300,600,1200").split(",") if v.strip()
        ),
        # http:// and loopback receivers: only for `make run` and tests, never a deployed stage
        webhook_allow_insecure=env.get("WEBHOOK_ALLOW_INSECURE", "false").lower() == "true",
        # one delivery attempt's whole budget: connect, TLS, send, status, headers, start of body
        webhook_timeout_seconds=float(env.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
        webhook_queue_url=env.get("WEBHOOK_QUEUE_URL") or None,
        # the KMS key (id, ARN or alias) secrets at rest are sealed under (adapters/secrets_box.py)
        secrets_key_id=env.get("SECRETS_KEY_ID") or None,
        connector_queue_url=env.get("CONNECTOR_QUEUE_URL") or None,
        shopify_webhook_function=env.get("SHOPIFY_WEBHOOK_FUNCTION_NAME") or None,
        # set by the local cloud: Function URLs are served by its gateway under /_fn/<LogicalId>/
        local_function_url_base=env.get("CIRRUS_LOCAL_FUNCTION_URL_BASE") or None,
        dead_letter_queues=_dead_letter_queues(env.get("DEAD_LETTER_QUEUES", "")),
        publisher_dead_letter_queue_url=env.get("PUBLISHER_DEAD_LETTER_QUEUE_URL") or None,
        schedule_rules=_pairs(env.get("SCHEDULE_RULES", "")),
        # the learning loop (ADR 0023): its queue of finished deliveries, its jobs' function
        learning_queue_url=env.get("LEARNING_QUEUE_URL") or None,
        learning_function=env.get("LEARNING_FUNCTION_NAME") or None,
        # the Claude advisor (ADR 0024): a key, or the name of an SSM SecureString holding it; no
        # key means the built-in advisor
        anthropic_api_key=env.get("ANTHROPIC_API_KEY") or None,
        anthropic_api_key_param=env.get("ANTHROPIC_API_KEY_PARAM") or None,
        anthropic_base_url=env.get("ANTHROPIC_BASE_URL") or None,
        claude_model=env.get("CLAUDE_MODEL") or None,
        claude_daily_tokens=int(env.get("CLAUDE_DAILY_TOKENS") or 2_000_000),
        claude_timeout_seconds=float(env.get("CLAUDE_TIMEOUT_SECONDS") or 3.0),
        # the SLA radar (issue 11): its table, and the queue new/resolved exceptions go to
        radar_table=env.get("RADAR_TABLE", "cirrus-radar"),
        exceptions_queue_url=env.get("EXCEPTIONS_QUEUE_URL") or None,
        actions_queue_url=env.get("ACTIONS_QUEUE_URL") or None,
        stock_sync_queue_url=env.get("STOCK_SYNC_QUEUE_URL") or None,
        # the Claude exception analyst's sampling by severity (ADR 0033), e.g. "MEDIUM=0.25,LOW=0"
        analyst_sample_rates=env.get("ANALYST_SAMPLE_RATES") or None,
        # customer email (ADR 0036): the verified SES identity mail is sent from, the configuration
        # set whose events come back as bounces/complaints, the base of links in emails
        ses_sender_address=env.get("SES_SENDER_ADDRESS") or "no-reply@example.com",
        ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
        public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/"),
    )


def _pairs(raw: str) -> tuple[tuple[str, str], ...]:
    """`name=value,...` as ((name, value), ...); entries without both parts are ignored."""
    found = []
    for entry in raw.split(","):
        name, _, value = entry.strip().partition("=")
        if name and value:
            found.append((name, value))
    return tuple(found)


def _dead_letter_queues(raw: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    """`name=dlq_url|source_url,...` (the template builds it) as ((name, (dlq, source)), ...)."""
    found = []
    for entry in raw.split(","):
        name, _, urls = entry.strip().partition("=")
        dlq, _, source = urls.partition("|")
        if name and dlq and source:
            found.append((name, (dlq, source)))
    return tuple(found)
